"""The typed snapshot: collector output round-trips byte for byte; anything else is refused by
path, in a bundle (exit 4) and in a hand-given file (exit 2) alike."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import (
    bundle_from,
    driftctl,
    make_key,
    members,
    relist,
    signer_line,
    trust_file,
    write_signed,
)
from schema_kit import problems
from snapshot_kit import component, snapshot_dict, typed

from driftctl.bundle.verify import verify_bundle
from driftctl.config import load_site_config
from driftctl.errors import BundleRejected, ExitCode, InputError
from driftctl.pipeline import collect_site
from driftctl.safeio import dumps_canonical, loads_json
from driftctl.snapshot import (
    ABSENT,
    Component,
    GpuSource,
    ModelError,
    Snapshot,
    TimeFacts,
    TimeSource,
)

ROOT = Path(__file__).parent.parent
SITES = ROOT / "fixtures" / "sites"
FLEET = sorted(p.name for p in SITES.iterdir() if (p / "site.yaml").exists())


@pytest.fixture(scope="module")
def collected() -> dict[str, Snapshot]:
    """What the collectors make of every fixture site's dump."""
    out = {}
    for site in FLEET:
        config = load_site_config(SITES / site / "site.yaml")
        out[site] = collect_site(config, from_dump=SITES / site / "dump").snapshot
    return out


@pytest.mark.parametrize("site", FLEET)
def test_collector_output_round_trips_byte_for_byte(
    collected: dict[str, Snapshot], site: str
) -> None:
    data = collected[site].to_dict()
    again = Snapshot.from_dict(json.loads(dumps_canonical(data)))
    assert again == collected[site]
    assert again.to_dict() == data
    assert dumps_canonical(again.to_dict()) == dumps_canonical(data)
    assert problems("snapshot", data) == []


def test_the_fleet_exercises_the_rare_facts(collected: dict[str, Snapshot]) -> None:
    """The fixture fleet holds the shapes a round trip must keep: absent next to null."""
    nodes = [n for s in collected.values() for n in s.nodes.values()]
    gpus = [n.gpu for n in nodes if n.gpu is not ABSENT and n.gpu is not None]
    assert {g.source for g in gpus} == {GpuSource.NVIDIA_SMI, GpuSource.GFD}
    assert any(g.error not in (None, ABSENT) for g in gpus)  # nvidia-smi failed on a GPU node
    assert any(g.mig_strategy is ABSENT for g in gpus)  # and no labels to say the strategy
    times = [n.time for n in nodes if isinstance(n.time, TimeFacts)]
    assert any(t.root_delay is ABSENT for t in times) and any(
        t.offset_seconds is None for t in times
    )
    assert {t.source for t in times} >= {TimeSource.CHRONY}
    containers = [
        c for s in collected.values() for w in s.workloads.values() for c in w.containers.values()
    ]
    assert any(c.env_from is not ABSENT for c in containers)
    comps = [c for s in collected.values() for c in s.components.values()]
    assert all(c.sources is not ABSENT and "version" in c.sources for c in comps)


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = doc
        for key in parents:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    return apply


BASE = snapshot_dict(
    "bank",
    nodes={
        "n1": {
            "roles": ["worker"],
            "time": {
                "source": "chrony",
                "synchronized": True,
                "offset_seconds": 0.1,
                "stratum": 3,
                "leap_status": "Normal",
                "reference": "r",
            },
        }
    },
    components={
        "parser": component("ns/Deployment/parser", version="2.0", sources={"version": "image_tag"})
    },
)
BAD = {
    "unknown-top-key": (_edit("tag", "x"), "snapshot.json: unknown key 'tag'"),
    "missing-section": (_edit("helm", KeyError), "snapshot.json: missing key 'helm'"),
    "wrong-schema": (_edit("schema", "driftctl.snapshot/v2"), "schema: expected 'driftctl.snapshot/v1'"),
    "bad-site": (_edit("site", "Bank\n"), "site: 'Bank\\n' does not match"),
    "wrong-type": (_edit("nodes/n1/roles", "worker"), "nodes.n1.roles: expected an array, got a string"),
    "bool-is-no-number": (_edit("nodes/n1/time/offset_seconds", True), "offset_seconds: expected a number, got a boolean"),
    "closed-set": (_edit("nodes/n1/time/source", "ntpsec"), "nodes.n1.time.source: expected one of chrony, timesyncd, ntpd"),
    "null-where-absent": (_edit("kubernetes/server_version", None), "kubernetes.server_version: expected a string, got null"),
    "unknown-node-key": (_edit("nodes/n1/hostname", "h"), "nodes.n1: unknown key 'hostname'"),
    "reserved-attribute": (_edit("components/parser/sources", ["image_tag"]), "components.parser.sources: expected an object"),
    "infinity": (_edit("nodes/n1/time/offset_seconds", float("inf")), "number inf is not finite"),
    "lone-surrogate-value": (_edit("components/parser/version", "\ud800"), "components.parser.version: string holds a lone surrogate"),
    "lone-surrogate-key": (_edit("nodes/\udc00", {}), 'nodes["\\udc00"]: string holds a lone surrogate'),
    "quoted-path": (_edit("components/parser/a.b", {"x": float("nan")}), 'components.parser["a.b"].x: number nan is not finite'),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD), ids=sorted(BAD))
def test_from_dict_refuses_naming_the_path(case: str) -> None:
    edit, message = BAD[case]
    doc = copy.deepcopy(BASE)
    edit(doc)
    with pytest.raises(ModelError) as info:
        Snapshot.from_dict(doc)
    assert message in str(info.value)
    assert isinstance(info.value, InputError) and info.value.exit_code == ExitCode.BAD_INPUT
    assert "\n" not in str(info.value).replace("\\n", "")


# JSON cannot carry NaN or infinity, and JSON Schema has no notion of lone surrogates: only the
# model can refuse those (it does, above).
SCHEMA_CASES = sorted(
    set(BAD) - {"infinity", "quoted-path", "lone-surrogate-value", "lone-surrogate-key"}
)


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=SCHEMA_CASES)
def test_the_schema_refuses_what_the_model_refuses(case: str) -> None:
    edit, _ = BAD[case]
    doc = copy.deepcopy(BASE)
    edit(doc)
    assert problems("snapshot", doc), case


def test_base_document_is_valid_for_both() -> None:
    assert Snapshot.from_dict(copy.deepcopy(BASE)).to_dict() == BASE
    assert problems("snapshot", BASE) == []


def test_absent_and_null_stay_apart() -> None:
    doc = snapshot_dict("s", nodes={"a": {"gpu": None}, "b": {}}, kubernetes={})
    snap = typed(doc)
    assert snap.nodes["a"].gpu is None and snap.nodes["b"].gpu is ABSENT
    assert snap.to_dict()["nodes"] == {"a": {"gpu": None}, "b": {}}
    assert snap.to_dict()["kubernetes"] == {}


def test_component_attributes_are_open_but_reserved_names_are_not() -> None:
    comp = Component.from_dict({"workload": None, "version": "1", "api_versions": ["v1"]})
    assert comp.get("api_versions") == ["v1"] and comp.version == "1"
    with pytest.raises(ValueError, match="reserved"):
        Component(workload=None, attributes={"sources": "x"})


def test_to_dict_is_a_copy() -> None:
    snap = typed(snapshot_dict("s", helm={"ns/r": {"chart": None, "chart_version": None,
        "app_version": None, "revision": 1, "status": "deployed", "values": {"a": {"b": 1}}}}))  # fmt: skip
    out = snap.to_dict()
    out["helm"]["ns/r"]["values"]["a"]["b"] = 2
    assert snap.helm["ns/r"].values == {"a": {"b": 1}}


@pytest.mark.hostile_outputs
@pytest.mark.parametrize(
    ("text", "message"),
    [
        # the strict JSON reader of bundles refuses it first; the model refuses it in a file
        (b'"offset_seconds": 1e400', "1e400 is out of range|not finite"),
        (b'"leap_status": "\\ud800"', "lone surrogate"),
        (b'"leap_status": "Normal", "extra": 1', "unknown key 'extra'"),
    ],
    ids=["1e400", "lone-surrogate", "unknown-key"],
)
def test_a_signed_bundle_with_a_bad_snapshot_is_rejected(
    tmp_path: Path, text: bytes, message: str
) -> None:
    site = "savings-bank"
    key, _ = make_key(tmp_path, site)
    time = {"source": "chrony", "synchronized": True, "offset_seconds": 0.5, "stratum": 3,
            "leap_status": "Normal", "reference": None}  # fmt: skip
    items = members(site, nodes={"n1": {"time": time}})
    raw = dict(items)["snapshot.json"]
    target = b'"leap_status": "Normal"' if b"leap" in text else b'"offset_seconds": 0.5'
    planted = raw.replace(target, text)
    assert planted != raw
    items = relist([(n, planted if n == "snapshot.json" else d) for n, d in items])
    bundle = write_signed(tmp_path / f"{site}-000001.tar.gz", bundle_from(items), key)
    trust = trust_file(tmp_path / "allowed_signers", [signer_line(site, key)])
    with pytest.raises(BundleRejected, match=message) as info:
        verify_bundle(bundle, trust)
    assert info.value.exit_code == ExitCode.REJECTED and info.value.step == "manifest"
    res = driftctl("verify", str(bundle), "--trust", str(trust))
    assert res.returncode == 4 and re.search(message, res.stderr)
    # the same snapshot handed over as a file is bad input
    (tmp_path / "snap.json").write_bytes(planted)
    res = driftctl("diff", "--snapshot", str(tmp_path / "snap.json"))
    assert res.returncode == 2 and re.search(message, res.stderr)
    assert res.stderr.count("\n") == 1
    with pytest.raises(InputError):
        Snapshot.from_dict(loads_json(planted, "snap.json"))
