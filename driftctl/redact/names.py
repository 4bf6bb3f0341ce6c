"""Whether a key, env name, label, annotation or command-line flag names a secret value."""

from __future__ import annotations

import re
from functools import lru_cache

# Words that, anywhere in a name, say its value is a secret (abbreviations included: a name
# like MYSQL_ROOT_PW, REDIS_AUTH, GITHUB_PAT or smtp.pw is as secret as DB_PASSWORD).
SECRET_WORDS = frozenset(
    {
        "password", "passwords", "passwd", "passphrase", "pass", "pwd", "pw", "pswd",
        "secret", "secrets", "token", "credential", "credentials", "creds", "cred",
        "auth", "authorization", "pat", "dsn", "cookie", "bearer", "salt", "signature",
        "sig", "apikey", "privatekey", "cert", "certs", "certificate", "crt", "hmac",
        "psk", "jwt", "otp", "sas",
    }
)  # fmt: skip
# Stems caught inside one-word compounds (``dbpassword``, ``APIKEY``, ``clientsecret``); only
# those that are never part of an ordinary word ("token" is not: ``tokenizer``, ``maxTokens``).
SECRET_STEMS = (
    "password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey",
    "accesskey", "secretkey", "authtoken", "accesstoken", "refreshtoken", "bearertoken",
    "connectionstring", "dockerconfig", "dockercfg", "pgpass", "netrc",
)  # fmt: skip
# Words that make ``key`` ordinary when they stand right before it.
PUBLIC_KEY_QUALIFIERS = frozenset(
    {
        "public", "pub", "primary", "partition", "sort", "routing", "cache", "foreign",
        "lookup", "label", "selector", "match", "node", "topology", "idempotency", "map",
        "group", "index", "shard", "row", "hash", "dedup", "object", "annotation", "ref",
        "sharding", "metric", "config",
    }
)  # fmt: skip
# A last word that says the value is *about* a secret, not the secret: ``secretName``,
# ``passwordFile``, ``tokenTTL``, ``authEnabled``, ``keyName``, ``checksum/secret``.
NEUTRAL_HEADS = frozenset(
    {
        "name", "names", "ref", "refs", "reference", "file", "files", "filename", "path",
        "paths", "dir", "directory", "mount", "mountpath", "volume", "enabled", "enable",
        "disabled", "disable", "required", "optional", "type", "kind", "mode", "format",
        "algorithm", "alg", "size", "length", "bits", "ttl", "expiry", "expiration",
        "expires", "lifetime", "age", "timeout", "seconds", "interval", "duration",
        "period", "rotation", "policy", "provider", "issuer", "audience", "endpoint",
        "url", "uri", "host", "hostname", "port", "version", "count", "field", "template",
        "source", "store", "backend", "strategy", "method", "selector", "generator",
        "manager", "class", "namespace", "location", "scope", "scopes", "realm", "limit",
        "max", "min", "validity", "days", "hours", "minutes", "header", "prefix",
        "checksum", "digest", "fingerprint", "used", "inject", "status",
    }
)  # fmt: skip
# Words that, anywhere in a name, say the value is a digest of something, never the thing.
DIGEST_WORDS = frozenset({"checksum", "checksums", "digest", "fingerprint"})
KEY_WORDS = frozenset({"key", "keys"})
# Every secret name holds one of these (checked on its lower-case letters and digits first, so
# judging the many ordinary names of a large dump stays cheap).
_SECRETISH = re.compile(
    "|".join(
        sorted(SECRET_WORDS | set(SECRET_STEMS) | KEY_WORDS | {"private"}, key=len, reverse=True)
    )
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def words(name: str) -> list[str]:
    """Lower-case words of a name: ``adminPasswordHash`` → admin, password, hash."""
    out: list[str] = []
    for part in _SPLIT.split(name[:256]):
        out.extend(w.lower() for w in _WORD.findall(part))
    return out


@lru_cache(maxsize=8192)
def is_secret_name(name: str) -> bool:
    """True when a value under this key, env name, label, annotation or flag is a secret.

    A qualified name is judged by its last segment (``example.com/webhook-token``), unless its
    prefix says the value is a digest (``checksum/secret``).
    """
    prefix, _, last = name[:256].rpartition("/")
    if _SECRETISH.search(_NON_ALNUM.sub("", (last or prefix).lower())) is None:
        return False
    if any(w in DIGEST_WORDS for w in words(prefix)):
        return False
    ws = words(last or prefix)
    if not ws:
        return False
    if any(w in DIGEST_WORDS for w in ws):
        return False
    meaning = [w for w in ws if not w.isdigit()] or ws
    head = meaning[-1]
    joined = "".join(ws)
    if head in KEY_WORDS:
        # ``tls.key``, ``apiKey``, ``secretKey``, a bare ``key``: secret, unless qualified as an
        # ordinary key (``publicKey``, ``routingKey``, ``partition-key``).
        return len(meaning) == 1 or meaning[-2] not in PUBLIC_KEY_QUALIFIERS
    if head in NEUTRAL_HEADS:
        return False
    if any(w in SECRET_WORDS for w in ws) or any(s in joined for s in SECRET_STEMS):
        return True
    if "private" in ws:
        return len(meaning) == 1
    # ``keyData``, ``client-key-data``: a key word, not qualified as ordinary, before a head
    # that is not neutral.
    return any(
        w in KEY_WORDS and (i == 0 or meaning[i - 1] not in PUBLIC_KEY_QUALIFIERS)
        for i, w in enumerate(meaning[:-1])
    )


def is_neutral_name(name: str) -> bool:
    """True when the name says its value is about a secret (``secretName``, ``enabled``), so
    it is not a secret even below a secret key (``auth.enabled``, ``auth.timeoutSeconds``)."""
    ws = [w for w in words(name.rpartition("/")[2] or name) if not w.isdigit()]
    return bool(ws) and (ws[-1] in NEUTRAL_HEADS or any(w in DIGEST_WORDS for w in ws))


class SecretNames:
    """``SECRET_KEY_RE.search(name)`` as callers of the former regex write it, answered by
    :func:`is_secret_name` (one judgement of names everywhere); new code calls that directly."""

    def search(self, name: str) -> bool:
        return is_secret_name(name)


SECRET_KEY_RE = SecretNames()
