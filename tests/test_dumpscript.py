"""``driftctl dump-script``: a POSIX sh script whose dump gives the same facts as a live collection."""

from __future__ import annotations

import getpass
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import cli_kit
import pytest
from nodes import binaries
from realdata_kit import A100_XML, CHRONY_CSV
from replay_k8s.conftest import Replay, kubectl_path, replay_k8s
from replay_k8s.server import Fault

from driftctl.config import ComponentRule, KubeSettings, NodeTarget, SiteConfig, SshSettings
from driftctl.dump_layout import NODE_COMMANDS
from driftctl.pipeline import collect_site
from driftctl.sources.kube import KubeSource
from driftctl.sources.ssh import SshSource

__all__ = ["replay_k8s"]

ROOT = Path(__file__).parent.parent
DASH = shutil.which("dash") or "/bin/sh"
COMPONENTS = (
    ComponentRule(
        "parser",
        "ai-platform/Deployment/parser",
        (("api_versions", "annotation:driftctl.io/api-versions"), ("version", "image_tag")),
    ),
    ComponentRule(
        "frontend",
        "ai-platform/Deployment/frontend",
        (("parser_api", "env:PARSER_API_VERSION"), ("version", "label:app.kubernetes.io/version")),
    ),
    ComponentRule("docai", None, (("version", "helm:docai:mcpHub.timeoutSeconds"),)),
)


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", "dump-script"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert res.returncode == 0 and res.stderr == ""
    path = tmp_path_factory.mktemp("script") / "dump.sh"
    path.write_text(res.stdout)
    return path


def run_script(
    script: Path, replay: Replay, out: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "KUBECONFIG": str(replay.kubeconfig),
        "KUBECTL": kubectl_path(),
        "KUBECACHEDIR": str(out.parent / "kube-cache"),  # not ~/.kube/cache
        **env,
    }
    return subprocess.run(
        [DASH, str(script), str(out), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def config(kubeconfig: Path, namespaces: tuple[str, ...] = ()) -> SiteConfig:
    return SiteConfig(
        site="replay-site",
        source=Path("site.yaml"),
        kubernetes=KubeSettings(kubeconfig=str(kubeconfig), namespaces=namespaces),
        components=COMPONENTS,
    )


def without_time(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot.items() if k != "collected_at"}


def test_script_is_posix_sh_and_renders_the_node_commands(script: Path) -> None:
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n") and "\nset -u\n" in text
    for shell in (DASH, "/bin/sh"):
        res = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
    for bashism in ("[[", "function ", "local ", "<<<", "$'", "pipefail", "source "):
        assert bashism not in text, bashism
    for cmd in NODE_COMMANDS:
        assert f"'{cmd.file}' '{cmd.command}'" in text


def test_output_option_writes_an_executable_file(tmp_path: Path) -> None:
    out = tmp_path / "dump.sh"
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", "dump-script", "--output", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert res.returncode == 0 and res.stdout.strip() == str(out)
    assert out.stat().st_mode & stat.S_IXUSR and out.read_text().startswith("#!/bin/sh")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing-dir/dump.sh", "missing-dir/dump.sh: directory {base}/missing-dir does not exist"),
        (".", "{base}: cannot write: Is a directory"),
        ("file/dump.sh", "file/dump.sh: directory {base}/file is not a directory"),
    ],
    ids=["missing-directory", "a-directory", "under-a-file"],
)
def test_output_that_cannot_be_written_is_one_line_exit_2(
    tmp_path: Path, where: str, message: str
) -> None:
    """Like every other --output: no directory is made, and no internal error."""
    (tmp_path / "file").write_text("")
    res = cli_kit.invoke("dump-script", "--output", str(tmp_path / where))
    assert res.returncode == 2, res.stderr
    assert res.stdout == "" and res.stderr.count("\n") == 1
    assert res.stderr.endswith(message.format(base=tmp_path) + "\n"), res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no dir, no temp file left


def test_usage_error_exits_2(script: Path, tmp_path: Path) -> None:
    res = subprocess.run([DASH, str(script)], capture_output=True, text=True)
    assert res.returncode == 2 and "usage: sh dump.sh OUTDIR" in res.stderr
    res = subprocess.run(
        [DASH, str(script), str(tmp_path / "o"), "--bogus"], capture_output=True, text=True
    )
    assert res.returncode == 2


@pytest.mark.parametrize(
    ("namespaces", "args"),
    [((), ()), (("ai-platform", "demo2"), ("--namespace", "ai-platform", "-n", "demo2"))],
    ids=["all-namespaces", "two-namespaces-merged"],
)
def test_dump_gives_the_same_facts_as_live(
    script: Path,
    replay_k8s: Replay,
    tmp_path: Path,
    namespaces: tuple[str, ...],
    args: tuple[str, ...],
) -> None:
    out = tmp_path / "dump"
    res = run_script(script, replay_k8s, out, "--context", "replay", "--no-nodes", *args)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (out / "kubernetes").iterdir()) == [
        "helm-secrets.json",
        "namespace-kube-system.json",
        "nodes.json",
        "pods.json",
        "version.json",
        "workloads.json",
    ]
    cfg = config(replay_k8s.kubeconfig, namespaces)
    dumped = collect_site(cfg, from_dump=out).snapshot.to_dict()
    live = collect_site(cfg, sources=[KubeSource()]).snapshot.to_dict()
    assert without_time(dumped) == without_time(live)
    assert dumped["components"]["docai"]["version"] == 15
    assert ("POST", "/") not in replay_k8s.server.requests


def test_a_forbidden_list_leaves_rc_and_stderr_and_is_a_failure(
    script: Path, replay_k8s: Replay, tmp_path: Path
) -> None:
    replay_k8s.server.faults["/api/v1/secrets"] = Fault(status=403)
    out = tmp_path / "dump"
    res = run_script(script, replay_k8s, out, "--no-nodes")
    assert res.returncode == 1 and "1 command(s) failed" in res.stderr
    assert (out / "kubernetes" / "helm-secrets.json.rc").read_text().strip() == "1"
    assert "Forbidden" in (out / "kubernetes" / "helm-secrets.json.stderr").read_text()
    snap = collect_site(config(replay_k8s.kubeconfig), from_dump=out).snapshot.to_dict()
    assert snap["helm"] == {} and snap["workloads"]
    errors = [f["error"] for f in snap["failures"] if f["target"] == "kubernetes/helm-secrets"]
    assert errors and "Forbidden" in errors[0]


def test_a_dripping_list_costs_one_request_timeout(
    script: Path, replay_k8s: Replay, tmp_path: Path
) -> None:
    # one byte per 50 ms: kubectl's own default would wait for the whole ~10 KB (minutes)
    replay_k8s.server.faults["/api/v1/nodes"] = Fault(drip=0.05)
    out = tmp_path / "dump"
    res = run_script(script, replay_k8s, out, "--no-nodes", KUBECTL_TIMEOUT="5s")
    # What the request cost, as the server saw it: kubectl hung up at its request timeout, not
    # earlier for another reason and not after the whole reply. Measured at the server, so the
    # time the other five kubectl runs take on a loaded machine does not enter it.
    (drip,) = replay_k8s.server.drips
    assert drip.path.startswith("/api/v1/nodes") and drip.cut, drip
    assert 4.5 <= drip.seconds < 5 + 20, drip  # the reply starts a moment after the request
    assert res.returncode == 1 and "1 command(s) failed" in res.stderr, res.stderr
    assert (out / "kubernetes" / "nodes.json.rc").read_text().strip() == "1"
    # kubectl words the request timeout by where it caught the request: "Client.Timeout exceeded
    # while awaiting headers" before the body, "context deadline exceeded" while reading it.
    stderr = (out / "kubernetes" / "nodes.json.stderr").read_text()
    assert "Timeout" in stderr or "context deadline exceeded" in stderr, stderr
    assert not (out / "kubernetes" / "pods.json.rc").exists()


FAKE_SSH = """#!/bin/sh
# Stands in for ssh on the node part: logs its arguments, runs the remote command locally.
echo "$*" >>"$LOG"
for last; do :; done
PATH="$NODEBIN:$PATH" exec sh -c "$last"
"""


def test_node_part_runs_the_fixed_commands_with_fallbacks(
    script: Path, replay_k8s: Replay, tmp_path: Path
) -> None:
    nodebin = tmp_path / "nodebin"
    nodebin.mkdir()
    # nvidia-smi: the XML form fails (as on a driver mismatch), the CSV form works.
    (nodebin / "nvidia-smi").write_text(
        '#!/bin/sh\ncase "$*" in\n  "-q -x") echo "Failed to initialize NVML: Driver/library version mismatch" >&2; exit 18 ;;\n'
        '  *) echo "index, name"; echo "0, NVIDIA A100"; exit 0 ;;\nesac\n'
    )
    csv = CHRONY_CSV
    (nodebin / "chronyc").write_text(f'#!/bin/sh\n[ "$1" = -c ] && exec cat {csv}\nexit 1\n')
    for f in nodebin.iterdir():
        f.chmod(0o755)
    fake = tmp_path / "ssh"
    fake.write_text(FAKE_SSH)
    fake.chmod(0o755)
    log = tmp_path / "ssh.log"
    out = tmp_path / "dump"
    res = run_script(
        script,
        replay_k8s,
        out,
        "--nodes",
        "gpu-1=10.9.9.9",
        "--ssh-user",
        "ops",
        SSH=str(fake),
        LOG=str(log),
        NODEBIN=str(nodebin),
    )
    assert (out / "nodes" / "gpu-1" / "chronyc-tracking.csv").read_text() == csv.read_text()
    node = out / "nodes" / "gpu-1"
    assert (node / "nvidia-smi.xml.rc").read_text().strip() == "18"
    assert "version mismatch" in (node / "nvidia-smi.xml.stderr").read_text()
    assert (node / "nvidia-smi.csv").read_text().startswith("index, name")
    assert not (node / "nvidia-smi.txt").exists()  # the group stopped at the first success
    assert not (node / "nvidia-smi.csv.rc").exists()
    calls = log.read_text().splitlines()
    assert all(
        "-o BatchMode=yes -o StrictHostKeyChecking=yes" in c and "ops@10.9.9.9" in c for c in calls
    )
    assert [c.split("ops@10.9.9.9 ", 1)[1] for c in calls] == [
        "nvidia-smi -q -x",
        "nvidia-smi --query-gpu=index,name,driver_version,mig.mode.current,uuid --format=csv",
        "chronyc -c tracking",
    ]
    assert res.returncode == 0, res.stderr  # a fallback that worked is not a failure


def test_nodes_default_to_kubernetes_internal_ips(
    script: Path, replay_k8s: Replay, tmp_path: Path
) -> None:
    fake = tmp_path / "ssh"
    log = tmp_path / "ssh.log"
    fake.write_text('#!/bin/sh\necho "$*" >>"$LOG"\nexit 255\n')
    fake.chmod(0o755)
    out = tmp_path / "dump"
    res = run_script(script, replay_k8s, out, SSH=str(fake), LOG=str(log))
    assert res.returncode == 1
    assert sorted(p.name for p in (out / "nodes").iterdir()) == ["cp-a30", "gpu-migcfg", "worker-1"]
    hosts = {c.split("ConnectTimeout=10 ", 1)[1].split()[0] for c in log.read_text().splitlines()}
    assert hosts == {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    assert (out / "nodes" / "worker-1" / "ntpq.txt.rc").read_text().strip() == "255"


def test_dump_script_command_never_imports_heavy_libraries() -> None:
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "driftctl", "dump-script"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert res.returncode == 0 and res.stdout.startswith("#!/bin/sh")
    imported = {line.split("|")[-1].strip().split(".")[0] for line in res.stderr.splitlines()}
    assert "driftctl" in imported
    assert not imported & {"kubernetes", "paramiko", "deepdiff", "urllib3"}


@pytest.fixture
def sshd_node(tmp_path: Path) -> Any:
    """A real sshd on 127.0.0.1 whose PATH has a scripted nvidia-smi and chronyc."""
    import socket

    node = tmp_path / "node"
    (node / "bin").mkdir(parents=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(node / "host_key")], check=True
    )
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "client_key")],
        check=True,
    )
    (node / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text())
    xml, csv = A100_XML, CHRONY_CSV
    (node / "bin" / "nvidia-smi").write_text(
        f'#!/bin/sh\n[ "$*" = "-q -x" ] && exec cat {xml}\nexit 9\n'
    )
    (node / "bin" / "chronyc").write_text(f'#!/bin/sh\n[ "$1" = -c ] && exec cat {csv}\nexit 1\n')
    for f in (node / "bin").iterdir():
        f.chmod(0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (node / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {node}/host_key\nPidFile {node}/sshd.pid\n"
        f"AuthorizedKeysFile {node}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        f"SetEnv PATH={node}/bin:/usr/bin:/bin HOME={node}\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen(
        [binaries.sshd(), "-D", "-e", "-f", str(node / "sshd_config")],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                if c.recv(8).startswith(b"SSH-2.0"):
                    break
        except OSError:
            time.sleep(0.02)
    known = tmp_path / "known_hosts"
    host_pub = (node / "host_key.pub").read_text().split()[:2]
    known.write_text(f"[127.0.0.1]:{port} {' '.join(host_pub)}\n")
    opts = f"-i {tmp_path / 'client_key'} -p {port} -o UserKnownHostsFile={known} -F /dev/null"
    try:
        yield {"opts": opts, "known": known, "port": port, "key": tmp_path / "client_key"}
    finally:
        proc.kill()
        proc.wait(timeout=5)


def test_node_part_over_real_sshd(
    script: Path, replay_k8s: Replay, tmp_path: Path, sshd_node: Any
) -> None:
    out = tmp_path / "dump"
    res = run_script(
        script, replay_k8s, out, "--nodes", "gpu-1=127.0.0.1", DRIFTCTL_SSH_OPTS=sshd_node["opts"]
    )
    assert res.returncode == 0, res.stderr
    node = out / "nodes" / "gpu-1"
    assert sorted(p.name for p in node.iterdir()) == ["chronyc-tracking.csv", "nvidia-smi.xml"]
    assert (node / "nvidia-smi.xml").read_bytes() == A100_XML.read_bytes()
    snap = collect_site(config(replay_k8s.kubeconfig), from_dump=out).snapshot.to_dict()
    assert snap["nodes"]["gpu-1"]["gpu"]["driver_version"] == "535.54.03"
    assert snap["nodes"]["gpu-1"]["time"]["synchronized"] is True

    # The same node collected live over SSH (paramiko) gives the same node facts.
    ssh = SshSettings(
        user=getpass.getuser(),
        identity_file=str(sshd_node["key"]),
        known_hosts=str(sshd_node["known"]),
        nodes=(NodeTarget("gpu-1", "127.0.0.1", sshd_node["port"]),),
        timeout_seconds=10,
        ssh_config=None,
        use_agent=False,
    )
    live_cfg = replace(config(replay_k8s.kubeconfig), ssh=ssh)
    live = collect_site(live_cfg, sources=[KubeSource(), SshSource()]).snapshot.to_dict()
    assert live["failures"] == snap["failures"]
    assert live["nodes"]["gpu-1"]["gpu"] == snap["nodes"]["gpu-1"]["gpu"]
    assert live["nodes"]["gpu-1"]["time"] == snap["nodes"]["gpu-1"]["time"]


def test_unknown_host_key_is_a_failure_never_added(
    script: Path, replay_k8s: Replay, tmp_path: Path, sshd_node: Any
) -> None:
    sshd_node["known"].write_text("")
    out = tmp_path / "dump"
    res = run_script(
        script, replay_k8s, out, "--nodes", "gpu-1=127.0.0.1", DRIFTCTL_SSH_OPTS=sshd_node["opts"]
    )
    assert res.returncode == 1
    node = out / "nodes" / "gpu-1"
    assert "Host key verification failed" in (node / "nvidia-smi.xml.stderr").read_text()
    assert (node / "nvidia-smi.xml.rc").read_text().strip() == "255"
    assert sshd_node["known"].read_text() == ""
