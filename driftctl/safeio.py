"""Safe reading and atomic writing: strict JSON, size caps, atomic replace (YAML: safeyaml)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO, overload

from driftctl.durable import replace_file
from driftctl.errors import InputError
from driftctl.strictjson import MAX_JSON_DEPTH, JsonObject, JsonValue
from driftctl.strictjson import loads_json as _strict_loads_json

MAX_CONFIG_BYTES = 4 * 1024 * 1024


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


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a half one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data, "atomic-write", mode)


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
