"""Validation of what driftctl writes against the published schemas in docs/schemas/."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from driftctl.bundle.reader import ArchiveError, Limits, read_archive
from driftctl.errors import DriftctlError
from driftctl.safeio import loads_json

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"
KINDS = ("snapshot", "manifest", "diff-report", "preflight-report", "history-report")
MAX_SWEPT_BYTES = 8 * 1024 * 1024  # a bigger .json is a test's bulk data, not a report


@cache
def validator(kind: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(kind: str, doc: Any) -> list[str]:
    """Every way ``doc`` breaks the ``kind`` schema, one line each (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message[:200]}"
        for err in validator(kind).iter_errors(doc)
    ]


def check(kind: str, doc: Any, where: str) -> None:
    found = problems(kind, doc)
    assert not found, f"{where} breaks {kind}.schema.json: " + "; ".join(found[:5])


def report_kind(doc: Any) -> str | None:
    """Which published document ``doc`` claims to be, from its stable keys (None: not ours)."""
    if not isinstance(doc, dict):
        return None
    if doc.get("schema") == "driftctl.snapshot/v1":
        return "snapshot"
    if doc.get("schema") == "driftctl.bundle/v1":
        return "manifest"
    if {"site", "bundles", "drift"} <= set(doc):
        return "history-report"
    if {"sites", "findings", "summary"} <= set(doc) and isinstance(doc["sites"], list):
        return "diff-report"
    if {"release", "verdict", "sites"} <= set(doc):
        return "preflight-report"
    return None


def check_cli_json(args: tuple[str, ...], stdout: str) -> None:
    """A ``diff``/``preflight``/``history`` run with ``--format json`` printed a report: it must
    validate."""
    if not args or args[0] not in ("diff", "preflight", "history") or not stdout.strip():
        return
    flags = list(args)
    wants_json = any(
        (a in ("--format", "-f") and i + 1 < len(flags) and flags[i + 1] == "json")
        or a == "--format=json"
        for i, a in enumerate(flags)
    )
    if wants_json and "--output" not in flags and "-o" not in flags:
        doc = json.loads(stdout)
        check(report_kind(doc) or f"{args[0]}-report", doc, f"driftctl {' '.join(args)}")


def _bundle_docs(path: Path) -> list[tuple[str, object]]:
    """``(kind, document)`` of a bundle's manifest and snapshot; none if it is no readable bundle."""
    try:
        with path.open("rb") as fh:
            contents = read_archive(fh, path.stat().st_size, Limits())
        manifest = loads_json(contents.data["manifest.json"], "manifest.json")
        snapshot = loads_json(contents.data["snapshot.json"], "snapshot.json")
    except (ArchiveError, DriftctlError, KeyError, OSError):
        return []  # a test's broken archive: the test itself checks that it is refused
    return [("manifest", manifest), ("snapshot", snapshot)]


def _json_doc(path: Path) -> list[tuple[str, object]]:
    try:
        if path.stat().st_size > MAX_SWEPT_BYTES:
            return []
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    kind = report_kind(doc)
    return [(kind, doc)] if kind else []


def sweep(root: Path, skip: set[Path]) -> tuple[int, list[str]]:
    """Validate every driftctl document under ``root``: (documents checked, problems)."""
    checked, found = 0, []
    for path in sorted(root.rglob("*")):
        if any(path.is_relative_to(s) for s in skip) or not path.is_file():
            continue
        if path.name.endswith(".tar.gz") and Path(f"{path}.sig").exists():
            docs = _bundle_docs(path)
        elif path.suffix == ".json":
            docs = _json_doc(path)
        else:
            continue
        for kind, doc in docs:
            checked += 1
            found.extend(f"{path.relative_to(root)} ({kind}): {p}" for p in problems(kind, doc))
    return checked, found
