"""The one escaping function: every control, escape, bidi and surrogate character made visible;
strict JSON; XML that parses whatever the values hold."""

from __future__ import annotations

import json
import sys
import unicodedata
from xml.etree import ElementTree as ET

import pytest
from reports_kit import HOSTILE, raw_controls

from driftctl.diff.show import show_value
from driftctl.formats.common import JunitCase, junit_xml, md_code, md_escape, plural
from driftctl.formats.escape import dumps_json, visible, xml_text
from driftctl.strictjson import finite

DANGEROUS = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def test_every_control_format_and_surrogate_character_is_escaped() -> None:
    missed = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in DANGEROUS and visible(chr(cp)) == chr(cp)
    ]
    assert missed == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]52;c;cHduZWQ=\x07", "\\x1b]52;c;cHduZWQ=\\x07"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x9b31m", "\\x9b31m"),
        ("a\u202eb", "a\\u202eb"),
        ("\ud800", "\\ud800"),
        ("line\nnext\ttab\x7f", "line\\nnext\\ttab\\x7f"),
        ("\U000e0041", "\\U000e0041"),
        ("plain ascii, ünïcode, 日本, C:\\path", "plain ascii, ünïcode, 日本, C:\\path"),
    ],
    ids=["osc52", "osc0", "csi", "c1", "bidi", "surrogate", "newline-tab-del", "tag", "safe"],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert visible(visible(raw)) == shown  # idempotent: a second pass changes nothing
    visible(raw).encode("utf-8")  # always encodable


def test_json_is_strict_and_round_trips_hostile_strings() -> None:
    doc = {"inf": float("inf"), "ninf": -float("inf"), "nan": float("nan"), "s": HOSTILE + "\ud800"}
    text = dumps_json(doc)
    assert "Infinity" not in text and "NaN" not in text
    back = json.loads(text)
    assert back["inf"] == "inf" and back["ninf"] == "-inf" and back["nan"] == "nan"
    assert back["s"] == HOSTILE + "\ud800"  # escapes, not losses
    assert raw_controls(text) == []
    text.encode("utf-8")
    assert finite([1.5, {"x": float("inf")}]) == [1.5, {"x": "inf"}]


def test_junit_is_well_formed_whatever_the_values_hold() -> None:
    nasty = "".join(chr(c) for c in range(32)) + "\ud800\ufffe" + HOSTILE
    xml = junit_xml(nasty, [JunitCase(nasty, nasty, failure=nasty, details=nasty)])
    root = ET.fromstring(xml.encode("utf-8"))  # expat: a real XML 1.0 parser
    case = root.find("./testsuite/testcase")
    assert case is not None and "\\x1b" in (case.get("name") or "")
    assert raw_controls(xml) == []
    assert xml_text("ok\nline") == "ok\nline"


def test_xml_text_leaves_exactly_the_characters_xml_allows() -> None:
    def xml_char(c: int) -> bool:  # XML 1.0, production [2] Char
        return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000

    # visible() escapes controls and format characters first; what is left must be XML chars,
    # and every XML char visible() keeps must come through untouched.
    for c in range(0x110000):
        ch = chr(c)
        out = xml_text(ch)
        assert all(xml_char(ord(o)) for o in out), hex(c)
        if visible(ch) == ch and xml_char(c):
            assert out == ch, hex(c)


def test_markdown_cannot_become_markup() -> None:
    assert md_escape("[x](http://e) <img src=x> *b* | c") == (
        "\\[x\\](http://e) \\<img src=x\\> \\*b\\* \\| c"
    )
    assert md_code("a`b") == "``a`b``"
    assert md_code("x|y\x1b") == "`x\\|y\\x1b`"


def test_show_value_never_cuts_and_plural() -> None:
    long = "registry.savings-bank.local/ai/frontend:2.3.4-" + "x" * 200
    assert show_value(long) == long
    assert show_value({"535.54.03": 2, "595.58.03": 1}, "nodes.gpu.driver_version") == (
        "535.54.03×2, 595.58.03×1"
    )
    assert show_value(float("inf")) == '"inf"'
    assert (plural(1, "site"), plural(2, "site"), plural(0, "rule")) == (
        "1 site",
        "2 sites",
        "0 rules",
    )
