"""The release options shared by every command that judges a release (``preflight``, ``report``).

A command lists these defaults in its signature, hands the values to ``release_inputs``, calls
``prepare`` (bad input fails here, before anything else is read) and, once the snapshots are
loaded, ``release_for`` — as ``preflight`` does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from driftctl.release.model import DEFAULT_HELM_TIMEOUT as DEFAULT_TIMEOUT
from driftctl.release.model import Release, ReleaseInputs

if TYPE_CHECKING:
    from driftctl.inputs import SiteSnapshot
    from driftctl.release.load import Prepared

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


def prepare(inputs: ReleaseInputs) -> Prepared:
    """The release inputs read and checked (exit 2 on any problem); stdin read if asked for."""
    from driftctl.release.load import prepare as prepare_release

    return prepare_release(inputs, stdin_for(inputs))


def release_for(
    prepared: Prepared, snapshots: Sequence[SiteSnapshot], sites: Sequence[str]
) -> Release:
    """The Release for the sites to judge (``--site``, else every site with a snapshot);
    charts are rendered here, once per distinct site values."""
    from driftctl.release.load import for_sites

    have = {s.site for s in snapshots}
    wanted = sorted(set(sites)) if sites else sorted(have)
    return for_sites(prepared, [s for s in wanted if s in have])
