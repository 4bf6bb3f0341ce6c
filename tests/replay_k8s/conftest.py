"""Pytest fixtures: a running replay API server with a kubeconfig; import them where needed."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from replay_k8s.scenario import small_site
from replay_k8s.server import ReplayServer, Store
from replay_k8s.tls import TestPki, make_pki

TOKEN = "replay-token-0123456789"
CONTEXT = "replay"
TOOLS_BIN = Path(__file__).resolve().parents[2] / ".cache" / "tools" / "bin"


@dataclass(frozen=True)
class Replay:
    """A started replay server and a kubeconfig pointing at it."""

    server: ReplayServer
    kubeconfig: Path
    pki: TestPki

    @property
    def url(self) -> str:
        return self.server.url


def write_kubeconfig(
    path: Path, url: str, ca_pem: bytes, token: str = TOKEN, context: str = CONTEXT
) -> Path:
    """A kubeconfig with one cluster (CA data inline), one token user and one context."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "replay-cluster",
                "cluster": {
                    "server": url,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": "replay-user", "user": {"token": token}}],
        "contexts": [
            {"name": context, "context": {"cluster": "replay-cluster", "user": "replay-user"}}
        ],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def start_replay(directory: Path, store: Store) -> Replay:
    """Start a replay server for ``store`` with fresh TLS material under ``directory``."""
    pki = make_pki(directory / "pki")
    server = ReplayServer(store, TOKEN, str(pki.cert_file), str(pki.key_file)).start()
    kubeconfig = write_kubeconfig(directory / "kubeconfig", server.url, pki.ca_pem)
    return Replay(server=server, kubeconfig=kubeconfig, pki=pki)


@pytest.fixture
def replay_k8s(tmp_path: Path) -> Iterator[Replay]:
    """The small recorded site served on 127.0.0.1:<free port>; stopped after the test."""
    replay = start_replay(tmp_path, small_site())
    try:
        yield replay
    finally:
        replay.server.stop()


def kubectl_path() -> str:
    """The kubectl binary from tests/tools/fetch_kubectl.sh; fails (never skips) when absent."""
    found = TOOLS_BIN / "kubectl"
    if found.is_file() and os.access(found, os.X_OK):
        return str(found)
    other = shutil.which("kubectl")
    if other:
        return other
    pytest.fail("kubectl not found: run tests/tools/fetch_kubectl.sh (CI runs it in tests/run.sh)")
