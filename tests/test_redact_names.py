"""Secret names: words and abbreviations, heads that make a name neutral, ``key`` in context."""

from __future__ import annotations

import pytest

from driftctl.redact import MARKER, Redactor, is_neutral_name, is_secret_name
from driftctl.redact.names import words

SECRET = [
    "password", "DB_PASSWORD", "dbpassword", "MYSQL_ROOT_PW", "smtp.pw", "PWD", "build-pass",
    "SMTP_PASS", "passwd", "passphrase", "REDIS_AUTH", "auth", "GITHUB_PAT", "API_TOKEN",
    "HF_TOKEN", "example.com/webhook-token", "clientSecret", "imagePullSecrets", "SENTRY_DSN",
    "adminPasswordHash", "apiKey", "APIKey", "OPENAI_API_KEY", "tls.key", "key", "secretKey",
    "privateKey", "ssh-privatekey", "client-key-data", "keyData", ".dockerconfigjson",
    ".dockercfg", "connectionString", "AccountKey", "X-Amz-Signature", "sig", "access_token",
    "tls.crt", "existingSecretPasswordKey", "vault.example.com/secret-id", "deploy-key",
    "session_cookie", "password2", "jwt", "credentials", "creds",
]  # fmt: skip
ORDINARY = [
    "keyName", "keyRef", "secretName", "secretKeyRef", "passwordFile", "tokenTTL", "authEnabled",
    "authUrl", "tokenizer", "TOKENIZER_PATH", "maxTokens", "max_new_tokens", "PARSER_API_VERSION",
    "api_versions", "timeoutSeconds", "mcpHub.timeoutSeconds", "clientAssertion", "username",
    "publicKey", "ssh-publickey", "routingKey", "partition-key", "checksum/config",
    "checksum/secret", "secretChecksum", "cert-manager.io/cluster-issuer", "pod-template-hash",
    "PATH", "privateRegistry", "author", "keycloakUrl", "monkey", "app.kubernetes.io/version",
    "kubernetes.io/service-account.name", "passwordPolicy", "PASSWORD_MIN_LENGTH", "authType",
    "image", "tag", "digest",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_words_split_case_separators_and_digits() -> None:
    assert words("adminPasswordHash") == ["admin", "password", "hash"]
    assert words("MYSQL_ROOT_PW") == ["mysql", "root", "pw"]
    assert words("APIKey2") == ["api", "key", "2"]


def test_neutral_children_stay_visible_below_a_secret_key() -> None:
    assert is_neutral_name("enabled") and is_neutral_name("timeoutSeconds")
    assert not is_neutral_name("username")
    out = Redactor().value({"auth": {"enabled": True, "timeoutSeconds": 30, "user": "svc"}})
    assert out == {"auth": {"enabled": True, "timeoutSeconds": 30, "user": MARKER}}


@pytest.mark.parametrize(
    "value",
    [
        {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]},
        {"secretKeyRef": {"name": "db", "key": "password"}},
        {"items": [{"key": "tls.crt", "path": "tls.crt"}]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
    ],
    ids=["toleration", "secret-key-ref", "projection", "selector"],
)
def test_key_that_names_a_key_is_not_a_secret(value: dict) -> None:
    r = Redactor(bytes(32))
    assert r.value(value) == value
    assert r.report()["total"] == 0


def test_a_bare_key_is_a_secret_elsewhere() -> None:
    assert Redactor().value({"key": "s3cr3t-material"}) == {"key": MARKER}


def test_the_former_regex_name_answers_with_the_same_judgement() -> None:
    from driftctl.redact import SECRET_KEY_RE

    assert SECRET_KEY_RE.search("MYSQL_ROOT_PW") and not SECRET_KEY_RE.search("keyName")
