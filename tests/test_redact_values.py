"""Each leak of the audit (issue 12) as its own case; decoded layers and their limits; the same
token in snapshot and evidence; the facts that must stay visible."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from driftctl.config import SiteConfig
from driftctl.model import Artifact, RawSet
from driftctl.pipeline import run_collectors
from driftctl.redact import MARKER, Redactor, is_token, redact_evidence, redact_snapshot
from driftctl.redact.layers import MAX_LAYER_BYTES, Budget

KEY = bytes(range(32))
PW = "Hx7-secret-Qz91"


def b64(data: str | bytes) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


PGP = (
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGVkZm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA\n=Xy1Q\n"
    "-----END PGP PRIVATE KEY BLOCK-----\n"
)
DOCKER_CONFIG = json.dumps({"auths": {"registry.local": {"auth": b64(f"ci:{PW}")}}})
AUDIT = [
    ("redis-empty-user", {"url": f"redis://:{PW}@redis:6379/0"}, PW),
    ("amqp-slash-in-password", {"url": "amqp://svc:Am/x9k2/q7@rabbit:5672/vh"}, "Am/x9k2/q7"),
    ("jaas", {"jaas": f'PlainLoginModule required username="u" password="{PW}";'}, PW),
    ("multi-line-password", {"config": f"server:\n  port: 80\ndb:\n  password: {PW}\n"}, PW),
    ("pgp-private-key", {"material": PGP}, "lQOYBGVkZm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"),
    (
        "pem-header-cut-off",
        {"tail": "ok\nMC4CAQAwBQYDK2VwBCIEIGPosUQzT00PpUDyRczX\n-----END PRIVATE KEY-----\n"},
        "MC4CAQAwBQYDK2VwBCIEIGPosUQzT00PpUDyRczX",
    ),
    (
        "slack-webhook",
        {"alerts": "https://hooks.slack.com/services/T0AAAA1/B0BBBB2/Xk29dLq0Zm4Pw7Yt1Rb8Nc3V"},
        "Xk29dLq0Zm4Pw7Yt1Rb8Nc3V",
    ),
    ("aws-asia", {"id": "ASIAQ2XJ7KD4LMNOPQRS"}, "ASIAQ2XJ7KD4LMNOPQRS"),
    ("name-mysql-root-pw", {"MYSQL_ROOT_PW": PW}, PW),
    ("name-redis-auth", {"REDIS_AUTH": PW}, PW),
    ("name-github-pat", {"GITHUB_PAT": PW}, PW),
    ("name-admin-password-hash", {"adminPasswordHash": PW}, PW),
    ("name-smtp-pw", {"smtp": {"pw": PW}}, PW),
    ("args-db-pass", {"args": ["--listen=:80", "--db-pass", PW]}, PW),
    ("args-password-eq", {"args": [f"--password={PW}"]}, PW),
    ("sh-c-mysql-p", {"command": ["sh", "-c", f"mysql -uroot -p{PW} -h db app"]}, PW),
    ("mysqldump-argv", {"command": ["mysqldump"], "args": ["-uroot", f"-p{PW}", "app"]}, PW),
    ("redis-cli-a", {"exec": {"command": ["redis-cli", "-a", PW, "ping"]}}, PW),
    # kubectl sorts keys: args before command, and still one argv
    ("argv-kubectl-order", {"args": ["-uroot", f"-p{PW}", "db"], "command": ["mysqldump"]}, PW),
    ("argv-flag-in-args", {"args": ["--db-pass", PW], "command": ["app", "--x"]}, PW),
    ("base64-user-pass", {"blob": b64(f"svc:{PW}")}, PW),
    ("base64-dockerconfigjson", {".dockerconfigjson": b64(DOCKER_CONFIG)}, PW),
    ("base64-docker-auths-neutral-key", {"pull": b64(DOCKER_CONFIG)}, PW),
    ("gzip-base64", {"seed": b64(gzip.compress(f"token={PW}\n".encode(), mtime=0))}, PW),
    ("base64-of-base64", {"bundle": b64(b64(f"password={PW}"))}, PW),
    ("embedded-json", {"annotation": json.dumps({"host": "db", "password": PW})}, PW),
    ("k3s-node-args", {"node-args": json.dumps(["server", "--token", PW])}, PW),
    ("env-pair", {"env": [{"name": "SMTP_PASS", "value": PW}]}, PW),
    ("bearer", {"header": f"Authorization: Bearer {PW}"}, PW),
    ("basic-in-text", {"note": f"curl -H 'Authorization: Basic {b64('u:' + PW)}'"}, PW),
    ("curl-user", {"cmd": f"curl -u admin:{PW} https://x"}, PW),
    ("xml-element", {"conf": f"<cfg><password>{PW}</password></cfg>"}, PW),
    ("yaml-block", {"settings": f"credentials:\n  user: a\n  value: {PW}\nlog: info\n"}, PW),
    ("secret-number", {"vault": {"unsealKey": 918273645501}}, "918273645501"),
    ("dollar-password-is-no-reference", {"password": "$ecretPw-9"}, "$ecretPw-9"),
    ("boolean-looking-secret", {"example.com/agent-token": "true"}, '"true"'),
    ("long-bearer", {"log": "Authorization: Bearer " + "tK9" * 3000}, "tK9" * 1400),
]


@pytest.mark.parametrize(("value", "secret"), [a[1:] for a in AUDIT], ids=[a[0] for a in AUDIT])
def test_audit_leak_is_redacted(value: dict[str, Any], secret: str) -> None:
    r = Redactor(KEY)
    out = json.dumps(r.value(value))
    assert secret not in out
    assert "$dctok$v1$" in out
    assert secret not in json.dumps(r.report())


def _der_key_b64() -> str:
    seed = hashlib.sha256(b"der").digest()
    return b64(bytes.fromhex("302e020100300506032b657004220420") + seed)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (b64(b64(b64(b64("password=x1y2z3w4q5"))).encode()), "too-deep"),
        (b64(gzip.compress(b"\0" * (MAX_LAYER_BYTES + 10), mtime=0)), "too-large"),
        (_der_key_b64(), "der-private-key"),
    ],
    ids=["four-layers", "gzip-bomb", "der-key-without-armour"],
)
def test_what_cannot_be_judged_or_is_a_bare_key_is_redacted(value: str, rule: str) -> None:
    r = Redactor(KEY)
    assert is_token(r.value({"blob": value})["blob"])
    assert r.report()["by_rule"] == {rule: 1}


def test_past_the_decode_budget_encoded_text_is_redacted_not_trusted() -> None:
    r = Redactor(KEY)
    r.budget.left = -(10**9)  # spent (each call grants twice its own size, no more)
    clean = b64("an ordinary sentence of text")
    assert is_token(r.value({"note": clean})["note"])
    assert Redactor(KEY).value({"note": clean}) == {"note": clean}
    assert Budget().left > 0


@pytest.mark.parametrize(
    "value",
    [
        "sha256:87777fe4635f1dd5ee650bda38a26e37a5e9f050d2fcde4a9849a75799d714f4",
        "registry.local/ai/docai@sha256:87777fe4635f1dd5ee650bda38a26e37a5e9f050d2fcde4a9849a75799d714f4",
        "registry.savings-bank.local/ai/frontend:2.3.4",
        "f7d2cf38-299d-5779-83a4-0d6907ca3457",
        "GPU-5a3c4b2e-1f2d-4e5a-9b8c-7d6e5f4a3b2c",
        "b79606fb3afea5bd1609ed40b622142f1c98125abcfe89a76a661b0e8e343910",
        "http://mcp-hub.ai-platform.svc:8811",
        "https://user@example.com/path",
        "A Basic Kubernetes Demo Chart",
        "docai-7d9c8b6f5-x2k4z",
        "ConfigurationManagerFactory1",
        "550.54.15",
        "v1.29.3+k3s1",
        "time 10:30, mode=fast, retries: 3",
        b64("just an ordinary configuration sentence"),
        "containerd://177ddc6d65546846764847b56a29cf446712f9ff63f0bf641f19867806064e65",
        "--listen=:8080 --verbose --workers 4",
        "{{ .Values.auth.password }}",
    ],
)
def test_ordinary_values_stay_visible(value: str) -> None:
    r = Redactor(KEY)
    assert r.value({"note": value}) == {"note": value}
    assert r.report()["total"] == 0


def test_a_reference_to_a_secret_stays_visible_under_a_secret_name() -> None:
    r = Redactor(KEY)
    value = {"password": "{{ .Values.db.password }}", "DB_PASS": "$(DB_PASS_FROM_SECRET)"}
    assert r.value(value) == value


def test_spans_keep_the_rest_of_a_value_readable() -> None:
    out = Redactor().value({"url": f"postgres://app:{PW}@db.local:5432/app"})
    assert out == {"url": f"postgres://app:{MARKER}@db.local:5432/app"}


def test_redaction_is_idempotent() -> None:
    r = Redactor(KEY)
    once = r.value({"a": f"redis://:{PW}@h", "password": PW, "blob": b64(f"u:{PW}")})
    total = r.report()["total"]
    assert r.value(once) == once and r.report()["total"] == total


def _workloads_json() -> bytes:
    container = {
        "name": "app",
        "image": "r/app:1",
        "env": [{"name": "DATABASE_URL", "value": f"postgres://u:{PW}@db/x"}],
    }
    workload = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "app",
            "namespace": "ns",
            "labels": {"build-pass": "bp-91x7Lq", "app": "app"},
            "annotations": {"example.com/webhook-token": "wt-33kd8Z", "checksum/config": "ab" * 32},
        },
        "spec": {"template": {"spec": {"containers": [container]}}},
    }
    return json.dumps({"kind": "List", "items": [workload]}).encode()


def test_snapshot_and_evidence_carry_the_same_token_for_the_same_secret() -> None:
    """The audit: labels and annotations were tokenised in evidence, plaintext in the snapshot."""
    raw = RawSet()
    raw.add(Artifact("kubernetes/workloads.json", _workloads_json()))
    config = SiteConfig(site="s", source=Path("s.yaml"))
    snap = run_collectors(config, raw, "2026-01-01T00:00:00Z").to_dict()
    r = Redactor(KEY)
    red = redact_snapshot(r, snap, {})
    evidence = json.loads(dict(redact_evidence(r, raw))["kubernetes/workloads.json"])
    meta = evidence["items"][0]["metadata"]
    workload = red["workloads"]["ns/Deployment/app"]
    assert is_token(workload["labels"]["build-pass"])
    assert workload["labels"]["build-pass"] == meta["labels"]["build-pass"]
    token = workload["annotations"]["example.com/webhook-token"]
    assert is_token(token) and token == meta["annotations"]["example.com/webhook-token"]
    url = workload["containers"]["app"]["env"]["DATABASE_URL"]
    assert (
        PW not in url
        and url
        == evidence["items"][0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]
    )
    assert workload["annotations"]["checksum/config"] == "ab" * 32
    assert workload["labels"]["app"] == "app"


def test_component_read_from_a_secret_source_is_a_token_equal_to_its_source() -> None:
    r = Redactor(KEY)
    snap = {
        "workloads": {"ns/Deployment/app": {"labels": {"build-pass": "bp-91x7Lq"}}},
        "helm": {"ns/rel": {"values": {"auth": {"username": "svc"}}}},
        "components": {"app": {"build": "bp-91x7Lq", "user": "svc", "version": "1.0"}},
    }
    rules = {"app": [("build", "label:build-pass"), ("user", "helm:ns/rel:auth.username")]}
    out = redact_snapshot(r, snap, rules)
    app = out["components"]["app"]
    assert app["build"] == out["workloads"]["ns/Deployment/app"]["labels"]["build-pass"]
    assert app["user"] == out["helm"]["ns/rel"]["values"]["auth"]["username"]
    assert is_token(app["build"]) and is_token(app["user"]) and app["version"] == "1.0"


def test_computed_values_are_judged_like_values() -> None:
    r = Redactor(KEY)
    snap = {"helm": {"ns/rel": {"values": {}, "computed_values": {"db": {"password": PW}}}}}
    out = redact_snapshot(r, snap, {})
    assert is_token(out["helm"]["ns/rel"]["computed_values"]["db"]["password"])


def test_failure_messages_and_other_facts_are_judged_by_shape() -> None:
    r = Redactor(KEY)
    snap = {
        "failures": [{"target": "n", "collector": "x", "error": f"exit 1: https://u:{PW}@proxy"}],
        "nodes": {"token-node": {"os_image": "Ubuntu 22.04.4 LTS", "bmc_password": PW}},
        "workloads": {"ns/Deployment/token-service": {"kind": "Deployment", "replicas": 2}},
    }
    out = redact_snapshot(r, snap, {})
    assert PW not in json.dumps(out)
    assert out["nodes"]["token-node"]["os_image"] == "Ubuntu 22.04.4 LTS"
    assert out["workloads"] == snap["workloads"]  # ids are not names


def test_a_failure_about_a_dump_file_named_secrets_keeps_the_api_error() -> None:
    # The failure names the artifact (kubernetes/helm-secrets.json): our own path, not a
    # secret key, so the API's words stay readable at the centre; what follows is still judged.
    r = Redactor(KEY)
    unauthorized = "error: You must be logged in to the server (Unauthorized)"
    snap = {
        "failures": [
            {
                "target": "kubernetes/helm-secrets",
                "collector": "helm",
                "error": f"kubernetes/helm-secrets.json: {unauthorized}",
            },
            {
                "target": "kubernetes/helm-secrets",
                "collector": "helm",
                "error": f"kubernetes/helm-secrets.json: exit 1: https://u:{PW}@proxy",
            },
        ]
    }
    out = redact_snapshot(r, snap, {})
    assert out["failures"][0] == snap["failures"][0]
    assert PW not in json.dumps(out)
    assert out["failures"][1]["error"].startswith("kubernetes/helm-secrets.json: exit 1: ")
