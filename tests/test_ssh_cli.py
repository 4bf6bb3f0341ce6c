"""``driftctl collect`` over live SSH, run as a real process: exit codes, output, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from nodes.sshd import Farm, Reply
from realdata_kit import A100_XML

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("ssh-cli")
    farm = Farm(base / "nodes")
    try:
        farm.add("gpu1").script("nvidia-smi", {"-q -x": Reply(A100_XML)})
        silent = farm.add("silent")
        farm.start()
        silent.stop()
        config = base / "site.yaml"
        config.write_text(
            "site: lab\n"
            "ssh:\n"
            "  user: root\n"
            f"  identity_file: {farm.identity}\n"
            f"  known_hosts: {farm.known_hosts}\n"
            "  use_agent: false\n"
            "  ssh_config: null\n"
            "  timeout_seconds: 1\n"
            "  nodes:\n"
            + "".join(
                f"    - {{name: {n}, host: 127.0.0.1, port: {farm.nodes[n].port}}}\n"
                for n in ("gpu1", "silent")
            )
        )
        yield config
    finally:
        farm.close()


def _collect(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftctl", "collect", "--config", str(config), "--dry-run", *extra],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_collect_over_ssh_reports_facts_and_the_silent_node(site: Path) -> None:
    done = _collect(site)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "paramiko" not in done.stderr
    snapshot = json.loads(done.stdout)
    assert snapshot["nodes"]["gpu1"]["gpu"]["driver_version"] == "535.54.03"
    assert {
        "target": "silent",
        "collector": "ssh",
        "error": "no SSH banner within 1.0 s",
    } in snapshot["failures"]


def test_strict_turns_a_failed_node_into_exit_3(site: Path) -> None:
    done = _collect(site, "--strict")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() != ""
