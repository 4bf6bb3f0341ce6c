"""Paged Kubernetes lists read into one artifact's items, bounded in pages, bytes and time."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import cast

from driftctl.model import ItemJudge, JudgedList
from driftctl.sources.kube_client import ApiFailure, DeadlineSpent, KubeApi, MiB
from driftctl.strictjson import MAX_JSON_DEPTH, JsonArray, JsonObject, JsonValue

# What one artifact (all pages of all namespaces of one list) may hold once slimmed: far above
# what the per-cluster limits give (150k slim pods are about 75 MiB), far below what would let
# a hostile server that pages for ever exhaust memory (docs/site-config.md).
MAX_LIST_BYTES = 256 * MiB
# A continue token is an opaque key the server hands back; real ones are a few hundred bytes.
MAX_TOKEN_CHARS = 4096

# What is kept of one item of a page (kind and apiVersion put back, a pod slimmed).
Keep = Callable[[JsonObject], JsonObject]
_HEAD = b'{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":['
_TAIL = b"]}"


def compact(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{n} bytes"


class ListBody:
    """The items of one ``List`` artifact as they arrive, parsed once: the collectors read these
    objects (never a document parsed again), and with a ``judge`` (the collection's redactor)
    each item is redacted on arrival too, so the evidence is held as compact redacted bytes.

    Kept items are checked as strict JSON would be (no lone surrogate, no NaN or infinity, no
    deeper nesting than a document may have) and their repeated strings (images, digests,
    owners, node names) are shared, so 150k pods cost a few hundred bytes each, not kilobytes.
    An item the judge fails on stops the judging (the items are then redacted at the end, and
    the artifact left out if that fails too).
    """

    def __init__(
        self, artifact: str = "", judge: ItemJudge | None = None, cap: int = MAX_LIST_BYTES
    ) -> None:
        self.cap = cap
        self.artifact = artifact
        self.judge = judge
        self._items: list[dict[str, object]] = []
        self._judged: list[bytes] = []
        self._rules: list[str] = []
        self._size = 0
        self._strings: dict[str, str] = {}
        self._shapes: _Shapes = {}

    def add(self, path: str, item: JsonObject) -> None:
        kept = self._checked(path, item)
        judged: bytes | None = None
        if self.judge is not None:
            try:
                judged, rules = self.judge.list_item(self.artifact, kept)
            except Exception:  # fail closed: judged whole at the end instead
                self.judge = None
                self._judged.clear()
                self._rules.clear()
        self._size += len(judged if judged is not None else compact(kept)) + 1
        if self._size > self.cap:
            raise ApiFailure(
                f"{path}: the list holds more than the cap of {_size(self.cap)} of objects",
                200,
            )
        self._items.append(kept)
        if judged is not None:
            self._judged.append(judged)
            self._rules.extend(rules)

    def _checked(self, path: str, item: JsonObject) -> dict[str, object]:
        """The item with shared strings; ApiFailure when strict JSON would refuse it."""
        if len(self._strings) + len(self._shapes) > MAX_SHARED:
            self._strings.clear()
            self._shapes.clear()
        try:
            out = _shared(item, self._strings, self._shapes, 0)
        except ValueError as exc:
            raise ApiFailure(f"{path}: an object {exc}", 200) from None
        assert isinstance(out, dict)
        # A JSON object checked as strict JSON; the model (and the judge) take a List's items
        # as dict[str, object], which a dict[str, JsonValue] is not to a type checker.
        return cast(dict[str, object], out)

    def grant(self, page_bytes: int) -> None:
        """A page arrived: the judge may decode in proportion to it."""
        if self.judge is not None:
            self.judge.grant(page_bytes)

    def mark(self) -> tuple[int, int, int]:
        return len(self._items), self._size, len(self._rules)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        del self._items[mark[0] :]
        self._size = mark[1]
        if self.judge is not None:
            del self._judged[mark[0] :]
            del self._rules[mark[2] :]

    def items(self) -> tuple[dict[str, object], ...]:
        return tuple(self._items)

    def document(self) -> bytes:
        """The List as ``kubectl get -o json`` would hold it, written compactly (built on
        demand: it is not held)."""
        return _HEAD + b",".join(compact(item) for item in self._items) + _TAIL

    def judged(self) -> JudgedList | None:
        """The redacted items, or None when they were not (all) redacted here."""
        if self.judge is None:
            return None
        return JudgedList(tuple(self._judged), tuple(self._rules))


# Distinct values shared per list at most (then forgotten): bounds the tables, not the list.
MAX_SHARED = 1 << 16
# An object's ("{", its keys, the ids of its values) or an array's ("[", the ids of its items).
_Shape = tuple[str, tuple[str, ...], tuple[int, ...]] | tuple[str, tuple[int, ...]]
_Shapes = dict[_Shape, JsonObject | JsonArray]


def _shared(value: JsonValue, strings: dict[str, str], shapes: _Shapes, depth: int) -> JsonValue:
    """``value`` rebuilt from the tables: an equal string (in ``strings``), and an object or
    array equal to one already kept (in ``shapes``; children compared by identity, as they are
    shared first), is that one; so the pods of one workload share their owner, images, digests
    and node. The items are read, never changed, by everything after the source. ValueError for
    what strict JSON refuses (a lone surrogate, a non-finite number, nesting past
    MAX_JSON_DEPTH)."""
    if isinstance(value, str):
        return _string(value, strings)
    if not isinstance(value, dict | list):
        return _scalar(value)
    if depth >= MAX_JSON_DEPTH:
        raise ValueError(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    children = value.values() if isinstance(value, dict) else value
    shared: JsonArray = []
    for child in children:
        if type(child) is str:
            found = strings.get(child)
            shared.append(found if found is not None else _string(child, strings))
        elif isinstance(child, dict | list):
            shared.append(_shared(child, strings, shapes, depth + 1))
        else:
            shared.append(_scalar(child))
    key: _Shape
    out: JsonObject | JsonArray
    if isinstance(value, dict):
        names = tuple(_string(k, strings) if isinstance(k, str) else k for k in value)
        out = dict(zip(names, shared, strict=True))
        key = ("{", names, tuple(map(id, shared)))
    else:
        out = shared
        key = ("[", tuple(map(id, shared)))
    # Children are identical objects held by the tables' entries, so their ids stay theirs.
    kept = shapes.get(key)
    if kept is not None:
        return kept
    shapes[key] = out
    return out


def _string(value: str, strings: dict[str, str]) -> str:
    found = strings.get(value)
    if found is not None:
        return found
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"holds a lone surrogate in {value[:40]!r}") from None
    strings[value] = value
    return value


def _scalar(value: JsonValue) -> JsonValue:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("holds a number that is not finite")
    return value


class _TokenExpired(ApiFailure):
    """A 410 on a later page: the continue token expired with the consistent snapshot."""


def _json(path: str, body: bytes | bytearray) -> JsonObject:
    try:
        doc: JsonValue = json.loads(body)
    except ValueError as exc:
        raise ApiFailure(f"{path}: response is not JSON ({exc})", 200) from None
    if not isinstance(doc, dict):
        raise ApiFailure(f"{path}: response is not a JSON object", 200)
    return doc


def _next_token(path: str, doc: JsonObject, seen: set[str], pages: int) -> str | None:
    """The continue token of this page, None on the last; a loop or junk is an ApiFailure."""
    meta = doc.get("metadata")
    token = meta.get("continue") if isinstance(meta, dict) else None
    if not token:
        return None
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise ApiFailure(f"{path}: page {pages} has a malformed continue token", 200)
    if token in seen:
        raise ApiFailure(
            f"{path}: page {pages} repeats an earlier continue token (the server pages in a loop)",
            200,
        )
    seen.add(token)
    return token


def _pages(
    api: KubeApi, path: str, query: dict[str, str | int], keep: Keep | None, body: ListBody
) -> None:
    """One pass over every page of a list into ``body``."""
    token: str | None = None
    seen: set[str] = set()
    pages = 0
    while True:
        page_query: dict[str, str | int] = {**query, "limit": api.page_size}
        if token:
            page_query["continue"] = token
        try:
            page = api.get(path, page_query)
        except DeadlineSpent as exc:
            raise DeadlineSpent(f"{exc} (after {pages} pages)" if pages else str(exc)) from None
        except ApiFailure as exc:
            if exc.status == 410 and token is not None:
                raise _TokenExpired(str(exc), 410) from None
            raise
        body.grant(len(page))
        doc = _json(path, page)
        del page
        pages += 1
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise ApiFailure(
                f"{path}: page {pages} is not a Kubernetes List ('items' is not an array)", 200
            )
        for item in items:
            if isinstance(item, dict):
                body.add(path, keep(item) if keep else item)
        token = _next_token(path, doc, seen, pages)
        if token is None:
            return
        if pages >= api.max_pages:
            raise ApiFailure(
                f"{path}: still more after {pages} pages, the cap (kubernetes.max_pages); "
                "a larger kubernetes.page_size needs fewer pages",
                200,
            )


def list_into(
    api: KubeApi,
    path: str,
    body: ListBody,
    query: dict[str, str | int] | None = None,
    keep: Keep | None = None,
) -> None:
    """Every item of a list into ``body``, paged with ``limit``/``continue``. A 410 on a later
    page (the token expired, the consistent snapshot is gone) restarts the list once; any other
    failure leaves ``body`` as it was, since half a list would be read as the whole."""
    mark = body.mark()
    for attempt in (1, 2):
        try:
            _pages(api, path, query or {}, keep, body)
            return
        except _TokenExpired:
            body.rollback(mark)
            if attempt == 1:
                continue
            raise
        except ApiFailure:
            body.rollback(mark)
            raise
