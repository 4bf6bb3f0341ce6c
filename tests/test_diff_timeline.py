"""The timeline of one site: what counts as a change from one snapshot to the next, and that the
JSON pre-filter never changes the result."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from snapshot_kit import clock, container, failure, gpu, helm_release, node, snapshot_dict, workload

from driftctl.diff.history import ChangeKind, Step
from driftctl.diff.timeline import Timeline
from driftctl.errors import OperationalError

SITE = "bank"
APP = "ai/Deployment/app"
REL = "ai/docai"


def base() -> dict[str, Any]:
    return snapshot_dict(
        SITE,
        "2026-10-01T00:00:00Z",
        workloads={
            APP: workload({"app": container("reg.bank.local/ai/app:1.0", "sha256:" + "a" * 64)}),
            "ai/Deployment/db": workload({"db": container("reg.bank.local/ai/db:2.0")}),
        },
        components={"app": {"workload": APP, "version": "1.0"}},
        helm={REL: helm_release({"mcpHub": {"timeoutSeconds": 3, "url": "http://hub"}})},
        nodes={
            "cp1": node(("control-plane",), time=clock()),
            "gpu1": node(gpu=gpu(), time=clock()),
            "gpu2": node(gpu=gpu(), time=clock()),
        },
    )


Edit = Callable[[dict[str, Any]], None]


def run(*edits: Edit, whole: bool = False) -> list[Step]:
    """Bundle 1 is ``base()``; bundle n+1 is bundle n with ``edits[n-1]`` applied."""
    snap = base()
    timeline = Timeline(SITE, whole)
    steps = [timeline.add(1, snap["collected_at"], "0" * 64, copy.deepcopy(snap))]
    for seq, edit in enumerate(edits, start=2):
        edit(snap)
        snap["collected_at"] = f"2026-10-{seq:02d}T00:00:00Z"
        steps.append(timeline.add(seq, snap["collected_at"], "0" * 64, copy.deepcopy(snap)))
    return steps


def changes(steps: list[Step]) -> list[tuple[int, str, str, object, object]]:
    return [(s.seq, c.kind.value, c.key, c.old, c.new) for s in steps for c in s.changes]


def test_the_oldest_bundle_is_the_start_not_a_change() -> None:
    (first,) = run()
    assert (first.after, first.changes, first.gaps) == (None, (), ())
    assert first.facts > 20


def test_a_changed_value_is_one_change_with_old_and_new() -> None:
    def longer(s: dict[str, Any]) -> None:
        s["helm"][REL]["values"]["mcpHub"]["timeoutSeconds"] = 15

    assert changes(run(longer)) == [
        (2, "changed", "helm.ai/docai.values.mcpHub.timeoutSeconds", 3, 15)
    ]


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s["workloads"][APP]["containers"]["app"].update(
            image="mirror.other.local/ai/app:1.0"
        ),
        lambda s: s["helm"][REL].update(
            values={"mcpHub": {"url": "http://hub", "timeoutSeconds": 3}}
        ),
        lambda s: s["helm"][REL].update(revision=7),
        lambda s: s["workloads"][APP].update(nodes=["gpu2"]),
        lambda s: s["nodes"]["gpu1"]["time"].update(offset_seconds=0.00002, root_delay=0.1),
        lambda s: s["components"]["app"].update(version="v1.0"),
    ],
    ids=["mirror-host", "key-order", "helm-revision", "pods-moved", "clock-noise", "v-prefix"],
)
def test_what_diff_does_not_count_is_no_change(edit: Edit) -> None:
    steps = run(edit)
    assert steps[1].changes == ()


def test_unknown_is_not_a_change_and_the_last_known_value_stands() -> None:
    def helm_fails(s: dict[str, Any]) -> None:
        s["helm"] = {}
        s["failures"] = [failure("helm", "helm", "secrets: 403 Forbidden")]

    def helm_back_changed(s: dict[str, Any]) -> None:
        s["failures"] = []
        s["helm"] = {REL: helm_release({"mcpHub": {"timeoutSeconds": 15, "url": "http://hub"}})}

    steps = run(helm_fails, lambda _s: None, helm_back_changed)
    assert steps[1].changes == () and steps[2].changes == ()
    assert steps[1].unknown == {"helm": "helm: secrets: 403 Forbidden"}
    (change,) = steps[3].changes
    assert (change.key, change.old, change.new, change.known_at) == (
        "helm.ai/docai.values.mcpHub.timeoutSeconds",
        3,
        15,
        1,
    )


def test_a_null_value_keeps_the_last_known_one() -> None:
    def unknown_digest(s: dict[str, Any]) -> None:
        s["workloads"][APP]["containers"]["app"]["image_id"] = None

    def same_digest(s: dict[str, Any]) -> None:
        s["workloads"][APP]["containers"]["app"]["image_id"] = "sha256:" + "a" * 64

    assert changes(run(unknown_digest, same_digest)) == []


def test_a_release_gone_while_collected_is_removed_and_a_new_workload_added() -> None:
    def uninstall(s: dict[str, Any]) -> None:
        del s["helm"][REL]

    def deploy(s: dict[str, Any]) -> None:
        s["workloads"]["ai/Deployment/new"] = workload({"web": container("reg/web:1")})

    found = changes(run(uninstall, deploy))
    assert {(seq, kind) for seq, kind, *_ in found} == {(2, "removed"), (3, "added")}
    assert (2, "removed", "helm.ai/docai.values.mcpHub.timeoutSeconds", 3, None) in found
    assert (
        3,
        "added",
        "workloads.ai/Deployment/new.containers.web.image",
        None,
        "reg/web:1",
    ) in found


def test_a_second_node_losing_sync_is_a_change_though_the_values_are_the_same() -> None:
    def gpu1_unsynced(s: dict[str, Any]) -> None:
        s["nodes"]["gpu1"]["time"] = clock(synchronized=False)

    def gpu2_unsynced(s: dict[str, Any]) -> None:
        s["nodes"]["gpu2"]["time"] = clock(synchronized=False)

    steps = run(gpu1_unsynced, gpu2_unsynced)
    synced = [
        (s.seq, c.old, c.new, [(n.node, n.old, n.new) for n in c.nodes])
        for s in steps
        for c in s.changes
        if c.key == "nodes.time.synchronized"
    ]
    assert synced == [
        (2, {"true": 3}, {"false": 1, "true": 2}, [("gpu1", True, False)]),
        (3, {"false": 1, "true": 2}, {"false": 2, "true": 1}, [("gpu2", True, False)]),
    ]


def test_control_plane_clock_is_its_own_fact() -> None:
    def cp_unsynced(s: dict[str, Any]) -> None:
        s["nodes"]["cp1"]["time"] = clock(synchronized=False)

    keys = {c.key for c in run(cp_unsynced)[1].changes}
    assert {"nodes.time.synchronized", "nodes[control-plane].time.synchronized"} <= keys


def test_a_node_without_a_reading_keeps_its_last_one_a_renamed_node_is_no_change() -> None:
    def no_clock(s: dict[str, Any]) -> None:
        s["nodes"]["gpu1"]["time"] = None

    def renamed(s: dict[str, Any]) -> None:
        s["nodes"]["gpu3"] = s["nodes"].pop("gpu2")

    assert changes(run(no_clock, renamed)) == []


def test_a_node_that_is_gone_counts_no_longer() -> None:
    def drained(s: dict[str, Any]) -> None:
        del s["nodes"]["gpu2"]

    found = {c.key: c for c in run(drained)[1].changes}
    driver = found["nodes.gpu.driver_version"]
    assert (driver.old, driver.new) == ({"535.54.03": 2}, {"535.54.03": 1})
    assert [(n.node, n.old, n.new) for n in driver.nodes] == [("gpu2", "535.54.03", None)]


def test_a_worst_clock_offset_changes_by_bucket_only() -> None:
    def drift(s: dict[str, Any]) -> None:
        s["nodes"]["gpu2"]["time"]["offset_seconds"] = 2.5

    found = {c.key: c for c in run(drift)[1].changes}
    offset = found["nodes.time.max_abs_offset_seconds"]
    assert offset.new == 2.5
    assert [(n.node, n.new) for n in offset.nodes] == [("gpu2", 2.5)]


def test_a_damaged_stored_snapshot_is_an_operational_error() -> None:
    timeline = Timeline(SITE)
    timeline.add(1, "t", "0" * 64, base())
    bad = base()
    bad["workloads"][APP]["replicas"] = "three"
    with pytest.raises(OperationalError, match=r"store damaged: bank seq 2 snapshot\.json"):
        timeline.add(2, "t", "0" * 64, bad)


# -- the pre-filter (items whose JSON is equal are skipped) gives the result of comparing all --


def _app(s: dict[str, Any]) -> dict[str, Any]:
    """The app's container, or a scratch dict when an earlier edit removed the workload."""
    found: dict[str, Any] = s["workloads"].get(APP, {}).get("containers", {}).get("app", {})
    return found


def _values(s: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = s["helm"].get(REL, {}).get("values", {})
    return found


EDITS: list[Edit] = [
    lambda s: _values(s).setdefault("mcpHub", {}).update(timeoutSeconds=15),
    lambda s: _values(s).setdefault("mcpHub", {}).update(timeoutSeconds=3),
    lambda s: _values(s).update(extra={"a.b": [1, 2]}),
    lambda s: s["helm"].pop(REL, None),
    lambda s: s["helm"].setdefault(REL, helm_release({"x": 1})),
    lambda s: s.update(helm={}, failures=[failure("helm", "helm", "403")]),
    lambda s: s.update(failures=[]),
    lambda s: _app(s).update(image="mirror/ai/app:1.0"),
    lambda s: _app(s).update(image="reg/ai/app:2.0"),
    lambda s: _app(s).update(image_id=None),
    lambda s: s["workloads"].pop("ai/Deployment/db", None),
    lambda s: s["workloads"].setdefault("ai/Deployment/db", workload()),
    lambda s: s.update(workloads={}, failures=[failure("workloads", "workloads", "timeout")]),
    lambda s: s.update(workloads=base()["workloads"]),
    lambda s: s["components"].pop("app", None),
    lambda s: s["components"].setdefault("app", {"workload": APP, "version": "2.0"}),
    lambda s: s["nodes"].get("gpu1", {}).update(time=clock(synchronized=False)),
    lambda s: s["nodes"].get("gpu1", {}).update(time=None),
    lambda s: s["nodes"].get("gpu2", {}).update(gpu=gpu("550.54.15", "12.4")),
    lambda s: s["nodes"].get("gpu2", {}).update(gpu=None),
    lambda s: s["nodes"].pop("gpu2", None),
    lambda s: s["nodes"].setdefault("gpu2", node(gpu=gpu(), time=clock(offset=3.0))),
    lambda s: s["kubernetes"].update(server_version="v1.30.1"),
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, len(EDITS) - 1), min_size=1, max_size=8))
def test_the_json_prefilter_changes_nothing(picks: list[int]) -> None:
    edits = [EDITS[i] for i in picks]
    assert run(*edits) == run(*edits, whole=True)


def test_every_change_kind_is_reachable_by_the_prefilter_test() -> None:
    steps = run(*EDITS)
    kinds = {c.kind for s in steps for c in s.changes}
    assert kinds == set(ChangeKind)
    assert any(c.known_at for s in steps for c in s.changes)
