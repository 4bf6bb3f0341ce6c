"""paramiko without Invoke: no ssh_config command ever runs, and ``Match exec`` is a clear input error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ssh_modules_import_paramiko_without_invoke() -> None:
    code = (
        "import sys, driftctl.sources.ssh_transport, paramiko\n"
        "print(paramiko.SSHConfig is not None, sys.modules.get('invoke'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "None"]


def test_match_exec_in_ssh_config_is_refused_and_never_run(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(f'Match exec "touch {ran}"\n  User ops\n')
    config = tmp_path / "site.yaml"
    config.write_text(
        "site: lab\n"
        "ssh:\n"
        f"  ssh_config: {ssh_config}\n"
        f"  known_hosts: {tmp_path / 'known_hosts'}\n"
        f"  identity_file: {tmp_path / 'id'}\n"
        "  use_agent: false\n"
        "  nodes: [{name: n1, host: 127.0.0.1, port: 9}]\n"
    )
    (tmp_path / "id").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "driftctl", "collect", "--config", str(config), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"driftctl: error: {ssh_config}: 'Match exec' is not supported: driftctl runs no "
        "command from ssh_config (use Match host/user, or list the nodes in the site config)"
    ]
    assert not ran.exists()
