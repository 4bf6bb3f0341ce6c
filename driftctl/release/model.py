"""Frozen model of a release: what it sets per component, and what a render ships to each site."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from driftctl.snapshot import JsonValue

DEFAULT_HELM_TIMEOUT = 60.0


class Form(StrEnum):
    """Where the release came from (``--release``, ``--manifests``, ``--manifests-dir``, ``--chart``)."""

    FILE = "release file"
    MANIFESTS = "manifests"
    MANIFESTS_DIR = "manifests-dir"
    CHART = "chart"


@dataclass(frozen=True)
class ReleaseComponent:
    """What the release sets for one component: version, image and any other attribute."""

    name: str
    version: str | None
    image: str | None
    attributes: Mapping[str, JsonValue] = field(default_factory=dict)  # scalars, lists of them


@dataclass(frozen=True)
class HelmValues:
    """The Helm release a render installs: chart identity, user values and computed values."""

    namespace: str
    name: str
    chart: str | None
    chart_version: str | None
    app_version: str | None
    values: Mapping[str, JsonValue]
    computed_values: Mapping[str, JsonValue]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Render:
    """One rendered artefact: its workload objects by ``ns/Kind/name`` and its Helm release."""

    source: str
    workloads: Mapping[str, Mapping[str, object]]  # Kubernetes objects as YAML decodes them
    helm: HelmValues | None = None


@dataclass(frozen=True)
class Release:
    """The planned push.

    A release file sets ``components``; rendered manifests and charts ship ``renders`` instead:
    ``common`` is the same render for every site (``--manifests``), ``per_site`` one per site
    (``--manifests-dir``, ``--chart``), and ``missing`` says why a site has none.
    """

    name: str
    source: str
    form: Form
    components: tuple[ReleaseComponent, ...] = ()
    common: Render | None = None
    per_site: Mapping[str, Render] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)

    @property
    def rendered(self) -> bool:
        return self.form is not Form.FILE

    def render_for(self, site: str) -> Render | None:
        """The render shipped to ``site``; None when there is none (see ``missing``)."""
        if self.common is not None:
            return self.common
        return self.per_site.get(site)


@dataclass(frozen=True)
class ReleaseInputs:
    """The release options as given on the command line."""

    release: Path | None = None
    manifests: Path | None = None  # Path("-") reads standard input
    manifests_dir: Path | None = None
    chart: Path | None = None
    values: tuple[Path, ...] = ()
    site_values: Path | None = None
    release_name: str | None = None
    namespace: str | None = None
    helm: str | None = None
    helm_timeout: float = DEFAULT_HELM_TIMEOUT
