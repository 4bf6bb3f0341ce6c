"""The manifest step of verification: strict, plausible fields, matched against the archive.

What "plausible" means is written down in docs/bundle.md; every refusal here is exit 4 and
happens before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from driftctl.bundle import BUNDLE_SCHEMA, MAX_NAME, NAME_RE, SHA256_HEX, SITE_PATTERN
from driftctl.bundle.reader import ArchiveContents, Limits
from driftctl.errors import InputError
from driftctl.snapshot import ModelError, Snapshot
from driftctl.strictjson import (
    JsonObject,
    JsonValue,
    check_json,
    loads_json,
    may_hold_surrogates,
    parse_json,
)

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
# A seq above 2**53 is not exactly representable in most JSON readers, and one near 2**63
# would lock a site out for good: nothing can follow it.
MAX_SEQ = 2**53
# A site's clock may run a little ahead of the centre's; more than this is not a real time.
FUTURE_SLACK = timedelta(minutes=10)
# RFC 3339 with a time and the UTC designator, e.g. 2026-11-30T04:00:37Z (fraction optional).
RFC3339_UTC = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
# C0 controls, DEL and C1 controls: never part of an identifier or a version.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_TEXT = 256


class ManifestError(ValueError):
    """The manifest is malformed or does not describe the archive; the message says which field."""


@dataclass(frozen=True)
class ManifestFile:
    """A member of the archive as the manifest lists it."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """``manifest.json`` once every field is checked (docs/bundle.md)."""

    site: str
    seq: int
    prev_sha256: str | None
    collected_at: str  # RFC 3339 UTC, as written
    cluster_uid: str | None
    collector_version: str
    files: tuple[ManifestFile, ...]

    def to_json(self) -> JsonObject:
        """The JSON form: the fields as manifest.json holds them."""
        return {
            "schema": BUNDLE_SCHEMA,
            "site": self.site,
            "seq": self.seq,
            "prev_sha256": self.prev_sha256,
            "collected_at": self.collected_at,
            "cluster_uid": self.cluster_uid,
            "collector": {"version": self.collector_version},
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
        }


def parse_json_member(contents: ArchiveContents, name: str) -> JsonValue:
    if name not in contents.data:
        raise ManifestError(f"archive has no {name}")
    try:
        return loads_json(contents.data[name], name)
    except InputError as exc:
        raise ManifestError(str(exc)) from None


def parse_time(value: object, where: str) -> datetime:
    """An RFC 3339 UTC time with date *and* time (``2026-11-29Z`` is not one)."""
    m = RFC3339_UTC.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise ManifestError(f"{where} {str(value)[:40]!r} is not an RFC 3339 UTC time")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ManifestError(f"{where} {value!r} is not a valid time: {exc}") from None


def _text(value: object, where: str) -> str:
    """A short identifier-like string: no control characters, no trailing newline."""
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise ManifestError(f"{where} is not a string of 1 to {MAX_TEXT} characters")
    if CONTROL.search(value):
        raise ManifestError(f"{where} {value[:40]!r} holds control characters")
    return value


def check_files(files: JsonValue, limits: Limits) -> tuple[ManifestFile, ...]:
    """``manifest.json``'s ``files``, each entry checked; ManifestError naming the first bad one."""
    if not isinstance(files, list):
        raise ManifestError("manifest.json files is not a list")
    if len(files) > limits.members:
        raise ManifestError(f"manifest.json lists more than {limits.members} files")
    out = []
    for entry in files:
        if not isinstance(entry, dict) or set(entry) != {"path", "sha256", "size"}:
            raise ManifestError(f"manifest.json files entry {str(entry)[:80]!r} is malformed")
        path, sha256, size = entry["path"], entry["sha256"], entry["size"]
        if not isinstance(path, str) or len(path) > MAX_NAME or not NAME_RE.fullmatch(path):
            raise ManifestError(f"manifest.json files path {str(path)[:80]!r} is not allowed")
        if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256):
            raise ManifestError(f"manifest.json files {path!r} sha256 is not a sha256 hex digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ManifestError(f"manifest.json files {path!r} size {size!r} is not a byte count")
        out.append(ManifestFile(path, sha256, size))
    return tuple(out)


def check_manifest(manifest: JsonValue, now: datetime, limits: Limits) -> Manifest:
    """Validate the manifest's shape, field types and plausibility exactly."""
    if not isinstance(manifest, dict):
        raise ManifestError("manifest.json is not an object")
    keys = set(manifest)
    if keys != FIELDS:
        extra, missing = sorted(keys - FIELDS), sorted(FIELDS - keys)
        raise ManifestError(f"manifest.json fields differ: unknown {extra}, missing {missing}")
    if manifest["schema"] != BUNDLE_SCHEMA:
        raise ManifestError(
            f"manifest.json schema {str(manifest['schema'])[:40]!r} is not {BUNDLE_SCHEMA!r}"
        )
    site = manifest["site"]
    if not isinstance(site, str) or not re.fullmatch(SITE_PATTERN, site):
        raise ManifestError(f"manifest.json site {str(site)[:80]!r} is not a valid site id")
    seq = manifest["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
        raise ManifestError(f"manifest.json seq {str(seq)[:40]} is not an integer from 1 to 2**53")
    prev = manifest["prev_sha256"]
    if prev is not None and (not isinstance(prev, str) or not SHA256_HEX.fullmatch(prev)):
        raise ManifestError("manifest.json prev_sha256 is not null or a sha256 hex digest")
    collected_at = manifest["collected_at"]
    collected = parse_time(collected_at, "manifest.json collected_at")
    if collected > now + FUTURE_SLACK:
        raise ManifestError(
            f"manifest.json collected_at {manifest['collected_at']} is more than "
            f"{int(FUTURE_SLACK.total_seconds()) // 60} minutes in the future of this "
            f"machine's clock ({now:%Y-%m-%dT%H:%M:%SZ})"
        )
    cluster_uid = manifest["cluster_uid"]
    if cluster_uid is not None:
        cluster_uid = _text(cluster_uid, "manifest.json cluster_uid")
    collector = manifest["collector"]
    if not isinstance(collector, dict) or set(collector) != {"version"}:
        raise ManifestError('manifest.json collector is not {"version": …}')
    version = _text(collector["version"], "manifest.json collector.version")
    files = check_files(manifest["files"], limits)
    assert isinstance(collected_at, str)  # parse_time takes nothing else
    return Manifest(
        site=site,
        seq=seq,
        prev_sha256=prev if isinstance(prev, str) else None,
        collected_at=collected_at,
        cluster_uid=cluster_uid,
        collector_version=version,
        files=files,
    )


def match_members(manifest: Manifest, contents: ArchiveContents) -> None:
    """The archive holds exactly the files the manifest lists, with those sizes and digests."""
    listed = {entry.path: entry for entry in manifest.files}
    if len(listed) != len(manifest.files):
        raise ManifestError("manifest.json lists a file twice")
    actual = {m.name: m for m in contents.members if m.name != "manifest.json"}
    for name in actual:
        if name not in listed:
            raise ManifestError(f"member {name!r} is not in the manifest")
    for name, entry in listed.items():
        member = actual.get(name)
        if member is None:
            raise ManifestError(f"manifest lists {name!r} but the archive lacks it")
        if member.size != entry.size or member.sha256 != entry.sha256:
            raise ManifestError(f"member {name!r} does not match its manifest digest")
    for required in ("snapshot.json", "redaction.json"):
        if required not in listed:
            raise ManifestError(f"manifest does not list {required}")


def _load_snapshot(contents: ArchiveContents, manifest: Manifest, limits: Limits) -> JsonObject:
    """snapshot.json: strict JSON within the caps; the cheap workload count before the walk."""
    raw = contents.data.get("snapshot.json")
    if raw is None:
        raise ManifestError("archive has no snapshot.json")
    try:
        snapshot = parse_json(raw, "snapshot.json", limits.snapshot_values)
    except InputError as exc:
        raise ManifestError(str(exc)) from None
    if not isinstance(snapshot, dict):
        raise ManifestError("snapshot.json must be an object")
    if snapshot.get("site") != manifest.site:
        raise ManifestError(
            f"snapshot.json site {str(snapshot.get('site'))[:80]!r} is not the manifest's site"
        )
    if snapshot.get("collected_at") != manifest.collected_at:
        raise ManifestError("snapshot.json collected_at is not the manifest's collected_at")
    workloads = snapshot.get("workloads")
    if isinstance(workloads, dict) and len(workloads) > limits.snapshot_workloads:
        raise ManifestError(
            f"snapshot.json holds {len(workloads)} workloads, over the cap of "
            f"{limits.snapshot_workloads}"
        )
    try:
        check_json(
            snapshot,
            "snapshot.json",
            max_values=limits.snapshot_values,
            strings=may_hold_surrogates(raw),
        )
    except InputError as exc:
        raise ManifestError(str(exc)) from None
    return snapshot


def load_contents(
    contents: ArchiveContents, now: datetime | None = None, limits: Limits | None = None
) -> tuple[Manifest, Snapshot, JsonObject]:
    """Manifest, snapshot and redaction report of an archive whose members were just read."""
    limits = limits or Limits()
    when = now or datetime.now(UTC)
    manifest = check_manifest(parse_json_member(contents, "manifest.json"), when, limits)
    match_members(manifest, contents)
    raw_snapshot = _load_snapshot(contents, manifest, limits)
    redaction = parse_json_member(contents, "redaction.json")
    if not isinstance(redaction, dict):
        raise ManifestError("redaction.json must be an object")
    try:  # the whole snapshot, strictly: one bad value must not poison every later diff
        snapshot = Snapshot.from_dict(raw_snapshot, "snapshot.json")
    except ModelError as exc:
        raise ManifestError(str(exc)) from None
    return manifest, snapshot, redaction
