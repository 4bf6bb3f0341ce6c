"""Signing bundles through a real ssh-agent: identical signatures, the CLI, and every refusal."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from driftctl.bundle import NAMESPACE
from driftctl.bundle import agent as agent_mod
from driftctl.bundle.agent import AgentSigner, agent_signer
from driftctl.bundle.keys import generate_key, load_private_key
from driftctl.bundle.site_key import load_signer
from driftctl.bundle.sshsig import sign
from driftctl.bundle.wire import string, uint32
from driftctl.errors import InputError, OperationalError

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "fixtures" / "sites" / "savings-bank"


def wait_for_socket(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Path]:
    """A real OpenSSH ssh-agent on a socket of its own."""
    assert shutil.which("ssh-agent"), "ssh-agent (openssh-client) is installed by tests/run.sh"
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        wait_for_socket(sock)
        yield sock
    finally:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, Path]:
    return generate_key("savings-bank", tmp_path / "key")


def ssh_add(sock: Path, private: Path) -> None:
    env = {"SSH_AUTH_SOCK": str(sock), "PATH": os.environ["PATH"]}
    subprocess.run(["ssh-add", "-q", str(private)], env=env, check=True, timeout=30)


def ssh_keygen_verify(trust: Path, data: Path) -> subprocess.CompletedProcess[bytes]:
    """Stock OpenSSH's verdict on ``data`` and ``data.sig`` for principal savings-bank."""
    args = ["-f", str(trust), "-I", "savings-bank", "-n", NAMESPACE, "-s", f"{data}.sig"]
    with data.open("rb") as stdin:
        return subprocess.run(
            ["ssh-keygen", "-Y", "verify", *args], stdin=stdin, capture_output=True, timeout=30
        )


def test_agent_signature_is_byte_identical_to_the_key_file(
    agent: Path, key: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = key
    ssh_add(agent, private)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(agent))
    signer = load_signer(public)
    assert isinstance(signer, AgentSigner)
    message = b"bundle bytes\n" * 1000
    from_agent = sign(signer, message, NAMESPACE)
    assert from_agent == sign(load_private_key(private), message, NAMESPACE)
    # and stock OpenSSH accepts it
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "msg.sig").write_bytes(from_agent)
    trust = tmp_path / "allowed_signers"
    trust.write_text(f'savings-bank namespaces="{NAMESPACE}" {signer.public_line()}\n')
    res = ssh_keygen_verify(trust, tmp_path / "msg")
    assert res.returncode == 0, res.stderr


def run_collect(
    public: Path, out: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    args = ["collect", "--config", str(SITE / "site.yaml"), "--from-dump", str(SITE / "dump")]
    args += ["--key", str(public), "--out-dir", str(out), *extra]
    return subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "DRIFTCTL_"))}
    return {**env, **extra}


def test_collect_signs_through_the_agent(
    agent: Path, key: tuple[Path, Path], tmp_path: Path
) -> None:
    private, public = key
    ssh_add(agent, private)
    out = tmp_path / "out"
    res = run_collect(public, out, clean_env(SSH_AUTH_SOCK=str(agent)))
    assert res.returncode == 0, res.stderr
    bundle = out / "savings-bank-000001.tar.gz"
    assert res.stdout.splitlines() == [str(bundle), f"{bundle}.sig"]
    trust = tmp_path / "allowed_signers"
    pub = public.read_text().split()
    trust.write_text(f'savings-bank namespaces="{NAMESPACE}" {pub[0]} {pub[1]}\n')
    ssh = ssh_keygen_verify(trust, bundle)
    assert ssh.returncode == 0, ssh.stderr
    ours = subprocess.run(
        [sys.executable, "-m", "driftctl", "verify", str(bundle), "--trust", str(trust)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ours.returncode == 0, ours.stderr


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftctl: error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_no_agent_socket_is_exit_2_and_writes_nothing(
    key: tuple[Path, Path], tmp_path: Path
) -> None:
    _, public = key
    out = tmp_path / "out"
    res = run_collect(public, out, clean_env())
    assert res.returncode == 2
    line = one_line_error(res)
    assert str(public) in line and "SSH_AUTH_SOCK" in line
    assert not out.exists() or not any(out.iterdir())


def test_key_not_in_the_agent_is_exit_3_naming_the_fingerprint(
    agent: Path, key: tuple[Path, Path], tmp_path: Path
) -> None:
    _, public = key
    res = run_collect(public, tmp_path / "out", clean_env(SSH_AUTH_SOCK=str(agent)))
    assert res.returncode == 3
    line = one_line_error(res)
    assert "SHA256:" in line and "not in the ssh-agent" in line


def test_dead_agent_socket_is_exit_3(key: tuple[Path, Path], tmp_path: Path) -> None:
    _, public = key
    res = run_collect(
        public, tmp_path / "out", clean_env(SSH_AUTH_SOCK=str(tmp_path / "gone.sock"))
    )
    assert res.returncode == 3
    assert "ssh-agent at" in one_line_error(res)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== rsa@host\n", "Ed25519 only"),
        ("ssh-ed25519 not-base64!! x\n", "malformed ssh-ed25519"),
        ("ssh-ed25519 AAAAC3NzaC1yc2EAAAA= x\n", "malformed ssh-ed25519"),
    ],
    ids=["rsa", "bad-base64", "wrong-blob"],
)
def test_bad_public_key_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, needle: str
) -> None:
    path = tmp_path / "k.pub"
    path.write_text(text)
    monkeypatch.setenv("SSH_AUTH_SOCK", str(tmp_path / "unused.sock"))
    with pytest.raises(InputError, match=needle):
        load_signer(path)


Handler = Callable[[int, bytes], bytes | None]


@pytest.fixture
def fake_agent(tmp_path: Path) -> Iterator[Callable[[Handler], Path]]:
    """A scripted agent on a UNIX socket: ``handler(type, payload)`` returns the reply or None."""
    servers: list[socket.socket] = []

    def start(handler: Handler) -> Path:
        path = tmp_path / f"fake{len(servers)}.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen()
        servers.append(server)

        def serve() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    head = conn.recv(4)
                    body = b""
                    while len(body) < int.from_bytes(head, "big"):
                        body += conn.recv(65536)
                    reply = handler(body[0], body[1:])
                    if reply is None:
                        time.sleep(5)  # never answers
                        continue
                    conn.sendall(uint32(len(reply)) + reply)

        threading.Thread(target=serve, daemon=True).start()
        return path

    yield start
    for server in servers:
        server.close()


def listing(blob: bytes) -> bytes:
    return bytes([agent_mod.IDENTITIES_ANSWER]) + uint32(1) + string(blob) + string(b"c")


def test_silent_agent_costs_only_its_timeout(
    fake_agent: Callable[[Handler], Path],
    key: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", str(fake_agent(lambda kind, payload: None)))
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"no answer within 0\.5 s"):
        agent_signer(key[1], timeout=0.5)
    assert time.monotonic() - started < 3


def test_an_agent_dripping_its_reply_is_bounded_by_one_timeout(
    tmp_path: Path, key: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "drip.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def drip() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(uint32(1000))  # promises 1000 bytes, sends one every 0.2 s
            for _ in range(1000):
                time.sleep(0.2)
                try:
                    conn.sendall(b"\x0c")
                except OSError:
                    return

    threading.Thread(target=drip, daemon=True).start()
    monkeypatch.setenv("SSH_AUTH_SOCK", str(path))
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"no answer within 1 s"):
        agent_signer(key[1], timeout=1.0)
    assert time.monotonic() - started < 2.5
    server.close()


def test_agent_that_refuses_or_forges_a_signature_is_never_used(
    fake_agent: Callable[[Handler], Path],
    key: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blob = load_private_key(key[0]).public_blob

    def refusing(kind: int, payload: bytes) -> bytes:
        return listing(blob) if kind == agent_mod.REQUEST_IDENTITIES else bytes([5])

    def forging(kind: int, payload: bytes) -> bytes:
        if kind == agent_mod.REQUEST_IDENTITIES:
            return listing(blob)
        bogus = string(b"ssh-ed25519") + string(b"\x01" * 64)
        return bytes([agent_mod.SIGN_RESPONSE]) + string(bogus)

    monkeypatch.setenv("SSH_AUTH_SOCK", str(fake_agent(refusing)))
    with pytest.raises(OperationalError, match="refused to sign"):
        agent_signer(key[1], timeout=5).sign(b"data")
    monkeypatch.setenv("SSH_AUTH_SOCK", str(fake_agent(forging)))
    with pytest.raises(OperationalError, match="does not verify"):
        agent_signer(key[1], timeout=5).sign(b"data")
