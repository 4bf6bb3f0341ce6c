"""Loopback sshd daemons, one per node, with scripted commands and a log of what ran."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from nodes import binaries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path) -> str:
    """A new ed25519 key pair at ``path``; returns the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return Path(f"{path}.pub").read_text().strip()


# One command inside a batched exec line: ``{ CMD; } </dev/null; printf …`` (see ssh_batch).
BATCHED = re.compile(r"\{ (.*?); \} </dev/null; printf ")


@dataclass(frozen=True)
class Reply:
    """What a scripted program prints for one argument string: a file or bytes, an exit code."""

    stdout: Path | bytes | None = None
    rc: int = 0
    stderr: str = ""
    hang: bool = False


def script(replies: dict[str, Reply], pids: Path, outputs: Path) -> str:
    """A POSIX sh program answering ``"$*"`` from ``replies`` (unknown args: exit 2).

    A hanging reply records its pid in ``pids``: a command the client gave up on keeps running
    in its own session on the server, and teardown must kill it.
    """
    lines = ["#!/bin/sh", 'case "$*" in']
    for n, (args, reply) in enumerate(replies.items()):
        body = []
        source = reply.stdout
        if isinstance(source, bytes):  # written beside the script, printed with cat like a file
            outputs.mkdir(exist_ok=True)
            (outputs / f"reply-{n}").write_bytes(source)
            source = outputs / f"reply-{n}"
        if reply.hang:
            body.append(f"echo $$ >> {shlex.quote(str(pids))}; exec /bin/sleep 3600")
        if source is not None:
            body.append(f"/bin/cat {shlex.quote(str(source))}")
        if reply.stderr:
            body.append(f"printf '%s\\n' {shlex.quote(reply.stderr)} >&2")
        body.append(f"exit {reply.rc}")
        lines.append(f"  {shlex.quote(args)}) " + "; ".join(body) + " ;;")
    lines += ['  *) echo "unexpected arguments: $*" >&2; exit 2 ;;', "esac", ""]
    return "\n".join(lines)


@dataclass
class Node:
    """One sshd on 127.0.0.1:port with its own host key and bin/."""

    name: str
    root: Path
    port: int
    host_pub: str
    proc: subprocess.Popen[bytes] | None = None
    programs: dict[str, str] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        return self.root / "commands.log"

    def execs(self) -> list[list[str]]:
        """Each exec the node received, as the node commands it ran (a batch holds several)."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [BATCHED.findall(line) or [line] for line in lines]

    def commands(self) -> list[str]:
        """Every node command run, in the order the node ran them."""
        return [command for batch in self.execs() for command in batch]

    def sshd_log(self) -> str:
        return (self.root / "sshd.log").read_text(errors="replace")

    def script(self, program: str, replies: dict[str, Reply]) -> None:
        self.install(
            program, script(replies, self.root / "hung.pids", self.root / f"{program}.out")
        )

    def install(self, program: str, text: str) -> None:
        path = self.root / "bin" / program
        path.write_text(text)
        path.chmod(0o755)

    def stop(self) -> None:
        """SIGSTOP: the kernel still accepts TCP, sshd never sends its banner."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def cont(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGCONT)


class Farm:
    """Nodes plus the client side: an identity, a known_hosts file and settings helpers."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.nodes: dict[str, Node] = {}
        base.mkdir(parents=True, exist_ok=True)
        self.identity = base / "id_ed25519"
        self.client_pub = keygen(self.identity)
        self.known_hosts = base / "known_hosts"
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    def add(
        self, name: str, log_level: str = "VERBOSE", known: str | None = "", client_pub: str = ""
    ) -> Node:
        """A node; ``known`` overrides its known_hosts key ("" = its own, None = not listed)."""
        root = self.base / name
        (root / "bin").mkdir(parents=True)
        host_pub = keygen(root / "host_ed25519")
        port = free_port()
        dispatch = root / "dispatch"
        dispatch.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$SSH_ORIGINAL_COMMAND" >> {shlex.quote(str(root / "commands.log"))}\n'
            'exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
        )
        dispatch.chmod(0o755)
        pub = client_pub or self.client_pub
        (root / "authorized_keys").write_text(f'command="{dispatch}" {pub}\n')
        (root / "sshd_config").write_text(
            "\n".join(
                [
                    f"Port {port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {root / 'host_ed25519'}",
                    f"PidFile {root / 'sshd.pid'}",
                    f"AuthorizedKeysFile {root / 'authorized_keys'}",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "PermitRootLogin prohibit-password",
                    "AllowTcpForwarding yes",
                    "MaxStartups 200",
                    f"LogLevel {log_level}",
                    f"SetEnv PATH={root / 'bin'} HOME={root}",
                    "",
                ]
            )
        )
        node = Node(name, root, port, host_pub)
        self.nodes[name] = node
        if known is not None:
            key = known or host_pub
            with self.known_hosts.open("a") as fh:
                fh.write(f"[127.0.0.1]:{port} {' '.join(key.split()[:2])}\n")
        return node

    def start(self) -> None:
        for node in self.nodes.values():
            if node.proc is None:
                log = (node.root / "sshd.log").open("wb")
                node.proc = subprocess.Popen(
                    [binaries.sshd(), "-D", "-e", "-f", str(node.root / "sshd_config")],
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
        for node in self.nodes.values():
            wait_banner(node.port)

    def close(self) -> None:
        for node in self.nodes.values():
            if node.proc is not None:
                for sig in (signal.SIGCONT, signal.SIGKILL):
                    try:
                        os.killpg(node.proc.pid, sig)
                    except ProcessLookupError:
                        pass
                node.proc.wait(timeout=5)
                node.proc = None
            pids = node.root / "hung.pids"
            for pid in pids.read_text().split() if pids.exists() else []:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass


def wait_banner(port: int, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"sshd on port {port} did not answer")
