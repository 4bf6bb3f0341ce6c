"""Helpers shared by the report renderers: JUnit XML, Markdown tables, value display."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET


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
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    for case in cases:
        el = ET.SubElement(ts, "testcase", classname=case.classname, name=case.name)
        if case.failure is not None:
            fail = ET.SubElement(el, "failure", message=case.failure, type=case.failure_type)
            fail.text = case.details or case.failure
        elif case.skipped is not None:
            ET.SubElement(el, "skipped", message=case.skipped)
        elif case.details:
            out = ET.SubElement(el, "system-out")
            out.text = case.details
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def md_escape(text: str) -> str:
    """Escape a value for a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def show_value(value: Any, width: int = 40) -> str:
    """A short human rendering of a fact value (``—`` for unknown)."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 1] + "…"
