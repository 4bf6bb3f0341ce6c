"""The memo of clean strings changes no verdict: a remembered string under a secret name is
still a token, a string with a finding is judged (and counted) wherever it stands, and the
memo stays within its bounds."""

from __future__ import annotations

from driftctl.redact import Redactor, is_token
from driftctl.redact.judge import MEMO_CHARS, MEMO_MAX_LEN

KEY = bytes(range(32))
URI = "postgres://app:pw-1234@db:5432/app"


def test_a_clean_string_is_still_a_token_under_a_secret_name() -> None:
    r = Redactor(KEY)
    doc = {"image": "hunter2-not-a-secret", "env": [{"name": "DB_PASSWORD", "value": "x"}]}
    first = r.value({"a": "hunter2-not-a-secret"})
    assert first == {"a": "hunter2-not-a-secret"}  # clean: remembered
    out = r.value({"password": "hunter2-not-a-secret", "doc": doc})
    assert is_token(out["password"]) and out["doc"]["image"] == "hunter2-not-a-secret"
    assert is_token(out["doc"]["env"][0]["value"])


def test_a_string_with_a_finding_is_replaced_and_counted_every_time() -> None:
    r = Redactor(KEY)
    out = r.value({"pods": [{"url": URI} for _ in range(5)], "again": URI})
    assert all("pw-1234" not in p["url"] for p in out["pods"]) and "pw-1234" not in out["again"]
    assert r.counts["uri-credentials"] == 6


def test_the_memo_is_bounded() -> None:
    r = Redactor(KEY)
    long = "a b " * (MEMO_MAX_LEN // 4 + 1)
    r.value({"x": long})
    assert long not in r.judge._clean  # too long to remember
    for i in range(MEMO_CHARS // 1000 + 2):
        r.value({"x": f"{i:08d}" + "word " * 198})
    assert r.judge._clean_chars <= MEMO_CHARS + MEMO_MAX_LEN
