"""The collect pipeline on dump directories: config → dump source → collectors → snapshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from driftctl.bundle.keys import generate_key
from driftctl.collectors.interface import CollectContext, Facts
from driftctl.config import SiteConfig, load_site_config
from driftctl.errors import OperationalError
from driftctl.model import RawSet
from driftctl.pipeline import assemble, collect_site, run_collectors
from driftctl.snapshot import (
    Component,
    Gpu,
    GpuSource,
    Kubernetes,
    Node,
    Snapshot,
    TimeFacts,
    TimeSource,
    Workload,
)

LABELS = Gpu(source=GpuSource.GFD, driver_version="535.104.05", cuda_version="12.2")
SMI = Gpu(source=GpuSource.NVIDIA_SMI, driver_version="550.54.15", cuda_version="12.4")


def clock(offset: float) -> TimeFacts:
    return TimeFacts(
        source=TimeSource.CHRONY,
        synchronized=True,
        offset_seconds=offset,
        stratum=2,
        leap_status="Normal",
        reference="10.0.0.254",
    )


FLEET = Path(__file__).parent.parent / "fixtures" / "sites"


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("site: lab\nkubernetes: {}\n")
    dump = tmp_path / "dump"
    (dump / "kubernetes").mkdir(parents=True)
    shutil.copy(
        FLEET / "capital" / "dump" / "kubernetes" / "version.json",
        dump / "kubernetes" / "version.json",
    )
    (dump / "kubernetes" / "namespace-kube-system.json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "kube-system", "uid": "6f1c1a2e-0000-4000-8000-000000000001"},
            }
        )
    )
    return cfg, dump


def test_dump_gives_server_version_and_cluster_uid(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    snap = collect_site(load_site_config(cfg), from_dump=dump).snapshot.to_dict()
    assert snap["schema"] == "driftctl.snapshot/v1" and snap["site"] == "lab"
    assert snap["kubernetes"]["server_version"] == "v1.29.3"
    assert snap["kubernetes"]["cluster_uid"] == "6f1c1a2e-0000-4000-8000-000000000001"
    assert snap["collected_at"].endswith("Z")


def test_missing_and_unreadable_files_are_failures_not_guesses(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    (dump / "kubernetes" / "namespace-kube-system.json").unlink()
    os.symlink("/etc/passwd", dump / "kubernetes" / "nodes.json")
    snap = collect_site(load_site_config(cfg), from_dump=dump).snapshot.to_dict()
    assert "cluster_uid" not in snap["kubernetes"]
    errors = {(f["target"], f["error"]) for f in snap["failures"]}
    assert ("kubernetes/cluster-uid", "no kube-system namespace") in errors
    assert any(t == "kubernetes/nodes.json" and "not a regular file" in e for t, e in errors)


def test_rc_and_stderr_companions_become_artifact_fields(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    node = dump / "nodes" / "gpu-1"
    node.mkdir(parents=True)
    (node / "nvidia-smi.xml").write_bytes(b"")
    (node / "nvidia-smi.xml.rc").write_text("9\n")
    (node / "nvidia-smi.xml.stderr").write_text("NVIDIA-SMI has failed\n")
    (node / "ntpq.txt.rc").write_text("127\n")  # a command that wrote nothing at all
    raw = collect_site(load_site_config(cfg), from_dump=dump).raw
    art = raw.get("nodes/gpu-1/nvidia-smi.xml")
    assert art is not None and art.rc == 9 and not art.ok
    assert art.describe_failure() == "exit 9: NVIDIA-SMI has failed"
    ntpq = raw.get("nodes/gpu-1/ntpq.txt")
    assert ntpq is not None and ntpq.data is None and ntpq.rc == 127
    assert raw.node_names() == ["gpu-1"]


def test_empty_dump_is_operational_error(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("site: lab\n")
    (tmp_path / "dump").mkdir()
    with pytest.raises(OperationalError, match="lab: nothing could be collected"):
        collect_site(load_site_config(cfg), from_dump=tmp_path / "dump")


def test_symlinked_node_directory_is_not_followed_out_of_the_dump(
    site: tuple[Path, Path], tmp_path: Path
) -> None:
    cfg, dump = site
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shadow").write_text("root:$6$secret:19000:0:99999:7:::\n")
    (dump / "nodes").mkdir()
    os.symlink(outside, dump / "nodes" / "evil")
    outcome = collect_site(load_site_config(cfg), from_dump=dump)
    assert not [p for p in outcome.raw.artifacts if p.startswith("nodes/evil")]
    errors = {(f["target"], f["error"]) for f in outcome.snapshot.to_dict()["failures"]}
    assert ("nodes/evil", "not a directory (symlinks are not followed)") in errors


def test_a_crashing_collector_costs_only_itself(site: tuple[Path, Path]) -> None:
    cfg, dump = site

    class Boom:
        name = "boom"

        def collect(self, ctx: CollectContext) -> Facts:
            raise KeyError("x")

    class Fine:
        name = "fine"

        def collect(self, ctx: CollectContext) -> Facts:
            return Facts(components={"a": Component(workload=None, attributes={"version": "1"})})

    config = load_site_config(cfg)
    raw = collect_site(config, from_dump=dump).raw
    snap = run_collectors(config, raw, "2026-01-01T00:00:00Z", [Boom(), Fine()]).to_dict()
    assert snap["components"] == {"a": {"workload": None, "version": "1"}}
    assert snap["failures"] == [
        {"target": "lab", "collector": "boom", "error": "collector crashed: KeyError('x')"}
    ]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_dry_run_prints_redacted_snapshot(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    res = run_cli("collect", "--config", str(cfg), "--from-dump", str(dump), "--dry-run")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["kubernetes"]["server_version"] == "v1.29.3"
    assert "collected lab:" in res.stderr


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (
            ["--config", "/nonexistent/site.yaml", "--dry-run"],
            2,
            "/nonexistent/site.yaml: cannot read",
        ),
        (["--config", "CFG", "--from-dump", "/nonexistent-dump", "--dry-run"], 2, "does not exist"),
        (["--config", "CFG", "--from-dump", "CFG", "--dry-run"], 2, "is not a directory"),
        (["--config", "CFG", "--from-dump", "DUMP"], 2, "--key is required"),
    ],
    ids=["missing-config", "missing-dump", "dump-is-a-file", "missing-key"],
)
def test_cli_bad_input_one_line(
    site: tuple[Path, Path], args: list[str], code: int, needle: str
) -> None:
    cfg, dump = site
    args = [a.replace("CFG", str(cfg)).replace("DUMP", str(dump)) for a in args]
    res = run_cli("collect", *args)
    assert res.returncode == code
    assert needle in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_node_name_the_bundle_would_refuse_is_one_failure(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    long_name = "n" * 200  # the bundle allows 128 characters per path component
    (dump / "nodes" / long_name).mkdir(parents=True)
    (dump / "nodes" / long_name / "ntpq.txt").write_text("x\n")
    (dump / "nodes" / "ok").mkdir()
    (dump / "nodes" / "ok" / "ntpq.txt").write_text("x\n")
    outcome = collect_site(load_site_config(cfg), from_dump=dump)
    assert "nodes/ok/ntpq.txt" in outcome.raw.artifacts
    assert not [p for p in outcome.raw.artifacts if long_name in p]
    errors = {(f["target"], f["error"]) for f in outcome.snapshot.to_dict()["failures"]}
    assert (f"nodes/{long_name}/ntpq.txt", "file name not allowed") in errors


def test_a_crashing_collector_logs_one_line_and_the_traceback_only_at_debug(
    site: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    cfg, _ = site

    class Boom:
        name = "boom"

        def collect(self, ctx: CollectContext) -> Facts:
            raise KeyError("x")

    with caplog.at_level(logging.DEBUG, logger="driftctl"):
        run_collectors(load_site_config(cfg), RawSet(), "2026-11-30T00:00:00Z", [Boom()])
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "boom crashed" in errors[0].getMessage()
    assert [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]


def test_a_report_that_cannot_be_written_is_one_line_exit_3(site: tuple[Path, Path]) -> None:
    cfg, dump = site
    args = ["collect", "--config", str(cfg), "--from-dump", str(dump), "--dry-run"]
    with open("/dev/full", "w") as full:
        res = subprocess.run(
            [sys.executable, "-m", "driftctl", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert res.returncode == 3, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("driftctl: error:")]
    assert lines == ["driftctl: error: cannot write the output: No space left on device"]
    assert "Traceback" not in res.stderr


def test_a_key_made_for_another_site_is_refused_before_collecting(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent / "fixtures"
    site = root / "sites" / "savings-bank"
    out = tmp_path / "out"
    args = ["collect", "--config", str(site / "site.yaml"), "--from-dump", str(site / "dump")]
    private, _ = generate_key("capital", tmp_path / "keys")  # comment capital@driftctl
    args += ["--key", str(private), "--out-dir", str(out)]
    res = run_cli(*args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "made for site 'capital'" in lines[0] and "savings-bank" in lines[0]
    assert not out.exists()


def test_three_collectors_fill_one_node_each_part_by_its_rule() -> None:
    """Kubernetes facts (with GPU labels), then nvidia-smi and clock facts of the same node and
    of a node only SSH reached: one entry per node, nvidia-smi beating the labels."""
    known = Snapshot(site="lab", collected_at="")
    known = assemble(known, Facts(nodes={"k": Node(roles=("worker",), gpu=LABELS)}))
    known = assemble(known, Facts(gpu={"k": SMI, "ssh": None}))
    known = assemble(known, Facts(time={"k": clock(0.5), "ssh": clock(-0.1)}))
    assert known.nodes == {
        "k": Node(roles=("worker",), gpu=SMI, time=clock(0.5)),
        "ssh": Node(gpu=None, time=clock(-0.1)),
    }
    assert list(known.nodes) == ["k", "ssh"]  # as learned: Kubernetes nodes first
    # Kubernetes facts learned again keep what nvidia-smi and chrony said.
    again = assemble(known, Facts(nodes={"k": Node(roles=("gpu",), gpu=LABELS)}))
    assert again.nodes["k"] == Node(roles=("gpu",), gpu=SMI, time=clock(0.5))


def test_sections_are_added_by_key_and_left_alone_by_who_learned_nothing() -> None:
    one = Workload(
        kind="Deployment",
        replicas=1,
        labels={},
        annotations={},
        template_labels={},
        template_annotations={},
        containers={},
        nodes=(),
    )
    identity = Kubernetes(server_version="v1.29.3")
    known = assemble(
        Snapshot(site="lab", collected_at=""),
        Facts(kubernetes=identity, workloads={"a/Deployment/x": one}),
    )
    known = assemble(known, Facts(workloads={"a/Deployment/y": one}))
    known = assemble(known, Facts())
    assert known.kubernetes == identity
    assert list(known.workloads) == ["a/Deployment/x", "a/Deployment/y"]


def test_a_fact_the_strict_reading_refuses_fails_the_collection_closed() -> None:
    """Types cannot say "finite": the assembled snapshot is read strictly, as a bundle will be."""

    class Drifting:
        name = "clock"

        def collect(self, ctx: CollectContext) -> Facts:
            return Facts(time={"n1": clock(float("inf"))})

    config = SiteConfig(site="lab", source=Path("lab.yaml"))
    with pytest.raises(OperationalError) as caught:
        run_collectors(config, RawSet(), "2026-11-30T00:00:00Z", [Drifting()])
    message = str(caught.value)
    assert message.startswith("internal error: lab: collected snapshot: ")
    assert "offset_seconds" in message and "not finite" in message
