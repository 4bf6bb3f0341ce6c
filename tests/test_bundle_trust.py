"""allowed_signers parsing and matching, checked against ssh-keygen's own decisions."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from bundle_kit import bundle_from, make_key, members, trust_file, write_signed

from driftctl.bundle import NAMESPACE
from driftctl.bundle.allowed_signers import parse_line, parse_time
from driftctl.bundle.trust import load_trust, match_pattern_list
from driftctl.bundle.verify import verify_bundle
from driftctl.errors import BundleRejected, InputError

PATTERNS = [
    ("savings-bank", "savings-bank", True),
    ("savings-bank", "savings-*", True),
    ("savings-bank", "saving?-bank", True),
    ("savings-bank", "saving?-ban", False),
    ("savings-bank", "holding,savings-bank", True),
    ("savings-bank", "*,!savings-bank", False),
    ("holding", "*,!savings-bank", True),
    ("savings-bank", "!savings-bank", False),
    ("a[b]", "a[b]", True),
    ("ab", "a[b]", False),
    ("SAVINGS-bank", "savings-bank", False),
]


@pytest.mark.parametrize(
    ("name", "patterns", "expected"), PATTERNS, ids=[f"{n}~{p}" for n, p, _ in PATTERNS]
)
def test_pattern_lists_match_like_openssh(name: str, patterns: str, expected: bool) -> None:
    assert match_pattern_list(name, patterns) is expected


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAEAoWiiuoZYXC2iQPxHYiMOtBKWdiY+Y+K3lXpPut8q"
GOOD_LINES = {
    "plain": (f"s1 {KEY}", "s1", None, False),
    "comment-after-key": (f"s1 {KEY} ops@site", "s1", None, False),
    "namespaces": (
        f's1 namespaces="bundle@driftctl,git" {KEY}',
        "s1",
        "bundle@driftctl,git",
        False,
    ),
    "case-insensitive-option": (f's1 NAMESPACES="x" {KEY}', "s1", "x", False),
    "quoted-principals": (f'"s1,s2" {KEY}', "s1,s2", None, False),
    "cert-authority": (f"*.x cert-authority {KEY}", "*.x", None, True),
    "leading-space": (f"   s1 {KEY}", "s1", None, False),
}


@pytest.mark.parametrize("case", sorted(GOOD_LINES), ids=sorted(GOOD_LINES))
def test_parse_good_lines(case: str) -> None:
    line, principals, namespaces, ca = GOOD_LINES[case]
    signer = parse_line(line, "f:1")
    assert signer is not None
    assert (signer.principals, signer.namespaces, signer.cert_authority) == (
        principals,
        namespaces,
        ca,
    )


BAD_LINES = {
    "unknown-option": (f"s1 no-touch-required {KEY}", "unknown option 'no-touch-required'"),
    "duplicate-option": (f's1 namespaces="a",namespaces="b" {KEY}', "namespaces: given twice"),
    "bad-time": (f's1 valid-after="2026" {KEY}', "valid-after: invalid time '2026'"),
    "bad-time-before": (f's1 valid-before="2026-01-01" {KEY}', "valid-before: invalid time"),
    "before-after": (
        f's1 valid-after="20260102",valid-before="20260101" {KEY}',
        "valid-before: 20260101 is not after valid-after 20260102",
    ),
    "unquoted-value": (f"s1 valid-after=20260101 {KEY}", "valid-after: the value must be in"),
    "missing-value": (f's1 namespaces,valid-after="20260101" {KEY}', "namespaces: needs a"),
    "ca-with-value": (f's1 cert-authority="yes" {KEY}', "cert-authority: takes no value"),
    "no-key": ("s1", "expected"),
    "bad-base64": ("s1 ssh-ed25519 AAAA!!!!", "invalid key"),
    "type-mismatch": (f"s1 ssh-rsa {KEY.split()[1]}", "does not match"),
    "unterminated-quote": (f'"s1 {KEY}', "unterminated"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES), ids=sorted(BAD_LINES))
def test_bad_lines_are_input_errors_naming_file_line_and_option(tmp_path: Path, case: str) -> None:
    line, fragment = BAD_LINES[case]
    path = trust_file(tmp_path / "allowed_signers", ["# comment", "", line])
    with pytest.raises(InputError) as info:
        load_trust(path)
    assert str(info.value).startswith(f"{path}: line 3: "), str(info.value)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


TIMES = [
    ("20260101Z", 1767225600),
    ("202601011230Z", 1767270600),
    ("20260101123045Z", 1767270645),
]


@pytest.mark.parametrize(("text", "epoch"), TIMES, ids=[t for t, _ in TIMES])
def test_utc_times(text: str, epoch: int) -> None:
    assert parse_time(text) == epoch


def test_times_without_z_are_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    try:
        assert parse_time("20260101") == 1767225600 - 9 * 3600
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


WINDOWS = {
    # trust option, verify-time, accepted
    "inside": ('valid-after="20260101Z",valid-before="20270101Z"', "20260601Z", True),
    "before-start": ('valid-after="20260101Z"', "20251231Z", False),
    "after-end": ('valid-before="20260101Z"', "20260102Z", False),
    "local-time-edge": ('valid-before="20260101"', "20251231", True),
}


@pytest.mark.parametrize("case", sorted(WINDOWS), ids=sorted(WINDOWS))
def test_validity_windows_agree_with_ssh_keygen(tmp_path: Path, case: str) -> None:
    option, verify_time, accepted = WINDOWS[case]
    key, _ = make_key(tmp_path, "s1")
    trust = trust_file(tmp_path / "as", [f"s1 {option} {key.public_line()}"])
    data = bundle_from(members("s1", collected_at="2025-06-01T00:00:00Z"))
    bundle = write_signed(tmp_path / "b.tar.gz", data, key)
    res = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(trust),
            "-I",
            "s1",
            "-n",
            NAMESPACE,
            "-s",
            f"{bundle}.sig",
            "-O",
            f"verify-time={verify_time}",
        ],
        input=data,
        capture_output=True,
        env={**os.environ, "TZ": "UTC"},
    )
    assert (res.returncode == 0) is accepted, res.stderr
    when = parse_time(verify_time)
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(when, UTC)
    if accepted:
        assert verify_bundle(bundle, trust, now=now).site == "s1"
    else:
        with pytest.raises(BundleRejected):
            verify_bundle(bundle, trust, now=now)


def test_rotation_two_keys_for_one_site(tmp_path: Path) -> None:
    """During a rotation both keys are listed, each with its window; either verifies in its window."""
    old, _ = make_key(tmp_path / "old", "s1")
    new, _ = make_key(tmp_path / "new", "s1")
    trust = trust_file(
        tmp_path / "as",
        [
            f's1 namespaces="{NAMESPACE}",valid-before="20990101Z" {old.public_line()}',
            f's1 namespaces="{NAMESPACE}",valid-after="20200101Z" {new.public_line()}',
        ],
    )
    for key in (old, new):
        bundle = write_signed(
            tmp_path / f"{key.fingerprint()[7:15]}.tar.gz", bundle_from(members("s1")), key
        )
        assert verify_bundle(bundle, trust).signer_fingerprint == key.fingerprint()


def test_wildcard_principal_line_admits_matching_sites_only(tmp_path: Path) -> None:
    key, _ = make_key(tmp_path, "s1")
    trust = trust_file(
        tmp_path / "as", [f'bank-*,!bank-test namespaces="{NAMESPACE}" {key.public_line()}']
    )
    ok = write_signed(tmp_path / "a.tar.gz", bundle_from(members("bank-east")), key)
    assert verify_bundle(ok, trust).site == "bank-east"
    bad = write_signed(tmp_path / "b.tar.gz", bundle_from(members("bank-test")), key)
    with pytest.raises(BundleRejected, match="not trusted for site 'bank-test'"):
        verify_bundle(bad, trust)


WILDCARDS = {
    "star": "*",
    "star-with-exception": "*,!holding",
    "question-star": "?*",
    "site-and-star": "savings-bank,*",
}


@pytest.mark.parametrize("case", sorted(WILDCARDS), ids=sorted(WILDCARDS))
def test_a_principal_matching_every_site_is_refused(tmp_path: Path, case: str) -> None:
    """One key signing for every site would make signer == site meaningless."""
    key, _ = make_key(tmp_path, "fleet")
    line = f'{WILDCARDS[case]} namespaces="{NAMESPACE}" {key.public_line()}'
    trust = trust_file(tmp_path / "as", ["# fleet", line])
    with pytest.raises(InputError) as info:
        load_trust(trust)
    assert str(info.value).startswith(f"{trust}: line 2: principals ")
    assert "match every site" in str(info.value)
    assert "--allow-wildcard-principals" in str(info.value)
    store = load_trust(trust, allow_wildcard_principals=True)
    assert [s.where for s in store.wildcards] == [f"{trust}: line 2"]
    bundle = write_signed(tmp_path / "b.tar.gz", bundle_from(members("holding-2")), key)
    assert verify_bundle(bundle, store).site == "holding-2"


NOT_WILDCARDS = {
    "prefix-pattern": 'bank-* namespaces="bundle@driftctl"',
    "other-namespace-only": '* namespaces="git,file"',
    "cert-authority": "* cert-authority",  # the certificate must name the site too
    "negated-star-only": 'savings-bank,!* namespaces="bundle@driftctl"',
}


@pytest.mark.parametrize("case", sorted(NOT_WILDCARDS), ids=sorted(NOT_WILDCARDS))
def test_lines_that_cannot_sign_for_every_site_load(tmp_path: Path, case: str) -> None:
    trust = trust_file(tmp_path / "as", [f"{NOT_WILDCARDS[case]} {KEY}"])
    assert load_trust(trust).wildcards == ()
