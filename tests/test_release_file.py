"""Release files: strict validation, and their overlay onto a site's snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from policy_builders import platform
from snapshot_kit import typed

from driftctl.errors import InputError
from driftctl.release.file import load_release, parse_release
from driftctl.release.overlay import overlay

ROOT = Path(__file__).parent.parent


def test_example_release_pushes_parser_2() -> None:
    release = load_release(ROOT / "manifests" / "release.example.yaml")
    assert release.name == "2026.11-r2"
    (parser,) = release.components
    assert (parser.name, parser.version, parser.image) == (
        "parser",
        "2.0.0",
        "registry.local/ai/parser:2.0.0",
    )
    assert parser.attributes == {"api_versions": ["v2"]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"release": "r", "components": {"p": {"version": "1"}}, "note": 1},
            "r.yaml: unknown key 'note'",
        ),
        ({"components": {"p": {"version": "1"}}}, "r.yaml: missing required key 'release'"),
        (
            {"release": 2026.11, "components": {"p": {"version": "1"}}},
            "key 'release' must be a non-empty string (quote it)",
        ),
        (
            {"release": "r", "components": {"p": {"version": 2.1}}},
            "r.yaml: component 'p': key 'version' must be a non-empty string (quote it)",
        ),
        (
            {"release": "r", "components": {"p": {"workload": "x/y/z"}}},
            "component 'p': key 'workload' cannot be set",
        ),
        (
            {"release": "r", "components": {"p": {"api_versions": {"a": 1}}}},
            "component 'p': key 'api_versions' must be a scalar or a list",
        ),
        ({"release": "r", "components": {}}, "key 'components' is empty"),
        ({"release": "r", "components": {"p": {}}}, "component 'p': sets nothing"),
        ({"release": "r", "components": {"p q": {"version": "1"}}}, "bad component name 'p q'"),
        ({"release": "r", "components": ["p"]}, "r.yaml: key 'components': expected a mapping"),
    ],
    ids=[
        "unknown-top-key",
        "missing-release",
        "float-release",
        "float-version",
        "moves-pods",
        "nested-attribute",
        "empty-components",
        "empty-component",
        "bad-name",
        "components-list",
    ],
)
def test_release_errors_name_file_and_key(doc: Any, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_release(doc, "r.yaml")
    assert message in str(err.value)


def test_overlay_sets_version_attributes_and_image_keeping_nodes() -> None:
    snap = typed(platform("s"))
    before = snap.to_dict()
    release = load_release(ROOT / "manifests" / "release.example.yaml")
    out = overlay(snap, release, "s").snapshot
    assert snap.to_dict() == before, "the overlay must not modify its input"
    parser = out.components["parser"]
    assert parser.version == "2.0.0" and parser.get("api_versions") == ["v2"]
    assert parser.workload == "ai-platform/Deployment/parser"
    wl = out.workloads["ai-platform/Deployment/parser"]
    assert wl.containers["parser"].to_dict() == {
        "image": "registry.local/ai/parser:2.0.0",
        "image_id": None,
        "env": {},
    }
    assert wl.nodes == ("gpu-1", "gpu-2")
    assert out.components["frontend"] == snap.components["frontend"]


def test_overlay_of_a_new_component_has_no_nodes() -> None:
    release = parse_release({"release": "r", "components": {"ocr": {"version": "1.0.0"}}}, "r.yaml")
    result = overlay(typed(platform("s")), release, "s")
    assert result.snapshot.components["ocr"].to_dict() == {"workload": None, "version": "1.0.0"}
    (note,) = result.notes
    assert (
        not note.blocks and note.text == "component ocr does not run at s; the release would add it"
    )
