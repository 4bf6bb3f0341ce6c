"""Site config validation (docs/site-config.md): every error names the file and the key."""

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


BIG = "1" + "0" * 40  # 10^40: refused by the loader itself, naming the key
BOUNDED = """
site: savings-bank
kubernetes: {timeout_seconds: 20, deadline_seconds: 300, page_size: 500, max_pages: 1000}
ssh:
  timeout_seconds: 10
  deadline_seconds: 600
  concurrency: 16
  port: 22
  nodes: [{name: a, port: 2222}]
"""


def test_bounded_numbers_at_their_limits_load(tmp_path: Path) -> None:
    text = (
        BOUNDED.replace("timeout_seconds: 20", "timeout_seconds: 3600")
        .replace("deadline_seconds: 300", "deadline_seconds: 86400")
        .replace("page_size: 500", "page_size: 10000")
        .replace("max_pages: 1000", "max_pages: 1000000")
        .replace("concurrency: 16", "concurrency: 1024")
        .replace("port: 22\n", "port: 65535\n")
    )
    cfg = load_site_config(write(tmp_path, text))
    assert cfg.kubernetes is not None and cfg.ssh is not None
    assert (cfg.kubernetes.deadline_seconds, cfg.kubernetes.max_pages) == (86400.0, 1_000_000)
    assert cfg.ssh.concurrency == 1024 and cfg.ssh.port == 65535


def test_kubernetes_limits_have_defaults(tmp_path: Path) -> None:
    cfg = load_site_config(write(tmp_path, "site: s\nkubernetes: {}\n"))
    assert cfg.kubernetes is not None
    assert (cfg.kubernetes.deadline_seconds, cfg.kubernetes.max_pages) == (300.0, 1000)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("timeout_seconds: 20", "timeout_seconds: 3601", "kubernetes.timeout_seconds"),
        ("timeout_seconds: 20", f"timeout_seconds: {BIG}", "timeout_seconds"),
        ("timeout_seconds: 20", "timeout_seconds: 1.0e+300", "kubernetes.timeout_seconds"),
        ("timeout_seconds: 20", "timeout_seconds: 0", "kubernetes.timeout_seconds"),
        ("deadline_seconds: 300", "deadline_seconds: 86401", "kubernetes.deadline_seconds"),
        ("deadline_seconds: 300", "deadline_seconds: -1", "kubernetes.deadline_seconds"),
        ("deadline_seconds: 300", "deadline_seconds: .inf", "deadline_seconds"),
        ("deadline_seconds: 300", "deadline_seconds: 1e3", "kubernetes.deadline_seconds"),
        ("page_size: 500", "page_size: 10001", "kubernetes.page_size"),
        ("page_size: 500", "page_size: 2.5", "kubernetes.page_size"),
        ("max_pages: 1000", "max_pages: 0", "kubernetes.max_pages"),
        ("max_pages: 1000", f"max_pages: {BIG}", "max_pages"),
        ("max_pages: 1000", "max_pages: true", "kubernetes.max_pages"),
        ("  timeout_seconds: 10", "  timeout_seconds: 1.0e+40", "ssh.timeout_seconds"),
        ("  deadline_seconds: 600", "  deadline_seconds: 1.0e+40", "ssh.deadline_seconds"),
        ("concurrency: 16", "concurrency: 1025", "ssh.concurrency"),
        ("concurrency: 16", f"concurrency: {BIG}", "concurrency"),
        ("  port: 22", "  port: 0", "ssh.port"),
        ("  port: 22", "  port: 9223372036854775807", "ssh.port"),
        ("port: 2222", f"port: {BIG}", "port"),
        ("port: 2222", "port: 65536", r"ssh.nodes[0].port"),
    ],
)
def test_absurd_numbers_name_file_and_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in BOUNDED
    path = write(tmp_path, BOUNDED.replace(old, new, 1))
    with pytest.raises(InputError) as err:
        load_site_config(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message
    assert key in message, message


def test_cli_absurd_concurrency_is_exit_2_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, BOUNDED.replace("concurrency: 16", f"concurrency: {BIG}"))
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", "collect", "--config", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        f"driftctl: error: {path}: line 7: key 'concurrency': number "
        "'10000000000000000000'… is out of range"
    ]
