"""Strict YAML reading: UTF-8 without BOM; no anchors, aliases, duplicate keys or numbers no
setting can mean. Apart from safeio so that commands that read no YAML never import PyYAML."""

from __future__ import annotations

import math
from collections.abc import Hashable
from pathlib import Path
from typing import cast

import yaml

from driftctl.errors import InputError
from driftctl.safeio import MAX_CONFIG_BYTES, read_capped

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# A number literal longer than this is no count, port or timeout; refusing it early also keeps
# PyYAML from calling int() on thousands of digits (a ValueError it does not wrap).
MAX_NUMBER_CHARS = 32
YAML_INT_RANGE = range(-(2**63), 2**63)  # what Kubernetes, other languages' readers and C hold
# Byte order marks and what they announce; every YAML input is UTF-8 without one.
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 text"),
    (b"\xff\xfe\x00\x00", "UTF-32 text"),
    (b"\xef\xbb\xbf", "a UTF-8 byte order mark"),
    (b"\xfe\xff", "UTF-16 text"),
    (b"\xff\xfe", "UTF-16 text"),
)


_NO_ANCHORS = "YAML anchors and aliases are not allowed"


def _shown(text: str) -> str:
    """A value quoted for a one-line message: cut short, control characters escaped."""
    return ascii(text[:20]) + ("…" if len(text) > 20 else "")


class _BadNumber(yaml.constructor.ConstructorError):
    """A number literal that is out of range or not finite."""


def _anchor_error(problem: str, event: yaml.Event) -> yaml.composer.ComposerError:
    # The pure-Python loader's marks are yaml.error.Mark (the C loader's are not: never used here).
    mark = cast("yaml.error.Mark | None", event.start_mark)
    return yaml.composer.ComposerError(None, None, problem, mark)


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors and aliases, so a 'billion laughs' cannot expand, and
    numbers no setting can mean (beyond 64 bits, infinite, NaN), so none reaches arithmetic."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # The anchor is on the event, not on the composed node: check it before composing, so an
        # anchor that no alias uses (``site: &a sb``) is refused too.
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _anchor_error(f"{_NO_ANCHORS} (*{event.anchor})", event)
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            raise _anchor_error(f"{_NO_ANCHORS} (&{event.anchor})", event)
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> object:
        """PyYAML lets a scalar its tag cannot read escape as a bare ValueError, KeyError or
        AttributeError (``2026-13-45``, ``!!int abc``, ``!!bool maybe``): name it and its line."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, AttributeError, TypeError, OverflowError):
            if not isinstance(node, yaml.ScalarNode):
                raise
            tag = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"{_shown(node.value)} is not a valid {tag}", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(node.value)
        if len(text) > MAX_NUMBER_CHARS:
            raise _BadNumber(None, None, f"number {_shown(text)} is out of range", node.start_mark)
        value: int = super().construct_yaml_int(node)
        if value not in YAML_INT_RANGE:
            raise _BadNumber(None, None, f"number {_shown(text)} is out of range", node.start_mark)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        text = str(node.value)
        if len(text) > MAX_NUMBER_CHARS:
            raise _BadNumber(None, None, f"number {_shown(text)} is out of range", node.start_mark)
        value: float = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _BadNumber(None, None, f"number {_shown(text)} is not finite", node.start_mark)
        return value

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        """A mapping whose keys are unique (YAML says so, PyYAML would silently keep the last);
        a bad number under a key names that key."""
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                if isinstance(value_node, yaml.ScalarNode) and value_node.tag in (
                    _INT_TAG,
                    _FLOAT_TAG,
                ):
                    try:
                        self.construct_object(value_node)  # cached for the base class below
                    except _BadNumber as exc:
                        raise _BadNumber(
                            None, None, f"key {key!r}: {exc.problem}", exc.problem_mark
                        ) from None
        return super().construct_mapping(node, deep=deep)


_NoAliasLoader.add_constructor(_INT_TAG, _NoAliasLoader.construct_yaml_int)
_NoAliasLoader.add_constructor(_FLOAT_TAG, _NoAliasLoader.construct_yaml_float)


def _check_encoding(data: bytes | str, where: str) -> None:
    """UTF-8 without a byte order mark, nothing else: PyYAML would quietly decode UTF-16 and
    skip a BOM, and a file one tool reads differently from another is no config to trust."""
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise InputError(
                f"{where}: starts with a byte order mark; save it as UTF-8 without one"
            )
        return
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise InputError(
                f"{where}: starts with bytes {bom.hex(' ').upper()} ({name}); "
                "driftctl reads UTF-8 YAML without a byte order mark"
            )
    if b"\x00" in data:
        raise InputError(
            f"{where}: holds NUL bytes at byte {data.index(0)} (UTF-16 or binary?); "
            "driftctl reads UTF-8 YAML only"
        )


def loads_yaml(data: bytes | str, where: str) -> object:
    """Parse one YAML document strictly (UTF-8 without BOM; no anchors, aliases, duplicate keys,
    or numbers beyond 64 bits or not finite); errors name ``where`` and the line."""
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"{where}: larger than {MAX_CONFIG_BYTES} bytes")
    _check_encoding(data, where)
    try:
        return yaml.load(data, Loader=_NoAliasLoader)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where}:{line}: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:  # not UTF-8, or a control character
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise InputError(
            f"{where}: invalid YAML: character {char:#04x} at position {exc.position}: {exc.reason}"
        ) from None
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: invalid YAML: {' '.join(str(exc).split())}") from None
    except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as exc:
        raise InputError(f"{where}: invalid YAML: {type(exc).__name__}") from None


def load_yaml_file(path: Path) -> object:
    """Read and parse a YAML file safely."""
    return loads_yaml(read_capped(path), str(path))
