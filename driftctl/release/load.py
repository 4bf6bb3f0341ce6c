"""The release options (``--release``, ``--manifests``, ``--chart`` …) into one typed Release.

In two steps, so bad input fails before anything else is read: ``prepare`` checks the options
and reads every file the release names (exit 2 on any error), ``for_sites`` renders what is
per site once the sites are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from driftctl.errors import InputError
from driftctl.release.chart import ChartRun, load_chart, render_sites
from driftctl.release.file import load_release
from driftctl.release.helm import find_helm
from driftctl.release.helm_yaml import load_values_file
from driftctl.release.manifests import DNS_NAME, MAX_RENDER_BYTES, load_render, parse_manifests
from driftctl.release.model import Form, Release, ReleaseInputs, Render
from driftctl.safeio import read_capped

NAME_RE_TEXT = "a DNS label: lowercase letters, digits and '-'"


@dataclass(frozen=True)
class Prepared:
    """A release whose inputs are read and checked; per-site renders still to come."""

    form: Form
    release: Release | None = None  # file and --manifests: complete already
    manifests_dir: Path | None = None
    chart: ChartRun | None = None
    namespace: str | None = None


def _only_one(inputs: ReleaseInputs) -> Form:
    given = [
        (flag, form)
        for flag, form, value in (
            ("--release", Form.FILE, inputs.release),
            ("--manifests", Form.MANIFESTS, inputs.manifests),
            ("--manifests-dir", Form.MANIFESTS_DIR, inputs.manifests_dir),
            ("--chart", Form.CHART, inputs.chart),
        )
        if value is not None
    ]
    if not given:
        raise InputError(
            "give the release: --release FILE, --manifests FILE|-, --manifests-dir DIR or "
            "--chart PATH"
        )
    if len(given) > 1:
        flags = " and ".join(flag for flag, _ in given)
        raise InputError(f"{flags}: give one release form, not several")
    form = given[0][1]
    chart_only = {
        "--values": bool(inputs.values),
        "--site-values": inputs.site_values is not None,
        "--release-name": inputs.release_name is not None,
        "--helm": inputs.helm is not None,
    }
    for flag, used in chart_only.items():
        if used and form is not Form.CHART:
            raise InputError(f"{flag} goes with --chart")
    if inputs.namespace is not None and form is Form.FILE:
        raise InputError("--namespace goes with --manifests, --manifests-dir or --chart")
    return form


def _dns_label(value: str, flag: str) -> str:
    if not DNS_NAME.fullmatch(value) or len(value) > 63:
        raise InputError(f"{flag} {value!r}: not {NAME_RE_TEXT}")
    return value


def prepare(inputs: ReleaseInputs, stdin: bytes | None = None) -> Prepared:
    """Check the options and read what they name; every problem is bad input (exit 2)."""
    form = _only_one(inputs)
    namespace = None
    if inputs.namespace is not None:
        namespace = _dns_label(inputs.namespace, "--namespace")
    if form is Form.FILE:
        assert inputs.release is not None
        return Prepared(form, release=load_release(inputs.release))
    if form is Form.MANIFESTS:
        assert inputs.manifests is not None
        render = load_render(inputs.manifests, namespace, stdin)
        name = "rendered manifests" if render.source == "--manifests -" else render.source
        release = Release(name, render.source, form, common=render)
        return Prepared(form, release=release)
    if form is Form.MANIFESTS_DIR:
        assert inputs.manifests_dir is not None
        if not inputs.manifests_dir.is_dir():
            raise InputError(f"--manifests-dir {inputs.manifests_dir}: not a directory")
        return Prepared(form, manifests_dir=inputs.manifests_dir, namespace=namespace)
    assert inputs.chart is not None
    if inputs.release_name is None or namespace is None:
        raise InputError(
            "--chart needs --release-name and --namespace (the Helm release it installs)"
        )
    release_name = _dns_label(inputs.release_name, "--release-name")
    if not 0 < inputs.helm_timeout <= 3600:
        raise InputError(f"--helm-timeout {inputs.helm_timeout:g}: give 0 < SECONDS <= 3600")
    if inputs.site_values is not None and not inputs.site_values.is_dir():
        raise InputError(f"--site-values {inputs.site_values}: not a directory")
    chart = load_chart(inputs.chart)
    values = tuple((path, load_values_file(path)) for path in inputs.values)
    helm = find_helm(inputs.helm, inputs.helm_timeout)
    run = ChartRun(chart, helm, release_name, namespace, values, inputs.site_values)
    return Prepared(form, chart=run, namespace=namespace)


def for_sites(prepared: Prepared, sites: Sequence[str]) -> Release:
    """The complete Release for these sites (rendering the chart once per distinct site)."""
    if prepared.release is not None:
        return prepared.release
    if prepared.form is Form.MANIFESTS_DIR:
        assert prepared.manifests_dir is not None
        renders: dict[str, Render] = {}
        missing: dict[str, str] = {}
        for site in sites:
            path = prepared.manifests_dir / f"{site}.yaml"
            if not path.is_file():
                missing[site] = f"{path} does not exist"
                continue
            workloads = parse_manifests(
                read_capped(path, MAX_RENDER_BYTES), str(path), prepared.namespace
            )
            renders[site] = Render(source=str(path), workloads=workloads)
        name = str(prepared.manifests_dir)
        return Release(name, name, prepared.form, per_site=renders, missing=missing)
    run = prepared.chart
    assert run is not None
    renders, missing = render_sites(run, sites)
    version = f" {run.chart.version}" if run.chart.version else ""
    name = f"{run.chart.name}{version}"
    return Release(name, str(run.chart.path), prepared.form, per_site=renders, missing=missing)
