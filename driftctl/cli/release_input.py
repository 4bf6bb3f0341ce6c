"""The release inputs shared by ``preflight`` and ``report``: one option set, one loader.

A way to give the planned push — a release file, rendered manifests, a chart — is added here once,
and both commands take it in the same words. A command lists the option factories in its
signature, hands the values to ``ReleaseOptions``, calls ``prepare`` (bad input fails there,
before anything else is read) and, once the snapshots are loaded, ``release_for``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from driftctl.release.model import DEFAULT_HELM_TIMEOUT, Release, ReleaseInputs

if TYPE_CHECKING:
    from driftctl.inputs import SiteSnapshot
    from driftctl.release.load import Prepared


# Each factory returns typer.Option(...), which typer types as Any so that it can stand as the
# default of a parameter of any type.


def release_option() -> Any:
    return typer.Option(
        None,
        "--release",
        "-r",
        help="The planned push as a release file (YAML; see docs/policy.md).",
    )


def manifests_option() -> Any:
    return typer.Option(
        None,
        "--manifests",
        metavar="FILE|-",
        help="The push as rendered YAML (helm template, kustomize build); '-' reads stdin.",
    )


def manifests_dir_option() -> Any:
    return typer.Option(
        None, "--manifests-dir", metavar="DIR", help="One rendered YAML per site: DIR/<site>.yaml."
    )


def chart_option() -> Any:
    return typer.Option(
        None, "--chart", metavar="PATH", help="A Helm chart (directory or .tgz) rendered per site."
    )


def values_option() -> Any:
    return typer.Option(
        [], "--values", metavar="FILE", help="Values file for --chart (repeatable, later wins)."
    )


def site_values_option() -> Any:
    return typer.Option(
        None, "--site-values", metavar="DIR", help="DIR/<site>.yaml applied last for that site."
    )


def release_name_option() -> Any:
    return typer.Option(
        None, "--release-name", metavar="NAME", help="Helm release name for --chart."
    )


def namespace_option() -> Any:
    return typer.Option(
        None,
        "--namespace",
        "-n",
        metavar="NS",
        help="Namespace of the release; objects without one get it (as helm -n).",
    )


def helm_option() -> Any:
    return typer.Option(
        None, "--helm", metavar="BIN", help="The helm binary [default: helm on PATH]."
    )


def helm_timeout_option() -> Any:
    return typer.Option(
        DEFAULT_HELM_TIMEOUT,
        "--helm-timeout",
        metavar="SECONDS",
        help="Longest one helm call may take.",
    )


def policy_option() -> Any:
    return typer.Option(
        None,
        "--policy",
        "-p",
        help="Policy YAML [default: the packaged manifests/compat.yaml].",
    )


def max_age_option() -> Any:
    return typer.Option(
        "14d", "--max-age", metavar="DURATION", help="Oldest snapshot vouched for: 14d, 36h, 90m."
    )


def allow_stale_option() -> Any:
    return typer.Option(
        False, "--allow-stale", help="A stale or missing snapshot warns instead of blocking."
    )


def allow_unknown_option() -> Any:
    return typer.Option(
        False, "--allow-unknown", help="A block rule that cannot be checked warns instead."
    )


@dataclass(frozen=True)
class ReleaseOptions:
    """The release options of one command line, as given."""

    release: Path | None = None
    manifests: str | None = None  # "-" reads standard input
    manifests_dir: Path | None = None
    chart: Path | None = None
    values: Sequence[Path] = ()
    site_values: Path | None = None
    release_name: str | None = None
    namespace: str | None = None
    helm: str | None = None
    helm_timeout: float = DEFAULT_HELM_TIMEOUT

    @property
    def given(self) -> bool:
        """Whether any release form was given (``report`` judges one only then)."""
        forms = (self.release, self.manifests, self.manifests_dir, self.chart)
        return any(form is not None for form in forms)

    def inputs(self) -> ReleaseInputs:
        return ReleaseInputs(
            release=self.release,
            manifests=Path(self.manifests) if self.manifests is not None else None,
            manifests_dir=self.manifests_dir,
            chart=self.chart,
            values=tuple(self.values),
            site_values=self.site_values,
            release_name=self.release_name,
            namespace=self.namespace,
            helm=self.helm,
            helm_timeout=self.helm_timeout,
        )


def prepare(options: ReleaseOptions) -> Prepared:
    """The release inputs read and checked (exit 2 on any problem); stdin read if asked for."""
    # Start-up time (cli/__init__.py): the core loads when the command runs.
    from driftctl.release.load import prepare as prepare_release
    from driftctl.release.manifests import MAX_RENDER_BYTES

    stdin = None
    if options.manifests == "-":
        stdin = sys.stdin.buffer.read(MAX_RENDER_BYTES + 1)
    return prepare_release(options.inputs(), stdin)


def release_for(
    prepared: Prepared, snapshots: Sequence[SiteSnapshot], sites: Sequence[str]
) -> Release:
    """The Release for the sites to judge (``--site``, else every site with a snapshot);
    charts are rendered here, once per distinct site values."""
    from driftctl.release.load import for_sites  # start-up time (cli/__init__.py)

    have = {s.site for s in snapshots}
    wanted = sorted(set(sites)) if sites else sorted(have)
    return for_sites(prepared, [s for s in wanted if s in have])
