"""CLI command ``policy check``: every rule's names resolved against the fleet (a typo is exit 2)."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.cli.options import STORE
from driftctl.cli.release_input import policy_option
from driftctl.errors import InputError

policy_app = typer.Typer(
    name="policy",
    help="Check a compatibility policy against the fleet.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@policy_app.command("check", short_help="Resolve every rule's names against the fleet.")
def check(
    policy: Path | None = policy_option(),
    store: Path | None = STORE,
) -> None:
    """Every rule's components, attributes, roles and paths must exist at one or more sites."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.inputs import latest_snapshots
    from driftctl.policy.check import problems
    from driftctl.policy.load import load_policy

    rules = load_policy(policy)
    snapshots = latest_snapshots(store)
    if not snapshots:
        raise InputError(f"{policy or rules.source}: no site in the store to check the policy on")
    found = problems(rules, [s.snapshot for s in snapshots])
    for problem in found:
        typer.echo(problem.line(rules.source))
    sites = len(snapshots)
    if found:
        plural = "s" if len(found) > 1 else ""
        raise InputError(f"{rules.source}: {len(found)} problem{plural}, listed above")
    typer.echo(
        f"{rules.source}: {len(rules.rules)} rules, every name resolves at one or more of "
        f"{sites} site{'s' if sites != 1 else ''}"
    )


def register(app: typer.Typer) -> None:
    """Add ``policy check`` to ``app``."""
    app.add_typer(policy_app)
