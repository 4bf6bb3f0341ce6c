"""Encoded runs inside a value, opened and judged: a secret in any layer redacts the whole run;
a layer that cannot be opened within the limits is redacted too (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from driftctl.redact.assign import named_values
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
)
from driftctl.redact.shapes import Span, known_tokens, value_shapes

MARKER = "<redacted>"
GZIP_MAGIC = b"\x1f\x8b"
UNJUDGED = frozenset({"too-deep", "too-large", "decode-budget"})  # redacted, not understood
CACHED_RUN, CACHE_ENTRIES = 256, 32768  # verdicts of short encoded runs: at most ~8 MB


class Sink(Protocol):
    """Where judged secrets go: a replacement string comes back."""

    def token(self, value: object, rule: str) -> str:
        """The replacement of ``value``, the secret itself (text or bytes; any other value, a
        number under a secret name, by its ``str``)."""

    def marker(self, rule: str) -> str: ...

    def is_safe(self, value: str) -> bool: ...


class Probe:
    """A sink that only counts: asks whether a decoded layer holds any secret."""

    def __init__(self, is_safe: Callable[[str], bool]) -> None:
        self.hits = 0
        self.is_safe = is_safe

    def token(self, value: object, rule: str) -> str:
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


class Layers:
    """Opens base64 runs (and gzip inside them) within the budget and judges what they hold;
    ``json_secret`` judges a decoded JSON document as a structure."""

    def __init__(self, budget: Budget, json_secret: Callable[[str, int], bool]) -> None:
        self.budget = budget
        self._json_secret = json_secret
        self._verdicts: dict[tuple[str, int], str | None] = {}

    def runs(self, text: str, depth: int, found: list[Span]) -> list[Span]:
        """Spans of the encoded runs of ``text`` that hold a secret, outside ``found`` (sorted)."""
        spans: list[Span] = []
        covered = 0  # both are in text order: a pointer, not a scan of ``found`` per run
        for m in B64_RUN.finditer(text):
            start, end = m.span()
            while covered < len(found) and found[covered][1] <= start:
                covered += 1
            if covered < len(found) and found[covered][0] < end:
                continue
            rule = self.verdict(m.group(), depth + 1)
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
            m = B64_RUN.match(text, end + (2 if text.startswith("\r\n", end) else 1))
            if m is None:
                break
            end = m.end()
        return end

    def verdict(self, run: str, depth: int) -> str | None:
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
            return "encoded-secret" if self._json_secret(text, depth) else None
        if B64_RUN.fullmatch(stripped):  # one more layer, most likely: names cannot be in it
            if known_tokens(stripped):
                return "encoded-secret"
            inner = self.verdict(stripped, depth + 1)
            return inner if inner in UNJUDGED else "encoded-secret" if inner else None
        if value_shapes(text) or named_values(text, first=True):
            return "encoded-secret"
        for m in B64_RUN.finditer(text):
            inner = self.verdict(m.group(), depth + 1)
            if inner is not None:
                return inner if inner in UNJUDGED else "encoded-secret"
        return None
