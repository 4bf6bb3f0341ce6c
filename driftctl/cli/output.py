"""Where a report goes: ``--output FILE`` (atomically, into an existing directory) or stdout."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.safeio import write_output


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output``, else to stdout; a missing directory is bad input (exit 2)."""
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text.encode("utf-8"))
