"""The judgement of every value: by the name it is given, by its shape, by what its decoded
layers hold, and by the structure around it (parent keys, ``{name, value}`` pairs, argv).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from driftctl.redact.assign import argv, is_reference, named_values
from driftctl.redact.layers import (
    B64_RUN,
    MAX_DEPTH,
    Budget,
    Kind,
    LayerTooLarge,
    as_text,
    b64decode,
    basic_credentials,
    classify,
    gunzip,
    looks_opaque,
)
from driftctl.redact.names import is_neutral_name, is_secret_name, words
from driftctl.redact.shapes import Span, known_tokens, value_shapes

MARKER = "<redacted>"
MAX_NEST = 100  # nesting below this is not judged but replaced (no recursion can blow up)
GZIP_MAGIC = b"\x1f\x8b"
UNJUDGED = frozenset({"too-deep", "too-large", "decode-budget"})  # redacted, not understood
CACHED_RUN, CACHE_ENTRIES = 256, 32768  # verdicts of short encoded runs: at most ~8 MB
# Siblings that make ``key`` the name of a key (tolerations, selectors, key refs, projections).
KEY_REF_SIBLINGS = frozenset({"operator", "effect", "values", "optional", "path", "mode"})


class Sink(Protocol):
    """Where judged secrets go: a replacement string comes back."""

    def token(self, value: Any, rule: str) -> str: ...

    def marker(self, rule: str) -> str: ...

    def is_safe(self, value: str) -> bool: ...


class _Probe:
    """A sink that only counts: used to ask whether a decoded layer holds any secret."""

    def __init__(self, is_safe: Any) -> None:
        self.hits = 0
        self.is_safe = is_safe

    def token(self, value: Any, rule: str) -> str:
        self.hits += 1
        return MARKER

    def marker(self, rule: str) -> str:
        self.hits += 1
        return MARKER


def merge(spans: list[Span]) -> list[Span]:
    """Spans sorted, overlapping ones joined (the first one's rule names the union)."""
    out: list[Span] = []
    for start, end, rule in sorted(s for s in spans if s[1] > s[0]):
        if out and start < out[-1][1]:
            prev = out[-1]
            out[-1] = (prev[0], max(prev[1], end), prev[2])
        else:
            out.append((start, end, rule))
    return out


class Judge:
    """Judges values for one sink; decoding draws on a shared budget."""

    def __init__(self, sink: Sink, budget: Budget) -> None:
        self.sink = sink
        self.budget = budget
        self._probe: Judge | None = None
        self._verdicts: dict[tuple[str, int], str | None] = {}

    # -- structures -----------------------------------------------------------------------

    def tree(self, value: Any, secret: bool = False, name: str | None = None, nest: int = 0) -> Any:
        """A decoded JSON/YAML value with every secret replaced; ``secret`` is inherited from a
        secret key above (children whose own name is neutral, like ``enabled``, are not)."""
        if nest > MAX_NEST:
            return self.sink.marker("too-deep")
        if isinstance(value, dict):
            return self._mapping(value, secret, name, nest)
        if isinstance(value, list):
            return self._sequence(value, secret, name, nest)
        if isinstance(value, str):
            return self.string(value, secret)
        if secret and isinstance(value, int | float) and not isinstance(value, bool):
            return self.sink.token(value, "secret-name")
        return value

    def key_secret(
        self, key: str, siblings: Collection[Any] = (), parent: str | None = None
    ) -> bool:
        """Is the value under ``key`` a secret, given its siblings and parent key?"""
        if key in ("key", "keys") and (
            KEY_REF_SIBLINGS.intersection(siblings) or words(parent or "")[-1:] == ["ref"]
        ):
            return False  # the name of a key (toleration, selector, secretKeyRef), not a key
        return is_secret_name(key)

    def _mapping(self, value: dict[Any, Any], secret: bool, name: str | None, nest: int) -> Any:
        pair = value.get("name")
        pair_secret = secret or (
            isinstance(pair, str) and "value" in value and self.key_secret(pair)
        )
        argv_keys = [k for k in ("command", "args") if isinstance(value.get(k), list)]
        flagged = self._argv_flags([x for k in argv_keys for x in value[k]]) if argv_keys else {}
        out: dict[Any, Any] = {}
        offset = 0
        for key, child in value.items():
            text_key = key if isinstance(key, str) else str(key)
            if key == "value" and isinstance(pair, str):
                child_secret = pair_secret
            else:
                own = self.key_secret(text_key, value.keys(), name)
                child_secret = own or (secret and not is_neutral_name(text_key))
            if key in argv_keys and not child_secret:
                out[key] = self._argv_items(child, flagged, offset, nest)
                offset += len(child)
            else:
                out[key] = self.tree(child, child_secret, text_key, nest + 1)
        return out

    def _sequence(self, value: list[Any], secret: bool, name: str | None, nest: int) -> Any:
        if not secret and len(value) >= 2:
            flagged = self._argv_flags(value)
            if flagged:
                return self._argv_items(value, flagged, 0, nest)
        return [self.tree(item, secret, name, nest + 1) for item in value]

    def _argv_flags(self, items: Sequence[Any]) -> dict[int, tuple[int, int, str]]:
        if not all(isinstance(x, str) for x in items):
            return {}
        return {i: (start, end, rule) for i, start, end, rule in argv(items)}

    def _argv_items(
        self, items: list[Any], flagged: dict[int, tuple[int, int, str]], offset: int, nest: int
    ) -> list[Any]:
        out: list[Any] = []
        for i, item in enumerate(items):
            hit = flagged.get(offset + i)
            if hit is None or not isinstance(item, str):
                out.append(self.tree(item, False, None, nest + 1))
            else:
                start, end, rule = hit
                out.append(item[:start] + self.sink.token(item[start:end], rule) + item[end:])
        return out

    # -- strings --------------------------------------------------------------------------

    def string(self, value: str, secret: bool, opaque: bool = True) -> str:
        """One string value: a token when its name is secret, else judged by what it holds."""
        if value == "" or self.sink.is_safe(value) or is_reference(value):
            return value
        if secret:
            return self.sink.token(value, "secret-name")
        return self.text(value, opaque=opaque)

    def text(self, value: str, opaque: bool = False, depth: int = 0) -> str:
        """Free text with each secret span replaced; an embedded JSON document is judged as a
        structure; ``opaque`` also replaces a whole random-looking value (a key of no known
        format under an ordinary name)."""
        embedded = self._embedded_json(value, depth)
        if embedded is not None:
            return embedded
        spans = self.spans(value, depth)
        if spans:
            return self._replace(value, spans)
        if opaque and self._opaque(value.strip()):
            return self.sink.token(value, "opaque")
        return value

    def spans(self, text: str, depth: int = 0) -> list[Span]:
        """Every secret span of a text: shapes, names, and encoded runs that hold a secret."""
        found = merge(
            [
                s
                for s in (*value_shapes(text), *named_values(text))
                if not self.sink.is_safe(text[s[0] : s[1]])
            ]
        )
        return merge(found + self._encoded_runs(text, depth, found))

    def _replace(self, text: str, spans: list[Span]) -> str:
        parts: list[str] = []
        last = 0
        for start, end, rule in spans:
            parts.append(text[last:start])
            parts.append(self.sink.token(text[start:end], rule))
            last = end
        parts.append(text[last:])
        return "".join(parts)

    def _embedded_json(self, value: str, depth: int) -> str | None:
        stripped = value.strip()
        if len(stripped) < 2 or stripped[0] not in "{[" or stripped[-1] not in "}]":
            return None
        if depth > MAX_DEPTH or not self.budget.spend(len(stripped)):
            return None
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError):
            return None
        judged = self.tree(doc)
        if judged == doc:
            return value
        return json.dumps(judged, ensure_ascii=False, separators=(",", ":"))

    def _opaque(self, value: str) -> bool:
        data = b64decode(value)
        if data is not None and (as_text(data) is not None or classify(data) is Kind.CERTIFICATE):
            return False  # a layer that was judged (text) or a public certificate
        return looks_opaque(value)

    # -- encoded layers -------------------------------------------------------------------

    def _encoded_runs(self, text: str, depth: int, found: list[Span]) -> list[Span]:
        spans: list[Span] = []
        for m in B64_RUN.finditer(text):
            start, end = m.span()
            if any(s < end and start < e for s, e, _ in found):
                continue
            rule = self._layer(m.group(), depth + 1)
            if rule is None:
                continue
            if rule == "der-private-key":
                end = self._body_end(text, end)
            spans.append((start, end, rule))
        return spans

    @staticmethod
    def _body_end(text: str, end: int) -> int:
        """A key's base64 body goes on over the following lines: take them all."""
        while end < len(text) and text[end] in "\r\n":
            nxt = end + (2 if text.startswith("\r\n", end) else 1)
            m = B64_RUN.match(text, nxt)
            if m is None:
                break
            end = m.end()
        return end

    def _layer(self, run: str, depth: int) -> str | None:
        """The rule when this encoded run holds a secret (or cannot be judged), else None;
        short runs are remembered (a dump repeats the same encoded values many times)."""
        if len(run) > CACHED_RUN:
            return self._open(run, depth)
        key = (run, depth)
        if key not in self._verdicts:
            if len(self._verdicts) >= CACHE_ENTRIES:
                self._verdicts.clear()
            self._verdicts[key] = self._open(run, depth)
        return self._verdicts[key]

    def _open(self, run: str, depth: int) -> str | None:
        data = b64decode(run)
        if data is None:
            return None
        if depth > MAX_DEPTH:
            judgeable = data[:2] == GZIP_MAGIC or as_text(data) is not None
            return "too-deep" if judgeable else None
        if not self.budget.spend(len(data)):
            return "decode-budget"
        return self._bytes(data, depth)

    def _bytes(self, data: bytes, depth: int) -> str | None:
        if data[:2] == GZIP_MAGIC:
            if depth >= MAX_DEPTH:
                return "too-deep"
            try:
                inner = gunzip(data)
            except LayerTooLarge:
                return "too-large"
            if inner is not None:
                if not self.budget.spend(len(inner)):
                    return "decode-budget"
                return self._bytes(inner, depth + 1)
        text = as_text(data)
        if text is not None:
            if basic_credentials(text.strip()):
                return "encoded-credentials"
            return self._holds_secret(text, depth)
        return "der-private-key" if classify(data) is Kind.PRIVATE_KEY else None

    def _holds_secret(self, text: str, depth: int) -> str | None:
        """The rule when a decoded layer holds anything secret (stops at the first finding);
        a layer that could not be judged further names why."""
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            if self._probe is None:
                self._probe = Judge(_Probe(self.sink.is_safe), self.budget)
            sink = self._probe.sink
            assert isinstance(sink, _Probe)
            before = sink.hits
            self._probe.text(text, depth=depth)
            return "encoded-secret" if sink.hits > before else None
        if B64_RUN.fullmatch(stripped):  # one more layer, most likely: names cannot be in it
            if known_tokens(stripped):
                return "encoded-secret"
            inner = self._layer(stripped, depth + 1)
            return inner if inner in UNJUDGED else "encoded-secret" if inner else None
        if value_shapes(text) or named_values(text):
            return "encoded-secret"
        for m in B64_RUN.finditer(text):
            inner = self._layer(m.group(), depth + 1)
            if inner is not None:
                return inner if inner in UNJUDGED else "encoded-secret"
        return None
