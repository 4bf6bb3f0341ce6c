"""Versions as the field writes them: ``v`` prefixes, ``+k3s1`` build tags, ``-eks-…`` suffixes."""

from __future__ import annotations

import re
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from driftctl.errors import InputError

# A release number followed by a vendor/distro suffix: 1.29.3-eks-ad4801, 1.21.7-3+7700880a5c71e2.
_LEADING = re.compile(r"^(\d+(?:\.\d+)*)(?:[-_.][A-Za-z0-9][A-Za-z0-9._-]*)?$")


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """Parse a version as written in the field, or None when it is no version (``latest``, a hash)."""
    s = text.strip()
    if s[:1] in ("v", "V") and s[1:2].isdigit():
        s = s[1:]
    s = s.split("+", 1)[0]
    if not s or not s[0].isdigit():
        return None
    try:
        return Version(s)
    except InvalidVersion:
        pass
    match = _LEADING.match(s)
    if match is None:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:  # pragma: no cover - the regex admits only dotted digits
        return None


def normalize_version(text: str) -> str:
    """Canonical spelling for comparison: ``v1.29.3+k3s1`` and ``1.29.3`` both give ``1.29.3``."""
    version = parse_version(text)
    return str(version) if version is not None else text.strip()


def parse_specifier(text: str, where: str) -> SpecifierSet:
    """A ``packaging`` specifier set (``>=2.0,<4``); a bare version means ``==``."""
    s = str(text).strip()
    if s and (s[0].isdigit() or s[0] in "vV"):
        s = "==" + (s[1:] if s[0] in "vV" else s)
    try:
        return SpecifierSet(s)
    except InvalidSpecifier:
        raise InputError(f"{where}: bad version specifier {text!r}") from None


def satisfies(version_text: str, spec: SpecifierSet) -> bool | None:
    """Whether a field version satisfies ``spec``; None when the text is no version."""
    version = parse_version(version_text)
    if version is None:
        return None
    return spec.contains(version, prereleases=True)
