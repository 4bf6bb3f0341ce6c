"""Helm values: our coalescing and YAML reading against what the real helm hands to templates."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gate_kit import helm_path

from driftctl.errors import InputError
from driftctl.helm_coalesce import coalesce
from driftctl.release.helm_yaml import load_values_file, loads_values, merge_values

# A chart whose only template prints the values its templates see.
VALUES_JSON = """apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  values.json: {{ toJson .Values | quote }}
"""

CASES: list[tuple[str, str, list[str]]] = [
    (
        "nested-maps-merge",
        "a: {b: 1, c: {d: 2, e: 3}}\nkeep: {x: 1}\n",
        ["a: {c: {d: 9}, f: 4}\n"],
    ),
    (
        "lists-replaced-whole",
        "l: [1, 2, 3]\nm: {l: [a, b], k: 1}\n",
        ["l: [9]\nm: {l: []}\n"],
    ),
    (
        "null-deletes-a-default",
        "a: {b: 1, c: 2}\nt: 5\nm: {n: {o: 1}}\n",
        ["a: {b: null}\nt: null\nm: {n: null}\n"],
    ),
    (
        "null-without-default-stays",
        "a: {b: 1}\n",
        ["a: {z: null}\ntop: null\n"],
    ),
    (
        "chart-null-default-stays",
        "a: {n: null, b: 1}\nk: null\n",
        [""],
    ),
    (
        "later-files-win-maps-merge",
        "a: {b: 0, d: 0}\n",
        ["a: {b: 1, c: 1}\n", "a: {b: 2}\n"],
    ),
    (
        "later-null-removes-earlier-and-default",
        "a: {b: 0}\nc: {d: 1}\n",
        ["a: {b: 1}\nc: {d: 2}\n", "a: null\nc: {d: null}\n"],
    ),
    (
        "type-mismatch-user-wins",
        "m: {x: 1}\ns: str\na: {b: {c: 1}}\nd: {e: 1}\n",
        ["m: scalar\ns: {t: 1}\na: {b: 5}\nd: {e: {f: 1}}\n"],
    ),
    (
        "yaml-scalars-as-go-reads-them",
        "flags: {a: true}\n",
        [
            "flags: {y: y, n: N, on: on, off: Off}\nnum: {e: 1e3, o: 0o17, old: 0755, h: 0x1F,"
            " u: 1_000, f: 1.0, half: .5, big: 12345678901234567890}\n"
            "text: {clock: 1:20, date: 2024-01-02, stamp: 2001-12-14t21:59:43.10-05:00}\n"
            "keys: {1: int, 1.5: float, true: bool}\n"
        ],
    ),
    (
        "anchors-and-merge-keys",
        "base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n",
        ["extra: &e [1, 2]\nagain: *e\n"],
    ),
]


def helm_values(tmp_path: Path, defaults: str, files: list[str]) -> dict[str, Any]:
    """The .Values the real helm renders for this chart and these -f files."""
    chart = tmp_path / "values-chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: values-chart\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(defaults)
    (chart / "templates" / "values.yaml").write_text(VALUES_JSON)
    args = [helm_path(), "template", "rel", str(chart)]
    for index, text in enumerate(files):
        path = tmp_path / f"values-{index}.yaml"
        path.write_text(text)
        args += ["--values", str(path)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout
    (doc,) = [d for d in yaml.safe_load_all(out) if d]
    values: dict[str, Any] = json.loads(doc["data"]["values.json"])
    return values


def ours(tmp_path: Path, defaults: str, files: list[str]) -> dict[str, Any]:
    user = []
    for index, text in enumerate(files):
        path = tmp_path / f"ours-{index}.yaml"
        path.write_text(text)
        user.append(load_values_file(path))
    return coalesce(loads_values(defaults, "values.yaml"), merge_values(user))


@pytest.mark.parametrize(("name", "defaults", "files"), CASES, ids=[c[0] for c in CASES])
def test_coalesce_gives_what_helm_renders(
    tmp_path: Path, name: str, defaults: str, files: list[str]
) -> None:
    expected = helm_values(tmp_path, defaults, files)
    assert ours(tmp_path, defaults, files) == expected
    # Same JSON text too: numbers are float64 in Helm (1.0 is 1, big integers round).
    assert json.dumps(ours(tmp_path, defaults, files), sort_keys=True) == json.dumps(
        expected, sort_keys=True
    )


def test_the_cases_mean_what_their_names_say(tmp_path: Path) -> None:
    """The semantics spelled out, so a regression reads as one (helm agrees above)."""
    got = {name: ours(tmp_path, d, f) for name, d, f in CASES}
    assert got["nested-maps-merge"]["a"] == {"b": 1, "c": {"d": 9, "e": 3}, "f": 4}
    assert got["lists-replaced-whole"] == {"l": [9], "m": {"l": [], "k": 1}}
    assert got["null-deletes-a-default"] == {"a": {"c": 2}, "m": {}}
    assert got["null-without-default-stays"] == {"a": {"b": 1, "z": None}, "top": None}
    assert got["later-files-win-maps-merge"] == {"a": {"b": 2, "c": 1, "d": 0}}
    assert got["later-null-removes-earlier-and-default"] == {"c": {}}
    assert got["type-mismatch-user-wins"] == {
        "m": "scalar",
        "s": {"t": 1},
        "a": {"b": 5},
        "d": {"e": {"f": 1}},
    }
    go = got["yaml-scalars-as-go-reads-them"]
    # go-yaml reads the keys y, n, on, off as booleans too: they become "true" and "false".
    assert go["flags"] == {"a": True, "true": True, "false": False}
    assert go["num"] == {
        "e": 1000,
        "o": 15,
        "old": 493,
        "h": 31,
        "u": 1000,
        "f": 1,
        "half": 0.5,
        "big": 12345678901234567000,
    }
    assert go["text"] == {
        "clock": "1:20",
        "date": "2024-01-02",
        "stamp": "2001-12-14t21:59:43.10-05:00",
    }
    assert go["keys"] == {"1": "int", "1.5": "float", "true": "bool"}


def test_coalesce_leaves_its_inputs_alone() -> None:
    defaults = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    user = {"a": {"b": None, "x": {"y": 1}}, "d": None}
    before = copy.deepcopy((defaults, user))
    assert coalesce(defaults, user) == {"a": {"c": [1, 2], "x": {"y": 1}}}
    assert (defaults, user) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "a values file must be a mapping, not a list"),
        ("just text\n", "a values file must be a mapping, not a str"),
        ("a: [1\n", "v.yaml: line 2"),
        ("a: .inf\n", "inf is not a JSON number (Helm refuses it too)"),
        ("? [1, 2]\n: x\n", "map key [1, 2] is not a string"),
    ],
    ids=["list", "scalar", "not-yaml", "infinity", "list-key"],
)
def test_bad_values_files_are_bad_input(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_values_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_an_empty_values_file_is_no_values(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("# nothing to change here\n")
    assert load_values_file(path) == {}


def test_aliases_cannot_explode(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="more than 1000000 values"):
        load_values_file(path)
