"""Safe reading and atomic writing: strict JSON, alias-free YAML, size caps, atomic replace."""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast, overload

import yaml

from driftctl.errors import InputError
from driftctl.strictjson import MAX_JSON_DEPTH, JsonObject, JsonValue
from driftctl.strictjson import loads_json as _strict_loads_json

MAX_CONFIG_BYTES = 4 * 1024 * 1024


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


def loads_json(
    data: bytes | str, where: str, max_depth: int = MAX_JSON_DEPTH, max_values: int | None = None
) -> Any:
    """``strictjson.loads_json``, untyped: for the readers (collectors) that index the document
    under ``except (KeyError, TypeError)``. Code that narrows with isinstance imports
    ``driftctl.strictjson.loads_json``, which returns a ``JsonValue``."""
    return _strict_loads_json(data, where, max_depth, max_values)


def dumps_canonical(value: object) -> bytes:
    """Deterministic JSON bytes: sorted keys, two-space indent, UTF-8, trailing newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


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


class NotRegularFile(ValueError):
    """``open_regular`` found a directory, FIFO, socket or device where a file belongs."""

    def __init__(self, path: Path, mode: int) -> None:
        self.is_dir = stat.S_ISDIR(mode)
        kind = "is a directory" if self.is_dir else "not a regular file (a FIFO, socket or device?)"
        super().__init__(f"{path}: {kind}")


def open_regular(path: Path) -> tuple[BinaryIO, int]:
    """Open a regular file for reading and give its size; NotRegularFile for anything else.

    Opened non-blocking and checked with fstat first, so a FIFO or a device is refused instead
    of hanging the reader. OSError (missing, no permission) propagates for the caller to word.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path, info.st_mode)
        os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return fh, info.st_size


def read_capped(path: Path, cap: int = MAX_CONFIG_BYTES) -> bytes:
    """Read a regular file of at most ``cap`` bytes, or raise InputError naming it."""
    try:
        fh, _ = open_regular(path)
        with fh:
            data = fh.read(cap + 1)
    except NotRegularFile as exc:
        raise InputError(f"{exc}, expected a file" if exc.is_dir else str(exc)) from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > cap:
        raise InputError(f"{path}: larger than {cap} bytes")
    return data


def load_yaml_file(path: Path) -> object:
    """Read and parse a YAML file safely."""
    return loads_yaml(read_capped(path), str(path))


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a half one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@overload
def expect_mapping(value: JsonValue, where: str) -> JsonObject: ...
@overload
def expect_mapping(value: object, where: str) -> dict[str, object]: ...
def expect_mapping(value: object, where: str) -> dict[str, object] | JsonObject:
    """Return ``value`` if it is a mapping with string keys, else raise InputError naming ``where``.

    A decoded JSON value gives a JSON object; decoded YAML (any object) a dict of objects."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise InputError(f"{where}: expected a mapping")
    return value


def check_keys(
    mapping: Mapping[str, object], allowed: set[str], where: str, required: set[str] | None = None
) -> None:
    """Strict key check: unknown keys and missing required keys are InputErrors naming them."""
    for key in mapping:
        if key not in allowed:
            raise InputError(f"{where}: unknown key {key!r}")
    for key in sorted(required or ()):
        if key not in mapping:
            raise InputError(f"{where}: missing required key {key!r}")


def write_output(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file the user asked for (``--output``, ``--write-ignore``) atomically; a path
    that cannot be written (a directory, under a file) is bad input naming it. Its directory
    must exist: a typo in a path should not silently create a tree somewhere."""
    parent = path.parent
    if not parent.is_dir():
        what = "does not exist" if not parent.exists() else "is not a directory"
        raise InputError(f"{path}: directory {parent} {what}")
    try:
        atomic_write(path, data, mode)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None
