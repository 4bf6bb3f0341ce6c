"""Name validators anchor the whole string: ``$`` also matches before a final newline."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "driftctl"

# Patterns ending in ``$`` that parse text rather than validate a name, and why that is safe.
PARSERS = {
    "Q_LINE_RE": "nvidia-smi -q lines, split on newlines first",
    "REFID_RE": "chronyc's Reference ID field of one line",
    "_DURATION": "ends in \\s*$, so a trailing newline is whitespace it allows",
    "_LEADING": "the leading numeric part of a version, a parse, not a check",
    "_QUANTITY": "a Kubernetes quantity read after strip()",
    "_BINARY": "a Kubernetes quantity suffix test for normalisation",
    "_HOST": "the registry host part of an image reference",
}


@functools.cache
def _sources() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(PACKAGE.rglob("*.py"))}


@functools.cache
def _anchored_patterns() -> dict[str, str]:
    """Module-level compiled patterns of the package whose pattern ends in ``$``, by name.

    Found by importing every module (patterns are often built from shared pieces, e.g.
    ``re.compile(rf"^{COMPONENT}$")``), not by reading literals.
    """
    import driftctl

    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(driftctl.__path__, "driftctl."):
        if info.name.endswith("__main__"):  # importing it runs the CLI
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                if value.pattern.endswith("$") and not value.pattern.endswith("\\$"):
                    found[name] = value.pattern
    return found


VALIDATORS = sorted(set(_anchored_patterns()) - set(PARSERS))


def test_the_scan_finds_the_validators_and_every_exception_exists() -> None:
    expected = {"NAME_RE", "SHA256_HEX", "SITE_ID_RE", "COMPONENT_RE", "RULE_ID", "NODE_NAME_RE"}
    assert expected <= set(VALIDATORS)
    assert set(PARSERS) <= set(_anchored_patterns()), "a listed parser pattern is gone"


@pytest.mark.parametrize("name", VALIDATORS, ids=VALIDATORS)
def test_no_validator_is_used_with_match_or_search(name: str) -> None:
    """Every ``$``-anchored validator is used with ``fullmatch`` (``match`` lets "x\\n" pass)."""
    uses = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path, source in _sources().items()
        for number, line in enumerate(source.splitlines(), start=1)
        if re.search(rf"\b{re.escape(name)}\.(match|search)\(", line)
    ]
    assert not uses, uses


def test_site_ids_with_a_trailing_newline_are_refused() -> None:
    from driftctl.config import check_site_id
    from driftctl.errors import InputError

    assert check_site_id("savings-bank", "site.yaml: site") == "savings-bank"
    with pytest.raises(InputError, match="site id"):
        check_site_id("savings-bank\n", "site.yaml: site")
