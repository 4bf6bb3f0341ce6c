"""Rule kind ``time``: nodes of a role (or all) are synchronised within a maximum offset."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from driftctl import validate as v
from driftctl.errors import InputError
from driftctl.policy.facts import SiteContext
from driftctl.policy.model import Finding, Rule
from driftctl.policy.refs import Ref, RefKind
from driftctl.snapshot import TimeFacts

KIND = "time"
KEYS = {"nodes", "synchronized", "max_offset_seconds"}
REQUIRED = {"nodes"}


@dataclass(frozen=True)
class TimeRule:
    nodes: str
    synchronized: bool | None
    max_offset_seconds: float | None

    def refs(self) -> list[Ref]:
        return [] if self.nodes == "all" else [Ref("nodes", RefKind.ROLE, self.nodes)]


def parse(raw: Mapping[str, object], where: str) -> TimeRule:
    if "synchronized" not in raw and "max_offset_seconds" not in raw:
        raise InputError(f"{where}: needs key 'synchronized' or 'max_offset_seconds'")
    max_offset = v.number(raw, "max_offset_seconds", where) if "max_offset_seconds" in raw else None
    if max_offset is not None and max_offset < 0:
        raise InputError(f"{where}: key 'max_offset_seconds' must not be negative")
    return TimeRule(
        nodes=v.string(raw, "nodes", where),
        synchronized=v.boolean(raw, "synchronized", where) if "synchronized" in raw else None,
        max_offset_seconds=max_offset,
    )


def _judge(cfg: TimeRule, time: TimeFacts) -> tuple[str | None, str | None]:
    """(violation, unknown) description for one node's time facts."""
    synced = time.synchronized
    offset = None if time.offset_seconds is None else float(time.offset_seconds)
    missing = "offset unknown"
    shown = f"offset {offset:+g} s" if offset is not None else missing
    if cfg.synchronized is not None and synced != cfg.synchronized:
        state = "synchronized" if synced else "not synchronized"
        return f"{state} ({shown})", None
    if cfg.max_offset_seconds is not None:
        if offset is None:
            return None, missing
        if abs(offset) > cfg.max_offset_seconds:
            return f"{shown} beyond ±{cfg.max_offset_seconds:g} s", None
    return None, None


def check(rule: Rule, ctx: SiteContext) -> Iterator[Finding]:
    cfg = rule.config
    assert isinstance(cfg, TimeRule)
    names = ctx.node_names()
    if cfg.nodes != "all":
        names = [n for n in names if cfg.nodes in ctx.node(n).role_names()]
    if not names:
        what = "nodes" if cfg.nodes == "all" else f"nodes with role {cfg.nodes}"
        why = ctx.why_nodes() or "no such node in the snapshot"
        yield ctx.cannot_check(rule, what, why)
        return
    bad: dict[str, str] = {}
    unknown: dict[str, str] = {}
    for node in names:
        time = ctx.node(node).time
        if not isinstance(time, TimeFacts):
            unknown[node] = "no time facts"
            continue
        violation, missing = _judge(cfg, time)
        if violation:
            bad[node] = violation
        elif missing:
            unknown[node] = missing
    role = "nodes" if cfg.nodes == "all" else f"{cfg.nodes} nodes"
    if bad:
        detail = ", ".join(f"{n} {why}" for n, why in bad.items())
        yield ctx.finding(
            rule,
            f"{len(bad)} of {len(names)} {role} off: {detail}",
            nodes=tuple(bad),
            values={f"nodes.{n}.time": why for n, why in bad.items()},
        )
    if unknown:
        detail = ", ".join(f"{n} ({why})" for n, why in unknown.items())
        causes = "; ".join(filter(None, (ctx.why_node(n, "clock") for n in unknown)))
        yield ctx.cannot_check(rule, f"clock of {role} {detail}", causes, nodes=tuple(unknown))
