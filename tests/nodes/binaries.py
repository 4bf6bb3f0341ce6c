"""The test daemons' programs: sshd, chronyd and chronyc unpacked from Debian packages, never installed.

tests/run.sh downloads openssh-server and chrony and unpacks them into .cache/debs (installing them
would start an sshd on port 22 and replace the machine's time daemon). Every test that starts a
daemon takes its path from here; a missing one fails the test (it is a setup error, not a reason
to skip).
"""

from __future__ import annotations

from pathlib import Path

import pytest

DEBS = Path(__file__).resolve().parents[2] / ".cache" / "debs"


def _binary(rel: str) -> str:
    path = DEBS / rel
    if not path.is_file():
        pytest.fail(f"{path} is missing: run tests/run.sh, which unpacks openssh-server and chrony")
    return str(path)


def sshd() -> str:
    return _binary("usr/sbin/sshd")


def chronyd() -> str:
    return _binary("usr/sbin/chronyd")


def chronyc() -> str:
    return _binary("usr/bin/chronyc")
