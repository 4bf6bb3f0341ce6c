"""The options several commands take, defined once: one name, short flag, metavar, environment
variable and help text wherever they appear (docs/cli.md lists them). ``-o`` is always
``--output``, ``-f`` always ``--format``, ``-s`` always ``--site``, ``-t`` always ``--trust``."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

STORE = typer.Option(
    None,
    "--store",
    envvar="DRIFTCTL_STORE",
    metavar="DIR",
    help="Store of imported bundles [default: ~/.local/share/driftctl/store].",
)
TRUST_HELP = "OpenSSH allowed_signers file: which key signs for which site; verifies bundles."
TRUST = typer.Option(..., "--trust", "-t", metavar="FILE", help=TRUST_HELP)
BUNDLE_TRUST = typer.Option(None, "--trust", "-t", metavar="FILE", help=TRUST_HELP)
SITES = typer.Option(
    [], "--site", "-s", metavar="SITE", help="Only these sites (repeatable) [default: all]."
)
OUTPUT = typer.Option(
    None, "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."
)
BASELINE = typer.Option(
    None, "--baseline", metavar="SITE", help="Read every other site against this golden site."
)
IGNORE = typer.Option(
    None, "--ignore", metavar="FILE", help="Ignore file: accepted differences (YAML)."
)


def format_option(default: Enum) -> Any:  # typer.Option(...) is Any: it stands as a default
    """``--format/-f``; the choices are the enum's values, listed by the help itself."""
    return typer.Option(default, "--format", "-f", help="Report format.")
