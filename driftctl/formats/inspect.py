"""Rendering of ``inspect``: every fact that leaves the site, the evidence files and the
redaction counts, marked UNVERIFIED, as a table, JSON or one HTML page."""

from __future__ import annotations

from collections.abc import Mapping

from driftctl.formats.escape import dumps_json, visible
from driftctl.formats.html import render_inspect
from driftctl.strictjson import JsonArray, JsonObject, JsonValue

BANNER = "UNVERIFIED bundle (signature not checked; run `driftctl verify` with the trust store)"


def _get(mapping: JsonValue, key: str, default: JsonValue = "-") -> JsonValue:
    if isinstance(mapping, Mapping):
        value = mapping.get(key)
        return default if value in (None, "") else value
    return default


def _mapping(value: JsonValue) -> JsonObject:
    """An unverified bundle may hold any JSON anywhere: render only what has the expected shape."""
    return value if isinstance(value, Mapping) else {}


def _list(value: JsonValue) -> JsonArray:
    return value if isinstance(value, list) else []


def render_table(report: JsonObject, facts: list[tuple[str, str]]) -> str:
    """A plain-text view for the site admin's review: the summary, then every fact."""
    m = report["manifest"]
    kube = report.get("kubernetes")
    head = [
        ("bundle", f"{report['bundle']} ({report['size']} bytes)"),
        ("sha256", report["sha256"]),
        ("signature", report["signature"]),
        ("site", _get(m, "site")),
        ("seq", _get(m, "seq")),
        ("prev_sha256", _get(m, "prev_sha256")),
        ("collected_at", _get(m, "collected_at")),
        ("cluster_uid", _get(m, "cluster_uid")),
        ("kubernetes", _get(kube, "server_version")),
        ("collector", _get(_get(m, "collector", {}), "version")),
        ("snapshot", ", ".join(f"{n} {k}" for k, n in _mapping(report["summary"]).items())),
    ]
    lines = [BANNER, *(f"{k:<13} {visible(v)}" for k, v in head)]
    red = report["redaction"]
    by_rule = ", ".join(f"{k} {v}" for k, v in _mapping(_get(red, "by_rule", {})).items()) or "none"
    lines.append(
        visible(f"redacted      {_get(red, 'total', 0)} values ({_get(red, 'mode')}): {by_rule}")
    )
    for dropped in _list(_get(red, "dropped", [])):
        lines.append(f"  dropped     {visible(dropped)}")
    evidence = [_mapping(f) for f in _list(report["evidence"])]
    lines.append(f"files         {len(evidence)} (size in bytes, sha256 prefix, path)")
    lines += [
        f"  {visible(f['size']):>10}  {visible(str(f['sha256'])[:16])}  {visible(f['path'])}"
        for f in evidence
    ]
    for failure in _list(report["failures"]):
        if isinstance(failure, Mapping):
            lines.append(
                visible(
                    f"failed        {failure.get('target')} ({failure.get('collector')}):"
                    f" {failure.get('error')}"
                )
            )
    lines.append(f"facts         {len(facts)} (every value in snapshot.json, as JSON)")
    lines += [f"  {visible(path)} = {visible(value)}" for path, value in facts]
    return "\n".join(lines) + "\n"


def render_json(report: JsonObject) -> str:
    """Everything ``inspect`` read, the whole snapshot included; ``verified`` is false."""
    return dumps_json(report, sort_keys=True)


def render_html(report: JsonObject, facts: list[tuple[str, str]]) -> str:
    return render_inspect(dict(report), facts)
