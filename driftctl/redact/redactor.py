"""The redactor of one collection: keyed tokens (or the marker), counts, Kubernetes objects and
raw evidence files."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from driftctl.errors import InputError
from driftctl.model import Artifact, JudgedFile, JudgedList
from driftctl.redact.decoded import MARKER
from driftctl.redact.judge import Judge
from driftctl.redact.layers import Budget
from driftctl.redact.lists import list_members
from driftctl.safeio import read_capped
from driftctl.strictjson import JsonObject, JsonValue

TOKEN_PREFIX = "$dctok$v1$"  # noqa: S105 - a format prefix, not a password
TOKEN_RE = re.compile(r"\$dctok\$v1\$[0-9a-f]{8}\$[A-Za-z0-9_-]{22}")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
K = TypeVar("K")  # the keys of a mapping of facts: kept as they are


def load_fleet_key(path: Path) -> bytes:
    """Read a fleet key file: 64 hex characters (32 bytes), optionally with surrounding space."""
    data = read_capped(path, 4096)  # missing, a directory, a FIFO, huge: InputError naming it
    try:
        key = binascii.unhexlify(data.decode("ascii").strip())
    except (UnicodeDecodeError, binascii.Error, ValueError):
        raise InputError(f"{path}: fleet key must be 64 hexadecimal characters") from None
    if len(key) < 32:
        raise InputError(f"{path}: fleet key must be at least 32 bytes")
    return key


def size_of(value: object) -> int:
    """Roughly the bytes of a decoded value, to size the decoding allowance (no recursion:
    values may nest deeper than Python's stack)."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            total += sum(len(str(k)) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            total += len(item) if isinstance(item, str) else 8
    return total


def is_token(value: object) -> bool:
    """True for a keyed redaction token (the marker is not a token: it hides, it does not compare)."""
    return isinstance(value, str) and TOKEN_RE.fullmatch(value) is not None


@dataclass
class Redactor:
    """Turns secrets into keyed tokens ``$dctok$v1$<key id>$<mac>`` (or a fixed marker) and counts."""

    fleet_key: bytes | None = None
    counts: Counter[str] = field(default_factory=Counter)
    by_file: Counter[str] = field(default_factory=Counter)
    dropped: list[str] = field(default_factory=list)
    _file: str = "snapshot.json"

    def __post_init__(self) -> None:
        self._mac_key = b""
        self.key_id: str | None = None
        if self.fleet_key is not None:
            # HKDF-SHA256 with one output block, salt empty: K_cmp is never the fleet key itself.
            prk = hmac.new(b"\0" * 32, self.fleet_key, hashlib.sha256).digest()
            self._mac_key = hmac.new(
                prk, b"driftctl/secret-compare/v1\x01", hashlib.sha256
            ).digest()
            self.key_id = hashlib.sha256(b"driftctl/key-id/v1" + self.fleet_key).hexdigest()[:8]
        self.budget = Budget()
        self.judge = Judge(self, self.budget)

    # -- the sink the judge writes to ---------------------------------------------------------

    def token(self, value: object, rule: str) -> str:
        """The replacement for one secret value; equal values give equal tokens under one key."""
        self.counts[rule] += 1
        self.by_file[self._file] += 1
        if self.key_id is None:
            return MARKER
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
        mac = hmac.new(self._mac_key, raw, hashlib.sha256).digest()
        return f"{TOKEN_PREFIX}{self.key_id}${base64.urlsafe_b64encode(mac).decode()[:22]}"

    def marker(self, rule: str) -> str:
        """The marker whatever the key: for what was not judged and so must not compare."""
        self.counts[rule] += 1
        self.by_file[self._file] += 1
        return MARKER

    @staticmethod
    def is_safe(value: str) -> bool:
        """A replacement already (a token or the marker): never judged again."""
        return value == MARKER or is_token(value)

    # -- values ------------------------------------------------------------------------------

    def value(self, value: object, secret: bool = False) -> object:
        """Redact a decoded JSON value: secret keys by name, every string by what it holds."""
        self.budget.grant(size_of(value))
        return self.judge.tree(value, secret)

    def facts(self, value: object) -> object:
        """Redact snapshot facts whose keys are ids, not names (node, workload, release keys):
        leaves are judged by their own key and their content, no key passes secrecy down."""
        if isinstance(value, dict):
            return self.fact_map(value)
        if isinstance(value, list):
            return [self.facts(item) for item in value]
        return self.judge.tree(value)

    def fact_map(self, value: Mapping[K, object]) -> dict[K, object]:
        """``facts`` of a mapping, typed as one: the same keys, each value judged."""
        out: dict[K, object] = {}
        for key, child in value.items():
            if isinstance(child, dict | list):
                out[key] = self.facts(child)
            else:
                secret = self.judge.key_secret(str(key), value.keys())
                out[key] = self.judge.tree(child, secret, str(key))
        return out

    shapes = facts  # the older name

    def text(self, text: str, whole: bool = False) -> str:
        """Replace secret parts of a text; ``whole`` replaces the entire text instead."""
        self.budget.grant(len(text))
        if not whole:
            return self.judge.text(text)
        spans = self.judge.spans(text)
        return self.token(text, spans[0][2]) if spans else text

    # -- Kubernetes objects and artifacts ----------------------------------------------------

    def kube_object(self, obj: object) -> object:
        """One API object or List: Secrets keep key names only, ``managedFields`` and
        last-applied copies go, then every value is judged."""
        return self.judge.tree(self._kube_prepare(obj))

    def _kube_prepare(self, obj: object) -> object:
        if not isinstance(obj, dict):
            return obj
        obj = dict(obj)
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            meta = {k: v for k, v in meta.items() if k != "managedFields"}
            annotations = meta.get("annotations")
            if isinstance(annotations, dict) and LAST_APPLIED in annotations:
                annotations = dict(annotations)
                annotations[LAST_APPLIED] = self.token(annotations[LAST_APPLIED], "last-applied")
                meta["annotations"] = annotations
            obj["metadata"] = meta
        if obj.get("kind") == "Secret" or ("type" in obj and "data" in obj and "spec" not in obj):
            for section in ("data", "stringData"):
                values = obj.get(section)
                if isinstance(values, dict):
                    obj[section] = {k: self._secret_data(v, section) for k, v in values.items()}
        if isinstance(obj.get("items"), list):
            obj["items"] = [self._kube_prepare(item) for item in obj["items"]]
        return obj

    def _secret_data(self, value: object, section: str) -> object:
        if not isinstance(value, str) or self.is_safe(value):
            return value
        raw: bytes = value.encode()
        if section == "data":
            # Hash the decoded bytes so data and stringData forms compare equal.
            with contextlib.suppress(binascii.Error, ValueError):
                raw = base64.b64decode(value, validate=True)
        return self.token(raw, "secret-data")

    def grant(self, judged: int) -> None:
        """Decoding allowed for ``judged`` more bytes of input (a page of a List, before its
        items are judged one by one with ``list_item``)."""
        self.budget.grant(judged)

    def list_item(self, path: str, item: dict[str, object]) -> tuple[bytes, tuple[str, ...]]:
        """One item of the List artifact ``path``, redacted as it arrives: its compact JSON and
        the rule of each redaction (counted when the evidence is assembled, see ``artifact``).

        Judged exactly as it would be inside the whole List document (same parent key and
        depth), so the evidence is byte for byte what judging the document gives."""
        saved = self._count_later()
        self._file = path
        try:
            judged = self.judge.tree(self._kube_prepare(item), False, "items", 2)
            rules = tuple(self.counts.elements())
        finally:
            self.counts, self.by_file, self.dropped = saved
            self._file = "snapshot.json"
        return json.dumps(judged, separators=(",", ":")).encode(), rules

    def _count_later(self) -> tuple[Counter[str], Counter[str], list[str]]:
        """Fresh counts for redactions made as something arrives, to be counted when the
        evidence is assembled (``_counted``); returns the collection's, for the caller to put
        back."""
        saved = self.counts, self.by_file, self.dropped
        self.counts, self.by_file, self.dropped = Counter(), Counter(), []
        return saved

    def _counted(self, path: str, rules: tuple[str, ...]) -> None:
        """Count, now, the redactions made in ``path`` as it arrived."""
        self.counts.update(rules)
        if rules:
            self.by_file[path] += len(rules)

    def artifact(
        self, artifact: Artifact, member_cap: int | None = None
    ) -> list[tuple[str, bytes]]:
        """The evidence members of one artifact after redaction (a List of items in parts of at
        most ``member_cap`` bytes); a failure drops it (fail closed)."""
        if artifact.evidence is not None:  # judged as it arrived (``file``): counted now
            judged_file = artifact.evidence
            self._counted(artifact.path, judged_file.rules)
            if judged_file.dropped:
                self.dropped.append(artifact.path)
            return list(judged_file.members)
        self._file = artifact.path
        if artifact.judged is None:
            self.budget.grant(len(artifact.data or b"") + len(artifact.stderr))
        try:
            members: list[tuple[str, bytes]] = []
            judged = artifact.judged
            if judged is None and artifact.items is not None:  # not judged on arrival: now
                self.budget.grant(sum(size_of(item) for item in artifact.items))
                parts = [self.list_item(artifact.path, dict(item)) for item in artifact.items]
                judged = JudgedList(
                    tuple(p[0] for p in parts), tuple(r for p in parts for r in p[1])
                )
                self._file = artifact.path
            if judged is not None:
                members.extend(list_members(artifact.path, judged.items, member_cap))
                self._counted(artifact.path, judged.rules)
            elif artifact.data is not None:
                members.append((artifact.path, self._bytes(artifact.path, artifact.data)))
            if artifact.stderr:
                stderr = artifact.stderr.decode("utf-8", "replace")
                members.append((artifact.path + ".stderr", self.judge.text(stderr).encode()))
            if artifact.rc not in (0, None):
                members.append((artifact.path + ".rc", f"{artifact.rc}\n".encode()))
            return members
        except Exception:  # fail closed: never export an object the redactor could not handle
            self.dropped.append(artifact.path)
            return []
        finally:
            self._file = "snapshot.json"

    def file(self, artifact: Artifact) -> JudgedFile:
        """One file artifact (not a List) redacted as it arrives: exactly the members
        ``artifact`` would give, and the rule of each redaction, counted when the evidence is
        assembled (a file added twice under one path counts once, as the last one)."""
        saved = self._count_later()
        try:
            members = self.artifact(artifact)
            return JudgedFile(tuple(members), tuple(self.counts.elements()), bool(self.dropped))
        finally:
            self.counts, self.by_file, self.dropped = saved

    def _bytes(self, path: str, data: bytes) -> bytes:
        if path.endswith(".json"):
            try:
                doc: JsonValue = json.loads(data)
            except ValueError:
                pass
            else:
                return json.dumps(self.kube_object(doc), separators=(",", ":")).encode() + b"\n"
        return self.judge.text(data.decode("utf-8", "replace")).encode()

    def report(self) -> JsonObject:
        """``redaction.json``: what was redacted, by rule and by file; never a value."""
        return {
            "schema": "driftctl.redaction/v1",
            "mode": "keyed-token" if self.key_id else "marker",
            "key_id": self.key_id,
            "total": sum(self.counts.values()),
            "by_rule": dict(sorted(self.counts.items())),
            "by_file": dict(sorted(self.by_file.items())),
            "dropped": [*sorted(self.dropped)],  # a list display: typed as a JSON array
        }
