"""Redaction: keyed tokens compare across sites, secrets never survive, counts only in the report."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from driftctl.errors import InputError
from driftctl.model import Artifact
from driftctl.redact import MARKER, Redactor, is_token, load_fleet_key, redact_snapshot

KEY_A = bytes(range(32))
KEY_B = bytes(range(1, 33))
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLWhlcmU"


def test_same_value_same_token_across_sites_and_key_id_in_token() -> None:
    a, b = Redactor(KEY_A), Redactor(KEY_A)
    ta, tb = a.token("hunter2", "x"), b.token("hunter2", "x")
    assert ta == tb and is_token(ta)
    assert a.key_id is not None and f"${a.key_id}$" in ta
    assert a.token("hunter3", "x") != ta
    assert Redactor(KEY_B).token("hunter2", "x") != ta


def test_without_fleet_key_a_fixed_marker() -> None:
    r = Redactor()
    assert r.value({"password": "hunter2"}) == {"password": MARKER}
    assert r.report()["mode"] == "marker"


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ({"db": {"password": "pw-123"}}, "pw-123"),
        ({"apiKey": "k-9"}, "k-9"),
        ({"auth": {"token": "t-1"}}, "t-1"),
        ({"env": [{"name": "API_TOKEN", "value": "tok-7"}]}, "tok-7"),
        ({"dsn": "postgres://app:s3cr3t@db:5432/app"}, "s3cr3t"),
        ({"url": "postgres://app:s3cr3t@db:5432/app"}, "s3cr3t"),
        ({"note": JWT}, JWT),
        ({"blob": PEM}, "b3BlbnNzaC1rZXktdjEAAAAA"),
        ({"conn": "Server=db;User ID=sa;Password=Pa55w0rd;"}, "Pa55w0rd"),
        ({"aws": "AKIAIOSFODNN7EXAMPLE"}, "AKIAIOSFODNN7EXAMPLE"),
    ],
    ids=[
        "password-key",
        "apikey",
        "nested-token",
        "env-pair",
        "dsn-key",
        "uri-value",
        "jwt",
        "pem",
        "connection-string",
        "aws-key-id",
    ],
)
def test_secrets_are_replaced(value: dict, secret: str) -> None:
    r = Redactor(KEY_A)
    out = json.dumps(r.value(value))
    assert secret not in out
    assert r.report()["total"] >= 1
    assert secret not in json.dumps(r.report())


def test_ordinary_values_survive() -> None:
    r = Redactor(KEY_A)
    value = {
        "mcpHub": {"timeoutSeconds": 15, "initOnStart": True},
        "image": {"tag": "1.4.2"},
        "authEnabled": True,
        "keyName": "x",
        "author": "me",
    }
    assert r.value(value) == value
    assert r.report()["total"] == 0


def test_secret_objects_keep_keys_only_and_data_equals_stringdata() -> None:
    r = Redactor(KEY_A)
    secret = {
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "db",
            "managedFields": [{}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"pw":"x"}'},
        },
        "data": {"pw": base64.b64encode(b"hunter2").decode()},
        "stringData": {"pw2": "hunter2"},
    }
    out = r.kube_object({"kind": "List", "items": [secret]})["items"][0]
    assert set(out["data"]) == {"pw"} and out["data"]["pw"] == out["stringData"]["pw2"]
    assert "managedFields" not in out["metadata"]
    assert "hunter2" not in json.dumps(out) and '"pw":"x"' not in json.dumps(out)


def test_artifacts_redacted_with_companions_and_counts_by_file() -> None:
    r = Redactor(KEY_A)
    doc = {
        "kind": "List",
        "items": [
            {
                "kind": "Pod",
                "spec": {
                    "containers": [{"name": "c", "env": [{"name": "DB_PASSWORD", "value": "pw-1"}]}]
                },
            }
        ],
    }
    members = dict(r.artifact(Artifact("kubernetes/pods.json", json.dumps(doc).encode())))
    members |= dict(r.artifact(Artifact("nodes/n/ntpq.txt", b"", b"postgres://u:pw-2@h/db", 1)))
    blob = b"".join(members.values())
    assert b"pw-1" not in blob and b"pw-2" not in blob
    assert members["nodes/n/ntpq.txt.rc"] == b"1\n"
    report = r.report()
    assert report["by_file"] == {"kubernetes/pods.json": 1, "nodes/n/ntpq.txt": 1}


def test_snapshot_redaction_helm_values_and_secret_env_component() -> None:
    r = Redactor(KEY_A)
    snap = {
        "helm": {"ai/docai": {"values": {"auth": {"password": "pw"}, "timeoutSeconds": 3}}},
        "components": {"x": {"version": "1.0", "token": "abc"}},
        "workloads": {"ai/Deployment/token-service": {"containers": {"c": {"image": "r/t:1"}}}},
    }
    out = redact_snapshot(r, snap, {"x": [("version", "image_tag"), ("token", "env:API_TOKEN")]})
    assert is_token(out["helm"]["ai/docai"]["values"]["auth"]["password"])
    assert out["helm"]["ai/docai"]["values"]["timeoutSeconds"] == 3
    assert is_token(out["components"]["x"]["token"]) and out["components"]["x"]["version"] == "1.0"
    assert out["workloads"] == snap["workloads"]
    assert snap["helm"]["ai/docai"]["values"]["auth"]["password"] == "pw"  # input untouched


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: None, "cannot read: No such file or directory"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: os.mkfifo(p), "not a regular file"),
        (lambda p: p.write_bytes(b"ab" * 10_000), "larger than"),
        (lambda p: p.write_text("zz" * 32), "fleet key must be 64 hexadecimal characters"),
    ],
    ids=["missing", "directory", "fifo", "huge", "not-hex"],
)
def test_fleet_key_file_errors_name_the_file(tmp_path: Path, make, needle: str) -> None:
    path = tmp_path / "fleet.key"
    make(path)
    with pytest.raises(InputError, match=needle) as err:
        load_fleet_key(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgres://app:s3cr3t-pw@db.local:5432/x", "s3cr3t-pw"),
        ("git+ssh://git:gh-tok-123@host/repo.git", "gh-tok-123"),
        ("app:pa:ss-word@tcp(db:3306)/docs", "pa:ss-word"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl", "eyJzdWIiOiIx"),
        ("Server=db;Database=x;Password=Hunter2!;", "Hunter2!"),
        ("id AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
    ],
    ids=["uri", "uri-plus-scheme", "dsn-colon-in-password", "jwt", "conn-string", "aws"],
)
def test_value_patterns_in_running_text(text: str, secret: str) -> None:
    out = Redactor(None).text(text)
    assert secret not in out and MARKER in out


@pytest.mark.parametrize(
    "unit",
    ["<a>", "a:", "eyJ-", "a.", "a+", "eyJa.", "u:x@", "-----BEGIN PRIVATE KEY-----", "pwd="],
    ids=["tags", "colons", "eyj-dash", "dots", "scheme-run", "eyj-dots", "userinfo", "pem", "pwd"],
)
def test_hostile_input_is_redacted_in_linear_time(unit: str) -> None:
    """Unanchored, unbounded patterns took minutes here (106 s for a 300 KB XML of <a> tags).

    Each run ends with every pattern's literal so no cheap filter skips the regexes. Four times
    the input may cost about four times the time, not sixteen.
    """
    import time

    tail = " @tcp( :// eyJ PRIVATE KEY----- = AKIA"

    def cost(size: int) -> float:
        text = unit * (size // len(unit)) + tail
        started = time.process_time()  # CPU of this process: a loaded machine skews wall time
        Redactor(None).text(text)
        return time.process_time() - started

    small, large = cost(250_000), cost(1_000_000)
    assert large < 8 * small + 0.05, (small, large)
    assert large < 10.0


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


STRUCTURE_UNITS = {
    "assign-eq": "password=",
    "assign-colon-lines": "password: x\n",
    "yaml-openers": "secret:\n",
    "yaml-nesting": " a:\n",
    "json-pairs": '"password": "',
    "xml": "<password>",
    "long-flags": "--token ",
    "short-flags": "-p ",
    "mysql": "mysql -pX ",
    "user-flags": "-u a:b ",
    "schemes": "a://",
    "webhooks": "https://hooks.x/",
    "templates": "{{",
    "json-open": '{"a":',
    "bearer": "Bearer ab1 ",
    "pem-footers": "-----END PRIVATE KEY-----\n",
    "pem-footers-one-line": "-----END PRIVATE KEY-----",
    "pem-blocks": "-----BEGIN PRIVATE KEY-----\nQUFB\n-----END PRIVATE KEY-----\n",
    "spans-between-runs": "password=x QUFBQUFBQUFBQUFBQUFBQQ== ",
    "pgp-headers": "-----BEGIN PGP PRIVATE KEY BLOCK-----",
    "b64-lines": "QUFBQUFBQUFBQUFBQUFBQQ==\n",
    "b64-runs": "QUFBQUFBQUFBQUFBQUFBQQ== ",
    "b64-nested": _b64(_b64(_b64("password=hunter2-x"))) + " ",
    "b64-text": _b64("just some ordinary text") + " ",
    "token-prefixes": "AKIA ghp_ sk- hf_ ",
    "telegram-needles": "1:AA",
    "stripe-needles": "_live_",
    "dsn-words": "x" * 60 + "@tcp(",
    "dsn": "a:b@tcp(",
    "deep-json": "[",
}


@pytest.mark.parametrize("unit", STRUCTURE_UNITS.values(), ids=STRUCTURE_UNITS.keys())
def test_structure_and_layers_stay_linear(unit: str) -> None:
    """Every detector and decoded layer on hostile repetitions, as free text and as one value:
    four times the input costs about four times the CPU (figures: tests/bench/bench_redact.py)."""
    import time

    def cost(size: int, whole: bool) -> float:
        text = unit * (size // len(unit))
        started = time.process_time()
        if whole:
            Redactor(None).value({"v": text})
        else:
            Redactor(None).text(text)
        return time.process_time() - started

    for whole in (False, True):
        small, large = cost(125_000, whole), cost(500_000, whole)
        assert large < 8 * small + 0.1, (whole, small, large)
        assert large < 5.0, (whole, large)


def test_distinct_nested_layers_stay_linear() -> None:
    """Distinct encoded runs (no verdict can be remembered), each three layers deep."""
    import time

    def cost(count: int) -> float:
        runs = [_b64(_b64(_b64(f"password=x{n:08d}"))) for n in range(count)]
        text = " ".join(runs)
        started = time.process_time()
        out = Redactor(None).text(text)
        spent = time.process_time() - started
        assert "password" not in out and out.count(MARKER) == count
        return spent

    small, large = cost(2_500), cost(10_000)
    assert large < 8 * small + 0.1, (small, large)


def test_small_gzip_blobs_cannot_make_a_megabyte_cost_many() -> None:
    """Each blob inflates to a megabyte of text: decoding stops at the allowance (a floor plus
    twice the input) and the rest is redacted unread, so the cost follows the input."""
    import base64
    import gzip
    import time

    def blobs(count: int) -> str:
        return " ".join(
            base64.b64encode(gzip.compress(b"password=x " * 95_000 + b"%d" % n, mtime=0)).decode()
            for n in range(count)
        )

    text = blobs(360)  # about one megabyte
    started = time.process_time()
    r = Redactor(None)
    out = r.text(text)
    spent = time.process_time() - started
    assert out.count(MARKER) == 360 and r.report()["by_rule"]["decode-budget"] > 300
    assert spent < 5.0, spent


def test_nesting_deeper_than_the_limit_is_replaced_not_recursed() -> None:
    deep: dict[str, object] = {"password": "pw-at-the-bottom"}
    for _ in range(5_000):
        deep = {"a": deep}
    out = json.dumps(Redactor(None).value(deep))
    assert "pw-at-the-bottom" not in out and MARKER in out
    text = "[" * 100_000 + "]" * 100_000
    assert Redactor(None).value({"v": text}) == {"v": text}
