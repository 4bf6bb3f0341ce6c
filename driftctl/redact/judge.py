"""The judgement of every value: by the name it is given, by its shape, by what its decoded
layers hold, and by the structure around it (parent keys, ``{name, value}`` pairs, argv).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import TypeGuard

from driftctl.redact.assign import argv, is_reference, named_values
from driftctl.redact.decoded import Layers, Probe, Sink, merge
from driftctl.redact.layers import (
    MAX_DEPTH,
    Budget,
    Kind,
    as_text,
    b64decode,
    classify,
    looks_opaque,
)
from driftctl.redact.names import is_neutral_name, is_secret_name, words
from driftctl.redact.shapes import Span, value_shapes
from driftctl.strictjson import JsonValue

MAX_NEST = 100  # nesting below this is not judged but replaced (no recursion can blow up)
# Siblings that make ``key`` the name of a key (tolerations, selectors, key refs, projections).
KEY_REF_SIBLINGS = frozenset({"operator", "effect", "values", "optional", "path", "mode"})
_KEY_WORDS = frozenset({"key", "keys"})
# Strings found clean are remembered: a cluster's evidence repeats the same names, images and
# digests once per pod. Only short ones (long ones rarely repeat), and at most MEMO_CHARS
# characters in all (then the memo starts afresh), so memory stays bounded; a hit costs one
# hash of the string, so judging stays linear in the input.
MEMO_MAX_LEN = 1024
MEMO_CHARS = 8 * 1024 * 1024


def _strings(items: Sequence[object]) -> TypeGuard[Sequence[str]]:
    """Every item a string (an argument vector, then)."""
    return all(isinstance(x, str) for x in items)


class Judge:
    """Judges values for one sink; decoding draws on a budget shared by the whole collection."""

    def __init__(self, sink: Sink, budget: Budget, layers: Layers | None = None) -> None:
        self.sink = sink
        self.budget = budget
        self.layers = layers or Layers(budget, self._json_secret)
        self._probe: Judge | None = None
        self._clean: set[str] = set()
        self._clean_chars = 0

    # -- structures -----------------------------------------------------------------------

    def tree(
        self, value: object, secret: bool = False, name: str | None = None, nest: int = 0
    ) -> object:
        """A decoded JSON value with every secret replaced; ``secret`` is inherited from a
        secret key above (children whose own name is neutral, like ``enabled``, are not).

        The result has the value's shape (a dict stays a dict with the same keys, a string a
        string), except that a value nested deeper than MAX_NEST becomes the marker, and so
        does anything JSON cannot hold (a YAML date or ``!!binary``, say): nothing judges it,
        so it does not pass."""
        if nest > MAX_NEST:
            return self.sink.marker("too-deep")
        if isinstance(value, dict):
            return self._mapping(value, secret, name, nest)
        if isinstance(value, list):
            return self._sequence(value, secret, name, nest)
        if isinstance(value, str):
            return self.string(value, secret)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return self.sink.token(value, "secret-name") if secret else value
        return self.sink.marker("not-json")

    def key_secret(
        self, key: str, siblings: Collection[object] = (), parent: str | None = None
    ) -> bool:
        """Is the value under ``key`` a secret, given its siblings and parent key?"""
        if key not in _KEY_WORDS:
            return is_secret_name(key)
        if KEY_REF_SIBLINGS.intersection(siblings) or words(parent or "")[-1:] == ["ref"]:
            return False  # the name of a key (toleration, selector, secretKeyRef), not a key
        return is_secret_name(key)

    def _mapping(
        self, value: dict[object, object], secret: bool, name: str | None, nest: int
    ) -> dict[object, object]:
        pair = value.get("name")
        paired = isinstance(pair, str)
        pair_secret = secret or (paired and "value" in value and self.key_secret(str(pair)))
        # command + args are one argv (``mysqldump`` in command, ``-pX`` in args), whatever
        # order the keys come in (kubectl sorts them: args first).
        argv_lists: dict[str, list[object]] = {}
        flagged: dict[int, tuple[int, int, str]] = {}
        offsets = {"command": 0, "args": 0}
        if "command" in value or "args" in value:
            for k in ("command", "args"):
                if isinstance(items := value.get(k), list):
                    argv_lists[k] = items
            flagged = self._argv_flags([x for items in argv_lists.values() for x in items])
            if "command" in argv_lists:
                offsets["args"] = len(argv_lists["command"])
        # A clean string one level down is answered from the memo here: most values of a large
        # list are, and a call per value is most of the cost (same verdict as ``tree``).
        clean = self._clean if nest + 1 <= MAX_NEST else ()
        out: dict[object, object] = {}
        for key, child in value.items():
            text_key = key if isinstance(key, str) else str(key)
            if key == "value" and paired:
                child_secret = pair_secret
            else:
                own = self.key_secret(text_key, value.keys(), name)
                child_secret = own or (secret and not is_neutral_name(text_key))
            if not child_secret and isinstance(child, str) and child in clean:
                out[key] = child
            elif argv_lists and key in argv_lists and not child_secret:
                out[key] = self._argv_items(argv_lists[text_key], flagged, offsets[text_key], nest)
            else:
                out[key] = self.tree(child, child_secret, text_key, nest + 1)
        return out

    def _sequence(
        self, value: list[object], secret: bool, name: str | None, nest: int
    ) -> list[object]:
        if not secret and len(value) >= 2:
            flagged = self._argv_flags(value)
            if flagged:
                return self._argv_items(value, flagged, 0, nest)
        return [self.tree(item, secret, name, nest + 1) for item in value]

    def _argv_flags(self, items: Sequence[object]) -> dict[int, tuple[int, int, str]]:
        if not _strings(items):
            return {}
        return {i: (start, end, rule) for i, start, end, rule in argv(items)}

    def _argv_items(
        self, items: list[object], flagged: dict[int, tuple[int, int, str]], offset: int, nest: int
    ) -> list[object]:
        out: list[object] = []
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
        if not secret and opaque and value in self._clean:
            return value
        if value == "" or self.sink.is_safe(value) or is_reference(value):
            return value
        if secret:
            return self.sink.token(value, "secret-name")
        judged = self.text(value, opaque=opaque)
        if judged is value and opaque and len(value) <= MEMO_MAX_LEN:
            # The very object back: nothing was replaced and nothing counted (any finding
            # builds a new string), so the same text is clean wherever it stands unnamed.
            if self._clean_chars > MEMO_CHARS:
                self._clean.clear()
                self._clean_chars = 0
            self._clean.add(value)
            self._clean_chars += len(value)
        return judged

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
        return merge(found + self.layers.runs(text, depth, found))

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
            doc: JsonValue = json.loads(stripped)
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

    def _json_secret(self, text: str, depth: int) -> bool:
        """Does a decoded JSON document hold a secret? Judged as a structure, only counted."""
        if self._probe is None:
            sink = self.sink if isinstance(self.sink, Probe) else Probe(self.sink.is_safe)
            self._probe = Judge(sink, self.budget, self.layers)
        probe = self._probe.sink
        assert isinstance(probe, Probe)
        before = probe.hits
        self._probe.text(text, depth=depth)
        return probe.hits > before
