"""What the redactor's types promise: a judged value keeps the shape of the value judged (keys
that are not strings included, as YAML gives them), ``fact_map`` is ``facts`` of a mapping, and
``command`` + ``args`` are one argv whatever else the mapping holds."""

from __future__ import annotations

import datetime
import json

import pytest

from driftctl.redact import MARKER, Redactor
from driftctl.redact.judge import MAX_NEST

PW = "Xy7-secret-pw-4821"


def test_a_yaml_mapping_keeps_its_keys_and_its_scalars() -> None:
    value = {1: {"password": PW}, "n": [1, 2.5, None, True], "token": 42, (1, 2): "x"}
    out = Redactor(None).value(value)
    assert out == {1: {"password": MARKER}, "n": [1, 2.5, None, True], "token": MARKER, (1, 2): "x"}
    assert [type(k) for k in out] == [int, str, str, tuple]


@pytest.mark.parametrize(
    "facts",
    [
        {"key": "tls.key", "operator": "Exists"},
        {"key": PW},
        {"node": {"password": PW, "labels": ["a", "b"]}, "count": 3},
        {"password": 7, "version": "1.2.3", "nested": [{"apiKey": PW}]},
        {},
    ],
    ids=["key-ref", "bare-key", "nested", "mixed", "empty"],
)
def test_fact_map_is_facts_of_a_mapping(facts: dict[str, object]) -> None:
    assert Redactor(None).fact_map(facts) == Redactor(None).facts(facts)
    assert PW not in json.dumps(Redactor(None).fact_map(facts))


@pytest.mark.parametrize(
    "container",
    [
        {"command": "sh", "args": ["--db-pass", PW]},
        {"command": ["app", "--x"], "args": ["--db-pass", PW]},
        {"args": ["-uroot", f"-p{PW}", "db"], "command": ["mysqldump"]},
        {"command": ["mysqldump", "-uroot"], "args": [f"-p{PW}"], "image": "db:1"},
    ],
    ids=["command-not-a-list", "flag-in-args", "kubectl-order", "split"],
)
def test_command_and_args_are_one_argv(container: dict[str, object]) -> None:
    redactor = Redactor(None)
    out = redactor.value(container)
    assert isinstance(out, dict)
    assert list(out) == list(container)
    assert PW not in json.dumps(out)
    assert redactor.counts == {"command-line": 1}
    assert out["command"] == container["command"]  # the program is kept


def test_a_value_nested_past_the_limit_becomes_the_marker() -> None:
    value: object = "plain"
    for _ in range(MAX_NEST + 5):
        value = {"a": value}
    redactor = Redactor(None)
    out = redactor.value(value)
    for _ in range(MAX_NEST + 1):
        assert isinstance(out, dict)
        out = out["a"]
    assert out == MARKER
    assert redactor.counts == {"too-deep": 1}


def test_a_value_json_cannot_hold_becomes_the_marker_wherever_it_stands() -> None:
    """A YAML date or ``!!binary`` value never reaches the redactor today; if a collector ever
    fed one in, nothing would judge it, so it does not pass (under a secret key or not)."""
    redactor = Redactor(None)
    when = datetime.date(2026, 11, 30)
    value = {"password": b"hunter2-hunter2", "released": when, "n": 3, "ok": True, "x": None}
    out = redactor.value(value)
    assert out == {"password": MARKER, "released": MARKER, "n": 3, "ok": True, "x": None}
    assert redactor.counts == {"not-json": 2}
