"""Rendering of a diff report: table (people), json (scripts), markdown (tickets), junit (CI)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any, assert_never

from driftctl.diff.normalize import key_kind
from driftctl.diff.report import DiffReport, Finding
from driftctl.formats import Format
from driftctl.formats.common import JunitCase, junit_xml, markdown_table, show_value

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
    assert_never(fmt)


def render_json(report: DiffReport) -> str:
    """Stable JSON (design §10): keys in a fixed order, findings worst first."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def _groups(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by category, the category with the worst finding first."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.category, []).append(f)
    return list(groups.items())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _cell(key: str, value: Any, width: int) -> str:
    """A table cell: node distributions as ``550.54.15×3``, image references cut from the left."""
    if isinstance(value, dict) and value and all(isinstance(v, int) for v in value.values()):
        text = ", ".join(f"{k}×{n}" for k, n in value.items())
        return text if len(text) <= width else text[: width - 1] + "…"
    if isinstance(value, str) and key_kind(key) == "image":
        return _cut(value, width)
    return show_value(value, width)


def _site_width(report: DiffReport, key_width: int) -> int:
    n = max(len(report.sites), 1)
    return (WIDTH - key_width - 7 - 2 * (n + 1)) // n


def render_table(report: DiffReport) -> str:
    """Readable at 100 columns: one column per site when they fit, else key / site / value rows."""
    from tabulate import tabulate

    if not report.findings:
        return f"no drift between {', '.join(report.sites)}\n"
    key_width = min(KEY_WIDTH, max(len(f.key) for f in report.findings))
    site_width = _site_width(report, key_width)
    wide = site_width >= MIN_SITE_WIDTH
    out: list[str] = []

    def _row(f: Finding) -> list[str]:
        return [_cell(f.key, f.values.get(s), site_width) for s in report.sites]

    for category, findings in _groups(report.findings):
        out.append(f"== {category} ==")
        if wide:
            headers = ["key", "sev", *(_cut(s, site_width) for s in report.sites)]
            rows = [
                [
                    _cut(f.key, key_width),
                    f.severity.value,
                    *(_cell(f.key, f.values.get(s), site_width) for s in report.sites),
                ]
                for f in findings
            ]
        else:
            headers = ["key", "sev", "site", "value"]
            site_col = min(24, 1 + max(len(s) for s in report.sites))
            value_width = WIDTH - key_width - 7 - site_col - 6
            rows = []
            for f in findings:
                for n, s in enumerate(report.sites):
                    mark = "*" if s in f.sites else " "
                    rows.append(
                        [
                            _cut(f.key, key_width) if n == 0 else "",
                            f.severity.value if n == 0 else "",
                            f"{mark}{_cut(s, site_col - 1)}",
                            _cell(f.key, f.values.get(s), value_width),
                        ]
                    )
        out.append(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
        # A note where the row cannot say it all: cut values, node names, unknowns, intra-site.
        notes = [f for f in findings if f.kind != "drift" or any("…" in str(c) for c in _row(f))]
        out.extend(
            textwrap.fill(
                f"{f.key}: {f.message}",
                WIDTH,
                initial_indent="  ",
                subsequent_indent="      ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            for f in notes
        )
        out.append("")
    return "\n".join(out)


def render_markdown(report: DiffReport) -> str:
    """A ticket or PR comment: heading, summary, one table per category, then the messages."""
    c = report.counts()
    lines = [
        "## driftctl diff",
        "",
        f"Sites: {', '.join(f'`{s}`' for s in report.sites)}"
        + (f" (baseline `{report.baseline}`)" if report.baseline else ""),
        "",
        f"**{c['error']} error, {c['warn']} warn, {c['info']} info** over {report.facts} facts"
        f" ({len(report.ignored)} ignored).",
        "",
    ]
    if not report.findings:
        lines.append("No drift.")
        return "\n".join(lines) + "\n"
    wide = len(report.sites) <= MARKDOWN_WIDE_SITES
    for category, findings in _groups(report.findings):
        lines.append(f"### {category}")
        lines.append("")
        if wide:
            headers = ["key", "severity", *report.sites]
            rows = [
                [
                    f"`{f.key}`",
                    f.severity.value,
                    *(show_value(f.values.get(s), 60) for s in report.sites),
                ]
                for f in findings
            ]
        else:
            headers = ["key", "severity", "site", "value"]
            rows = [
                [f"`{f.key}`", f.severity.value, s, show_value(f.values.get(s), 60)]
                for f in findings
                for s in report.sites
            ]
        lines.append(markdown_table(headers, rows))
        lines.extend(f"- `{f.key}`: {f.message}" for f in findings)
        lines.append("")
    return "\n".join(lines)


def render_junit(report: DiffReport, fail_rank: int) -> str:
    """One testcase per fact: differing facts first (a failure at or above the threshold), then
    the facts equal at every site (passed), and a skipped case per ignored difference."""
    cases: list[JunitCase] = []
    for f in report.findings:
        details = f.message + "\n" + json.dumps(dict(f.values), sort_keys=True, ensure_ascii=False)
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
