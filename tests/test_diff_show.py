"""A fact value as a person reads it: node distributions, strings, JSON, unknown."""

from __future__ import annotations

import pytest

from driftctl.diff.show import distribution, show_value

CASES = [
    ("nodes.gpu.driver_version", {"550.54.15": 3, "535.54.03": 1}, "550.54.15×3, 535.54.03×1"),
    ("nodes.kernel_version", {"6.8": True}, '{"6.8": true}'),  # a bool is no node count
    ("nodes.kernel_version", {}, "{}"),
    ("helm.x.values.ports", {"http": 80}, '{"http": 80}'),  # not below nodes: JSON
    ("kubernetes.server_version", "v1.29.3", "v1.29.3"),
    ("kubernetes.server_version", None, "—"),
    ("nodes.time.max_abs_offset_seconds", float("inf"), '"inf"'),
    ("components.app.tags", ["b", "ä"], '["b", "ä"]'),
]


@pytest.mark.parametrize(("key", "value", "shown"), CASES, ids=[str(c[2]) for c in CASES])
def test_show_value(key: str, value: object, shown: str) -> None:
    assert show_value(value, key) == shown


def test_a_distribution_is_returned_as_it_is_or_not_at_all() -> None:
    counts = {"a": 2, "b": 1}
    assert distribution("nodes.os_image", counts) is counts
    assert distribution("workloads.os_image", counts) is None
    assert distribution("nodes.os_image", ["a"]) is None
