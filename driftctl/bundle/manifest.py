"""The manifest contract (design §4): strict fields, and the match against what the archive holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from driftctl.bundle import BUNDLE_SCHEMA, SHA256_HEX, SITE_PATTERN
from driftctl.bundle.reader import ArchiveContents
from driftctl.errors import InputError
from driftctl.safeio import loads_json

FIELDS = {
    "schema",
    "site",
    "seq",
    "prev_sha256",
    "collected_at",
    "cluster_uid",
    "collector",
    "files",
}


class ManifestError(ValueError):
    """The manifest is malformed or does not describe the archive; the message says which field."""


def parse_json_member(contents: ArchiveContents, name: str) -> Any:
    if name not in contents.data:
        raise ManifestError(f"archive has no {name}")
    try:
        return loads_json(contents.data[name], name)
    except InputError as exc:
        raise ManifestError(str(exc)) from None


def _check_time(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ManifestError(f"{where} is not an RFC 3339 UTC time")
    try:
        datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        raise ManifestError(f"{where} is not an RFC 3339 UTC time") from None


def check_manifest(manifest: Any) -> Mapping[str, Any]:
    """Validate the manifest's shape and field types exactly."""
    if not isinstance(manifest, dict):
        raise ManifestError("manifest.json is not an object")
    keys = set(manifest)
    if keys != FIELDS:
        extra, missing = sorted(keys - FIELDS), sorted(FIELDS - keys)
        raise ManifestError(f"manifest.json fields differ: unknown {extra}, missing {missing}")
    if manifest["schema"] != BUNDLE_SCHEMA:
        raise ManifestError(f"manifest.json schema {manifest['schema']!r} is not {BUNDLE_SCHEMA!r}")
    if not isinstance(manifest["site"], str) or not re.fullmatch(SITE_PATTERN, manifest["site"]):
        raise ManifestError(f"manifest.json site {manifest['site']!r} is not a valid site id")
    seq = manifest["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ManifestError(f"manifest.json seq {seq!r} is not a positive integer")
    prev = manifest["prev_sha256"]
    if prev is not None and (not isinstance(prev, str) or not SHA256_HEX.match(prev)):
        raise ManifestError("manifest.json prev_sha256 is not null or a sha256 hex digest")
    _check_time(manifest["collected_at"], "manifest.json collected_at")
    if manifest["cluster_uid"] is not None and not isinstance(manifest["cluster_uid"], str):
        raise ManifestError("manifest.json cluster_uid is not a string or null")
    collector = manifest["collector"]
    if not isinstance(collector, dict) or not isinstance(collector.get("version"), str):
        raise ManifestError("manifest.json collector.version is missing")
    if not isinstance(manifest["files"], list):
        raise ManifestError("manifest.json files is not a list")
    for entry in manifest["files"]:
        if (
            not isinstance(entry, dict)
            or set(entry) != {"path", "sha256", "size"}
            or not isinstance(entry["path"], str)
            or not isinstance(entry["sha256"], str)
            or not isinstance(entry["size"], int)
        ):
            raise ManifestError(f"manifest.json files entry {entry!r} is malformed")
    return manifest


def match_members(manifest: Mapping[str, Any], contents: ArchiveContents) -> None:
    """The archive holds exactly the files the manifest lists, with those sizes and digests."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    if len(listed) != len(manifest["files"]):
        raise ManifestError("manifest.json lists a file twice")
    actual = {m.name: m for m in contents.members if m.name != "manifest.json"}
    for name in actual:
        if name not in listed:
            raise ManifestError(f"member {name!r} is not in the manifest")
    for name, entry in listed.items():
        member = actual.get(name)
        if member is None:
            raise ManifestError(f"manifest lists {name!r} but the archive lacks it")
        if member.size != entry["size"] or member.sha256 != entry["sha256"]:
            raise ManifestError(f"member {name!r} does not match its manifest digest")
    for required in ("snapshot.json", "redaction.json"):
        if required not in listed:
            raise ManifestError(f"manifest does not list {required}")


def load_contents(
    contents: ArchiveContents,
) -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    """Manifest, snapshot and redaction report of an archive whose members were just read."""
    manifest = check_manifest(parse_json_member(contents, "manifest.json"))
    match_members(manifest, contents)
    snapshot = parse_json_member(contents, "snapshot.json")
    redaction = parse_json_member(contents, "redaction.json")
    if not isinstance(snapshot, dict) or not isinstance(redaction, dict):
        raise ManifestError("snapshot.json and redaction.json must be objects")
    if snapshot.get("site") != manifest["site"]:
        raise ManifestError(
            f"snapshot.json site {snapshot.get('site')!r} is not the manifest's site"
        )
    return manifest, snapshot, redaction
