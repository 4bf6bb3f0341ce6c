"""Rendering of ``driftctl history``: table (people), json (scripts), markdown (tickets)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import assert_never

from driftctl.diff.history import Change, ChangeKind, HistoryReport, Origin, Step
from driftctl.diff.show import show_value
from driftctl.formats import HistoryFormat
from driftctl.formats.common import markdown_table, md_code, md_escape, plural
from driftctl.formats.escape import dumps_json, visible

WIDTH = 100
MARK = {ChangeKind.ADDED: "+", ChangeKind.REMOVED: "-", ChangeKind.CHANGED: "~"}


def render(report: HistoryReport, fmt: HistoryFormat) -> str:
    if fmt is HistoryFormat.TABLE:
        return render_table(report)
    if fmt is HistoryFormat.JSON:
        return dumps_json(report.to_json())
    if fmt is HistoryFormat.MARKDOWN:
        return render_markdown(report)
    assert_never(fmt)


def value(v: object, key: str) -> str:
    """A value as a person reads it, whole (``—`` for none)."""
    return show_value(v, key)


def change_text(c: Change) -> str:
    """``key: old → new`` (``+ key: new``, ``- key: old``), never cut; not escaped."""
    if c.kind is ChangeKind.ADDED:
        text = f"{c.key}: {value(c.new, c.key)}"
    elif c.kind is ChangeKind.REMOVED:
        text = f"{c.key}: {value(c.old, c.key)} (gone)"
    else:
        text = f"{c.key}: {value(c.old, c.key)} → {value(c.new, c.key)}"
    if c.known_at is not None:
        text += f" (last known at seq {c.known_at})"
    return text


def node_texts(c: Change) -> list[str]:
    """One line per node whose reading changed: ``sb-gpu2: true → false``."""
    out = []
    for n in c.nodes:
        old = "no reading" if n.old is None else value(n.old, c.key)
        new = "no reading" if n.new is None else value(n.new, c.key)
        out.append(f"{n.node}: {old} → {new}")
    return out


def step_note(step: Step) -> str:
    """What a step is compared with: the oldest bundle, or since which seq (and what is missing)."""
    if step.after is None:
        head = f"oldest stored bundle ({plural(step.facts, 'fact')})"
        return head + (f"; before it {', '.join(map(str, step.gaps))}" if step.gaps else "")
    n = len(step.changes)
    head = plural(n, "change") if n else "no change"
    if step.gaps:
        head += f" since seq {step.after} ({', '.join(map(str, step.gaps))})"
    return head


def origin_text(o: Origin) -> str:
    """``frontend.version: 3.0.1 → 2.3.4 at seq 17, 2026-11-02T…``; not escaped."""
    key, c = o.finding.key, o.change
    at = f"seq {o.seq}, {o.collected_at}"
    if c is None:
        return f"{key}: {value(o.value, key)} since {at} or earlier (the oldest stored bundle)"
    if c.kind is ChangeKind.ADDED:
        return f"{key}: {value(c.new, key)} appeared at {at}"
    if c.kind is ChangeKind.REMOVED:
        return f"{key}: gone at {at} (was {value(c.old, key)})"
    return f"{key}: {value(c.old, key)} → {value(c.new, key)} at {at}"


def _runs(steps: Sequence[Step]) -> Iterator[list[Step]]:
    """Steps grouped so that consecutive quiet ones (no change, no gap, nothing unknown) share
    one line."""
    run: list[Step] = []
    for step in steps:
        quiet = step.after is not None and not step.changes and not step.gaps and not step.unknown
        if quiet and run:
            run.append(step)
            continue
        if run:
            yield run
            run = []
        if quiet:
            run = [step]
        else:
            yield [step]
    if run:
        yield run


def _wrap(text: str, indent: str, more: str) -> str:
    return textwrap.fill(
        visible(text),
        WIDTH,
        initial_indent=indent,
        subsequent_indent=more,
        break_long_words=True,  # wrap, never cut: a long value continues on the next line
        break_on_hyphens=False,
    )


def header(report: HistoryReport) -> str:
    steps = report.steps
    text = f"history of {report.site}: {plural(report.bundles, 'stored bundle')}"
    if steps:
        text += f", seq {steps[0].seq}..{steps[-1].seq} shown"
        text += f" ({steps[0].collected_at} .. {steps[-1].collected_at})"
    filters = [f"--key {report.key}"] if report.key else []
    filters += [f"--since {report.since}"] if report.since else []
    return text + (f"; {', '.join(filters)}" if filters else "")


def render_table(report: HistoryReport) -> str:
    """One line per bundle (quiet runs folded), its changes below it; then the drift."""
    out = [visible(header(report)), ""]
    if not report.steps:
        out.append("no stored bundle collected since then")
    for run in _runs(report.steps):
        first, last = run[0], run[-1]
        if len(run) > 1:
            out.append(
                f"seq {first.seq}..{last.seq}  {visible(first.collected_at)} .. "
                f"{visible(last.collected_at)}  no change ({len(run)} bundles)"
            )
            continue
        out.append(f"seq {first.seq}  {visible(first.collected_at)}  {visible(step_note(first))}")
        for section, reason in sorted(first.unknown.items()):
            out.append(_wrap(f"? {section} unknown: {reason}", "  ", "      "))
        for c in first.changes:
            out.append(_wrap(f"{MARK[c.kind]} {change_text(c)}", "  ", "      "))
            out.extend(_wrap(t, "      ", "        ") for t in node_texts(c))
    out += ["", visible(_drift_head(report))]
    out.extend(_wrap(origin_text(o), "  ", "      ") for o in report.drift)
    return "\n".join(out) + "\n"


def _drift_head(report: HistoryReport) -> str:
    others = [s for s in report.sites if s != report.site]
    against = f"against {', '.join(others)}" if others else "within the site (no other site)"
    if not report.drift:
        return f"no drift at {report.site} now ({against})"
    return f"drift at {report.site} now ({against}), and since when:"


def render_markdown(report: HistoryReport) -> str:
    """A ticket or PR comment: a table of changes (quiet runs folded) and a table of drift."""
    lines = [f"## driftctl history: {md_code(report.site)}", "", md_escape(header(report)), ""]
    rows: list[list[str]] = []
    for run in _runs(report.steps):
        first, last = run[0], run[-1]
        when = md_escape(first.collected_at)
        if len(run) > 1:
            seqs = f"{first.seq}..{last.seq}"
            rows.append([seqs, f"{when} .. {md_escape(last.collected_at)}", "no change", "", ""])
            continue
        rows.append([str(first.seq), when, md_escape(step_note(first)), "", ""])
        for section, reason in sorted(first.unknown.items()):
            rows.append(["", "", f"unknown: {md_escape(section)}", md_escape(reason), ""])
        for c in first.changes:
            rows.append(["", "", c.kind.value, md_code(c.key), _md_values(c)])
            for text in node_texts(c):
                rows.append(["", "", "", "", md_escape(text)])
    if rows:
        lines.append(markdown_table(["seq", "collected at", "change", "fact", "value"], rows))
    lines += [f"### {md_escape(_drift_head(report).removesuffix(':'))}", ""]
    if report.drift:
        drift = [
            [
                md_code(o.finding.key),
                md_code(value(o.value, o.finding.key)),
                str(o.seq),
                md_escape(o.collected_at),
                _md_before(o),
            ]
            for o in report.drift
        ]
        headers = ["fact", "value now", "since seq", "collected at", "before"]
        lines.append(markdown_table(headers, drift))
    return "\n".join(lines) + "\n"


def _md_values(c: Change) -> str:
    if c.kind is ChangeKind.ADDED:
        return md_code(value(c.new, c.key))
    if c.kind is ChangeKind.REMOVED:
        return f"{md_code(value(c.old, c.key))} → gone"
    text = f"{md_code(value(c.old, c.key))} → {md_code(value(c.new, c.key))}"
    return text + (f" (last known at seq {c.known_at})" if c.known_at is not None else "")


def _md_before(o: Origin) -> str:
    c = o.change
    if c is None:
        return "the oldest stored bundle"
    if c.kind is ChangeKind.ADDED:
        return "absent"
    return md_code(value(c.old, o.finding.key))
