"""Helm release facts from ``helm.sh/release.v1`` Secrets: chart, versions, status, user values."""

from __future__ import annotations

from driftctl.collectors.interface import CollectContext, Facts
from driftctl.dump_layout import HELM_SECRETS_PATH
from driftctl.parsers.helm_release import (
    HelmRevision,
    ReleaseError,
    current_revisions,
    parse_release_secret,
    release_hint,
)
from driftctl.parsers.kube_objects import (
    ListUnavailable,
    load_items,
    mapping,
    namespace_filter,
    str_map,
)
from driftctl.snapshot import ABSENT, Failure, HelmRelease
from driftctl.strictjson import JsonObject

RELEASE_TYPE = "helm.sh/release.v1"


def _label_revision(secret: JsonObject) -> int | None:
    version = str_map(secret, "metadata", "labels").get("version", "")
    return int(version) if version.isdigit() else None


def release_facts(rel: HelmRevision) -> HelmRelease:
    """The facts of a release's current revision."""
    return HelmRelease(
        chart=rel.chart,
        chart_version=rel.chart_version,
        app_version=rel.app_version,
        revision=rel.revision,
        status=rel.status,
        values=rel.values,
        computed_values=ABSENT if rel.computed_values is None else rel.computed_values,
    )


class HelmCollector:
    """Decodes every release Secret; keeps the current revision of each release."""

    name = "helm"

    def collect(self, ctx: CollectContext) -> Facts:
        try:
            items = load_items(ctx.raw, HELM_SECRETS_PATH)
        except ListUnavailable as exc:
            return Facts(failures=(Failure("kubernetes/helm-secrets", self.name, str(exc)),))
        releases: list[HelmRevision] = []
        broken: dict[str, int | None] = {}
        failures: list[Failure] = []
        in_scope = namespace_filter(ctx.config)
        for secret in items:
            namespace = str(mapping(secret, "metadata").get("namespace"))
            if secret.get("type") not in (RELEASE_TYPE, None) or not in_scope(namespace):
                continue
            try:
                releases.append(parse_release_secret(secret))
            except ReleaseError as exc:
                hint = release_hint(secret)
                failures.append(Failure(f"helm/{hint}", self.name, str(exc)))
                rev = _label_revision(secret)
                prev = broken.get(hint, 0)
                broken[hint] = None if rev is None or prev is None else max(rev, prev)
        helm: dict[str, HelmRelease] = {}
        for key, rel in sorted(current_revisions(releases).items()):
            if key in broken:
                newest_broken = broken[key]
                # A newer revision we cannot read may be the live one: unknown, not guessed.
                if newest_broken is None or newest_broken >= rel.revision:
                    continue
            helm[key] = release_facts(rel)
        return Facts(helm=helm, failures=tuple(failures))
