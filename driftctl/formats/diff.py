"""Rendering of a diff report: table (people), json (scripts), markdown (tickets), junit (CI)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import assert_never

from tabulate import tabulate

from driftctl.diff.normalize import key_kind
from driftctl.diff.report import DiffReport, DriftFinding
from driftctl.formats import Format
from driftctl.formats.common import (
    JunitCase,
    junit_xml,
    markdown_table,
    md_code,
    md_escape,
    plural,
)
from driftctl.formats.escape import dumps_json, visible
from driftctl.formats.findings import groups, mark, value_text
from driftctl.formats.html import render_diff

WIDTH = 100
KEY_WIDTH = 48
MIN_SITE_WIDTH = 12
MARKDOWN_WIDE_SITES = 6


def render(report: DiffReport, fmt: Format, fail_rank: int) -> str:
    """The report in ``fmt``; ``fail_rank`` marks what fails (JUnit failures, headings)."""
    if fmt is Format.TABLE:
        return render_table(report)
    if fmt is Format.JSON:
        return render_json(report)
    if fmt is Format.MARKDOWN:
        return render_markdown(report)
    if fmt is Format.JUNIT:
        return render_junit(report, fail_rank)
    if fmt is Format.HTML:
        return render_diff(report)
    assert_never(fmt)


def render_json(report: DiffReport) -> str:
    """Stable JSON: keys in a fixed order, findings worst first, non-finite numbers as strings."""
    return dumps_json(report.to_json())


def no_drift(sites: Sequence[str]) -> str:
    """The line for a report without findings; one site has nothing to be compared with."""
    if len(sites) == 1:
        return f"no drift within {visible(sites[0])} (one site: nothing to compare it with)"
    return f"no drift between {', '.join(visible(s) for s in sites)}"


class _Cells:
    """Cuts cells to their column and remembers whether anything was cut (a note then says all)."""

    def __init__(self) -> None:
        self.cut = False

    def left(self, text: str, width: int) -> str:
        """Cut from the left: the end of a key or image reference says most."""
        text = visible(text)
        if len(text) <= width:
            return text
        self.cut = True
        return "…" + text[-(width - 1) :]

    def right(self, text: str, width: int) -> str:
        text = visible(text)
        if len(text) <= width:
            return text
        self.cut = True
        return text[: width - 1] + "…"

    def value(self, f: DriftFinding, site: str, width: int) -> str:
        text = value_text(f, site)
        if isinstance(f.values.get(site), str) and key_kind(f.key) == "image":
            return self.left(text, width)
        return self.right(text, width)


def _note(f: DriftFinding) -> str:
    return textwrap.fill(
        visible(f"{f.key}: {f.message}"),
        WIDTH,
        initial_indent="  ",
        subsequent_indent="      ",
        break_long_words=True,  # wrap, never cut: a long value continues on the next line
        break_on_hyphens=False,
    )


def _failures(report: DiffReport) -> list[str]:
    if not report.failures:
        return []
    out = ["== unknown: failed collections =="]
    for fail in report.failures:
        out.append(
            textwrap.fill(
                visible(f"{fail.site}: {fail.reason}") + f" ({plural(fail.facts, 'fact')} unknown)",
                WIDTH,
                initial_indent="  ",
                subsequent_indent="      ",
                break_long_words=True,
                break_on_hyphens=False,
            )
        )
    return [*out, ""]


def render_table(report: DiffReport) -> str:
    """Readable at 100 columns: one column per site when they fit, else key / site / value rows.
    A cell may be cut to fit; the note under the table then gives the key and every value whole.
    """
    if not report.findings:
        return no_drift(report.sites) + "\n"
    key_width = min(KEY_WIDTH, max(len(visible(f.key)) for f in report.findings))
    n = max(len(report.sites), 1)
    site_width = (WIDTH - key_width - 7 - 2 * (n + 1)) // n
    wide = site_width >= MIN_SITE_WIDTH
    out: list[str] = []
    for category, findings in groups(report.findings):
        out.append(f"== {category} ==")
        notes: list[str] = []
        rows: list[list[str]] = []
        if wide:
            headers = ["key", "sev", *(visible(s)[:site_width] for s in report.sites)]
            for f in findings:
                cells = _Cells()
                rows.append(
                    [
                        cells.left(f.key, key_width),
                        f.severity.value,
                        *(cells.value(f, s, site_width) for s in report.sites),
                    ]
                )
                if cells.cut or f.kind != "drift":
                    notes.append(_note(f))
        else:
            headers = ["key", "sev", "site", "value"]
            site_col = min(24, 1 + max(len(visible(s)) for s in report.sites))
            value_width = WIDTH - key_width - 7 - site_col - 6
            for f in findings:
                cells = _Cells()
                for i, s in enumerate(report.sites):
                    rows.append(
                        [
                            cells.left(f.key, key_width) if i == 0 else "",
                            f.severity.value if i == 0 else "",
                            mark(f, s) + cells.right(s, site_col - 1),
                            cells.value(f, s, value_width),
                        ]
                    )
                if cells.cut or f.kind != "drift":
                    notes.append(_note(f))
        out.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
        out.extend(notes)
        out.append("")
    out.extend(_failures(report))
    return "\n".join(out)


def render_markdown(report: DiffReport) -> str:
    """A ticket or PR comment: heading, summary, one table per category, then the messages.
    Values are code spans, never cut; prose is escaped so a value cannot become a link."""
    c = report.counts()
    lines = [
        "## driftctl diff",
        "",
        f"Sites: {', '.join(md_code(s) for s in report.sites)}"
        + (f" (baseline {md_code(report.baseline)})" if report.baseline else ""),
        "",
        f"**{c['error']} error, {c['warn']} warn, {c['info']} info** over"
        f" {plural(report.facts, 'fact')} ({len(report.ignored)} ignored).",
        "",
    ]
    if not report.findings:
        lines.append(md_escape(no_drift(report.sites)) + ".")
        return "\n".join(lines) + "\n"
    wide = len(report.sites) <= MARKDOWN_WIDE_SITES
    for category, findings in groups(report.findings):
        lines.append(f"### {md_escape(category)}")
        lines.append("")
        if wide:
            headers = ["key", "severity", *(md_escape(s) for s in report.sites)]
            rows = [
                [
                    md_code(f.key),
                    f.severity.value,
                    *(f"{_md_mark(f, s)}{md_code(value_text(f, s))}" for s in report.sites),
                ]
                for f in findings
            ]
        else:
            headers = ["key", "severity", "site", "value"]
            rows = [
                [md_code(f.key), f.severity.value, md_escape(s), md_code(value_text(f, s))]
                for f in findings
                for s in report.sites
            ]
        lines.append(markdown_table(headers, rows))
        lines.extend(f"- {md_code(f.key)}: {md_escape(f.message)}" for f in findings)
        lines.append("")
    if report.failures:
        lines += ["### Failed collections", ""]
        lines += [
            f"- {md_escape(x.site)}: {md_escape(x.reason)} ({plural(x.facts, 'fact')} unknown)"
            for x in report.failures
        ]
        lines.append("")
    return "\n".join(lines)


def _md_mark(f: DriftFinding, site: str) -> str:
    m = mark(f, site)
    return "" if m == " " else f"\\{m} "


def render_junit(report: DiffReport, fail_rank: int) -> str:
    """One testcase per fact: differing facts first (a failure at or above the threshold), then
    the facts equal at every site (passed), and a skipped case per ignored difference."""
    cases: list[JunitCase] = []
    for f in report.findings:
        details = (
            f.message
            + "\n"
            + json.dumps({s: value_text(f, s) for s in report.sites}, ensure_ascii=False)
        )
        failed = f.severity.rank >= fail_rank
        cases.append(
            JunitCase(
                classname=f"driftctl.diff.{f.category}",
                name=f.key,
                failure=f"{f.severity.value}: {f.message}" if failed else None,
                failure_type=f"drift.{f.severity.value}",
                details=details if failed else f"{f.severity.value}: {details}",
            )
        )
    for category in sorted(report.equal):
        for key in report.equal[category]:
            cases.append(JunitCase(classname=f"driftctl.diff.{category}", name=key))
    for ig in report.ignored:
        cases.append(
            JunitCase(
                classname="driftctl.diff.ignored",
                name=ig.key,
                skipped=f"ignored: {ig.reason}",
            )
        )
    return junit_xml("driftctl diff " + " ".join(report.sites), cases)
