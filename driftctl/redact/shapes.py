"""Secrets recognised by the shape of a value, wherever they stand: key blocks, JWTs, URI
credentials, webhook URLs, known token prefixes, ``Bearer`` credentials.

Every detector returns spans ``(start, end, rule)`` of the text to replace. Patterns start at a
boundary (lookbehind), bound their repeats and use possessive quantifiers, and each loop resumes
after what it consumed, so a hostile megabyte costs linear time, never minutes of backtracking.
"""

from __future__ import annotations

import re

Span = tuple[int, int, str]

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,64}+)-----")
_PEM_END = re.compile(r"-----END ([A-Z0-9 ]{1,64}+)-----")
MAX_BODY_LINE = 1024  # PEM body lines are 64 characters; OpenSSH and PGP ones 70 or 76
_B64_LINE = re.compile(r"[A-Za-z0-9+/=]{16,}+\r?\n?")
_JWT = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}+\.[A-Za-z0-9_-]{2,}+\.[A-Za-z0-9_-]*+"
    r"(?:\.[A-Za-z0-9_-]*+){0,2}+"
)
# A run that may hold a URI: delimited by whitespace and the quotes/brackets that enclose URIs
# in text. Not by ``,`` or ``/``: unencoded passwords hold both (``amqp://u:pa/ss@host``).
_RUN = re.compile(r"[^\s\"'`<>]{3,}+")
_SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}+://")
_DSN_DELIMITERS = frozenset(" \t\r\n\"'/@")
_DSN_USERINFO = 512  # the walk back from "@tcp(" to the start of user:password stops here
_AUTH_SCHEME = re.compile(r"(?i)(?<![A-Za-z0-9])(?:bearer|basic)[ \t]++([A-Za-z0-9._~+/=-]{8,}+)")
# Token formats with a fixed prefix, rule name → pattern (tails bounded).
KNOWN_TOKENS: dict[str, str] = {
    "aws-access-key-id": r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)[A-Z0-9]{16}(?![A-Za-z0-9])",
    "github-token": r"gh[pousr]_[A-Za-z0-9]{36,}+|github_pat_[A-Za-z0-9_]{22,}+",
    "gitlab-token": r"gl(?:pat|rt|dt|ptt|ft|cbt|soat)-[A-Za-z0-9_-]{20,}+",
    "slack-token": r"xox[abposre]-[A-Za-z0-9-]{10,}+|xapp-[0-9]-[A-Za-z0-9-]{10,}+",
    "stripe-key": r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}+|whsec_[A-Za-z0-9]{20,}+",
    "llm-api-key": r"sk-(?:proj-|ant-|svcacct-|admin-)?+[A-Za-z0-9_-]{20,}+",
    "google-api-key": r"AIza[0-9A-Za-z_-]{35}",
    "google-oauth-token": r"ya29\.[0-9A-Za-z_-]{20,}+",
    "huggingface-token": r"hf_[A-Za-z0-9]{30,}+",
    "npm-token": r"npm_[A-Za-z0-9]{36}",
    "pypi-token": r"pypi-AgE[A-Za-z0-9_-]{50,}+",
    "docker-hub-token": r"dckr_pat_[A-Za-z0-9_-]{20,}+",
    "vault-token": r"hv[sbr]\.[A-Za-z0-9_-]{24,}+",
    "grafana-token": r"glsa_[A-Za-z0-9_]{32,}+|glc_[A-Za-z0-9+/=_-]{32,}+",
    "sendgrid-key": r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    "k3s-token": r"K10[0-9a-f]{32,128}+::[A-Za-z0-9_.-]{1,64}+:[A-Za-z0-9_-]{6,}+",
    "age-secret-key": r"AGE-SECRET-KEY-1[0-9A-Z]{58}",
    "databricks-token": r"dapi[0-9a-f]{32}(?:-[0-9])?+",
    "telegram-bot-token": r"[0-9]{8,10}+:AA[A-Za-z0-9_-]{33}",
}
_KNOWN = re.compile(
    "|".join(
        f"(?P<{rule.replace('-', '_')}>(?<![A-Za-z0-9_]){pattern})"
        for rule, pattern in KNOWN_TOKENS.items()
    )
)
# Literals one of which every known token contains: where the big pattern is tried (each starts
# its token, but ``_live_``/``_test_`` and a Telegram bot's ``:AA``, handled where they are used).
_KNOWN_NEEDLES = re.compile(
    r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA)|gh[pousr]_|github_pat_|gl[a-z]{1,4}-|xox|xapp-|_live_"
    r"|_test_|whsec_|sk-|AIza|ya29\.|hf_|npm_|pypi-|dckr_|hv[sbr]\.|glsa_|glc_|SG\.|K10|AGE-|dapi"
    r"|:AA"
)


def pem_private_blocks(text: str) -> list[Span]:
    """PEM and PGP private key blocks, header to footer (to the end when the footer is missing);
    a footer whose header was cut off takes the base64 lines above it."""
    if "-----" not in text:
        return []
    spans: list[Span] = []
    orphans: list[Span] = []
    pos = 0
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        label = m.group(1)
        if "PRIVATE" not in label:
            pos = m.end()
            continue
        footer = f"-----END {label}-----"
        found = text.find(footer, m.end())
        end = len(text) if found < 0 else found + len(footer)
        spans.append((m.start(), end, "pgp-private-key" if "PGP" in label else "pem-private-key"))
        pos = end
    covered = 0  # spans are in text order: a pointer, not a scan per footer
    for m in _PEM_END.finditer(text):
        if "PRIVATE" not in m.group(1):
            continue
        while covered < len(spans) and spans[covered][1] <= m.start():
            covered += 1
        if covered < len(spans) and spans[covered][0] <= m.start():
            continue
        start = m.start()
        # Walk back over the base64 body lines right above the footer (short lines only, so
        # the walk never rescans a long line for every footer on it).
        while start > 0 and text[start - 1] == "\n":
            line_start = text.rfind("\n", max(0, start - 1 - MAX_BODY_LINE), start - 1) + 1
            if (line_start == 0 and start - 1 > MAX_BODY_LINE) or not _B64_LINE.fullmatch(
                text, line_start, start
            ):
                break
            start = line_start
        orphans.append((start, m.end(), "pem-private-key"))
    return spans + orphans


def jwts(text: str) -> list[Span]:
    """JSON Web Tokens (JWS and JWE compact forms, unsigned ones too)."""
    if "eyJ" not in text:
        return []
    return [(m.start(), m.end(), "jwt") for m in _JWT.finditer(text)]


def uri_credentials(text: str) -> list[Span]:
    """The password of ``scheme://user:password@host`` (empty user and ``/`` in the password
    included), a long opaque user alone (``https://TOKEN@host``), and the path of webhook URLs
    (``hooks.slack.com/services/…``), whose path is the credential."""
    if "://" not in text:
        return []
    spans: list[Span] = []
    for run in _RUN.finditer(text):
        scheme = _SCHEME.search(run.group())
        if scheme is None:
            continue
        base = run.start() + scheme.end()
        rest = run.group()[scheme.end() :]
        at = rest.rfind("@")
        if at > 0:
            userinfo = rest[:at]
            colon = userinfo.find(":")
            if 0 <= colon < len(userinfo) - 1:
                spans.append((base + colon + 1, base + at, "uri-credentials"))
            elif colon < 0 and len(userinfo) >= 16 and "/" not in userinfo:
                spans.append((base, base + at, "uri-credentials"))
        host_end = rest.find("/", max(at, 0))
        if host_end > 0 and "hook" in rest.lower() and host_end < len(rest) - 1:
            spans.append((base + host_end + 1, run.end(), "webhook-url"))
    return spans


def dsn_credentials(text: str) -> list[Span]:
    """The password of a Go MySQL DSN, ``user:password@tcp(host)/db`` (``:`` in it included):
    found from each literal ``@tcp(`` back to the start of its word, never rescanned."""
    spans: list[Span] = []
    pos = 0
    while (at := text.find("@tcp(", pos)) >= 0:
        start, floor = at, max(pos, at - _DSN_USERINFO)
        while start > floor and text[start - 1] not in _DSN_DELIMITERS:
            start -= 1
        colon = text.find(":", start, at)
        if start < colon < at - 1:
            spans.append((colon + 1, at, "dsn-credentials"))
        pos = at + 5
    return spans


def auth_schemes(text: str) -> list[Span]:
    """The credential after ``Bearer`` or ``Basic`` (an Authorization header in any text); a
    credential has a digit or a symbol, which prose ("a Basic Kubernetes chart") has not."""
    return [
        (m.start(1), m.end(1), "auth-header")
        for m in _AUTH_SCHEME.finditer(text)
        if not m.group(1).isalpha()
    ]


def known_tokens(text: str) -> list[Span]:
    """Tokens whose format announces them: AWS key ids, GitHub/GitLab/Slack/Hugging Face…

    The big pattern is tried once where one of its literals stands, not at every position.
    """
    out: list[Span] = []
    pos = 0
    for needle in _KNOWN_NEEDLES.finditer(text):
        if needle.start() < pos:
            continue
        start = needle.start()
        if needle.group().startswith(":"):  # a Telegram bot id: the digits before it
            while start > max(pos, needle.start() - 10) and text[start - 1].isdigit():
                start -= 1
        elif needle.group().startswith("_"):  # sk_live_, rk_test_: two letters before it
            start = max(pos, start - 2)
        m = _KNOWN.match(text, start)
        if m is not None:
            out.append((m.start(), m.end(), (m.lastgroup or "known-token").replace("_", "-")))
            pos = m.end()
    return out


def value_shapes(text: str) -> list[Span]:
    """All shape detectors over one text."""
    return [
        *pem_private_blocks(text),
        *jwts(text),
        *uri_credentials(text),
        *dsn_credentials(text),
        *auth_schemes(text),
        *known_tokens(text),
    ]
