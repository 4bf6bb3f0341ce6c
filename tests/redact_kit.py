"""The leak corpus: a site dump with secrets of many shapes planted everywhere a site holds free
text, and the helpers that search every output for them, plain and encoded.

Every secret here is fake, made for these tests from a hash of (site, id), so two sites hold
different values at the same places (which puts each place into the diff reports too).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import re
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent.parent
TEMPLATE_SITE = ROOT / "fixtures" / "sites" / "savings-bank"
NS = "ai-platform"
LEAKY = "leaky"


def b64(data: bytes | str, urlsafe: bool = False) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()


@dataclass(frozen=True)
class Secret:
    """One planted secret: the bytes that must never leave, where and how it was planted."""

    ident: str
    where: str
    value: str
    planted_as: tuple[str, ...] = ()  # encoded forms as planted (also searched for)


@dataclass
class Corpus:
    """The secrets of one site and the pieces of Kubernetes objects and outputs that hold them."""

    site: str
    secrets: list[Secret] = field(default_factory=list)

    def tag(self, ident: str, n: int = 20) -> str:
        return hashlib.sha256(f"{self.site}/{ident}".encode()).hexdigest()[:n]

    def add(self, ident: str, where: str, value: str, *planted_as: str) -> str:
        assert len(value) >= 12, (ident, value)
        assert all(s.ident != ident for s in self.secrets), ident
        self.secrets.append(Secret(ident, where, value, planted_as))
        return value

    def pw(self, ident: str, where: str) -> str:
        """A password-like secret that is also a valid label value."""
        t = self.tag(ident)
        return self.add(ident, where, f"Pw{t[:8]}-{t[8:16]}Q{t[16:]}")

    def upper(self, ident: str, n: int) -> str:
        digest = hashlib.sha256(f"{self.site}/{ident}".encode()).digest()
        return base64.b32encode(digest).decode()[:n].replace("=", "A")

    def alnum(self, ident: str, n: int) -> str:
        digest = hashlib.sha512(f"{self.site}/{ident}".encode()).digest()
        return re.sub(r"[^A-Za-z0-9]", "", base64.b64encode(digest).decode())[:n]


def pem_key(corpus: Corpus, ident: str) -> tuple[str, str]:
    """A real-format Ed25519 PKCS#8 PEM from a fixed seed; returns (pem, body line)."""
    seed = hashlib.sha256(f"leak {corpus.site} {ident}".encode()).digest()
    body = b64(bytes.fromhex("302e020100300506032b657004220420") + seed)
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n", body


def pgp_key(corpus: Corpus, ident: str) -> tuple[str, str]:
    body = b64(hashlib.sha512(f"pgp {corpus.site} {ident}".encode()).digest())
    block = (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
        f"lQOYBGVk{body}\n=Xy1Q\n-----END PGP PRIVATE KEY BLOCK-----\n"
    )
    return block, body


def jwt(corpus: Corpus, ident: str) -> str:
    head = b64(b'{"alg":"HS256","typ":"JWT"}', urlsafe=True).rstrip("=")
    body = b64(json.dumps({"sub": ident, "site": corpus.site}).encode(), urlsafe=True).rstrip("=")
    sig = b64(hashlib.sha256(f"{corpus.site}{ident}".encode()).digest(), urlsafe=True).rstrip("=")
    return f"{head}.{body}.{sig}"


def plant(site: str) -> tuple[Corpus, dict[str, Any]]:
    """The secrets of one leak site and where they go (env, argv, metadata, Helm values, …)."""
    c = Corpus(site)
    pw = c.pw
    # -- container env (literal values) ------------------------------------------------------
    env = [
        {"name": "PARSER_API_VERSION", "value": "v1"},
        {"name": "DB_PASSWORD", "value": pw("env-db-password", "env DB_PASSWORD")},
        {"name": "MYSQL_ROOT_PW", "value": pw("env-mysql-root-pw", "env MYSQL_ROOT_PW")},
        {"name": "REDIS_AUTH", "value": pw("env-redis-auth", "env REDIS_AUTH")},
        {"name": "SMTP_PASS", "value": pw("env-smtp-pass", "env SMTP_PASS")},
        {
            "name": "GITHUB_PAT",
            "value": c.add(
                "env-github-pat", "env GITHUB_PAT", "ghp_" + c.alnum("env-github-pat", 36)
            ),
        },
        {
            "name": "SENTRY_DSN",
            "value": "https://"
            + c.add("env-sentry-dsn", "env SENTRY_DSN userinfo", c.tag("env-sentry-dsn", 32))
            + "@o1.ingest.sentry.io/42",
        },
        {
            "name": "DATABASE_URL",
            "value": "postgres://app:"
            + pw("env-database-url", "env DATABASE_URL (URI password)")
            + "@db.local:5432/app",
        },
        {
            "name": "REDIS_URL",
            "value": "redis://:"
            + pw("env-redis-url", "env REDIS_URL (empty user)")
            + "@redis:6379/0",
        },
        {
            "name": "AMQP_URL",
            "value": "amqp://svc:"
            + c.add(
                "env-amqp-url", "env AMQP_URL (/ in the password)", "Am/" + c.tag("amqp", 14) + "/x"
            )
            + "@rabbit:5672/vh",
        },
        {
            "name": "ALERT_HOOK",
            "value": "https://hooks.slack.com/services/T0AAAA1/B0BBBB2/"
            + c.add(
                "env-slack-webhook", "env ALERT_HOOK (Slack webhook path)", c.alnum("slack", 24)
            ),
        },
        {
            "name": "AWS_ID",
            "value": c.add(
                "env-aws-asia", "env AWS_ID (ASIA key id)", "ASIA" + c.upper("aws-asia", 16)
            ),
        },
        {
            "name": "JAVA_OPTS",
            "value": "-Xmx1g -Djavax.net.ssl.trustStorePassword="
            + pw("env-java-opts", "env JAVA_OPTS (-Dx.password=)")
            + " -Dfile.encoding=UTF-8",
        },
        {
            "name": "KAFKA_SASL_JAAS_CONFIG",
            "value": (
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'username="svc" password="{pw("env-jaas", "env JAAS password=")}";'
            ),
        },
        {
            "name": "APP_CONFIG",
            "value": "server:\n  port: 8080\ndatabase:\n  host: db\n"
            f"  password: {pw('env-multiline', 'env APP_CONFIG (password: in a multi-line value)')}\n"
            "  pool: 5\n",
        },
        {
            "name": "UPSTREAM_HEADER",
            "value": "Basic "
            + b64("svc:" + pw("env-basic-header", "env UPSTREAM_HEADER (Basic base64 user:pass)")),
        },
        {
            "name": "REGISTRY_BLOB",
            "value": b64(
                "puller:" + pw("env-b64-userpass", "env REGISTRY_BLOB (base64 user:pass)")
            ),
        },
        {
            "name": "BOOTSTRAP_BLOB",
            "value": b64(
                gzip.compress(
                    f"db_password={pw('env-gzip-b64', 'env BOOTSTRAP_BLOB (gzip+base64)')}\n".encode(),
                    mtime=0,
                )
            ),
        },
        {"name": "SIGNING_MATERIAL", "value": pgp_key(c, "env-pgp")[0]},
        {
            "name": "ADMIN_PASSWORD_HASH",
            "value": c.add(
                "env-password-hash", "env ADMIN_PASSWORD_HASH", "$2b$12$" + c.alnum("bcrypt", 40)
            ),
        },
        {
            "name": "HF_HUB",
            "value": c.add(
                "env-hf-token", "env HF_HUB (Hugging Face token)", "hf_" + c.alnum("hf", 34)
            ),
        },
        {"name": "DB_SECRET_REF", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
    ]
    c.secrets.append(
        Secret("env-pgp", "env SIGNING_MATERIAL (PGP private key block)", pgp_key(c, "env-pgp")[1])
    )
    # -- argv --------------------------------------------------------------------------------
    args = [
        "--listen=:8080",
        "--db-pass",
        pw("args-db-pass", "args --db-pass X"),
        "--password=" + pw("args-password-eq", "args --password=X"),
        "-token",
        pw("args-go-token", "args -token X (Go flag)"),
        "--proxy-user",
        "svc:" + pw("args-proxy-user", "args --proxy-user user:X"),
        "--config-json",
        json.dumps({"apiToken": pw("args-json", "args embedded JSON apiToken")}),
        "--set",
        "auth.password=" + pw("args-helm-set", "args --set auth.password=X"),
    ]
    command = ["/app/server"]
    init_command = [
        "sh",
        "-c",
        f"mysql -uroot -p{pw('cmd-mysql-p', 'command sh -c mysql -pX')} -h db app < /init.sql"
        f" && PGPASSWORD={pw('cmd-pgpassword', 'command PGPASSWORD=X psql')} psql -h pg -c 'select 1'",
    ]
    dump_command = [
        "mysqldump",
        "-uroot",
        "-p" + pw("cmd-mysqldump", "command mysqldump -pX"),
        "app",
    ]
    probe = ["redis-cli", "-a", pw("probe-redis-cli", "livenessProbe redis-cli -a X"), "ping"]
    # -- metadata ----------------------------------------------------------------------------
    annotations = {
        "driftctl.io/api-versions": "v1,v2",
        "example.com/webhook-token": pw(
            "ann-webhook-token", "annotation example.com/webhook-token"
        ),
        "example.com/callback": "https://notify:"
        + pw("ann-callback-uri", "annotation URI credentials")
        + "@hooks.example.com/cb",
        "example.com/db-config": json.dumps(
            {"host": "db", "password": pw("ann-json", "annotation JSON document password")}
        ),
        "example.com/pull": b64(
            json.dumps(
                {
                    "auths": {
                        "registry.local": {
                            "auth": b64(
                                "ci:"
                                + pw("ann-dockerconfig", "annotation base64 docker config JSON")
                            )
                        }
                    }
                }
            )
        ),
        "checksum/config": hashlib.sha256(b"config").hexdigest(),
    }
    template_annotations = {
        "vault.example.com/secret-id": pw("tann-secret-id", "template annotation secret-id"),
        "example.com/assertion": jwt(c, "tann-jwt"),
    }
    c.secrets.append(Secret("tann-jwt", "template annotation JWT", jwt(c, "tann-jwt")))
    labels = {
        "app.kubernetes.io/name": LEAKY,
        "app.kubernetes.io/version": "0.9.1",
        "build-pass": pw("label-build-pass", "label build-pass"),
        "ci-token": pw("label-ci-token", "label ci-token"),
    }
    template_labels = {
        "app.kubernetes.io/name": LEAKY,
        "deploy-key": pw("tlabel-deploy-key", "template label deploy-key"),
    }
    # -- Helm values -------------------------------------------------------------------------
    pem, pem_body = pem_key(c, "values-pem")
    pgp, pgp_body = pgp_key(c, "values-pgp")
    c.secrets.append(Secret("values-pem", "values tls.material (PEM private key)", pem_body))
    c.secrets.append(Secret("values-pgp", "values gpg.armored (PGP private key)", pgp_body))
    docker_auth = b64(
        json.dumps(
            {
                "auths": {
                    "registry.local": {
                        "username": "ci",
                        "password": pw("values-dockerconfigjson", "values .dockerconfigjson"),
                    }
                }
            }
        )
    )
    values = {
        "image": {"repository": "registry.local/ai/leaky", "tag": "0.9.1"},
        "mcpHub": {"timeoutSeconds": 3, "url": "http://mcp-hub:8811"},
        "auth": {
            "password": pw("values-auth-password", "values auth.password"),
            "username": "svc",
            "enabled": True,
            "timeoutSeconds": 30,
        },
        "smtp": {"host": "mail.local", "pw": pw("values-smtp-pw", "values smtp.pw")},
        "adminPasswordHash": c.add(
            "values-password-hash",
            "values adminPasswordHash",
            "$argon2id$v=19$" + c.alnum("argon", 32),
        ),
        "users": [
            {"name": "alice", "password": pw("values-list-password", "values users[].password")}
        ],
        "apiKeys": [
            pw("values-apikeys-0", "values apiKeys[0]"),
            pw("values-apikeys-1", "values apiKeys[1]"),
        ],
        "config": "server:\n  port: 8080\ndatabase:\n  user: app\n  password: "
        + pw("values-multiline", "values config (multi-line password:)")
        + "\n",
        "settings": "credentials:\n  user: a\n  value: "
        + pw("values-yaml-block", "values settings (YAML block under credentials:)")
        + "\nlog: info\n",
        "registry": {
            "blob": b64(
                "ci:" + pw("values-b64-userpass", "values registry.blob (base64 user:pass)")
            )
        },
        ".dockerconfigjson": docker_auth,
        "pullConfig": b64(
            json.dumps(
                {
                    "auths": {
                        "r.local": {
                            "auth": b64(
                                "u:"
                                + pw(
                                    "values-b64-dockercfg",
                                    "values pullConfig (base64 docker config, neutral key)",
                                )
                            )
                        }
                    }
                }
            )
        ),
        "seed": b64(
            gzip.compress(
                ("token=" + pw("values-gzip", "values seed (gzip+base64)")).encode(), mtime=0
            )
        ),
        "bundle": b64(b64("password=" + pw("values-b64-b64", "values bundle (base64 of base64)"))),
        "tls": {"enabled": True, "material": pem},
        "gpg": {"armored": pgp},
        "mcp": {
            "assertion": c.add("values-jwt", "values mcp.assertion (JWT)", jwt(c, "values-jwt"))
        },
        "aws": {
            "id": c.add(
                "values-aws-asia", "values aws.id (ASIA key id)", "ASIA" + c.upper("v-asia", 16)
            ),
            "secretAccessKey": c.add(
                "values-aws-secret", "values aws.secretAccessKey", c.alnum("aws-secret", 40)
            ),
        },
        "alerts": {
            "slack": {
                "url": "https://hooks.slack.com/services/T0CCCC3/B0DDDD4/"
                + c.add(
                    "values-slack", "values alerts.slack.url (webhook path)", c.alnum("v-slack", 24)
                )
            }
        },
        "cache": {
            "url": "redis://:"
            + pw("values-redis-url", "values cache.url (empty user)")
            + "@redis:6379"
        },
        "queue": {
            "url": "amqp://app:"
            + c.add("values-amqp", "values queue.url (/ in password)", "Q/" + c.tag("v-amqp", 14))
            + "@mq:5672/"
        },
        "kafka": {
            "jaas": "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="app" password="{pw("values-jaas", "values kafka.jaas")}";'
        },
        "extraArgs": ["--db-pass", pw("values-extraargs", "values extraArgs --db-pass X")],
        "extraEnv": [
            {
                "name": "GITHUB_PAT",
                "value": c.add(
                    "values-extraenv-pat",
                    "values extraEnv GITHUB_PAT",
                    "github_pat_" + c.alnum("fgpat", 40),
                ),
            }
        ],
        "vault": {"unsealKey": 918273645501},
        "connectionString": "Server=db;User Id=sa;Password="
        + pw("values-connstring", "values connectionString")
        + ";",
        "legacy": {
            "odbc": "Driver=x;Server=db;Pwd="
            + pw("values-odbc-pwd", "values Pwd= inside text")
            + ";"
        },
        "webhook": {
            "signingValue": c.add(
                "values-opaque", "values opaque random value (entropy)", c.alnum("opaque", 32)
            )
        },
        "model": {
            "hub": c.add("values-hf", "values model.hub (hf_ token)", "hf_" + c.alnum("v-hf", 34))
        },
        "git": {
            "remote": "https://"
            + c.add(
                "values-git-pat-url",
                "values git.remote (token as URI user)",
                "ghp_" + c.alnum("git-pat", 36),
            )
            + "@github.com/org/repo.git"
        },
        "tokenizer": "bert-base-uncased",
        "maxTokens": 4096,
    }
    c.secrets.append(Secret("values-unseal", "values vault.unsealKey (number)", "918273645501"))
    # -- evidence only -------------------------------------------------------------------------
    k3s_token = c.add(
        "node-k3s-token",
        "nodes.json annotation k3s.io/node-args --token",
        "K10" + c.tag("k3s", 64) + "::server:" + c.tag("k3s-s", 32),
    )
    node_annotations = {
        "k3s.io/node-args": json.dumps(["server", "--token", k3s_token, "--disable", "traefik"]),
        "k3s.io/node-env": json.dumps(
            {
                "K3S_DATASTORE_ENDPOINT": "postgres://k3s:"
                + pw("node-env-datastore", "nodes.json annotation k3s.io/node-env URI")
                + "@pg:5432/k3s"
            }
        ),
    }
    opaque_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db", "namespace": NS, "labels": {"owner": "helm"}},
        "data": {"password": b64(pw("secret-data", "helm-secrets.json Opaque Secret data"))},
        "stringData": {"token": pw("secret-stringdata", "helm-secrets.json Secret stringData")},
    }
    pull_message = (
        "failed to pull: https://puller:"
        + pw("pod-status-message", "pods.json status message URI password")
        + "@registry.local/v2/"
    )
    node_stderr = {
        "timedatectl.txt": "Failed to query https://svc:"
        + pw("node-stderr-uri", "node timedatectl stderr URI password")
        + "@proxy.local:3128: refused\n"
        "Authorization: Bearer "
        + c.add("node-stderr-bearer", "node stderr Bearer token", "bt" + c.alnum("bearer", 30))
        + "\n",
        "ntpq.txt": "ntpq: key 12 secret="
        + pw("node-ntpq-secret", "node ntpq stderr secret=X")
        + "\n",
    }
    pieces = {
        "env": env,
        "args": args,
        "command": command,
        "init_command": init_command,
        "dump_command": dump_command,
        "probe": probe,
        "annotations": annotations,
        "template_annotations": template_annotations,
        "labels": labels,
        "template_labels": template_labels,
        "values": values,
        "node_annotations": node_annotations,
        "opaque_secret": opaque_secret,
        "pull_message": pull_message,
        "node_stderr": node_stderr,
    }
    return c, pieces


def _release_secret(site: str, values: dict[str, Any]) -> dict[str, Any]:
    release = {
        "name": LEAKY,
        "namespace": NS,
        "version": 1,
        "info": {"status": "deployed", "description": "Install complete", "notes": ""},
        "chart": {
            "metadata": {"name": LEAKY, "version": "0.9.1", "appVersion": "0.9.1"},
            "values": {"image": {"tag": "0.9.1"}},
            "templates": [],
        },
        "config": values,
        "manifest": "---\napiVersion: v1\nkind: Secret\ndata:\n  password: "
        + b64(str(values["auth"]["password"]))
        + "\n",
    }
    payload = b64(b64(gzip.compress(json.dumps(release).encode(), mtime=0)))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{LEAKY}.v1",
            "namespace": NS,
            "labels": {"name": LEAKY, "owner": "helm", "status": "deployed", "version": "1"},
        },
        "data": {"release": payload},
    }


def _workload(p: dict[str, Any]) -> dict[str, Any]:
    container = {
        "name": LEAKY,
        "image": "registry.local/ai/leaky:0.9.1",
        "command": p["command"],
        "args": p["args"],
        "env": p["env"],
        "livenessProbe": {"exec": {"command": p["probe"]}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": LEAKY,
            "namespace": NS,
            "labels": p["labels"],
            "annotations": {
                **p["annotations"],
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                    {"spec": {"template": {"spec": {"containers": [container]}}}}
                ),
            },
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": LEAKY}},
            "template": {
                "metadata": {
                    "labels": p["template_labels"],
                    "annotations": p["template_annotations"],
                },
                "spec": {
                    "initContainers": [
                        {"name": "init", "image": "mysql:8", "command": p["init_command"]},
                        {"name": "dump", "image": "mysql:8", "command": p["dump_command"]},
                    ],
                    "containers": [container],
                },
            },
        },
    }


def _pod(p: dict[str, Any], workload: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(json.dumps(workload["spec"]["template"]["spec"]))
    spec["nodeName"] = "sb-gpu1"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{LEAKY}-5d8f7c9b6d-x2k4z",
            "namespace": NS,
            "labels": {
                **workload["spec"]["template"]["metadata"]["labels"],
                "pod-template-hash": "5d8f7c9b6d",
            },
            "annotations": workload["spec"]["template"]["metadata"]["annotations"],
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "controller": True,
                    "name": f"{LEAKY}-5d8f7c9b6d",
                }
            ],
        },
        "spec": spec,
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": LEAKY,
                    "image": "registry.local/ai/leaky:0.9.1",
                    "imageID": "registry.local/ai/leaky@sha256:" + "ab" * 32,
                    "ready": False,
                    "restartCount": 3,
                    "state": {
                        "waiting": {"reason": "ImagePullBackOff", "message": p["pull_message"]}
                    },
                }
            ],
        },
    }


def _edit_json(path: Path, edit: Any) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True))  # as kubectl writes it


def make_leak_site(base: Path, site: str) -> tuple[Path, Path, Corpus]:
    """A copy of the savings-bank dump with the corpus planted: (site.yaml, dump dir, corpus)."""
    corpus, p = plant(site)
    root = base / site
    dump = root / "dump"
    shutil.copytree(TEMPLATE_SITE / "dump", dump)
    kube = dump / "kubernetes"
    workload = _workload(p)
    _edit_json(kube / "workloads.json", lambda d: d["items"].append(workload))
    _edit_json(kube / "pods.json", lambda d: d["items"].append(_pod(p, workload)))
    _edit_json(
        kube / "helm-secrets.json",
        lambda d: d["items"].extend([_release_secret(site, p["values"]), p["opaque_secret"]]),
    )

    def node_annotations(doc: dict[str, Any]) -> None:
        meta = doc["items"][0]["metadata"]
        meta["annotations"] = {**meta.get("annotations", {}), **p["node_annotations"]}

    _edit_json(kube / "nodes.json", node_annotations)
    for name, stderr in p["node_stderr"].items():
        (dump / "nodes" / "sb-cp1" / f"{name}.stderr").write_text(stderr)
        (dump / "nodes" / "sb-cp1" / f"{name}.rc").write_text("1\n")
    config = yaml.safe_load((TEMPLATE_SITE / "site.yaml").read_text())
    config["site"] = site
    config["components"]["leaky"] = {
        "workload": f"{NS}/Deployment/{LEAKY}",
        "version": "image_tag",
        "build": "label:build-pass",
        "hook": "annotation:example.com/webhook-token",
        "pat": "env:GITHUB_PAT",
        "dbpw": "helm:ai-platform/leaky:auth.password",
        "callback": "annotation:example.com/callback",
    }
    cfg = root / "site.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    return cfg, dump, corpus


# -- searching outputs -------------------------------------------------------------------------

_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def needles(secret: Secret) -> set[bytes]:
    """The secret as bytes and its base64 forms at every byte offset (std and URL-safe), so a
    secret re-encoded inside some larger value is found too; and the encoded forms planted."""
    raw = secret.value.encode()
    out = {raw, *(p.encode() for p in secret.planted_as)}
    for offset in range(3):
        enc = base64.b64encode(b"\0" * offset + raw)
        # Drop the quanta that mix in the neighbouring bytes at both ends.
        core = enc[4:-4] if offset else enc[: len(enc) - (4 if len(raw) % 3 else 0)]
        if len(core) >= 12:
            out.add(core)
            out.add(core.replace(b"+", b"-").replace(b"/", b"_"))
    return out


def decoded_layers(blob: bytes, depth: int = 0) -> Iterator[bytes]:
    """The blob and every base64/gzip layer inside it, opened up to six deep."""
    yield blob
    if blob[:2] == b"\x1f\x8b":
        try:
            inner = zlib.decompressobj(wbits=31).decompress(blob, 64 << 20)
        except zlib.error:
            inner = b""
        if inner and depth < 6:
            yield from decoded_layers(inner, depth + 1)
    if depth >= 6:
        return
    for m in _RUN.finditer(blob):
        run = m.group().rstrip(b"=")
        alt = b"-_" if (b"-" in run or b"_" in run) else None
        try:
            data = base64.b64decode(run + b"=" * (-len(run) % 4), altchars=alt, validate=True)
        except (binascii.Error, ValueError):
            continue
        yield from decoded_layers(data, depth + 1)


def leaks(blobs: dict[str, bytes], secrets: list[Secret]) -> list[str]:
    """``'<secret id> in <where>'`` for every secret found in any blob or its decoded layers."""
    opened = {name: list(decoded_layers(blob)) for name, blob in blobs.items()}
    found = []
    for secret in secrets:
        forms = needles(secret)
        for name, layers in opened.items():
            if any(form in layer for layer in layers for form in forms):
                found.append(f"{secret.ident} ({secret.where}) in {name}")
    return found
