"""chrony, timedatectl and ntpq parsers over the recorded real outputs (sign conventions included)."""

from __future__ import annotations

import pytest
from realdata_kit import real

from driftctl.collectors.clock import time_facts
from driftctl.parsers import chrony, ntpq, timedatectl
from driftctl.parsers.time_reading import TimeParseError

# file, synchronized, offset (positive = local ahead), stratum, leap, reference
CHRONY = [
    (
        "chrony-tracking__chrony-doc-example.txt",
        True,
        -0.000006523,
        3,
        "Normal",
        "ntp1.example.net",
    ),
    ("chrony-tracking__notes-airgap-unsync.txt", False, None, 0, "Not synchronised", None),
    (
        "chrony-tracking__rms624-just-started-huge-dispersion.txt",
        True,
        -0.000010589,
        4,
        "Normal",
        "time.cloudflare.com",
    ),
    ("chrony-4.3-live/cli_tracking.txt", True, 0.000001407, 9, "Normal", "127.0.0.1"),
    ("chrony-4.3-live/cli_csv_tracking.txt", True, 0.000001406, 9, "Normal", "127.0.0.1"),
    ("chrony-4.3-live/nosrc_tracking.txt", False, None, 0, "Not synchronised", None),
    ("chrony-4.3-live/nosrc_csv_tracking.txt", False, None, 0, "Not synchronised", None),
    ("chrony-4.3-live/skewcli_tracking.txt", True, -2.500014782, 9, "Normal", "127.0.0.1"),
    ("chrony-4.3-live/skewcli_csv_tracking.txt", True, -2.500014782, 9, "Normal", "127.0.0.1"),
    ("chrony-4.3-live/srv_tracking.txt", True, 0.0, 8, "Normal", "7F7F0101"),
    ("chrony-4.3-live/srv_csv_tracking.txt", True, 0.0, 8, "Normal", "7F7F0101"),
]


@pytest.mark.parametrize(
    ("file", "synced", "offset", "stratum", "leap", "ref"), CHRONY, ids=[c[0] for c in CHRONY]
)
def test_chrony_real_outputs(
    file: str, synced: bool, offset: float | None, stratum: int, leap: str, ref: str | None
) -> None:
    parse = chrony.parse_tracking_csv if "_csv_" in file else chrony.parse_tracking_text
    reading = parse(real(file).read_bytes())
    assert reading.source == "chrony"
    assert reading.synchronized is synced
    assert reading.offset_seconds == (None if offset is None else pytest.approx(offset, abs=1e-12))
    assert (reading.stratum, reading.leap_status, reading.reference) == (stratum, leap, ref)


def test_csv_and_text_agree_on_sign() -> None:
    """CSV field 5 is positive when the local clock is slow; the text says "slow"; both → negative."""
    text = chrony.parse_tracking_text(real("chrony-4.3-live/skewcli_tracking.txt").read_bytes())
    csv = chrony.parse_tracking_csv(real("chrony-4.3-live/skewcli_csv_tracking.txt").read_bytes())
    assert text.offset_seconds is not None and text.offset_seconds < -2.4
    assert csv.offset_seconds == text.offset_seconds


def test_just_started_chrony_is_synchronised_but_keeps_its_huge_dispersion() -> None:
    data = real("chrony-tracking__rms624-just-started-huge-dispersion.txt").read_bytes()
    facts = time_facts(chrony.parse_tracking_text(data)).to_dict()
    assert facts["synchronized"] is True
    assert facts["root_dispersion"] == pytest.approx(47.988433838)
    assert isinstance(facts["error_bound_seconds"], float) and facts["error_bound_seconds"] > 47.9


def test_normal_leap_with_large_offset_is_synchronised_and_far_off() -> None:
    data = real("chrony-tracking__chrony-doc-example.txt").read_bytes()
    far = data.replace(b"0.000006523 seconds slow", b"7.800000000 seconds fast")
    reading = chrony.parse_tracking_text(far)
    assert reading.synchronized is True
    assert reading.offset_seconds == pytest.approx(7.8)


def test_american_spelling_of_unsynchronised_is_accepted() -> None:
    data = real("chrony-tracking__chrony-doc-example.txt").read_bytes()
    reading = chrony.parse_tracking_text(data.replace(b"Normal", b"Not synchronized"))
    assert reading.synchronized is False and reading.leap_status == "Not synchronised"


@pytest.mark.parametrize(
    "data",
    [b"506 Cannot talk to daemon\n", b"", b"7F000001,127.0.0.1,9\n", b"Reference ID : zz\n"],
    ids=["daemon-down", "empty", "short-csv", "garbage"],
)
def test_chrony_errors_raise(data: bytes) -> None:
    with pytest.raises(TimeParseError):
        chrony.parse_tracking_csv(data) if b"," in data else chrony.parse_tracking_text(data)


TIMEDATECTL = [
    ("timedatectl__systemd-man-synced.txt", True),
    ("timedatectl__bigtreetech-cb1-188-unsync-inactive.txt", False),
    ("timedatectl__deis2563-coreos-2014.txt", True),
    ("timedatectl__lazypic49-centos7-ntp-synchronized-localrtc.txt", True),
    ("timedatectl__nixpkgs19339-network-time-on.txt", True),
    ("timedatectl-show__opentrons-fixture.txt", False),
]


@pytest.mark.parametrize(("file", "synced"), TIMEDATECTL, ids=[t[0] for t in TIMEDATECTL])
def test_timedatectl_every_layout(file: str, synced: bool) -> None:
    reading = timedatectl.parse(real(file).read_bytes())
    assert reading.synchronized is synced
    assert reading.source is None  # none of these layouts names the daemon: never guessed
    assert reading.offset_seconds is None  # timedatectl never says how far off


def test_timedatectl_timesync_status_is_not_mistaken_for_status() -> None:
    with pytest.raises(TimeParseError):
        timedatectl.parse(real("timedatectl-timesync-status__systemd-man.txt").read_bytes())


NTPQ = [
    ("ntpq-p__telegraf-single.txt", True, -0.23301, 3, "uschi5-ntp-002."),
    ("ntpq-p__telegraf-multi.txt", False, None, None, None),
    ("ntpq-p__telegraf-pool-when-minus.txt", False, None, None, None),
]


@pytest.mark.parametrize(
    ("file", "synced", "offset", "stratum", "ref"), NTPQ, ids=[n[0] for n in NTPQ]
)
def test_ntpq_real_outputs(
    file: str, synced: bool, offset: float | None, stratum: int | None, ref: str | None
) -> None:
    reading = ntpq.parse(real(file).read_bytes())
    assert reading.source == "ntpd"
    assert reading.synchronized is synced
    assert reading.offset_seconds == (None if offset is None else pytest.approx(offset))
    assert (reading.stratum, reading.reference) == (stratum, ref)


def test_ntpq_rv_and_errors_are_not_peer_tables() -> None:
    for data in (
        real("ntpq-rv__tidb-insight57-ntpd426.txt").read_bytes(),
        b"ntpq: read: Connection refused\n",
    ):
        with pytest.raises(TimeParseError):
            ntpq.parse(data)
