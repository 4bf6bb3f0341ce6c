"""The release options shared by every command that judges a release (``preflight``, ``report``).

A command lists these defaults in its signature and hands the values to ``release_inputs``;
``prepare`` and ``for_sites`` in ``driftctl.release.load`` do the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from driftctl.release.model import DEFAULT_HELM_TIMEOUT as DEFAULT_TIMEOUT
from driftctl.release.model import ReleaseInputs

RELEASE = typer.Option(
    None, "--release", "-r", help="The planned push as a release file (YAML, docs/policy.md)."
)
MANIFESTS = typer.Option(
    None,
    "--manifests",
    metavar="FILE|-",
    help="The push as rendered YAML (helm template, kustomize build); '-' reads stdin.",
)
MANIFESTS_DIR = typer.Option(
    None, "--manifests-dir", metavar="DIR", help="One rendered YAML per site: DIR/<site>.yaml."
)
CHART = typer.Option(
    None, "--chart", metavar="PATH", help="A Helm chart (directory or .tgz) rendered per site."
)
VALUES = typer.Option(
    [], "--values", metavar="FILE", help="Values file for --chart (repeatable, later wins)."
)
SITE_VALUES = typer.Option(
    None, "--site-values", metavar="DIR", help="DIR/<site>.yaml applied last for that site."
)
RELEASE_NAME = typer.Option(
    None, "--release-name", metavar="NAME", help="Helm release name for --chart."
)
NAMESPACE = typer.Option(
    None,
    "--namespace",
    "-n",
    metavar="NS",
    help="Namespace of the release; objects without one get it (as helm -n).",
)
HELM = typer.Option(None, "--helm", metavar="BIN", help="The helm binary [default: helm on PATH].")
HELM_TIMEOUT = typer.Option(
    DEFAULT_TIMEOUT, "--helm-timeout", metavar="SECONDS", help="Longest one helm call may take."
)


def release_inputs(
    release: Path | None,
    manifests: str | None,
    manifests_dir: Path | None,
    chart: Path | None,
    values: list[Path],
    site_values: Path | None,
    release_name: str | None,
    namespace: str | None,
    helm: str | None,
    helm_timeout: float,
) -> ReleaseInputs:
    """The options as one value; ``--manifests`` stays a string so ``-`` means stdin."""
    return ReleaseInputs(
        release=release,
        manifests=Path(manifests) if manifests is not None else None,
        manifests_dir=manifests_dir,
        chart=chart,
        values=tuple(values),
        site_values=site_values,
        release_name=release_name,
        namespace=namespace,
        helm=helm,
        helm_timeout=helm_timeout,
    )


def stdin_for(inputs: ReleaseInputs) -> bytes | None:
    """Standard input when ``--manifests -`` asks for it (read once, capped by the parser)."""
    if inputs.manifests is not None and str(inputs.manifests) == "-":
        from driftctl.release.manifests import MAX_RENDER_BYTES

        return sys.stdin.buffer.read(MAX_RENDER_BYTES + 1)
    return None
