"""Strict JSON, alias-free YAML and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from driftctl.errors import InputError
from driftctl.safeio import atomic_write, loads_json, read_capped
from driftctl.safeyaml import loads_yaml

BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": NaN}', "NaN is not JSON"),
        ("[" * 100 + "]" * 100, "nested"),
        ('{"a": ', "invalid JSON"),
    ],
    ids=["duplicate-keys", "nan", "deep-nesting", "truncated"],
)
def test_loads_json_rejects(text: str, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as err:
        loads_json(text, "x.json")
    assert str(err.value).startswith("x.json")


def test_loads_json_rejects_non_utf8() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        loads_json(b'{"a": "\xff"}', "x.json")


def test_yaml_bomb_is_refused_fast() -> None:
    with pytest.raises(InputError, match=r"(aliases|anchors) are not allowed"):
        loads_yaml(BOMB, "bomb.yaml")


def test_yaml_error_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^cfg.yaml: line 3: "):
        loads_yaml("a: 1\nb: [\n", "cfg.yaml")


def test_yaml_plain_document_loads() -> None:
    assert loads_yaml("a: {b: [1, 2]}\n", "ok.yaml") == {"a": {"b": [1, 2]}}


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["state.json"]


def test_read_capped_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)  # no writer: a plain open() would block forever
    with pytest.raises(InputError, match=r"config.yaml: not a regular file"):
        read_capped(fifo)


def test_yaml_duplicate_keys_are_refused() -> None:
    with pytest.raises(InputError, match=r"^cfg.yaml: line 2: duplicate key 'site'$"):
        loads_yaml("site: capital\nsite: utility\n", "cfg.yaml")


def test_yaml_duplicate_keys_in_nested_mapping_are_refused() -> None:
    with pytest.raises(InputError, match=r"line 3: duplicate key 'a'"):
        loads_yaml("top:\n  a: 1\n  a: 2\n", "cfg.yaml")


@pytest.mark.parametrize(
    "data", [b"site: caf\xe9\n", b"site: a\x00\n"], ids=["latin-1", "nul-byte"]
)
def test_yaml_reader_errors_are_one_line(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        loads_yaml(data, "cfg.yaml")
    assert str(err.value).startswith("cfg.yaml: ") and "\n" not in str(err.value)


def _values(count: int) -> str:
    """A document of exactly ``count`` JSON values: the root object and its members."""
    return "{" + ",".join(f'"k{i}": {i}' for i in range(count - 1)) + "}"


@pytest.mark.parametrize("count", [1, 2, 1000], ids=["root-only", "one-member", "thousand"])
def test_value_cap_is_exact(count: int) -> None:
    assert isinstance(loads_json(_values(count), "x.json", max_values=count), dict)
    with pytest.raises(InputError, match=f"x.json: more than {count - 1} JSON values"):
        loads_json(_values(count), "x.json", max_values=count - 1)


def test_array_elements_count_too() -> None:
    doc = '{"a": [' + ",".join(["1"] * 10) + "]}"
    assert loads_json(doc, "x.json", max_values=12)  # root, member list, ten numbers
    with pytest.raises(InputError, match="more than 11 JSON values"):
        loads_json(doc, "x.json", max_values=11)


STRICT_VALUES = {
    "1e400": "number 1e400 is out of range",
    "[-1e400]": "number -1e400 is out of range",
    '{"a": Infinity}': "Infinity is not JSON",
    '"\\ud800"': "string '\\ud800' holds a lone surrogate",
    '["ok", {"\\udc00x": 1}]': "key '\\udc00x' holds a lone surrogate",
    '[[["\\udbff"]]]': "string '\\udbff' holds a lone surrogate",
    "9" * 5000: "invalid JSON: integer of 5000 digits (more than 4300)",
    "[-" + "9" * 4301 + "]": "invalid JSON: integer of 4301 digits (more than 4300)",
    "\ufeff{}": "invalid JSON: starts with a byte order mark (BOM)",
}


@pytest.mark.parametrize("doc", sorted(STRICT_VALUES), ids=[d[:12] for d in sorted(STRICT_VALUES)])
def test_json_that_python_would_accept_is_refused(doc: str) -> None:
    with pytest.raises(InputError) as info:
        loads_json(doc.encode(), "x.json")
    assert str(info.value).startswith("x.json: ")
    assert STRICT_VALUES[doc] in str(info.value)
    assert "sys." not in str(info.value) and "utf-8-sig" not in str(info.value)


def test_the_longest_integer_python_converts_is_still_read() -> None:
    assert loads_json(("9" * 4300).encode(), "x.json") == int("9" * 4300)


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    assert loads_json('["\\ud83d\\ude00", "\\\\ud800"]', "x.json") == ["\U0001f600", "\\ud800"]
