"""Helpers shared by the report renderers: JUnit XML, Markdown tables, plurals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from driftctl.formats.escape import visible, xml_text


@dataclass(frozen=True)
class JunitCase:
    """One JUnit testcase; ``failure`` set means the case failed with that message."""

    classname: str
    name: str
    failure: str | None = None
    failure_type: str = "failure"
    details: str = ""
    skipped: str | None = None


def junit_xml(suite: str, cases: Sequence[JunitCase]) -> str:
    """A JUnit XML document with one testsuite, as CI test-report readers accept it."""
    failures = sum(1 for c in cases if c.failure is not None)
    skipped = sum(1 for c in cases if c.skipped is not None and c.failure is None)
    # Every name and text goes through xml_text: XML 1.0 cannot hold most C0 controls even as
    # character references, and a report must parse whatever a bundle held.
    root = ET.Element(
        "testsuites",
        name="driftctl",
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    ts = ET.SubElement(
        root,
        "testsuite",
        name=xml_text(suite),
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    for case in cases:
        el = ET.SubElement(
            ts, "testcase", classname=xml_text(case.classname), name=xml_text(case.name)
        )
        if case.failure is not None:
            fail = ET.SubElement(
                el, "failure", message=xml_text(case.failure), type=xml_text(case.failure_type)
            )
            fail.text = xml_text(case.details or case.failure)
        elif case.skipped is not None:
            ET.SubElement(el, "skipped", message=xml_text(case.skipped))
        elif case.details:
            out = ET.SubElement(el, "system-out")
            out.text = xml_text(case.details)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def md_escape(text: str) -> str:
    """A value for a Markdown table cell or list item: visible, with ``|`` and ``\\`` escaped,
    and the characters that would start markup (``*_`<>[]``) taken literally."""
    out = visible(text).replace("\\", "\\\\")
    for ch in "|*_`<>[]":
        out = out.replace(ch, "\\" + ch)
    return out


def md_code(text: str) -> str:
    """``text`` as inline code: a fence longer than any backtick run inside, content visible."""
    shown = visible(text).replace("|", "\\|")
    longest = max((len(m) for m in _backtick_runs(shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def _backtick_runs(text: str) -> list[str]:
    runs, run = [], ""
    for ch in text:
        if ch == "`":
            run += ch
        elif run:
            runs.append(run)
            run = ""
    return runs + ([run] if run else [])


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; cells are given already escaped (``md_escape``)."""
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 site``, ``2 sites`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
