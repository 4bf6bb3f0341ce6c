"""The air-gapped install, for real: a wheelhouse made online, installed with no index at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FILES = ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in")


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=540, env=env)
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    assert "Traceback" not in res.stderr
    return res


def no_index_env(home: Path) -> dict[str, str]:
    """No pip configuration and no PIP_* variables: nothing but the wheelhouse can be found."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env |= {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NO_PROXY": "*",
        "https_proxy": "http://127.0.0.1:9",  # any attempt to reach an index fails loudly
        "http_proxy": "http://127.0.0.1:9",
    }
    return env


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheelhouse_installs_offline_and_runs(tmp_path: Path) -> None:
    # A clean copy of the source, so building never writes into the working tree.
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCE_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "driftctl", src / "driftctl", ignore=shutil.ignore_patterns("__pycache__")
    )

    # (1) Online side: driftctl and every dependency into one wheelhouse.
    wheels = tmp_path / "wheelhouse"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--wheel-dir", str(wheels), str(src)])
    names = sorted(p.name for p in wheels.iterdir())
    assert all(n.endswith(".whl") for n in names), names
    assert any(n.startswith("driftctl-") for n in names)
    for dep in ("typer", "kubernetes", "PyYAML", "paramiko", "cryptography", "deepdiff"):
        assert any(n.lower().startswith(dep.lower() + "-") for n in names), (dep, names)

    # (2) Air-gapped side: a fresh venv, pip with no index, no config, no network.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    env = no_index_env(tmp_path / "home")
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    res = run([*pip, "install", "--no-index", "--find-links", str(wheels), "driftctl"], env)
    assert "Successfully installed" in res.stdout
    run([*pip, "check"], env)

    # (3) The installed console script works from anywhere.
    exe = str(venv / "bin" / "driftctl")
    version = subprocess.run(
        [exe, "--version"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() and "Traceback" not in version.stderr
    script = subprocess.run(
        [exe, "dump-script"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env
    )
    assert script.returncode == 0, script.stderr
    assert script.stdout.startswith("#!/bin/sh")
    assert "Traceback" not in script.stderr
    # The packaged default policy came along (package data), and the script is valid sh.
    policy = venv.glob("lib/python3*/site-packages/driftctl/data/compat.yaml")
    assert list(policy)
    syntax = subprocess.run(["sh", "-n"], input=script.stdout, capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
