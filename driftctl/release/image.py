"""A release that gives a component only its ``image``: what that image tells each site.

A site derives a component's facts by its recorded ``sources`` (``components[c].sources``).
Those the image carries (``image_tag``, ``image_digest``) are derived from the new image with
the collector's own rule evaluation; whatever the site reads from labels, annotations, env or
Helm values an image alone cannot carry: the release does not give it, and the gate says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from driftctl.collectors.components import RuleMiss, evaluate
from driftctl.config import RULE_RE
from driftctl.snapshot import JsonValue, Workload

IMAGE_RULES = ("image_tag", "image_digest")


def valid_sources(raw: object) -> dict[str, str] | None:
    """A snapshot's recorded sources (hostile bytes): attribute → rule, or None if unusable."""
    if not isinstance(raw, Mapping):
        return None
    out = {}
    for attr, rule in raw.items():
        if not isinstance(attr, str) or not isinstance(rule, str) or not RULE_RE.fullmatch(rule):
            return None
        out[attr] = rule
    return out


def from_image(
    name: str,
    workload: Workload,
    sources: Mapping[str, str],
    given: set[str],
) -> tuple[dict[str, JsonValue], dict[str, str]]:
    """(attributes the image gives, why each other attribute is not given) for one site.

    ``workload`` is the component's workload facts with the new image already in place;
    attributes in ``given`` are set by the release itself and left alone.
    """
    derived: dict[str, JsonValue] = {}
    gaps: dict[str, str] = {}
    for attr, rule in sources.items():
        if attr in given:
            continue
        if rule.partition(":")[0] not in IMAGE_RULES:
            gaps[attr] = (
                f"not given by the release: this site reads it from {rule}, which an image alone "
                "does not carry"
            )
            continue
        try:
            derived[attr] = evaluate(rule, name, workload, {})
        except RuleMiss as exc:
            gaps[attr] = f"not given by the release: {rule}: {exc}"
    return derived, gaps
