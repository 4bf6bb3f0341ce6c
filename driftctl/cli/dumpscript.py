"""CLI: ``driftctl dump-script`` prints the POSIX sh script that writes a dump directory."""

from __future__ import annotations

from pathlib import Path

import typer

from driftctl.cli.options import OUTPUT
from driftctl.safeio import write_output
from driftctl.sources.kube_dumpscript import render_dump_script


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""

    @app.command("dump-script", short_help="Print the sh script that writes a dump directory.")
    def dump_script(
        output: Path | None = OUTPUT,
    ) -> None:
        """Print the POSIX sh script that writes a dump directory with kubectl and ssh
        (with --output: into FILE, mode 0755).

        Run it where only kubectl and ssh exist: sh dump.sh OUTDIR [--context CTX]
        [--namespace NS]... [--nodes "n1 n2"]; then collect --from-dump OUTDIR.
        """
        script = render_dump_script()
        if output is None:
            typer.echo(script, nl=False)
            return
        write_output(output, script.encode(), mode=0o755)  # as every --output: no new dirs
        typer.echo(str(output))
