"""The published JSON Schemas (docs/schemas/), generated from the model and the report enums.

``write_all()`` rewrites the files (tests/test_schemas.py says how); a test keeps them equal to
what this module generates, and every bundle and JSON report the tests write is validated
against them (tests/conftest.py).

The snapshot schema comes straight from the typed model. The manifest, diff, preflight and
history reports are described here beside the constants and enums that fix their values (site
id pattern, severities, kinds, verdicts, categories); reports allow more keys than the stable
ones, which may be added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from driftctl.bundle import BUNDLE_SCHEMA, SHA256_HEX, SITE_PATTERN
from driftctl.bundle.manifest import FIELDS as MANIFEST_FIELDS
from driftctl.diff.history import ChangeKind
from driftctl.diff.severity import CATEGORIES
from driftctl.snapshot import DriftSeverity, FindingKind, GateSeverity, Snapshot, Verdict
from driftctl.strictjson import JsonArray, JsonObject

Schema = JsonObject
DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://driftctl.invalid/schemas/"  # an identifier, never fetched
RFC3339_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"
MAX_SEQ = 2**53  # integers every JSON reader holds exactly
STRING: Schema = {"type": "string"}
STRINGS: Schema = {"type": "array", "items": STRING}
ANY: Schema = {"description": "any JSON value"}


def _object(props: Schema, required: JsonArray | None = None, more: bool = False) -> Schema:
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
        "additionalProperties": more,
    }


def _enum(values: Iterable[str]) -> Schema:
    return {"enum": [v.value if isinstance(v, StrEnum) else v for v in values]}


def _doc(name: str, title: str, body: Schema) -> Schema:
    return {"$schema": DRAFT, "$id": BASE + name, "title": title, **body}


def snapshot_schema() -> Schema:
    body = Snapshot.json_schema()
    body.pop("$schema")
    return _doc("snapshot.schema.json", "driftctl snapshot (snapshot.json)", body)


def manifest_schema() -> Schema:
    sha256: Schema = {"type": "string", "pattern": SHA256_HEX.pattern}
    props: Schema = {
        "schema": {"const": BUNDLE_SCHEMA},
        "site": {"type": "string", "pattern": SITE_PATTERN},
        "seq": {"type": "integer", "minimum": 1, "maximum": MAX_SEQ},
        "prev_sha256": {"anyOf": [sha256, {"type": "null"}]},
        "collected_at": {"type": "string", "pattern": RFC3339_UTC},
        "cluster_uid": {"type": ["string", "null"]},
        "collector": _object({"version": STRING}),
        "files": {
            "type": "array",
            "items": _object(
                {"path": STRING, "sha256": sha256, "size": {"type": "integer", "minimum": 0}}
            ),
        },
    }
    assert set(props) == MANIFEST_FIELDS, "the manifest schema lists exactly the manifest fields"
    return _doc("manifest.schema.json", "driftctl bundle manifest (manifest.json)", _object(props))


def diff_report_schema() -> Schema:
    count: Schema = {"type": "integer", "minimum": 0}
    finding = _object(
        {
            "key": {"type": "string", "description": "fact path (docs/snapshot.md)"},
            "category": _enum(CATEGORIES),
            "severity": _enum(DriftSeverity),
            "kind": _enum(FindingKind),
            "values": {"type": "object", "additionalProperties": ANY},
            "sites": STRINGS,
            "message": STRING,
        },
        more=True,
    )
    ignored = _object({"key": STRING, "sites": STRINGS, "reason": STRING}, more=True)
    summary = _object({k: count for k in ("sites", "facts", "error", "warn", "info", "ignored")})
    summary["additionalProperties"] = True
    body = _object(
        {
            "sites": STRINGS,
            "baseline": {"type": ["string", "null"]},
            "summary": summary,
            "findings": {"type": "array", "items": finding},
            "ignored": {"type": "array", "items": ignored},
        },
        more=True,
    )
    return _doc("diff-report.schema.json", "driftctl diff --format json", body)


def preflight_report_schema() -> Schema:
    finding = _object(
        {
            "rule": STRING,
            "severity": _enum(GateSeverity),
            "message": STRING,
            "unknown": {"const": True},
            "components": STRINGS,
            "nodes": STRINGS,
            "values": {"type": "object", "additionalProperties": ANY},
        },
        required=["rule", "severity", "message"],
        more=True,
    )
    snapshot = _object(
        {"seq": {"type": ["integer", "null"]}, "collected_at": {"type": ["string", "null"]}},
        more=True,
    )
    site = _object(
        {
            "verdict": _enum(Verdict),
            "snapshot": snapshot,
            "findings": {"type": "array", "items": finding},
        },
        more=True,
    )
    overall = _enum(Verdict)  # the worst site verdict: block > warn > pass
    summary: Schema = {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
    }
    body = _object(
        {
            "release": STRING,
            "policy": STRING,
            "verdict": overall,
            "summary": summary,
            "sites": {"type": "object", "additionalProperties": site},
        },
        required=["release", "verdict", "sites"],
        more=True,
    )
    return _doc("preflight-report.schema.json", "driftctl preflight --format json", body)


def history_report_schema() -> Schema:
    seq: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_SEQ}
    count: Schema = {"type": "integer", "minimum": 0}
    node = _object({"node": STRING, "old": ANY, "new": ANY})
    change = _object(
        {
            "key": {"type": "string", "description": "fact path (docs/snapshot.md)"},
            "change": _enum(ChangeKind),
            "category": _enum(CATEGORIES),
            "old": ANY,
            "new": ANY,
            "known_at": {**seq, "description": "where old was last known, when not `after`"},
            "nodes": {"type": "array", "items": node},
        },
        required=["key", "change", "category", "old", "new"],
        more=True,
    )
    gap = _object({"first": seq, "last": seq, "pruned": {"type": "boolean"}})
    step = _object(
        {
            "seq": seq,
            "collected_at": STRING,
            "sha256": {"type": "string", "pattern": SHA256_HEX.pattern},
            "after": {"anyOf": [seq, {"type": "null"}]},
            "gaps": {"type": "array", "items": gap},
            "unknown": {"type": "object", "additionalProperties": STRING},
            "facts": {**count, "description": "facts known after this bundle"},
            "changes": {"type": "array", "items": change},
        },
        more=True,
    )
    since = _object(
        {
            "seq": seq,
            "collected_at": STRING,
            "change": _enum(ChangeKind),
            "old": ANY,
            "new": ANY,
            "oldest": {"const": True},
        },
        required=["seq", "collected_at"],
        more=True,
    )
    drift = _object(
        {
            "key": STRING,
            "category": _enum(CATEGORIES),
            "severity": _enum(DriftSeverity),
            "kind": _enum([FindingKind.DRIFT, FindingKind.INTRA_SITE]),
            "value": ANY,
            "message": STRING,
            "since": since,
        },
        more=True,
    )
    summary = _object({k: count for k in ("bundles", "shown", "changes", "drift")}, more=True)
    body = _object(
        {
            "site": {"type": "string", "pattern": SITE_PATTERN},
            "sites": STRINGS,
            "filters": _object(
                {"key": {"type": ["string", "null"]}, "since": {"type": ["string", "null"]}},
                more=True,
            ),
            "summary": summary,
            "bundles": {"type": "array", "items": step},
            "drift": {"type": "array", "items": drift},
        },
        more=True,
    )
    return _doc("history-report.schema.json", "driftctl history --format json", body)


SCHEMAS = {
    "snapshot.schema.json": snapshot_schema,
    "manifest.schema.json": manifest_schema,
    "diff-report.schema.json": diff_report_schema,
    "preflight-report.schema.json": preflight_report_schema,
    "history-report.schema.json": history_report_schema,
}


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_all(directory: Path = Path("docs/schemas")) -> list[Path]:
    """Write every schema file into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in SCHEMAS.items():
        path = directory / name
        path.write_text(render(build()))
        written.append(path)
    return written
