"""Kubernetes collection never runs forever nor takes all memory: deadline, page and byte caps.

Each hostile server is the replay API server with a fault; every test asserts the collection ends
within its bound and that what was learned is still kept (and, through the CLI, bundled) with
the reason for the rest in ``failures``.
"""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
from kube_kit import Measured, run_driftctl
from replay_k8s.conftest import Replay, replay_k8s
from replay_k8s.server import Fault

from driftctl.bundle.keys import generate_key
from driftctl.config import KubeSettings, SiteConfig
from driftctl.pipeline import collect_site
from driftctl.sources.kube import KubeSource
from driftctl.sources.kube_client import MAX_RESPONSE_BYTES, ApiFailure, connect
from driftctl.sources.kube_lists import MAX_TOKEN_CHARS, ListBody, _next_token, list_into

__all__ = ["replay_k8s"]

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
TARGETS = [
    "kubernetes/version",
    "kubernetes/namespace-kube-system",
    "kubernetes/nodes",
    "kubernetes/workloads",
    "kubernetes/pods",
    "kubernetes/helm-secrets",
]


def collect(replay: Replay, **kube: Any) -> tuple[dict[str, Any], float]:
    """The snapshot of a live collection and its wall time."""
    config = SiteConfig(
        site="replay-site",
        source=Path("site.yaml"),
        kubernetes=KubeSettings(kubeconfig=str(replay.kubeconfig), **kube),
    )
    started = time.monotonic()
    snap = collect_site(config, sources=[KubeSource()]).snapshot.to_dict()
    return snap, time.monotonic() - started


def errors(snapshot: dict[str, Any]) -> dict[str, str]:
    """Every recorded error per target, joined (a source failure and a parser's note on it)."""
    out: dict[str, str] = {}
    for f in snapshot["failures"]:
        out[f["target"]] = " | ".join(filter(None, (out.get(f["target"]), f["error"])))
    return out


def requests_to(replay: Replay, path: str) -> int:
    return sum(1 for _, p in replay.server.requests if p.split("?")[0] == path)


def test_endless_continue_stops_at_the_page_cap(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/pods"] = Fault(endless_continue=True)
    snap, _ = collect(replay_k8s, page_size=3, max_pages=20)
    assert "still more after 20 pages" in errors(snap)["kubernetes/pods"]
    assert "kubernetes.max_pages" in errors(snap)["kubernetes/pods"]
    assert requests_to(replay_k8s, "/api/v1/pods") == 20
    # the lists after it are still read, and a half pod list is never used as the whole one
    assert snap["helm"]["ai-platform/docai"]["revision"] == 2
    assert snap["workloads"]["ai-platform/Deployment/parser"]["nodes"] is None


def test_repeated_continue_token_is_a_loop(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/nodes"] = Fault(same_continue=True)
    snap, _ = collect(replay_k8s, page_size=2)
    assert "repeats an earlier continue token" in errors(snap)["kubernetes/nodes"]
    assert requests_to(replay_k8s, "/api/v1/nodes") == 2
    assert snap["nodes"] == {} and snap["kubernetes"]["server_version"] == "v1.29.3"


@pytest.mark.parametrize("items", ['"pods"', "42", '{"p": {"metadata": {"name": "p"}}}'])
def test_a_page_whose_items_is_not_an_array_fails_the_list(replay_k8s: Replay, items: str) -> None:
    replay_k8s.server.faults["/api/v1/pods"] = Fault(items_json=items)
    snap, _ = collect(replay_k8s)
    assert (
        "page 1 is not a Kubernetes List ('items' is not an array)"
        in errors(snap)["kubernetes/pods"]
    )
    # never read as an empty list of pods: the workloads' nodes stay unknown
    assert snap["workloads"]["ai-platform/Deployment/parser"]["nodes"] is None
    assert snap["helm"]["ai-platform/docai"]["revision"] == 2


def test_endless_continue_is_bounded_by_the_deadline(replay_k8s: Replay) -> None:
    replay_k8s.server.faults["/api/v1/pods"] = Fault(endless_continue=True)
    snap, took = collect(replay_k8s, page_size=3, max_pages=1_000_000, deadline_seconds=2)
    assert took < 2 + 2, took
    failed = errors(snap)
    assert "kubernetes.deadline_seconds" in failed["kubernetes/pods"]
    assert "pages)" in failed["kubernetes/pods"]  # how far it got
    assert "not requested" in failed["kubernetes/helm-secrets"]
    assert snap["kubernetes"]["cluster_uid"] and snap["nodes"] and snap["workloads"]


def drip_after_version(replay: Replay) -> None:
    """Every path but /version answers one byte per 50 ms."""
    replay.server.faults["*"] = Fault(drip=0.05)
    replay.server.faults["/version"] = Fault()


def test_server_dripping_after_version_costs_one_deadline(replay_k8s: Replay) -> None:
    drip_after_version(replay_k8s)
    # without the deadline this is five request budgets of 2 × 2 + 1 s: 25 s
    snap, took = collect(replay_k8s, timeout_seconds=2, deadline_seconds=3)
    assert took < 3 + 2, took
    failed = errors(snap)
    assert set(TARGETS[1:]) <= set(failed) and "kubernetes/version" not in failed
    assert snap["kubernetes"]["server_version"] == "v1.29.3"
    assert all("kubernetes.deadline_seconds" in failed[t] for t in TARGETS[2:]), failed


@pytest.mark.parametrize(
    ("fault", "declared"),
    [
        (Fault(huge_body=2 * MAX_RESPONSE_BYTES), True),
        (Fault(huge_body=2 * MAX_RESPONSE_BYTES, declare_length=False), False),
        # 64 MiB in a few KiB of gzip the client never asked for: the cap counts decoded bytes
        (Fault(huge_body=2 * MAX_RESPONSE_BYTES, gzip=True), False),
    ],
    ids=["content-length", "chunked", "gzip"],
)
def test_huge_response_is_capped(replay_k8s: Replay, fault: Fault, declared: bool) -> None:
    replay_k8s.server.faults["/api/v1/nodes"] = fault
    snap, took = collect(replay_k8s)
    error = errors(snap)["kubernetes/nodes"]
    assert "larger than the cap of 32 MiB" in error and "page_size" in error
    assert ("declared" in error) == declared
    assert snap["nodes"] == {} and snap["helm"] and snap["workloads"]
    assert took < 20


def test_response_under_the_cap_is_read(replay_k8s: Replay) -> None:
    # 8 MiB of repeated (valid) nodes: streamed in, parsed, kept
    replay_k8s.server.faults["/api/v1/nodes"] = Fault(huge_body=8 * MiB)
    snap, _ = collect(replay_k8s)
    assert "kubernetes/nodes" not in errors(snap)
    assert "cp-a30" in snap["nodes"]


# --- through the CLI: the bundle is written, and the memory of the process stays bounded ---


def cli_collect(replay: Replay, tmp_path: Path, kube: str) -> Measured:
    """``driftctl collect`` of the replay site as a user runs it, measured alone."""
    keydir = tmp_path / "keys"
    if not keydir.exists():
        generate_key("replay-site", keydir)
    config = tmp_path / "site.yaml"
    config.write_text(
        f"site: replay-site\nkubernetes: {{kubeconfig: {replay.kubeconfig}, {kube}}}\n"
    )
    key = keydir / "replay-site_ed25519"
    args = [
        "collect",
        "--config",
        str(config),
        "--key",
        str(key),
        "--out-dir",
        str(tmp_path / "out"),
    ]
    return run_driftctl(args, cwd=ROOT)


def bundled_failures(out: Path) -> dict[str, str]:
    """The failures in the newest bundle of ``out``."""
    bundle = sorted(out.glob("*.tar.gz"))[-1]
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("snapshot.json")
        assert member is not None
        return errors(json.loads(member.read()))


def test_cli_bundles_what_it_got_when_the_deadline_is_spent(
    replay_k8s: Replay, tmp_path: Path
) -> None:
    drip_after_version(replay_k8s)
    run = cli_collect(replay_k8s, tmp_path, "timeout_seconds: 2, deadline_seconds: 3")
    assert run.code == 0, run.stderr
    assert run.wall < 3 + 8, run.wall  # the deadline, plus start-up, redaction and signing
    failed = bundled_failures(tmp_path / "out")
    assert set(TARGETS[1:]) <= set(failed) and "kubernetes/version" not in failed
    assert "kubernetes.deadline_seconds" in failed["kubernetes/helm-secrets"]


def test_cli_512_mb_nodes_reply_costs_at_most_the_cap(replay_k8s: Replay, tmp_path: Path) -> None:
    normal = cli_collect(replay_k8s, tmp_path, "timeout_seconds: 20")
    assert normal.code == 0, normal.stderr
    replay_k8s.server.faults["/api/v1/nodes"] = Fault(huge_body=512 * MiB, declare_length=False)
    hostile = cli_collect(replay_k8s, tmp_path, "timeout_seconds: 20")
    assert hostile.code == 0, hostile.stderr
    print(
        f"peak RSS of driftctl collect: {normal.peak_mib:.0f} MiB normal, {hostile.peak_mib:.0f} "
        f"MiB with a 512 MiB chunked /nodes reply ({hostile.wall:.1f} s)"
    )
    assert "larger than the cap" in bundled_failures(tmp_path / "out")["kubernetes/nodes"]
    # the cap read into one growing buffer, and nothing of the other 480 MiB
    assert hostile.peak_mib - normal.peak_mib < 2 * MAX_RESPONSE_BYTES / MiB, (normal, hostile)
    replay_k8s.server.faults["/api/v1/nodes"] = Fault(huge_body=512 * MiB, gzip=True)
    bomb = cli_collect(replay_k8s, tmp_path, "timeout_seconds: 20")
    print(f"… {bomb.peak_mib:.0f} MiB with 512 MiB gzip-encoded in a few KiB")
    assert bomb.code == 0 and bomb.peak_mib - normal.peak_mib < 2 * MAX_RESPONSE_BYTES / MiB


def test_list_body_is_capped_and_a_failed_list_leaves_it_as_it_was(replay_k8s: Replay) -> None:
    api = connect(KubeSettings(kubeconfig=str(replay_k8s.kubeconfig), page_size=2))
    body = ListBody(cap=15_000)
    list_into(api, "/api/v1/nodes", body)  # three nodes, 11 KB
    kept = body.document()
    assert [n["metadata"]["name"] for n in json.loads(kept)["items"]] == [
        "cp-a30",
        "gpu-migcfg",
        "worker-1",
    ]
    with pytest.raises(ApiFailure, match="more than the cap of 15000 bytes of objects"):
        list_into(api, "/api/v1/pods", body)  # seven pods, 10 KB
    assert body.document() == kept


def test_continue_token_checks() -> None:
    seen: set[str] = set()
    assert _next_token("/p", {"metadata": {"continue": "abc"}}, seen, 1) == "abc"
    assert _next_token("/p", {"metadata": {"continue": ""}}, seen, 2) is None
    assert _next_token("/p", {"metadata": None}, seen, 2) is None
    with pytest.raises(ApiFailure, match="page 2 repeats an earlier continue token"):
        _next_token("/p", {"metadata": {"continue": "abc"}}, seen, 2)
    for junk in ("x" * (MAX_TOKEN_CHARS + 1), 42, ["abc"]):
        with pytest.raises(ApiFailure, match="page 3 has a malformed continue token"):
            _next_token("/p", {"metadata": {"continue": junk}}, seen, 3)
