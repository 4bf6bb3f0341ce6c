"""Every YAML file the CLI reads goes through one strict loader: the same refusals everywhere.

Site config, policy, release and ignore file: a byte order mark, UTF-16, an anchor (used or
not), a number no setting can mean — each is exit 2 with one line naming the file (and the key
where there is one), never a traceback and never a quiet reading of something else.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from driftctl.errors import InputError
from driftctl.safeyaml import loads_yaml

ROOT = Path(__file__).resolve().parent.parent

# A valid document of each kind, with a number under a key the defect can replace.
GOOD = {
    "config": "site: savings-bank\nkubernetes: {timeout_seconds: 20}\n",
    "policy": (
        "rules:\n  - id: clock\n    kind: time\n    severity: block\n    nodes: all\n"
        "    max_offset_seconds: 0.5\n"
    ),
    "release": "release: r1\ncomponents:\n  parser: {version: 1.0.0, replicas: 3}\n",
    "ignore": "ignore:\n  - path: helm.*.values.replicas\n    reason: 3\n",
}
NUMBER = {"config": "20", "policy": "0.5", "release": "3", "ignore": "3"}
KEY = {
    "config": "timeout_seconds",
    "policy": "max_offset_seconds",
    "release": "replicas",
    "ignore": "reason",
}


def argv(kind: str, path: Path, tmp_path: Path) -> list[str]:
    store = ["--store", str(tmp_path / "store")]
    release = tmp_path / "good-release.yaml"
    release.write_text(GOOD["release"])
    return {
        "config": ["collect", "--config", str(path), "--dry-run"],
        "policy": ["preflight", "--release", str(release), "--policy", str(path), *store],
        "release": ["preflight", "--release", str(path), *store],
        "ignore": ["diff", "--ignore", str(path), *store],
    }[kind]


def utf8_bom(kind: str, text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode()


def utf16(kind: str, text: str) -> bytes:
    return text.encode("utf-16")  # with its byte order mark, as Windows editors write it


def utf16_without_bom(kind: str, text: str) -> bytes:
    return text.encode("utf-16-le")


def unused_anchor(kind: str, text: str) -> bytes:
    first, rest = text.split(":", 1)  # the first key's value gets an anchor nothing uses
    return f"{first}: &a{rest}".encode()


def huge_int(kind: str, text: str) -> bytes:
    return text.replace(NUMBER[kind], "1" + "0" * 40, 1).encode()


def overflowing_float(kind: str, text: str) -> bytes:
    return text.replace(NUMBER[kind], "1.0e+400", 1).encode()


DEFECTS: list[tuple[Callable[[str, str], bytes], str]] = [
    (utf8_bom, "starts with bytes EF BB BF (a UTF-8 byte order mark)"),
    (utf16, "starts with bytes FF FE (UTF-16 text)"),
    (utf16_without_bom, "holds NUL bytes at byte 1 (UTF-16 or binary?)"),
    (unused_anchor, "YAML anchors and aliases are not allowed (&a)"),
    (huge_int, "number '10000000000000000000'… is out of range"),
    (overflowing_float, "number '1.0e+400' is not finite"),
]


@pytest.mark.parametrize("kind", list(GOOD))
@pytest.mark.parametrize(("defect", "needle"), DEFECTS, ids=[d.__name__ for d, _ in DEFECTS])
def test_cli_refuses_each_defect_in_each_yaml_input(
    tmp_path: Path, kind: str, defect: Callable[[str, str], bytes], needle: str
) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_bytes(defect(kind, GOOD[kind]))
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *argv(kind, path, tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert res.returncode == 2, res.stderr
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"driftctl: error: {path}") and needle in line, line
    if defect in (huge_int, overflowing_float):
        assert f"key {KEY[kind]!r}" in line


@pytest.mark.parametrize("kind", list(GOOD))
def test_the_good_documents_pass_the_loader(kind: str) -> None:
    # so each refusal above is the defect's doing, not a broken base document
    assert isinstance(loads_yaml(GOOD[kind], f"{kind}.yaml"), dict)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("site: &a sb\n", "line 1: YAML anchors and aliases are not allowed (&a)"),
        ("&top\nsite: sb\n", "line 1: YAML anchors and aliases are not allowed (&top)"),
        ("a: &x [1]\nb: *x\n", "line 1: YAML anchors and aliases are not allowed (&x)"),
        ("a: 1\nb: *x\n", "line 2: YAML anchors and aliases are not allowed (*x)"),
        ("x: " + "9" * 5000 + "\n", "key 'x': number '99999999999999999999'… is out of range"),
        ("x: 0x" + "f" * 40 + "\n", "key 'x': number '0xffffffffffffffffff'… is out of range"),
        ("- 9223372036854775808\n", "line 1: number '9223372036854775808' is out of range"),
        ("x: {y: .nan}\n", "key 'y': number '.nan' is not finite"),
        ("x: -.inf\n", "key 'x': number '-.inf' is not finite"),
        ("x: !!float 1e999\n", "key 'x': number '1e999' is not finite"),
        ("\ufeffsite: sb\n", "starts with a byte order mark"),
        ("x: 2026-13-45\n", "line 1: '2026-13-45' is not a valid timestamp"),
        ("x: !!bool maybe\n", "line 1: 'maybe' is not a valid bool"),
        ('x: !!int "1\\e]52;c;aGk=\\a"\n', "line 1: '1\\x1b]52;c;aGk=\\x07' is not a valid int"),
        ('x: !!int "\\e]0;' + "9" * 40 + '"\n', "key 'x': number '\\x1b]0;9999999999999999'…"),
    ],
    ids=[
        "anchor-without-alias",
        "anchor-on-root",
        "anchor-and-alias",
        "alias-alone",
        "5000-digits",
        "long-hex",
        "beyond-int64",
        "nan",
        "minus-inf",
        "tagged-overflow",
        "bom-in-text",
        "impossible-date",
        "bad-bool",
        "escape-in-int",
        "escape-in-long-int",
    ],
)
def test_loader_refusals_name_file_line_and_key(text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        loads_yaml(text, "in.yaml")
    message = str(err.value)
    assert message.startswith("in.yaml") and needle in message and "\n" not in message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x: 9223372036854775807\n", 9223372036854775807),
        ("x: -9223372036854775808\n", -9223372036854775808),
        ("x: 1_000\n", 1000),
        ("x: 0.5\n", 0.5),
        ("x: '1.0e+400'\n", "1.0e+400"),  # a quoted string stays a string
        ("x: 1e40\n", "1e40"),  # YAML 1.1: no dot, no float
    ],
)
def test_loader_keeps_numbers_in_range(text: str, value: object) -> None:
    assert loads_yaml(text, "in.yaml") == {"x": value}
