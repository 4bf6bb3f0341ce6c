"""Comparison forms of fact values, so equal things never show as drift (docs/diff.md).

A fact keeps its original value for display; the engine compares ``comparable(kind, value)``.
``None`` as a comparison form means *unknown*: it is never equal and never drift. The forms are
private to this module: others ask ``is_true`` and use ``ABSENT_FORM`` by name.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from driftctl.snapshot.path import path_of
from driftctl.versions import normalize_version

# The comparison form of a fact a site does not have although its section was collected.
ABSENT_FORM = "\x00absent"
_TRUE, _FALSE, _MAP = "\x01true", "\x01false", "\x01map"  # never equal to 1/0 or "true"

# Keys whose last segment names a version: compared with driftctl.versions.normalize_version.
VERSION_KEYS = frozenset(
    {
        "version",
        "server_version",
        "chart_version",
        "app_version",
        "driver_version",
        "cuda_version",
        "kubelet_version",
    }
)
# Segments that make a key "resource-like": numbers and quantity strings compare as quantities.
QUANTITY_SEGMENTS = frozenset(
    {"resources", "limits", "requests", "cpu", "memory", "storage", "ephemeral-storage"}
)
# Server-filled or volatile keys, dropped anywhere below Helm values, labels and annotations
# (``status`` only there: a Helm release's own ``status`` is a fact).
SERVER_FIELDS = frozenset(
    {"managedFields", "resourceVersion", "generation", "status", "uid", "creationTimestamp"}
)
# Labels/annotations Kubernetes controllers write themselves: they change with every rollout.
VOLATILE_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "deployment.kubernetes.io/revision",
        "kubectl.kubernetes.io/restartedAt",
    }
)
REDACTED = "<redacted>"

_SUFFIX = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$"
)
_BINARY = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei)$")
_HOST = re.compile(r"^(localhost|[^/]*[.:][^/]*)$")


def parse_quantity(text: str) -> Decimal | None:
    """A Kubernetes quantity (``500m``, ``1Gi``, ``0.5``, ``1e3``) as a number, or None."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2) or ""]
    except InvalidOperation:  # pragma: no cover - the regex admits only numbers
        return None


def split_image(ref: str) -> tuple[str, str, str | None, str | None]:
    """``(host, path, tag, digest)`` of an image reference, with Docker Hub defaults applied."""
    rest, _, digest = ref.strip().partition("@")
    first, sep, remainder = rest.partition("/")
    if sep and _HOST.match(first):
        host, path = first, remainder
    else:
        host, path = "docker.io", rest
    tag: str | None = None
    name, colon, maybe_tag = path.rpartition(":")
    if colon and "/" not in maybe_tag:
        path, tag = name, maybe_tag
    if "/" not in path:
        # Docker Hub's official images; a mirror of them often keeps the bare name as well.
        path = "library/" + path
    if host == "index.docker.io":
        host = "docker.io"
    if tag is None and not digest:
        tag = "latest"
    return host, path, tag, digest or None


@lru_cache(maxsize=65536)
def image_identity(ref: str) -> str:
    """What identifies an image across registry mirrors: ``path@digest``, else ``path:tag``."""
    _host, path, tag, digest = split_image(ref)
    return f"{path}@{digest}" if digest else f"{path}:{tag}"


def image_digest(image_id: str) -> str:
    """The ``sha256:…`` digest of a container status imageID (``docker-pullable://r/p@sha256:…``)."""
    return image_id.rsplit("@", 1)[-1].removeprefix("docker-pullable://").strip()


@lru_cache(maxsize=65536)
def key_kind(key: str) -> str:
    """How a fact's values compare (``key``: its rendered path): version, image, image_id,
    quantity or plain."""
    segments = path_of(key)
    last = segments.last
    if last in VERSION_KEYS:
        return "version"
    if last in ("image_id", "image_ids"):
        return "image_id"
    if last in ("image", "repository") or segments[-2:] == ("image", "reference"):
        # Helm charts spell images as image.repository: the mirror host is no drift there either
        return "image"
    if not QUANTITY_SEGMENTS.isdisjoint(segments):
        return "quantity"
    return "plain"


def is_true(form: Hashable | None) -> bool:
    """Whether a comparison form is that of ``true``."""
    return form == _TRUE


@lru_cache(maxsize=262144)
def _string(kind: str, text: str) -> Hashable | None:
    if REDACTED in text:
        return None  # without a fleet key a secret hides its value: unknown, never equal
    if kind == "version":
        return normalize_version(text)
    if kind == "image":
        return image_identity(text) if text.strip() else text
    if kind == "image_id":
        return image_digest(text)
    if kind == "quantity" or _BINARY.match(text):
        quantity = parse_quantity(text)
        if quantity is not None:
            return quantity
    return text


def comparable(kind: str, value: object) -> Hashable | None:
    """The comparison form of ``value`` under ``kind`` (see ``key_kind``); None means unknown."""
    if value is None:
        return None
    if type(value) is str:
        return _string(kind, value)
    if type(value) is int and kind == "plain":
        return value
    if value is True or value is False:
        return _TRUE if value else _FALSE
    if isinstance(value, int | float):
        if kind == "quantity":
            return Decimal(str(value))
        if kind == "version":
            return normalize_version(str(value))
        return value
    if isinstance(value, list | tuple):
        items = [comparable(kind, v) for v in value]
        return None if any(i is None for i in items) and value else tuple(items)
    if isinstance(value, dict):
        pairs = []
        for k in sorted(value):
            if k in SERVER_FIELDS:
                continue
            form = comparable(kind, value[k])
            if form is None and value[k] is not None:
                return None
            pairs.append((k, form))
        return (_MAP, tuple(pairs))
    return repr(value)


def offset_bucket(seconds: float) -> str:
    """Clock offsets compare by bucket: two well-synchronised sites never differ by noise."""
    a = abs(seconds)
    for limit, label in ((0.1, "<0.1s"), (0.5, "0.1-0.5s"), (1.0, "0.5-1s"), (10.0, "1-10s")):
        if a < limit:
            return label
    return ">=10s"
