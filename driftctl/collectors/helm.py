"""Helm release facts from ``helm.sh/release.v1`` Secrets: chart, versions, status, user values."""

from __future__ import annotations

from typing import Any

from driftctl.collectors.interface import CollectContext
from driftctl.dump_layout import HELM_SECRETS_PATH
from driftctl.model import Facts, Failure
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

RELEASE_TYPE = "helm.sh/release.v1"


def _label_revision(secret: dict[str, Any]) -> int | None:
    version = str_map(secret, "metadata", "labels").get("version", "")
    return int(version) if version.isdigit() else None


class HelmCollector:
    """Decodes every release Secret; keeps the current revision of each release."""

    name = "helm"

    def collect(self, ctx: CollectContext) -> Facts:
        try:
            items = load_items(ctx.raw, HELM_SECRETS_PATH)
        except ListUnavailable as exc:
            return Facts({}, (Failure("kubernetes/helm-secrets", self.name, str(exc)),))
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
        helm: dict[str, Any] = {}
        for key, rel in sorted(current_revisions(releases).items()):
            if key in broken:
                newest_broken = broken[key]
                # A newer revision we cannot read may be the live one: unknown, not guessed.
                if newest_broken is None or newest_broken >= rel.revision:
                    continue
            helm[key] = rel.facts()
        return Facts({"helm": helm}, tuple(failures))
