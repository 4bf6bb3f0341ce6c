"""Redaction before anything is written: secret keys and secret-looking values become tokens."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftctl.errors import InputError
from driftctl.model import Artifact
from driftctl.safeio import read_capped

MARKER = "<redacted>"
TOKEN_PREFIX = "$dctok$v1$"  # noqa: S105 - a format prefix, not a password
TOKEN_RE = re.compile(r"^\$dctok\$v1\$[0-9a-f]{8}\$[A-Za-z0-9_-]{22}$")

# Key names that hold secrets (troubleshoot's and Argo CD's lists, widened): the value is tokenised.
SECRET_KEY_RE = re.compile(
    r"(?i)(pass(word|wd|phrase)?$|^pwd$|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|credential|^auth$|auth[_-]?(header|string|info)|bearer|dsn$|connection[_-]?string|cookie"
    r"|(^|[_.-])key$|[a-z]Key$|^key$|signature|salt$)"
)
# Values that are secrets whatever their key is called: (rule, literal every match contains,
# pattern, group to replace in text). The literal is a cheap filter; the patterns start only at
# the beginning of a run (lookbehind) and bound their repeats, possessively where a run must end
# at a delimiter, so a hostile megabyte costs linear time, never minutes of backtracking.
VALUE_PATTERNS: tuple[tuple[str, str, re.Pattern[str], int], ...] = (
    (
        "pem-private-key",
        "PRIVATE KEY-----",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]{0,64}PRIVATE KEY-----.*?"
            r"(?:-----END [A-Z0-9 ]{0,64}PRIVATE KEY-----|\Z)",
            re.S,
        ),
        0,
    ),
    (
        "jwt",
        "eyJ",
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+"
        ),
        0,
    ),
    (
        "uri-credentials",
        "://",
        re.compile(
            r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}+://[^/\s:@]{1,256}+:([^/\s@]{1,256}+)@"
        ),
        1,
    ),
    (
        "dsn-credentials",
        "@tcp(",
        re.compile(r"(?<![^\s:/@])[^\s:/@]{1,256}+:([^\s@/]{1,256}+)@tcp\("),
        1,
    ),
    (
        "connection-string-password",
        "=",
        re.compile(r"(?i)\b(?:password|pwd)\s*+=\s*+([^;\s\"']++)"),
        1,
    ),
    ("aws-access-key-id", "AKIA", re.compile(r"\bAKIA[0-9A-Z]{16}\b"), 0),
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


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


def is_token(value: Any) -> bool:
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

    def token(self, value: Any, rule: str) -> str:
        """The replacement for one secret value; equal values give equal tokens under one key."""
        self.counts[rule] += 1
        self.by_file[self._file] += 1
        if self.key_id is None:
            return MARKER
        raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
        mac = hmac.new(self._mac_key, raw, hashlib.sha256).digest()
        return f"{TOKEN_PREFIX}{self.key_id}${base64.urlsafe_b64encode(mac).decode()[:22]}"

    # -- structured values -------------------------------------------------------------------

    def value(self, value: Any, secret: bool = False) -> Any:
        """Redact a decoded JSON/YAML value: secret keys by name, secret-looking strings by shape."""
        if isinstance(value, dict):
            if isinstance(value.get("name"), str) and "value" in value:
                # Kubernetes env entries and similar {name, value} pairs: the name is the key.
                name_secret = secret or bool(SECRET_KEY_RE.search(value["name"]))
                return {
                    k: self.value(v, name_secret if k == "value" else secret)
                    for k, v in value.items()
                }
            return {k: self.value(v, secret or self._secret_key(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, secret) for v in value]
        if secret and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            if value == "" or is_token(value) or value == MARKER:
                return value
            return self.token(value, "secret-key")
        if isinstance(value, str):
            return self.text(value, whole=True)
        return value

    def shapes(self, value: Any) -> Any:
        """Redact by value shape only (PEM keys, JWTs, URI credentials…), whatever the keys are."""
        if isinstance(value, dict):
            return {k: self.shapes(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.shapes(v) for v in value]
        return self.text(value, whole=True) if isinstance(value, str) else value

    @staticmethod
    def _secret_key(key: str) -> bool:
        return bool(SECRET_KEY_RE.search(key))

    def text(self, text: str, whole: bool = False) -> str:
        """Replace secret-looking parts of a string; ``whole`` tokenises the entire value instead."""
        if is_token(text):
            return text
        for rule, needle, pattern, group in VALUE_PATTERNS:
            if needle not in text or pattern.search(text) is None:
                continue
            if whole:
                return self.token(text, rule)

            def repl(m: re.Match[str], rule: str = rule, group: int = group) -> str:
                tok = self.token(m.group(group), rule)
                return m.group(0).replace(m.group(group), tok) if group else tok

            text = pattern.sub(repl, text)
        return text

    # -- Kubernetes objects and artifacts ----------------------------------------------------

    def kube_object(self, obj: Any) -> Any:
        """Structural redaction of one API object: Secrets keep keys only, no last-applied copies."""
        if not isinstance(obj, dict):
            return self.value(obj)
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
            obj["items"] = [self.kube_object(item) for item in obj["items"]]
        return {
            k: (v if k in ("data", "stringData", "items") else self.value(v))
            for k, v in obj.items()
        }

    def _secret_data(self, value: Any, section: str) -> Any:
        if not isinstance(value, str) or is_token(value):
            return value
        raw: bytes = value.encode()
        if section == "data":
            # Hash the decoded bytes so data and stringData forms compare equal.
            with contextlib.suppress(binascii.Error, ValueError):
                raw = base64.b64decode(value, validate=True)
        return self.token(raw, "secret-data")

    def artifact(self, artifact: Artifact) -> list[tuple[str, bytes]]:
        """The evidence members of one artifact after redaction; a failure drops it (fail closed)."""
        self._file = artifact.path
        try:
            members: list[tuple[str, bytes]] = []
            if artifact.data is not None:
                members.append((artifact.path, self._bytes(artifact.path, artifact.data)))
            if artifact.stderr:
                members.append(
                    (
                        artifact.path + ".stderr",
                        self.text(artifact.stderr.decode("utf-8", "replace")).encode(),
                    )
                )
            if artifact.rc not in (0, None):
                members.append((artifact.path + ".rc", f"{artifact.rc}\n".encode()))
            return members
        except Exception:  # fail closed: never export an object the redactor could not handle
            self.dropped.append(artifact.path)
            return []
        finally:
            self._file = "snapshot.json"

    def _bytes(self, path: str, data: bytes) -> bytes:
        if path.endswith(".json"):
            try:
                doc = json.loads(data)
            except ValueError:
                pass
            else:
                return json.dumps(self.kube_object(doc), separators=(",", ":")).encode() + b"\n"
        return self.text(data.decode("utf-8", "replace")).encode()

    def report(self) -> dict[str, Any]:
        """``redaction.json``: what was redacted, by rule and by file; never a value."""
        return {
            "schema": "driftctl.redaction/v1",
            "mode": "keyed-token" if self.key_id else "marker",
            "key_id": self.key_id,
            "total": sum(self.counts.values()),
            "by_rule": dict(sorted(self.counts.items())),
            "by_file": dict(sorted(self.by_file.items())),
            "dropped": sorted(self.dropped),
        }


def redact_evidence(redactor: Redactor, artifacts: Iterable[Artifact]) -> list[tuple[str, bytes]]:
    """All evidence members, redacted, sorted by path."""
    members: list[tuple[str, bytes]] = []
    for artifact in artifacts:
        members.extend(redactor.artifact(artifact))
    return sorted(members)


def secret_env_attributes(rules: Iterable[tuple[str, str]]) -> set[str]:
    """Component attributes read from an env var whose name looks secret."""
    return {
        attr for attr, rule in rules if rule.startswith("env:") and SECRET_KEY_RE.search(rule[4:])
    }


def redact_snapshot(
    redactor: Redactor,
    snapshot: Mapping[str, Any],
    component_rules: Mapping[str, Iterable[tuple[str, str]]],
) -> dict[str, Any]:
    """A redacted copy of a snapshot: Helm values by key and shape, secret env attributes, shapes."""
    redactor._file = "snapshot.json"
    out: dict[str, Any] = redactor.shapes(dict(snapshot))
    for release in out.get("helm", {}).values():
        if isinstance(release, dict) and "values" in release:
            release["values"] = redactor.value(release["values"])
    for name, rules in component_rules.items():
        component = out.get("components", {}).get(name)
        if not isinstance(component, dict):
            continue
        for attr in secret_env_attributes(rules):
            if component.get(attr) is not None:
                component[attr] = redactor.token(component[attr], "secret-env")
    return out
