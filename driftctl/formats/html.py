"""The self-contained HTML report: fleet matrix, findings, preflight board, clocks and GPUs.

One file with inline CSS and SVG: no script, font, image or link fetched from anywhere, so it
opens from ``file://`` on an air-gapped laptop and can be attached to a ticket. Jinja2 renders it
with autoescape on; every value passes ``visible`` first (``finalize``), so no bundle can hide
text behind control or bidi characters either. Jinja2 is imported here only, when a page is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal, Required, TypedDict

from driftctl import __version__
from driftctl.diff.report import DiffReport, DriftFinding
from driftctl.formats.common import plural
from driftctl.formats.escape import visible
from driftctl.formats.findings import groups, mark, value_text
from driftctl.formats.site_facts import NodeFacts, SiteFacts, age_text
from driftctl.policy.model import GateSeverity, Policy, PreflightReport
from driftctl.strictjson import JsonObject

if TYPE_CHECKING:
    from jinja2 import Environment


@dataclass(frozen=True)
class Threshold:
    """A clock offset limit from a ``time`` rule, for the nodes of one role (or ``all``)."""

    rule: str
    nodes: str
    seconds: float


@dataclass(frozen=True)
class Page:
    """Everything one page can show; sections without data are left out."""

    title: str
    diff: DiffReport | None = None
    preflight: PreflightReport | None = None
    sites: tuple[SiteFacts, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    policy: str | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def thresholds(policy: Policy) -> tuple[Threshold, ...]:
    """The clock limits of the policy's ``time`` rules (the chart draws them per node)."""
    out = []
    for rule in policy.rules:
        # Read by name: importing the rule kinds here would load them all for every diff page.
        seconds = getattr(rule.config, "max_offset_seconds", None)
        if rule.kind == "time" and isinstance(seconds, int | float):
            out.append(Threshold(rule.id, str(getattr(rule.config, "nodes", "all")), seconds))
    return tuple(out)


def _finalize(value: object) -> object:
    """Every ``{{ }}`` output: values made visible before autoescape; markup passes as is."""
    from markupsafe import Markup  # start-up time: comes with Jinja2, loaded for a page only

    if value is None or isinstance(value, Markup | int | float):
        return value
    return visible(value)


@cache
def _env() -> Environment:
    # Start-up time: Jinja2 loads only when a page is made (the module docstring says why).
    from jinja2 import DictLoader, Environment, StrictUndefined

    folder = resources.files("driftctl.formats").joinpath("templates")
    templates = {
        p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.name.endswith(".j2")
    }
    env = Environment(
        loader=DictLoader(templates),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(plural=plural, age_text=age_text, version=__version__)
    return env


# --- the fleet matrix -----------------------------------------------------------------------


def _affects(f: DriftFinding, site: str) -> bool:
    return site in f.sites or site in f.unknown


class Cell(TypedDict):
    """One category of one site in the matrix: its worst severity there (None: no finding)."""

    category: str
    severity: str | None
    count: int


class MatrixRow(TypedDict):
    site: str
    cells: list[Cell]


def matrix(report: DiffReport) -> list[MatrixRow]:
    """Per site, per category: the worst severity of the findings that site stands out in."""
    cats = [c for c, _ in groups(report.findings)]
    rows: list[MatrixRow] = []
    for site in report.sites:
        cells: list[Cell] = []
        for cat in cats:
            hit = [f for f in report.findings if f.category == cat and _affects(f, site)]
            worst = max(hit, key=lambda f: f.severity.rank).severity.value if hit else None
            cells.append({"category": cat, "severity": worst, "count": len(hit)})
        rows.append({"site": site, "cells": cells})
    return rows


# --- the clock chart ------------------------------------------------------------------------

CHART_LABEL = 230
CHART_PLOT = 440
CHART_VALUE = 170
ROW = 18


def _limit(node_roles: Sequence[str], limits: Sequence[Threshold]) -> Threshold | None:
    roles = {"control-plane" if r == "master" else r for r in node_roles}
    apply = [t for t in limits if t.nodes == "all" or t.nodes in roles]
    return min(apply, key=lambda t: t.seconds) if apply else None


# The chart's geometry as the template reads it (dicts: it asks ``"x" in row``).
class SiteRow(TypedDict):
    kind: Literal["site"]
    y: int
    site: str


class NodeRow(TypedDict, total=False):
    kind: Required[Literal["node"]]
    y: Required[int]
    node: Required[NodeFacts]
    limit: Required[Threshold | None]
    state: str  # ok, bad or unknown; always set, as is the label
    label: str
    x: float  # the bar, when there is an offset
    w: float
    clipped: bool
    lx1: float  # the limit's dashed lines, when there is one
    lx2: float


class Tick(TypedDict):
    x: float
    label: str


class Chart(TypedDict):
    width: int
    height: int
    plot_left: int
    plot_right: int
    mid: float
    axis_y: int
    ticks: list[Tick]
    rows: list[SiteRow | NodeRow]
    limits: list[tuple[str, float, str]]  # (nodes, seconds, rule)


def clock_chart(sites: Sequence[SiteFacts], limits: Sequence[Threshold]) -> Chart | None:
    """Geometry of the offset chart: one row per node, zero in the middle, ± the limit marked."""
    nodes = [(s, n) for s in sites for n in s.nodes]
    if not nodes:
        return None
    worst = max((abs(n.offset_seconds or 0.0) for _, n in nodes), default=0.0)
    top = max((t.seconds for t in limits), default=0.0)
    span = max(2 * top, min(worst, 5 * top) if top else worst, 0.001) * 1.1
    mid = CHART_LABEL + CHART_PLOT / 2
    scale = (CHART_PLOT / 2) / span
    rows: list[SiteRow | NodeRow] = []
    y = 8
    for site in sites:
        if not site.nodes:
            continue
        rows.append({"kind": "site", "y": y + 13, "site": site.site})
        y += ROW + 2
        for n in site.nodes:
            limit = _limit(n.roles, limits)
            off = n.offset_seconds
            row: NodeRow = {"kind": "node", "y": y, "node": n, "limit": limit}
            if off is not None:
                clipped = max(-span, min(span, off))
                x2 = mid + clipped * scale
                row.update(
                    {"x": min(mid, x2), "w": max(abs(x2 - mid), 1.0), "clipped": clipped != off}
                )
            over = limit is not None and off is not None and abs(off) > limit.seconds
            unsynced = n.synchronized is False
            row["state"] = "bad" if over or unsynced else ("unknown" if off is None else "ok")
            notes = []
            if off is None:
                notes.append("no offset reading")
            else:
                notes.append(f"{off:+.4g} s")
            if over:
                notes.append("OVER limit")
            if unsynced:
                notes.append("NOT SYNCHRONIZED")
            elif n.synchronized is None:
                notes.append("sync unknown")
            row["label"] = ", ".join(notes)
            if limit is not None:
                row["lx1"] = mid - limit.seconds * scale
                row["lx2"] = mid + limit.seconds * scale
            rows.append(row)
            y += ROW
    ticks = [-span, -span / 2, 0.0, span / 2, span]
    return {
        "width": CHART_LABEL + CHART_PLOT + CHART_VALUE,
        "height": y + 26,
        "plot_left": CHART_LABEL,
        "plot_right": CHART_LABEL + CHART_PLOT,
        "mid": mid,
        "axis_y": y + 4,
        "ticks": [{"x": mid + t * scale, "label": f"{t:+.3g} s" if t else "0"} for t in ticks],
        "rows": rows,
        "limits": sorted({(t.nodes, t.seconds, t.rule) for t in limits}),
    }


# --- pages ----------------------------------------------------------------------------------


def render_page(page: Page) -> str:
    """The whole report page for what ``page`` holds."""
    env = _env()
    sites = {s.site: s for s in page.sites}
    names = sorted(
        set(sites)
        | set(page.diff.sites if page.diff else ())
        | {s.site for s in (page.preflight.sites if page.preflight else ())}
    )
    verdicts = {s.site: s for s in page.preflight.sites} if page.preflight else {}
    gpu_rows = [(s.site, n) for s in page.sites for n in s.nodes if n.has_gpu]
    return env.get_template("report.html.j2").render(
        page=page,
        names=names,
        site_facts=sites,
        verdicts=verdicts,
        matrix=matrix(page.diff) if page.diff else [],
        categories=[c for c, _ in groups(page.diff.findings)] if page.diff else [],
        finding_groups=groups(page.diff.findings) if page.diff else [],
        value_text=value_text,
        mark=mark,
        chart=clock_chart(page.sites, page.thresholds),
        gpu_rows=gpu_rows,
        generated=page.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        block=GateSeverity.BLOCK,
    )


def render_diff(report: DiffReport) -> str:
    """``diff --format html`` without snapshot context: matrix and findings only."""
    return render_page(Page(title="driftctl diff", diff=report))


def render_preflight(report: PreflightReport) -> str:
    """``preflight --format html`` without snapshot context: the board only."""
    return render_page(Page(title=f"driftctl preflight {report.release}", preflight=report))


def render_inspect(report: JsonObject, facts: Sequence[tuple[str, str]]) -> str:
    """``inspect --format html``: the UNVERIFIED bundle, every fact that leaves the site."""
    return _env().get_template("inspect.html.j2").render(r=report, facts=facts)
