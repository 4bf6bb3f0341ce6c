"""Name validators anchor the whole string: ``$`` also matches before a final newline."""

from __future__ import annotations

import ast
import functools
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
def _anchored_patterns() -> dict[str, tuple[Path, str]]:
    """Module-level ``NAME = re.compile(r"...$")`` in the package."""
    found: dict[str, tuple[Path, str]] = {}
    for path, source in _sources().items():
        for node in ast.parse(source).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            call = node.value
            if not (isinstance(call.func, ast.Attribute) and call.func.attr == "compile"):
                continue
            if not call.args or not isinstance(call.args[0], ast.Constant):
                continue
            pattern = call.args[0].value
            if isinstance(pattern, str) and pattern.endswith("$"):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = (path, pattern)
    return found


VALIDATORS = sorted(set(_anchored_patterns()) - set(PARSERS))


def test_the_scan_finds_the_validators_and_every_exception_exists() -> None:
    assert {"NAME_RE", "SHA256_HEX", "SITE_RE", "RULE_ID", "NODE_NAME_RE"} <= set(VALIDATORS)
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
