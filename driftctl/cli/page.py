"""The HTML page of ``report``, ``diff --format html`` and ``preflight --format html``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from driftctl.formats.html import Page, render_page, thresholds
from driftctl.formats.site_facts import fleet_facts
from driftctl.policy.load import load_policy

if TYPE_CHECKING:
    from driftctl.diff.report import DiffReport
    from driftctl.policy.model import Policy, PreflightReport
    from driftctl.snapshot import Snapshot


def page_for(
    diff: DiffReport | None,
    snapshots: Sequence[tuple[str, Snapshot, int | None]],
    preflight: tuple[PreflightReport, Policy] | None = None,
    policy_path: Path | None = None,
) -> str:
    """The HTML page for a diff and/or a preflight (its report and the policy it applied), with
    the sites' own facts from ``snapshots``."""
    if preflight is not None:
        report, policy = preflight
    else:
        report, policy = None, load_policy(policy_path)  # the clock chart draws its limits
    now = datetime.now(UTC)
    if report is not None and diff is not None:
        title = f"driftctl fleet report: release {report.release}"
    elif report is not None:
        title = f"driftctl preflight: release {report.release}"
    else:
        title = "driftctl fleet drift report"
    page = Page(
        title=title,
        diff=diff,
        preflight=report,
        sites=fleet_facts(snapshots, now),
        thresholds=thresholds(policy),
        policy=policy.source,
        generated_at=now,
    )
    return render_page(page)
