"""A Helm chart (directory or ``.tgz``) rendered once per site by ``helm template``."""

from __future__ import annotations

import hashlib
import logging
import tarfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from driftctl.errors import InputError
from driftctl.helm_coalesce import coalesce
from driftctl.release.helm import Helm
from driftctl.release.helm_yaml import loads_values, merge_values
from driftctl.release.manifests import parse_manifests
from driftctl.release.model import HelmValues, Render
from driftctl.safeio import expect_mapping, read_capped
from driftctl.safeyaml import loads_yaml
from driftctl.snapshot import JsonValue

# One values file of a chain: where it is, its bytes (b"" for --values, the same at every site)
# and its values as Helm reads them.
ValuesFile = tuple[Path, bytes, Mapping[str, JsonValue]]

MAX_MEMBER_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 10_000
CONCURRENCY = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chart:
    """What driftctl reads of a chart itself: its identity and its default values."""

    path: Path
    name: str
    version: str | None
    app_version: str | None
    defaults: Mapping[str, JsonValue]


def _from_tgz(path: Path) -> tuple[bytes, bytes | None]:
    """Chart.yaml and values.yaml of a packaged chart, read in place (nothing is extracted)."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for count, member in enumerate(tar):
                if count > MAX_MEMBERS:
                    raise InputError(f"{path}: more than {MAX_MEMBERS} files in the chart")
                parts = member.name.split("/")
                if len(parts) != 2 or parts[1] not in ("Chart.yaml", "values.yaml"):
                    continue
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    raise InputError(f"{path}: {member.name} is not a regular file of sane size")
                handle = tar.extractfile(member)
                if handle is not None:
                    found.setdefault(parts[1], handle.read(MAX_MEMBER_BYTES + 1))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a chart archive ({exc})") from None
    if "Chart.yaml" not in found:
        raise InputError(f"{path}: no <chart>/Chart.yaml in the archive")
    return found["Chart.yaml"], found.get("values.yaml")


def _text(meta: Mapping[str, object], key: str) -> str | None:
    value = meta.get(key)
    return None if value is None else str(value)


def load_chart(path: Path) -> Chart:
    """Read a chart's Chart.yaml and values.yaml; helm itself does the rendering."""
    if path.is_dir():
        meta_bytes = read_capped(path / "Chart.yaml")
        values_path = path / "values.yaml"
        values_bytes = read_capped(values_path) if values_path.exists() else None
        where = str(path / "Chart.yaml")
    elif path.is_file():
        meta_bytes, values_bytes = _from_tgz(path)
        where = f"{path}: Chart.yaml"
    else:
        raise InputError(f"--chart {path}: no such chart directory or archive")
    meta = expect_mapping(loads_yaml(meta_bytes, where), where)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: missing required key 'name'")
    defaults = loads_values(values_bytes, f"{path}: values.yaml") if values_bytes else {}
    return Chart(path, name, _text(meta, "version"), _text(meta, "appVersion"), defaults)


@dataclass(frozen=True)
class ChartRun:
    """One chart, how helm is asked to render it, and the values files common to every site."""

    chart: Chart
    helm: Helm
    release_name: str
    namespace: str
    values: tuple[tuple[Path, Mapping[str, JsonValue]], ...]  # --values files, read and checked
    site_values: Path | None  # DIR/<site>.yaml applied last


def _site_file(run: ChartRun, site: str) -> Path | None:
    return None if run.site_values is None else run.site_values / f"{site}.yaml"


def render_sites(run: ChartRun, sites: Sequence[str]) -> tuple[dict[str, Render], dict[str, str]]:
    """A render per site, and why a site has none; identical value chains render once."""
    chains: dict[str, tuple[ValuesFile, ...]] = {}
    missing: dict[str, str] = {}
    common = tuple((p, b"", v) for p, v in run.values)
    for site in sites:
        path = _site_file(run, site)
        if path is None:
            chains[site] = common
        elif not path.is_file():
            missing[site] = f"no site values {path} (an empty file renders the common values)"
        else:
            data = read_capped(path)
            chains[site] = (*common, (path, data, loads_values(data, str(path))))
    # The same bytes give the same render: key each chain by its files' contents.
    keyed: dict[str, tuple[ValuesFile, ...]] = {}
    site_key: dict[str, str] = {}
    for site, chain in chains.items():
        digest = hashlib.sha256()
        for _, data, _ in chain:  # common files are the same for all; site files by content
            digest.update(hashlib.sha256(data).digest())
        key = digest.hexdigest()
        keyed.setdefault(key, chain)
        site_key[site] = key
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        futures = {key: pool.submit(_render, run, chain) for key, chain in keyed.items()}
        done = {key: future.result() for key, future in futures.items()}
    log.info(
        "helm template: %d render(s) for %d site(s) in %.2f s",
        len(keyed),
        len(site_key),
        time.monotonic() - started,
    )
    return {site: done[key] for site, key in site_key.items()}, missing


def _render(run: ChartRun, chain: tuple[ValuesFile, ...]) -> Render:
    files = [str(path) for path, _, _ in chain]
    what = f"helm template {run.chart.path}" + (f" with {files[-1]}" if files else "")
    # Flags in --name=value form and positionals after "--": no path can pass for a flag.
    args = ["template", f"--namespace={run.namespace}"]
    args += [f"--values={path}" for path in files]
    args += ["--", run.release_name, str(run.chart.path)]
    out = run.helm.run(args, what)
    workloads = parse_manifests(out, what, run.namespace)
    user = merge_values([values for _, _, values in chain])
    helm = HelmValues(
        namespace=run.namespace,
        name=run.release_name,
        chart=run.chart.name,
        chart_version=run.chart.version,
        app_version=run.chart.app_version,
        values=user,
        computed_values=coalesce(run.chart.defaults, user),
    )
    return Render(source=what, workloads=workloads, helm=helm)
