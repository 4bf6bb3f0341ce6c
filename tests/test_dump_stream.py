"""kubectl Lists of a dump read item by item: the same snapshot and evidence as the whole
documents give, and every malformed or hostile file a recorded failure naming it and the byte
offset, never a traceback or a hang."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from driftctl.config import SiteConfig, load_site_config
from driftctl.errors import InputError
from driftctl.model import Artifact, RawSet
from driftctl.pipeline import collect_site
from driftctl.progress import NullProgress
from driftctl.redact import Redactor, redact_evidence
from driftctl.sources import dump_stream
from driftctl.sources.dump import LISTS, MAX_LIST_FILE_BYTES, DumpSource
from driftctl.sources.dump_stream import MAX_ITEM_CHARS, MAX_LIST_KEYS, ListReader
from driftctl.strictjson import MAX_JSON_DEPTH, loads_json

FLEET = Path(__file__).parent.parent / "fixtures" / "sites"
KEY = bytes(range(32))
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MEMBER_CAP = 64 * 1024


class WholeDump:
    """The reference: every List file parsed as one strict document, its items kept as the
    dump source keeps them and judged only when the evidence is assembled."""

    name = "dump"

    def __init__(self, root: Path, as_data: bool = False) -> None:
        self.root, self.as_data = root, as_data

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Any) -> None:
        DumpSource(self.root).acquire(config, raw, progress)
        for rel, keep in LISTS.items():
            path = self.root / rel
            if not path.is_file():
                continue
            if self.as_data:  # the document itself, for the collectors to parse whole
                raw.add(Artifact(rel, path.read_bytes()))
                continue
            doc = loads_json(path.read_bytes(), rel)
            assert isinstance(doc, dict) and isinstance(doc["items"], list)
            items = [keep(i) if keep else i for i in doc["items"] if isinstance(i, dict)]
            raw.add(Artifact(rel, None, items=tuple(items)))


def _outcome(config: SiteConfig, dump: Path, reference: bool) -> tuple[str, list[Any], Any]:
    redactor = Redactor(KEY)
    sources = [WholeDump(dump)] if reference else [DumpSource(dump)]
    judge = None if reference else redactor
    outcome = collect_site(config, now=NOW, sources=sources, judge=judge)
    snapshot = json.dumps(outcome.snapshot.to_dict(), sort_keys=True)
    evidence = redact_evidence(redactor, outcome.raw, MEMBER_CAP)
    return snapshot, evidence, redactor.report()


def _same_as_whole(config: SiteConfig, dump: Path) -> list[Any]:
    streamed = _outcome(config, dump, reference=False)
    whole = _outcome(config, dump, reference=True)
    assert streamed[0] == whole[0]  # the snapshot, byte for byte
    assert streamed[1] == whole[1]  # every evidence member, byte for byte
    assert streamed[2] == whole[2]  # redaction counts
    return streamed[1]


@pytest.mark.parametrize("site", sorted(p.name for p in FLEET.iterdir()))
def test_fixture_dumps_give_the_snapshot_and_evidence_of_whole_documents(site: str) -> None:
    config = load_site_config(FLEET / site / "site.yaml")
    dump = FLEET / site / "dump"
    evidence = _same_as_whole(config, dump)
    assert any(path.startswith("kubernetes/pods") for path, _ in evidence)
    # Slimmed pods give the facts the whole unslimmed documents give.
    whole = collect_site(config, now=NOW, sources=[WholeDump(dump, as_data=True)]).snapshot
    streamed = collect_site(config, now=NOW, sources=[DumpSource(dump)]).snapshot
    assert streamed.to_dict() == whole.to_dict()


def _kubectl_list(items: list[dict[str, Any]]) -> str:
    # kubectl's order and indentation, non-ASCII kept, as `kubectl get -o json` writes it.
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return json.dumps(doc, indent=4, ensure_ascii=False) + "\n"


def _big_dump(root: Path, pods: int) -> Path:
    from replay_k8s.scenario import big_site

    store = big_site(pods, pods // 10, 30)
    dump = root / "dump" / "kubernetes"
    dump.mkdir(parents=True)
    (dump / "version.json").write_text(json.dumps(store.version))

    def typed(plural: str, kind: str, version: str) -> list[dict[str, Any]]:
        found = [o for (_, p), objs in store.objects.items() if p == plural for o in objs]
        return [{"apiVersion": version, "kind": kind, **o} for o in found]

    [ns] = typed("namespaces", "Namespace", "v1")
    (dump / "namespace-kube-system.json").write_text(json.dumps(ns, indent=4))
    pods_list = typed("pods", "Pod", "v1")
    for n, pod in enumerate(pods_list[:50]):  # odd but valid values on chunk edges
        pod["metadata"]["annotations"] = {"note": f"caf\u00e9 \u2603 \U0001f600 {n}", "n": "1e5"}
        pod["spec"]["priority"] = 10**n
        pod["spec"]["overhead"] = {"cpu": 0.25 * n, "quote": 'a "q" \\ b'}
    (dump / "pods.json").write_text(_kubectl_list(pods_list))
    workloads = [
        *typed("deployments", "Deployment", "apps/v1"),
        *typed("statefulsets", "StatefulSet", "apps/v1"),
        *typed("daemonsets", "DaemonSet", "apps/v1"),
    ]
    (dump / "workloads.json").write_text(_kubectl_list(workloads))
    (dump / "nodes.json").write_text(_kubectl_list(typed("nodes", "Node", "v1")))
    (dump / "helm-secrets.json").write_text(_kubectl_list(typed("secrets", "Secret", "v1")))
    return root / "dump"


def test_a_generated_large_list_gives_the_snapshot_and_evidence_of_whole_documents(
    tmp_path: Path,
) -> None:
    dump = _big_dump(tmp_path, 3000)
    assert (dump / "kubernetes" / "pods.json").stat().st_size > 4 * 2**20  # over one chunk
    config = SiteConfig(site="big", source=tmp_path / "site.yaml")
    evidence = _same_as_whole(config, dump)
    whole = collect_site(config, now=NOW, sources=[WholeDump(dump, as_data=True)]).snapshot
    streamed = collect_site(config, now=NOW, sources=[DumpSource(dump)]).snapshot
    assert streamed.to_dict() == whole.to_dict() and streamed.workloads
    parts = [path for path, _ in evidence if path.startswith("kubernetes/pods.part-")]
    assert len(parts) > 1  # split to fit the member cap, as the live source's are


def _read(text: bytes, chunk: int = 7) -> list[Any]:
    return [item for item, _ in ListReader(io.BytesIO(text), "pods.json", 1 << 30, chunk).items()]


def test_every_chunk_edge_gives_the_items_of_the_whole_document() -> None:
    items: list[Any] = [
        {
            "n": 12345678901234567890,
            "f": -1.5e-7,
            "s": 'a\\"b \u00e9\u2603\U0001f600 \\ud83d\\ude00',
        },
        [1, 22, 333, True, False, None],
        4444,
        "x",
        {"deep": [[[{"a": {}}]]], "empty": []},
    ]
    text = json.dumps(
        {"metadata": {"x": [1, 2]}, "items": items, "kind": "List"}, ensure_ascii=False
    ).encode()
    expected = loads_json(text, "pods.json")
    assert isinstance(expected, dict)
    for chunk in (1, 2, 3, 5, 7, 64, 1 << 20):
        assert _read(text, chunk) == expected["items"], chunk


def _refused(text: bytes, chunk: int = 7) -> str:
    with pytest.raises(InputError) as caught:
        _read(text, chunk)
    message = str(caught.value)
    assert message.startswith("pods.json: ") and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b'{"kind":"List","items":[{"a":1},{"b":', "invalid JSON"),  # truncated mid-item
        (b'{"kind":"List","items":[{"a":1}', "truncated at byte 31"),
        (b'{"kind":"List","items":[]} {"more":1}', "data after the end of the List at byte 27"),
        (b'{"kind":"List","items":[]}x', "data after the end of the List at byte 26"),
        (b'{"kind":"List","items":{"a":1}}', "'items' is not an array"),
        (b'{"kind":"List","items":null}', "'items' is not an array"),
        (b'{"items":[],"items":[]}', "duplicate key 'items'"),
        (b'{"kind":"List","kind":"List","items":[]}', "duplicate key 'kind'"),
        (b'{"kind":"List"}', "no 'items'"),
        (b'[{"a":1}]', "not a JSON object"),
        (b"", "not a JSON object"),
        (b'{"items":[{"a":1,"a":2}]}', "duplicate key 'a'"),
        (b'{"items":[{"a":NaN}]}', "NaN is not JSON"),
        (b'{"items":[{"a":1e400}]}', "out of range"),
        (b'{"items":[{"a":"\\ud800"}]}', "lone surrogate"),
        (b'{"items":[{"\\udfff":1}]}', "lone surrogate"),
        (b'{"metadata":{"a":"\\ud800"},"items":[]}', "lone surrogate"),
        (b'{"items":[{"a":1},]}', "invalid JSON"),
        (b'{"items":[{"a":1}],}', "expected a key"),
        (b'{"items":[{"a":1} {"b":2}]}', "expected ',' or ']'"),
        (b'\xef\xbb\xbf{"items":[]}', "byte order mark"),
        (b'{"items":["caf\xe9"]}', "not UTF-8 (invalid continuation byte) at byte 14"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_file_and_offset(text: bytes, words: str) -> None:
    for chunk in (3, 1 << 20):
        message = _refused(text, chunk)
        assert words in message and " at byte " in message, message


def test_nesting_is_refused_at_the_depth_of_the_whole_document() -> None:
    def nested(levels: int) -> bytes:  # an item nested ``levels`` deep inside the List
        return b'{"items":[' + b"[" * levels + b"]" * levels + b"]}"

    fits = nested(MAX_JSON_DEPTH - 2)
    whole = loads_json(fits, "pods.json")
    assert isinstance(whole, dict) and _read(fits) == whole["items"]
    too_deep = nested(MAX_JSON_DEPTH - 1)
    with pytest.raises(InputError, match="deeper than"):
        loads_json(too_deep, "pods.json")
    assert "deeper than" in _refused(too_deep)
    assert "nested too deeply" in _refused(nested(100_000), 1 << 20)  # no RecursionError out


def test_one_huge_item_is_refused_without_reading_the_rest(tmp_path: Path) -> None:
    huge = b'{"items":[{"a":"' + b"x" * (MAX_ITEM_CHARS + 10) + b'"}]}'
    message = _refused(huge, 1 << 20)
    assert f"one value of more than {MAX_ITEM_CHARS // 2**20} MiB at byte 10" in message


def test_the_list_object_and_its_items_are_counted_against_caps() -> None:
    keys = b",".join(b'"k%d":0' % n for n in range(MAX_LIST_KEYS + 1))
    assert f"more than {MAX_LIST_KEYS} keys" in _refused(b"{" + keys + b',"items":[]}')
    items = b",".join([b"{}"] * (dump_stream.MAX_ITEMS + 1))
    message = _refused(b'{"items":[' + items + b"]}", 1 << 20)
    assert f"more than {dump_stream.MAX_ITEMS} items in the List at byte " in message


def _dump_with_pods(tmp_path: Path, pods: bytes) -> tuple[SiteConfig, Path]:
    shutil.copytree(FLEET / "capital" / "dump", tmp_path / "dump")
    (tmp_path / "dump" / "kubernetes" / "pods.json").write_bytes(pods)
    (tmp_path / "site.yaml").write_text("site: lab\nkubernetes: {}\n")
    return load_site_config(tmp_path / "site.yaml"), tmp_path / "dump"


def test_a_malformed_list_in_a_dump_is_a_failure_of_that_file(tmp_path: Path) -> None:
    config, dump = _dump_with_pods(tmp_path, b'{"kind":"List","items":[{"a":1}]}garbage')
    outcome = collect_site(config, sources=[DumpSource(dump)], judge=Redactor(KEY))
    failures = {(f.target, f.collector, f.error) for f in outcome.snapshot.failures}
    error = "not read: data after the end of the List at byte 33"
    assert ("kubernetes/pods.json", "dump", error) in failures
    assert outcome.raw.get("kubernetes/pods.json") is None  # nothing half read is kept
    assert outcome.raw.get("kubernetes/nodes.json") is not None  # the other files still count


def test_a_list_file_over_its_cap_is_refused_before_reading(tmp_path: Path) -> None:
    config, dump = _dump_with_pods(tmp_path, b"")
    with (dump / "kubernetes" / "pods.json").open("wb") as fh:
        fh.truncate(MAX_LIST_FILE_BYTES + 1)  # sparse
    raw = RawSet()
    DumpSource(dump).acquire(config, raw, NullProgress())
    [failure] = [f for f in raw.failures if f.target == "kubernetes/pods.json"]
    assert failure.error.startswith(f"not read: {MAX_LIST_FILE_BYTES + 1} bytes, over the cap")


def test_collect_from_a_dump_whose_only_list_is_malformed_exits_3_naming_it(
    tmp_path: Path,
) -> None:
    from cli_kit import invoke

    from driftctl.bundle.keys import generate_key

    kube = tmp_path / "dump" / "kubernetes"
    kube.mkdir(parents=True)
    (kube / "pods.json").write_bytes(b'{"kind":"List","items":[{"a":"\\ud800"}]}')
    (tmp_path / "site.yaml").write_text("site: lab\nkubernetes: {}\n")
    generate_key("lab", tmp_path / "key")
    args = ["--config", str(tmp_path / "site.yaml"), "--from-dump", str(tmp_path / "dump")]
    key = ["--key", str(tmp_path / "key" / "lab_ed25519"), "--out-dir", str(tmp_path / "out")]
    result = invoke("collect", *args, *key)
    assert result.returncode == 3
    [line] = result.stderr.strip().splitlines()
    assert "kubernetes/pods.json: not read: string '\\ud800' holds a lone surrogate" in line
    assert "at byte 24" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.tar.gz"))
