"""A kubectl List file of a dump read as a stream: each item parsed strictly, one at a time."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from driftctl.errors import InputError
from driftctl.strictjson import (
    MAX_JSON_DEPTH,
    JsonValue,
    check_json,
    may_hold_surrogates,
    strict_decoder,
)

MiB = 1024 * 1024
# Read size: the text held at once is about this plus the item being parsed.
CHUNK = 4 * MiB
# One item (or one value of the List's own keys), in characters. The API server stores no
# object over about 1.5 MiB; a larger one is a hostile dump, refused before it fills memory.
MAX_ITEM_CHARS = 32 * MiB
# Items of one List: Kubernetes' own limits (150,000 pods, 5,000 nodes a cluster) are far
# below; without it a file of empty items would be millions of objects held.
MAX_ITEMS = 1_000_000
# Keys of the List object itself (kubectl writes four).
MAX_LIST_KEYS = 64
# Depths as in the whole document: the List is level 1, ``items`` 2, an item 3.
ITEM_DEPTH = MAX_JSON_DEPTH - 2
KEY_DEPTH = MAX_JSON_DEPTH - 1
_SPACE = re.compile(r"[ \t\n\r]*")
_DONE = '}]"'  # a value ending in one of these cannot go on in the next chunk
_DECODER = strict_decoder()


class ListReader:
    """Yields the ``items`` of the JSON List in ``fh`` (keys in any order) as strict JSON would
    give them, holding one chunk and one item of text at a time, never the file.

    What the whole document would refuse is refused here, as an InputError naming ``where``
    and the byte offset: not UTF-8, a BOM, a syntax error, a duplicate key (in an item or the
    List), NaN or an infinite number, a lone surrogate, nesting past the document's depth;
    besides, no ``items`` array, anything after the closing brace, more than ``cap`` bytes, one
    item over MAX_ITEM_CHARS, more than MAX_ITEMS items or MAX_LIST_KEYS keys. Items come before the end is checked: a caller keeps them
    only once the iteration ends without an error.
    """

    def __init__(self, fh: BinaryIO, where: str, cap: int, chunk: int = CHUNK) -> None:
        self.fh, self.where, self.cap, self.chunk = fh, where, cap, chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf = ""
        self.pos = 0  # the next character not yet consumed
        self.base = 0  # byte offset of buf[0] in the file
        self.read = 0  # bytes read so far
        self.eof = False

    # -- text in bounded chunks ---------------------------------------------------------------

    def _more(self, size: int = 0) -> bool:
        """Append up to ``size`` more bytes of text, dropping what is consumed; False at EOF."""
        if self.eof:
            return False
        if self.pos:
            self.base += len(self.buf[: self.pos].encode("utf-8", "surrogatepass"))
            self.buf = self.buf[self.pos :]
            self.pos = 0
        data = self.fh.read(size or self.chunk)
        if self.read == 0 and data.startswith(codecs.BOM_UTF8):
            raise self._error(0, "starts with a byte order mark (BOM); JSON is UTF-8 without one")
        pending = len(self._utf8.getstate()[0])
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self.read - pending + exc.start
            raise self._error(at, f"not UTF-8 ({exc.reason})") from None
        self.read += len(data)
        if self.read > self.cap:
            raise InputError(f"{self.where}: more than the cap of {self.cap // MiB} MiB")
        self.eof = not data
        self.buf += text
        return not self.eof

    def _offset(self, index: int) -> int:
        """The byte offset of ``buf[index]`` (only computed for an error message)."""
        return self.base + len(self.buf[:index].encode("utf-8", "surrogatepass"))

    def _error(self, at: int, what: str) -> InputError:
        return InputError(f"{self.where}: {what} at byte {at}")

    def _fail(self, what: str, index: int | None = None) -> InputError:
        return self._error(self._offset(self.pos if index is None else index), what)

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end), without consuming it."""
        while True:
            end = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            self.pos = end
            if end < len(self.buf):
                return self.buf[end]
            if not self._more():
                return ""

    def _value(self, depth: int) -> JsonValue:
        """The value at ``pos``, parsed strictly and consumed."""
        size = self.chunk
        while True:
            start = self.pos
            value: JsonValue
            try:
                value, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError as exc:
                if self.eof or len(self.buf) - start > MAX_ITEM_CHARS:
                    raise self._fail(f"invalid JSON: {exc.msg}", exc.pos) from None
            except RecursionError:
                raise self._fail("JSON nested too deeply") from None
            except ValueError as exc:  # the strict hooks: duplicate key, NaN, out of range
                raise self._fail(f"invalid JSON: {exc}") from None
            else:
                if end - start > MAX_ITEM_CHARS:
                    raise self._fail(f"one value of more than {MAX_ITEM_CHARS // MiB} MiB")
                # A number at the end of the text may go on in the next chunk.
                if end < len(self.buf) or self.eof or self.buf[end - 1] in _DONE:
                    try:
                        check_json(
                            value,
                            self.where,
                            depth,
                            None,
                            may_hold_surrogates(self.buf, start, end),
                        )
                    except InputError as exc:
                        what = str(exc).removeprefix(f"{self.where}: ")
                        raise self._error(self._offset(start), what) from None
                    self.pos = end
                    return value
            if len(self.buf) - start > MAX_ITEM_CHARS:
                raise self._fail(f"one value of more than {MAX_ITEM_CHARS // MiB} MiB")
            self._more(size)
            size = min(size * 2, MAX_ITEM_CHARS)

    # -- the List -----------------------------------------------------------------------------

    def items(self) -> Iterator[tuple[JsonValue, int]]:
        """Each item with the characters it took; the List checked to its last byte."""
        if self._peek() != "{":
            raise self._fail("not a JSON object (expected '{')")
        self.pos += 1
        keys: set[str] = set()
        found = False
        char = self._peek()
        while char != "}":
            if char != '"':
                raise self._fail("invalid JSON: expected a key" if char else "truncated")
            key = self._value(KEY_DEPTH)
            assert isinstance(key, str)
            if key in keys:
                raise self._fail(f"invalid JSON: duplicate key {key!r}")
            keys.add(key)
            if len(keys) > MAX_LIST_KEYS:
                raise self._fail(f"more than {MAX_LIST_KEYS} keys in the List object")
            if self._peek() != ":":
                raise self._fail("invalid JSON: expected ':'")
            self.pos += 1
            if key == "items":
                if self._peek() != "[":
                    raise self._fail("not a Kubernetes List ('items' is not an array)")
                self.pos += 1
                yield from self._array()
                found = True
            else:
                if not self._peek():
                    raise self._fail("truncated")
                self._value(KEY_DEPTH)
            char = self._peek()
            if char == ",":
                self.pos += 1
                char = self._peek()
                if char == "}":
                    raise self._fail("invalid JSON: expected a key")
            elif char != "}":
                raise self._fail("invalid JSON: expected ',' or '}'" if char else "truncated")
        self.pos += 1
        if self._peek():
            raise self._fail("data after the end of the List")
        if not found:
            raise self._fail("not a Kubernetes List (no 'items')")

    def _array(self) -> Iterator[tuple[JsonValue, int]]:
        if self._peek() == "]":
            self.pos += 1
            return
        count = 0
        while True:
            if not self._peek():
                raise self._fail("truncated")
            count += 1
            if count > MAX_ITEMS:
                raise self._fail(f"more than {MAX_ITEMS} items in the List")
            start = self.pos
            item = self._value(ITEM_DEPTH)
            yield item, self.pos - start
            char = self._peek()
            if char == "]":
                self.pos += 1
                return
            if char != ",":
                raise self._fail("invalid JSON: expected ',' or ']'" if char else "truncated")
            self.pos += 1
