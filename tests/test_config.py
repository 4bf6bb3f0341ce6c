"""Site config validation (design §7): every error names the file and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from driftctl.config import load_site_config
from driftctl.errors import InputError

GOOD = """
site: savings-bank
kubernetes: {context: bank-prod, namespaces: [ai-platform]}
components:
  parser:
    workload: ai-platform/Deployment/parser
    version: image_tag
    api_versions: annotation:driftctl.io/api-versions
  frontend:
    workload: ai-platform/Deployment/frontend
    version: label:app.kubernetes.io/version
    parser_api: env:PARSER_API_VERSION
  docai:
    version: helm:ai-platform/docai:image.tag
ssh:
  user: ops
  identity_file: ~/.ssh/id_ed25519
  known_hosts: ~/.ssh/known_hosts
  nodes: kubernetes
  timeout_seconds: 10
  concurrency: 16
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_good_config_loads(tmp_path: Path) -> None:
    cfg = load_site_config(write(tmp_path, GOOD))
    assert cfg.site == "savings-bank"
    assert cfg.kubernetes is not None and cfg.kubernetes.namespaces == ("ai-platform",)
    assert [c.name for c in cfg.components] == ["docai", "frontend", "parser"]
    parser = cfg.components[2]
    assert dict(parser.attributes) == {
        "api_versions": "annotation:driftctl.io/api-versions",
        "version": "image_tag",
    }
    assert cfg.ssh is not None and cfg.ssh.nodes is None and cfg.ssh.concurrency == 16


def test_example_manifest_config_loads() -> None:
    example = Path(__file__).parent.parent / "manifests" / "site.example.yaml"
    assert load_site_config(example).site


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda t: t.replace("site: savings-bank", "site: Savings_Bank"), "site id"),
        (lambda t: t + "colour: blue\n", "unknown key 'colour'"),
        (lambda t: t.replace("concurrency: 16", "concurrency: -1"), "ssh.concurrency"),
        (lambda t: t.replace("version: image_tag", "version: imagetag"), "parser.version"),
        (
            lambda t: t.replace("ai-platform/Deployment/parser", "ai-platform/Job/parser"),
            "parser.workload",
        ),
        (lambda t: t.replace("  nodes: kubernetes", "  nodes: 12"), "ssh.nodes"),
        (lambda t: t.replace("site: savings-bank\n", ""), "missing required key 'site'"),
        (
            lambda t: t.replace("{context: bank-prod,", "{contxt: bank-prod,"),
            "unknown key 'contxt'",
        ),
    ],
    ids=[
        "bad-site",
        "unknown-key",
        "bad-number",
        "bad-rule",
        "bad-kind",
        "bad-nodes",
        "no-site",
        "typo-in-kubernetes",
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, mutate, needle: str) -> None:
    path = write(tmp_path, mutate(GOOD))
    with pytest.raises(InputError, match=needle) as err:
        load_site_config(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_site_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda t: t + "site: utility\n", "duplicate key 'site'"),
        (lambda t: t.replace("timeout_seconds: 10", "timeout_seconds: .nan"), "timeout_seconds"),
        (lambda t: t.replace("timeout_seconds: 10", "timeout_seconds: .inf"), "timeout_seconds"),
        (lambda t: t.replace("  nodes: kubernetes", "  port: 70000"), "ssh.port"),
        (
            lambda t: t.replace("  nodes: kubernetes", "  nodes: [{name: a, port: 65536}]"),
            r"ssh.nodes\[0\].port",
        ),
        (
            lambda t: t.replace("  nodes: kubernetes", "  nodes: [{name: a}, {name: a}]"),
            r"ssh.nodes\[1\]: duplicate node name 'a'",
        ),
    ],
    ids=["duplicate-key", "nan", "inf", "port-range", "node-port-range", "duplicate-node"],
)
def test_more_bad_configs_name_file_and_key(tmp_path: Path, mutate, needle: str) -> None:
    path = write(tmp_path, mutate(GOOD))
    with pytest.raises(InputError, match=needle) as err:
        load_site_config(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_config_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "site.yaml"
    os.mkfifo(fifo)
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", "collect", "--config", str(fifo), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        f"driftctl: error: {fifo}: not a regular file (a FIFO, socket or device?)"
    ]
