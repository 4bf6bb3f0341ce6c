"""List items kept once as the live source parsed them: checked as strict JSON would check
them, their repeated strings and objects shared, and read by the collectors without a second parse."""

from __future__ import annotations

import pytest

from driftctl.dump_layout import PODS_PATH
from driftctl.model import Artifact, RawSet
from driftctl.parsers.kube_objects import load_items
from driftctl.sources.kube_client import ApiFailure
from driftctl.sources.kube_lists import ListBody


def _pod(name: str, image: str) -> dict[str, object]:
    status = {"name": "c", "image": image, "imageID": f"{image}@sha256:{'a' * 64}"}
    return {"metadata": {"name": name}, "status": {"containerStatuses": [status]}}


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("item", "why"),
    [
        ({"metadata": {"name": "\ud800"}}, "holds a lone surrogate"),
        ({"metadata": {"\udfff": "x"}}, "holds a lone surrogate"),
        ({"spec": {"weight": float("nan")}}, "not finite"),
        ({"spec": {"weight": float("inf")}}, "not finite"),
        ({"a": _nested(70)}, "nested deeper"),
    ],
)
def test_an_item_strict_json_would_refuse_fails_the_list(item: dict[str, object], why: str) -> None:
    body = ListBody(PODS_PATH)
    body.add("/api/v1/pods", {"metadata": {"name": "fine"}})
    with pytest.raises(ApiFailure, match=f"/api/v1/pods: an object .*{why}"):
        body.add("/api/v1/pods", item)


def test_equal_values_of_other_types_are_not_taken_for_each_other() -> None:
    body = ListBody(PODS_PATH)
    for value in (1, True, 1.0, "1", None, [1], {"1": 1}):
        body.add("/x", {"v": value, "w": [value]})
    got = [(i["v"], i["w"][0]) for i in body.items()]  # type: ignore[index]
    assert [(type(a), type(b)) for a, b in got] == [
        (type(v), type(v)) for v in (1, True, 1.0, "1", None, [1], {"1": 1})
    ]


def test_repeated_strings_are_held_once_and_collectors_read_the_items() -> None:
    body = ListBody(PODS_PATH)
    for i in range(3):
        # Each page's parse makes its own copies of the same text.
        body.add("/api/v1/pods", _pod(f"pod-{i}", "".join(["registry.local/app", ":1.0"])))
    items = body.items()
    images = [i["status"]["containerStatuses"][0]["imageID"] for i in items]  # type: ignore[index]
    assert images[0] is images[1] is images[2]
    # Equal objects too: the pods of one workload share their container statuses.
    statuses = [i["status"] for i in items]
    assert statuses[0] is statuses[1] is statuses[2] and items[0] is not items[1]
    raw = RawSet()
    raw.add(Artifact(PODS_PATH, None, items=items))
    assert raw.get(PODS_PATH).ok  # type: ignore[union-attr]
    assert [p["metadata"]["name"] for p in load_items(raw, PODS_PATH)] == [
        "pod-0",
        "pod-1",
        "pod-2",
    ]
