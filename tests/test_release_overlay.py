"""The release overlaid on real fixture snapshots: components derived again exactly as collected."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fleet_kit import Fleet
from gate_kit import FLEET, SITE_VALUES, helm_template
from policy_builders import platform
from snapshot_kit import snapshot_dict, typed

from driftctl.errors import InputError
from driftctl.inputs import latest_snapshots
from driftctl.release.file import parse_release
from driftctl.release.manifests import parse_manifests
from driftctl.release.model import Form, HelmValues, Release, Render
from driftctl.release.overlay import NO_SOURCES, overlay
from driftctl.snapshot import Snapshot

TODAY = 'parser:\n  image:\n    tag: "1.4.2"\n  apiVersions: [v1, v2]\n'


@pytest.fixture(scope="module")
def snapshots(fleet: Fleet) -> dict[str, Snapshot]:
    """The shared fixture fleet's latest snapshots, by site (read-only)."""
    return {s.site: s.snapshot for s in latest_snapshots(fleet.store)}


def render_of(site: str, *extra: Path) -> Render:
    text = helm_template(SITE_VALUES / f"{site}.yaml", *extra)
    return Render(f"render of {site}", parse_manifests(text.encode(), site, "ai-platform"))


def per_site(renders: dict[str, Render]) -> Release:
    return Release("r", "r", Form.MANIFESTS_DIR, per_site=renders)


@pytest.mark.parametrize("site", FLEET)
def test_a_render_of_what_runs_today_derives_the_collected_components(
    snapshots: dict[str, Snapshot], tmp_path: Path, site: str
) -> None:
    """The chart and site values reproduce the fleet: rendered with today's parser, every
    component the site derives again from the render equals what its collector recorded."""
    today = tmp_path / "today.yaml"
    today.write_text(TODAY)
    snap = snapshots[site]
    before = snap.to_dict()
    result = overlay(snap, per_site({site: render_of(site, today)}), site)
    assert snap.to_dict() == before, "the overlay must not modify its input"
    assert result.gaps == {} and result.notes == ()
    assert result.snapshot.components == snap.components
    for name in ("frontend", "parser"):
        key = f"ai-platform/Deployment/{name}"
        now, then = result.snapshot.workloads[key], snap.workloads[key]
        assert now.nodes == then.nodes, "pods stay where they run today"
        assert now.containers[name].image == then.containers[name].image
        assert now.containers[name].image_id == then.containers[name].image_id


def test_the_release_render_changes_what_the_site_derives(snapshots: dict[str, Snapshot]) -> None:
    snap = snapshots["savings-bank"]
    result = overlay(snap, per_site({"savings-bank": render_of("savings-bank")}), "savings-bank")
    comps = result.snapshot.components
    assert comps["parser"].version == "2.0.0" and comps["parser"].get("api_versions") == "v2"
    assert comps["frontend"] == snap.components["frontend"]
    parser = result.snapshot.workloads["ai-platform/Deployment/parser"]
    assert parser.containers["parser"].image == "registry.savings-bank.local/ai/parser:2.0.0"
    assert parser.containers["parser"].image_id is None  # a new image: digest unknown


def test_a_site_without_a_render_blocks(snapshots: dict[str, Snapshot]) -> None:
    release = Release("r", "d", Form.MANIFESTS_DIR, missing={"holding": "d/holding.yaml missing"})
    result = overlay(snapshots["holding"], release, "holding")
    (note,) = result.notes
    assert note.blocks
    assert note.text == "no rendered release for this site: d/holding.yaml missing"


def test_a_workload_new_at_a_site_is_reported_and_has_no_nodes(
    snapshots: dict[str, Snapshot],
) -> None:
    snap = snapshots["capital"]
    workloads = {k: v for k, v in snap.workloads.items() if k != "ai-platform/Deployment/parser"}
    snap = replace(snap, workloads=workloads)
    result = overlay(snap, per_site({"capital": render_of("capital")}), "capital")
    assert [n.text for n in result.notes] == [
        "parser is new here: ai-platform/Deployment/parser does not run at capital today"
    ]
    assert result.snapshot.workloads["ai-platform/Deployment/parser"].nodes is None


def test_helm_values_of_the_render_replace_the_sites(snapshots: dict[str, Snapshot]) -> None:
    snap = snapshots["utility"]
    helm = HelmValues(
        "ai-platform",
        "docai",
        "docai",
        "2.0.0",
        "1.9.0",
        {"image": {"tag": "1.9.0"}},
        {"image": {"tag": "1.9.0"}, "mcpHub": {"timeoutSeconds": 3}},
    )
    result = overlay(snap, per_site({"utility": Render("r", {}, helm)}), "utility")
    release = result.snapshot.helm["ai-platform/docai"]
    assert release.chart_version == "2.0.0" and release.revision == 2
    assert release.computed_values == {"image": {"tag": "1.9.0"}, "mcpHub": {"timeoutSeconds": 3}}
    # docai's version is read by a helm: rule, so it follows the new values.
    assert result.snapshot.components["docai"].version == "1.9.0"
    assert result.snapshot.components["frontend"] == snap.components["frontend"]


def image_only(image: str = "registry.local/ai/parser:2.0.0", **more: Any) -> Release:
    return parse_release({"release": "r", "components": {"parser": {"image": image, **more}}}, "r")


def test_an_image_gives_what_the_site_reads_from_the_tag_and_nothing_else(
    snapshots: dict[str, Snapshot],
) -> None:
    snap = snapshots["holding"]
    result = overlay(snap, image_only(), "holding")
    parser = result.snapshot.components["parser"]
    assert parser.version == "2.0.0"  # holding reads it by image_tag
    assert parser.get("api_versions") is None  # holding reads it from an annotation
    assert result.gaps == {
        "parser.api_versions": "not given by the release: this site reads it from "
        "annotation:driftctl.io/api-versions, which an image alone does not carry"
    }
    container = result.snapshot.workloads["ai-platform/Deployment/parser"].containers
    assert container["parser"].image == "registry.local/ai/parser:2.0.0"
    assert result.snapshot.components["frontend"] == snap.components["frontend"]


def test_what_the_release_gives_explicitly_is_no_gap(snapshots: dict[str, Snapshot]) -> None:
    result = overlay(snapshots["holding"], image_only(api_versions=["v2"]), "holding")
    assert result.gaps == {}
    assert result.snapshot.components["parser"].get("api_versions") == ["v2"]


def test_an_image_without_a_tag_gives_no_version(snapshots: dict[str, Snapshot]) -> None:
    result = overlay(snapshots["holding"], image_only("registry.local/ai/parser"), "holding")
    assert result.snapshot.components["parser"].version is None
    assert result.gaps["parser.version"] == (
        "not given by the release: image_tag: image 'registry.local/ai/parser' of container "
        "parser has no tag"
    )


def test_a_snapshot_without_sources_cannot_take_an_image() -> None:
    snap = typed(platform("old"))  # as collected before sources were recorded
    result = overlay(snap, image_only(), "old")
    parser = result.snapshot.components["parser"]
    assert parser.version is None and parser.get("api_versions") is None
    assert result.gaps["parser.version"] == NO_SOURCES


def test_secret_env_is_not_read_from_a_render(snapshots: dict[str, Snapshot]) -> None:
    snap = snapshots["capital"]
    frontend = replace(
        snap.components["frontend"],
        sources={"version": "label:app.kubernetes.io/version", "token": "env:API_TOKEN"},
    )
    snap = replace(snap, components={**snap.components, "frontend": frontend})
    result = overlay(snap, per_site({"capital": render_of("capital")}), "capital")
    assert result.snapshot.components["frontend"].get("token") is None
    assert result.gaps["frontend.token"] == "not read from the release: env:API_TOKEN looks secret"


def test_a_rendered_value_that_does_not_fit_its_fact_is_bad_input_naming_it() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: ai}\n"
        "spec:\n  template:\n    spec:\n      containers: [{name: app, image: 5}]\n"
    )
    render = Render("render m", parse_manifests(text.encode(), "m.yaml", None))
    site = typed(snapshot_dict("s"))
    with pytest.raises(InputError) as caught:
        overlay(site, per_site({"s": render}), "s")
    assert str(caught.value) == (
        "render m: ai/Deployment/x: container app: image: expected a string, got an integer"
    )
