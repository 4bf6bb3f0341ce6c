"""Evidence redacted as it arrives (Kubernetes list items, and every file a source adds): the same
bytes and counts as judging it all afterwards, restarts and re-added files not counted twice, and
Lists split to fit the member cap."""

from __future__ import annotations

import json
from pathlib import Path

from replay_k8s.conftest import Replay, replay_k8s

from driftctl.config import KubeSettings, SiteConfig
from driftctl.dump_layout import HELM_SECRETS_PATH, PODS_PATH, WORKLOADS_PATH
from driftctl.model import Artifact, RawSet
from driftctl.pipeline import collect_site
from driftctl.redact import Redactor, redact_evidence
from driftctl.redact.lists import list_document, list_members
from driftctl.sources.kube import KubeSource
from driftctl.sources.kube_lists import ListBody

__all__ = ["replay_k8s"]

KEY = bytes(range(32))


def _site(kubeconfig: Path) -> SiteConfig:
    settings = KubeSettings(kubeconfig=str(kubeconfig), page_size=2)
    return SiteConfig(site="replay-site", source=Path("site.yaml"), kubernetes=settings)


def test_items_judged_on_arrival_give_the_bytes_and_counts_of_whole_documents(
    replay_k8s: Replay,
) -> None:
    streamed, whole = Redactor(KEY), Redactor(KEY)
    config = _site(replay_k8s.kubeconfig)
    live = collect_site(config, sources=[KubeSource()], judge=streamed).raw
    plain = collect_site(config, sources=[KubeSource()]).raw
    judged = {a.path for a in live if a.judged is not None}
    assert {PODS_PATH, WORKLOADS_PATH, HELM_SECRETS_PATH} <= judged
    assert all(a.judged is None for a in plain)
    # The collectors read the same unredacted items either way.
    assert {a.path: (a.data, a.items) for a in live} == {a.path: (a.data, a.items) for a in plain}
    ours, theirs = redact_evidence(streamed, live), redact_evidence(whole, plain)
    assert ours == theirs
    assert streamed.report() == whole.report()
    assert streamed.report()["by_file"][HELM_SECRETS_PATH] > 0  # something was redacted


def test_a_restarted_list_counts_its_redactions_once() -> None:
    redactor = Redactor(KEY)
    body = ListBody(HELM_SECRETS_PATH, redactor)
    secret = {"kind": "Secret", "type": "Opaque", "data": {"password": "czNjcjN0"}}
    body.add("/api/v1/secrets", secret)
    mark = body.mark()
    body.add("/api/v1/secrets", secret)
    body.rollback(mark)  # an expired continue token: the list starts again from the mark
    body.add("/api/v1/secrets", secret)
    judged = body.judged()
    assert judged is not None and judged.rules == ("secret-data", "secret-data")
    assert sum(redactor.counts.values()) == 0  # counted when the evidence is assembled
    artifact = Artifact(HELM_SECRETS_PATH, body.document(), judged=judged)
    [(path, data)] = redact_evidence(redactor, [artifact])
    assert path == HELM_SECRETS_PATH
    assert redactor.report()["by_rule"] == {"secret-data": 2}
    assert "czNjcjN0" not in data.decode() and len(json.loads(data)["items"]) == 2


def test_an_item_the_judge_fails_on_leaves_the_list_to_be_judged_whole() -> None:
    class Failing:
        def list_item(self, path: str, item: dict[str, object]) -> tuple[bytes, tuple[str, ...]]:
            raise RecursionError("too deep")

    body = ListBody(PODS_PATH, Failing())
    body.add("/api/v1/pods", {"metadata": {"name": "p"}})
    assert body.judged() is None


def _pods(n: int) -> list[bytes]:
    return [json.dumps({"metadata": {"name": f"pod-{i:04d}"}}).encode() for i in range(n)]


def test_a_list_over_the_member_cap_is_stored_in_parts_of_whole_items() -> None:
    items = _pods(300)
    cap = 2000
    assert list_members(PODS_PATH, items, None) == [(PODS_PATH, list_document(items))]
    parts = list_members(PODS_PATH, items, cap)
    assert [p for p, _ in parts] == [
        f"kubernetes/pods.part-{n:03d}.json" for n in range(1, len(parts) + 1)
    ]
    assert len(parts) > 5 and all(len(d) <= cap for _, d in parts)
    # In order, nothing lost, each part a List on its own.
    names = [i["metadata"]["name"] for _, d in parts for i in json.loads(d)["items"]]
    assert names == [f"pod-{i:04d}" for i in range(300)]


def test_a_dump_list_over_the_member_cap_is_split_too_and_an_item_over_it_is_not() -> None:
    doc = {"apiVersion": "v1", "items": [json.loads(i) for i in _pods(200)], "kind": "List"}
    artifact = Artifact(PODS_PATH, json.dumps(doc).encode())  # as --from-dump reads it
    members = redact_evidence(Redactor(), [artifact], member_cap=3000)
    assert len(members) > 1 and all(p.startswith("kubernetes/pods.part-") for p, _ in members)
    big = {"apiVersion": "v1", "kind": "List", "items": [{"metadata": {"name": "x" * 5000}}]}
    members = redact_evidence(Redactor(), [Artifact(PODS_PATH, json.dumps(big).encode())], 3000)
    assert [p for p, _ in members] == [PODS_PATH]  # left whole: the writer names it and the cap


# Files as the SSH and dump sources add them: node outputs with secrets on stdout and stderr,
# a failed command, a JSON file, and a JSON file nested past what Python's parser takes.
DEEP = ("[" * 200_000 + "]" * 200_000).encode()
FILES = (
    Artifact("nodes/n1/nvidia-smi.xml", b"<driver_version>550.54</driver_version>\n"),
    Artifact(
        "nodes/n1/chronyc-tracking.txt", b"password=hunter2-hunter2\n", b"token: ghp_" + b"a" * 36
    ),
    Artifact("nodes/n2/nvidia-smi.xml", None, b"NVIDIA-SMI has failed", 9),
    Artifact(
        "kubernetes/version.json", b'{"gitVersion": "v1.29.3", "apiKey": "s3cr3t-value-1234"}'
    ),
    Artifact("kubernetes/deep.json", DEEP),
)


def test_files_judged_on_arrival_give_the_bytes_and_counts_of_judging_afterwards() -> None:
    early, late = Redactor(KEY), Redactor(KEY)
    raw = RawSet(judge=early)
    for artifact in FILES:
        raw.add(artifact)
    assert all(a.evidence is not None for a in raw)
    assert sum(early.counts.values()) == 0  # counted when the evidence is assembled
    ours, theirs = redact_evidence(early, raw), redact_evidence(late, FILES)
    assert ours == theirs
    assert early.report() == late.report()
    report = early.report()
    assert report["total"] >= 3 and report["dropped"] == ["kubernetes/deep.json"]
    assert b"hunter2" not in b"".join(data for _, data in ours)


def test_a_file_added_again_under_its_path_counts_once() -> None:
    redactor = Redactor(KEY)
    raw = RawSet(judge=redactor)
    secret = Artifact("nodes/n1/chronyc-tracking.txt", b"password=hunter2-hunter2\n")
    raw.add(secret)
    raw.add(secret)  # a fallback that wrote the same file: the last one is the evidence
    redact_evidence(redactor, raw)
    assert redactor.report()["by_file"] == {"nodes/n1/chronyc-tracking.txt": 1}
