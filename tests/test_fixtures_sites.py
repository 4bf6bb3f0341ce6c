"""The field-case fixture sites: generated deterministically, valid, real, and telling their story."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import REALDATA, needs_realdata

from driftctl.config import load_site_config
from driftctl.pipeline import CollectOutcome, collect_site
from driftctl.safeio import loads_json

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"
SITES_DIR = FIX / "sites"
SITES = ["savings-bank", "holding", "capital", "public-institution", "utility"]
KUBE_FILES = [
    "version.json",
    "namespace-kube-system.json",
    "nodes.json",
    "workloads.json",
    "pods.json",
    "helm-secrets.json",
]
# (frontend version, parser_api, docai mcpHub values) per site: field cases 1 and 3.
STORY = {
    "savings-bank": (
        "2.3.4",
        "v1",
        {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True},
    ),
    "holding": ("2.3.1", "v1", {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True}),
    "capital": ("3.0.1", "v2", {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True}),
    "public-institution": (
        "3.0.1",
        "v2",
        {"timeoutSeconds": 3, "backoffSeconds": 1, "initOnStart": True},
    ),
    "utility": ("3.0.1", "v2", {"timeoutSeconds": 15, "backoffSeconds": 5, "initOnStart": False}),
}
A100, RTX, GFD = ("535.54.03", "12.2"), ("595.58.03", "13.2"), ("535.183.01", "12.2")
GPU_DRIVERS = {
    "savings-bank": {"sb-gpu1": A100, "sb-gpu2": A100, "sb-gpu3": A100},
    "holding": {"hd-gpu1": A100, "hd-gpu2": A100, "hd-gpu3": RTX},
    "capital": {"cap-gpu1": A100, "cap-gpu2": A100},
    "public-institution": {"pi-w1": A100, "pi-w2": A100},
    "utility": {"ut-gpu1": A100, "ut-gpu3": GFD},
}
CONTROL_PLANE = {
    "savings-bank": {"sb-cp1"},
    "holding": {"hd-cp1"},
    "capital": {"cap-cp1"},
    "public-institution": {"pi-cp1", "pi-cp2", "pi-cp3"},
    "utility": {"ut-cp1"},
}
UNSYNCED = {"public-institution": {"pi-cp1", "pi-cp2"}}
VERIFY = ["ssh-keygen", "-Y", "verify", "-n", "bundle@driftctl"]


def all_files(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def decode_release(secret: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """Helm's own decoding, written out independently of driftctl: (gzip bytes, release)."""
    blob = base64.b64decode(base64.b64decode(secret["data"]["release"], validate=True))
    assert blob[:3] == b"\x1f\x8b\x08"
    release = json.loads(gzip.decompress(blob))
    assert isinstance(release, dict)
    return blob, release


def kube(site: str, name: str) -> Any:
    path = SITES_DIR / site / "dump" / "kubernetes" / name
    return loads_json(path.read_bytes(), str(path))


# -- generator and files --------------------------------------------------------------------------


def test_generator_is_deterministic_and_matches_the_committed_tree(tmp_path: Path) -> None:
    for run in ("a", "b"):
        res = subprocess.run(
            [sys.executable, str(FIX / "build_fixtures.py"), "--out", str(tmp_path / run)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 0, res.stderr
        assert res.stdout == ""
        assert "wrote" in res.stderr
    first, second = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert first == second
    committed = {f"sites/{k}": v for k, v in all_files(SITES_DIR).items()}
    for name in ("PROVENANCE.md", "planted-secrets.txt"):
        committed[name] = (FIX / name).read_bytes()
    assert sorted(committed) == sorted(first), "fixtures/sites differs: re-run the generator"
    stale = [k for k in first if first[k] != committed[k]]
    assert not stale, f"committed files differ from the generator's output: {stale[:5]}"


def test_every_site_is_generated() -> None:
    assert sorted(p.name for p in SITES_DIR.iterdir()) == sorted(SITES)


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_site_config_loads(site: str) -> None:
    config = load_site_config(SITES_DIR / site / "site.yaml")
    assert config.site == site
    assert config.kubernetes is not None and config.kubernetes.namespaces == ("ai-platform",)
    rules = {c.name: dict(c.attributes) for c in config.components}
    assert rules["parser"]["api_versions"] == "annotation:driftctl.io/api-versions"
    assert rules["frontend"]["parser_api"] == "env:PARSER_API_VERSION"
    assert rules["docai"]["version"] == "helm:ai-platform/docai:image.tag"
    assert config.ssh is not None and config.ssh.nodes is None  # InternalIPs from Kubernetes


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_kubernetes_dump_is_valid_api_objects(site: str) -> None:
    from kubernetes.client import ApiClient

    api = ApiClient()
    types = {
        "nodes.json": "V1NodeList",
        "pods.json": "V1PodList",
        "helm-secrets.json": "V1SecretList",
        "namespace-kube-system.json": "V1Namespace",
    }
    base = SITES_DIR / site / "dump" / "kubernetes"
    assert sorted(p.name for p in base.iterdir()) == sorted(KUBE_FILES)
    for name, kind in types.items():
        text = (base / name).read_text()
        assert api.deserialize(text, kind, "application/json") is not None
    version = kube(site, "version.json")["serverVersion"]
    info = api.deserialize(json.dumps(version), "VersionInfo", "application/json")
    assert info.git_version.startswith("v1.")
    for name in ("nodes.json", "workloads.json", "pods.json", "helm-secrets.json"):
        doc = kube(site, name)
        assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
        for item in doc["items"]:
            assert item["apiVersion"] and item["kind"], (name, item.get("metadata"))
            assert item["metadata"]["name"] and item["metadata"]["uid"]
            if name == "workloads.json":
                api.deserialize(json.dumps(item), "V1" + item["kind"], "application/json")
    uids = {kube(s, "namespace-kube-system.json")["metadata"]["uid"] for s in SITES}
    assert len(uids) == len(SITES)


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_helm_secrets_decode_like_helm(site: str) -> None:
    secrets = kube(site, "helm-secrets.json")["items"]
    by_rev = {}
    for secret in secrets:
        assert secret["type"] == "helm.sh/release.v1"
        labels = secret["metadata"]["labels"]
        assert labels["owner"] == "helm" and labels["name"] == "docai"
        assert secret["metadata"]["name"] == f"sh.helm.release.v1.docai.v{labels['version']}"
        blob, release = decode_release(secret)
        assert blob[4:8] == b"\0\0\0\0", "gzip mtime must be 0 for determinism"
        assert release["info"]["status"] == labels["status"]
        assert list(release)[:3] == ["name", "info", "chart"]
        by_rev[release["version"]] = release
    assert sorted(by_rev) == [1, 2]
    assert by_rev[1]["info"]["status"] == "superseded"
    assert by_rev[2]["info"]["status"] == "deployed"
    assert by_rev[2]["chart"]["metadata"]["version"] == "1.8.0"
    mcp = by_rev[2]["config"]["mcpHub"]
    assert {k: mcp[k] for k in STORY[site][2]} == STORY[site][2]
    assert by_rev[1]["config"]["mcpHub"]["timeoutSeconds"] == 30  # so "latest deployed" matters


def _stripped_digest(data: bytes) -> str:
    """The copy detector's fingerprint: sha256 of the content without surrounding whitespace."""
    return hashlib.sha256(data.strip()).hexdigest()


def repository_files() -> list[Path]:
    """Every file git tracks or would track (untracked but not ignored) in the checkout."""
    res = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
        check=True,
    )
    names = [n for n in res.stdout.decode().split("\0") if n]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


@needs_realdata
def test_no_file_in_the_repository_is_a_copy_of_a_real_recording() -> None:
    """No committed file equals (whitespace aside) a file of ../shared/realdata: only our own."""
    assert REALDATA is not None
    theirs = {
        _stripped_digest(p.read_bytes()): p.relative_to(REALDATA).as_posix()
        for p in REALDATA.rglob("*")
        if p.is_file() and p.read_bytes().strip()
    }
    assert len(theirs) > 100
    ours = repository_files()
    assert len(ours) > 100
    copies = {
        p.relative_to(ROOT).as_posix(): theirs[d]
        for p in ours
        if (d := _stripped_digest(p.read_bytes())) in theirs
    }
    assert not copies, f"copied from shared/realdata: {copies}"


def test_node_outputs_are_listed_in_provenance_and_realdata_is_gone() -> None:
    text = (FIX / "PROVENANCE.md").read_text()
    node_files = sorted(
        p.relative_to(FIX).as_posix() for p in SITES_DIR.glob("*/dump/nodes/*/*") if p.is_file()
    )
    listed = re.findall(r"^\| `(sites/[^`]+)` \|", text, flags=re.M)
    assert node_files and sorted(listed) == node_files
    assert not (FIX / "realdata").exists()
    assert "/work/" not in text and "/work/" not in (FIX / "build_fixtures.py").read_text()


# -- keys and secrets -----------------------------------------------------------------------------


def test_allowed_signers_match_the_demo_keys_and_verify_with_openssh(tmp_path: Path) -> None:
    lines = (FIX / "allowed_signers").read_text().splitlines()
    assert [ln.split()[0] for ln in lines] == sorted(SITES)
    assert "DEMO ONLY" in (FIX / "keys" / "README.md").read_text()
    data = tmp_path / "data"
    data.write_bytes(b"bundle bytes")
    for line in lines:
        site, opts, keytype, blob = line.split()
        assert opts == 'namespaces="bundle@driftctl"' and keytype == "ssh-ed25519"
        pub = (FIX / "keys" / f"{site}_ed25519.pub").read_text().split()
        assert pub == [keytype, blob, site]
        key = tmp_path / f"{site}_ed25519"
        shutil.copyfile(FIX / "keys" / f"{site}_ed25519", key)
        key.chmod(0o600)  # git does not keep the mode; ssh-keygen refuses open private keys
        sign = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", "bundle@driftctl", str(data)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert sign.returncode == 0, sign.stderr
        verify = subprocess.run(
            [*VERIFY, "-f", str(FIX / "allowed_signers"), "-I", site, "-s", f"{data}.sig"],
            input=data.read_bytes(),
            capture_output=True,
            timeout=30,
        )
        assert verify.returncode == 0, verify.stderr
        assert f'Good "bundle@driftctl" signature for {site}'.encode() in verify.stdout
        Path(f"{data}.sig").unlink()


def test_fleet_key_is_64_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}\n", (FIX / "fleet.key").read_text())


def planted() -> list[str]:
    text = (FIX / "planted-secrets.txt").read_text()
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def test_every_planted_secret_is_really_in_the_fixtures() -> None:
    """Else the bundle scan in test_e2e_fixtures could pass for the wrong reason."""
    haystack = b"".join(p.read_bytes() for p in SITES_DIR.rglob("*.json"))
    for site in SITES:
        for secret in kube(site, "helm-secrets.json")["items"]:
            haystack += json.dumps(decode_release(secret)[1]).encode()
    secrets = planted()
    assert len(secrets) >= 5 * 8
    missing = [s for s in secrets if s.encode() not in haystack]
    assert not missing
    workloads = (SITES_DIR / "capital" / "dump" / "kubernetes" / "workloads.json").read_text()
    assert "API_TOKEN" in workloads and "last-applied-configuration" in workloads


# -- the field cases, as collected facts (docs/snapshot.md) ---------------------------------------------


@pytest.fixture(scope="module")
def snapshots() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for site in SITES:
        config = load_site_config(SITES_DIR / site / "site.yaml")
        outcome: CollectOutcome = collect_site(config, from_dump=SITES_DIR / site / "dump")
        out[site] = outcome.snapshot.to_dict()
    return out


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_case1_frontend_version_and_parser_api(
    site: str, snapshots: dict[str, dict[str, Any]]
) -> None:
    components = snapshots[site]["components"]
    version, api, _ = STORY[site]
    assert components["frontend"]["version"] == version
    assert components["frontend"]["parser_api"] == api
    assert components["parser"]["version"] == "1.4.2"
    served = components["parser"]["api_versions"]
    if isinstance(served, str):  # docs/policy.md: a list, or a comma-separated string
        served = [v.strip() for v in served.split(",")]
    assert served == ["v1", "v2"]
    assert components["docai"]["version"] == "1.8.0"


def test_case1_same_parser_image_from_each_sites_own_mirror(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    key = "ai-platform/Deployment/parser"
    parsers = {s: snap["workloads"][key]["containers"]["parser"] for s, snap in snapshots.items()}
    assert {p["image"] for p in parsers.values()} == {
        f"registry.{s}.local/ai/parser:1.4.2" for s in SITES
    }
    digests = {p["image_id"] for p in parsers.values()}
    assert len(digests) == 1 and next(iter(digests)).startswith("sha256:")


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_case3_helm_values_latest_deployed_revision(
    site: str, snapshots: dict[str, dict[str, Any]]
) -> None:
    release = snapshots[site]["helm"]["ai-platform/docai"]
    assert (release["revision"], release["status"], release["chart_version"]) == (
        2,
        "deployed",
        "1.8.0",
    )
    for key, value in STORY[site][2].items():
        assert release["values"]["mcpHub"][key] == value, key


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_gpu_drivers_per_node(site: str, snapshots: dict[str, dict[str, Any]]) -> None:
    nodes = snapshots[site]["nodes"]
    for node, (driver, cuda) in GPU_DRIVERS[site].items():
        gpu = nodes[node]["gpu"]
        assert (gpu["driver_version"], gpu["cuda_version"]) == (driver, cuda), node
    for node in CONTROL_PLANE[site]:
        assert not nodes[node].get("gpu"), node


def test_failed_nvidia_smi_is_a_recorded_failure_not_a_guess(
    snapshots: dict[str, dict[str, Any]],
) -> None:
    snap = snapshots["utility"]
    gpu = snap["nodes"]["ut-gpu2"].get("gpu")
    assert gpu is None or gpu.get("driver_version") is None
    errors = [f["error"] for f in snap["failures"] if f["target"].endswith("ut-gpu2")]
    assert any("driver" in e.lower() for e in errors), snap["failures"]


@pytest.mark.parametrize("site", SITES, ids=SITES)
def test_case2_roles_and_time_sync(site: str, snapshots: dict[str, dict[str, Any]]) -> None:
    nodes = snapshots[site]["nodes"]
    for node in CONTROL_PLANE[site]:
        assert "control-plane" in nodes[node]["roles"], node
    unsynced = UNSYNCED.get(site, set())
    for node, facts in nodes.items():
        if "time" not in facts:
            assert site == "utility" and node == "ut-gpu3"  # no SSH to that node: labels only
            continue
        assert facts["time"]["synchronized"] is (node not in unsynced), node
        if node not in unsynced and facts["time"]["source"] == "chrony":
            assert abs(facts["time"]["offset_seconds"]) < 0.001


def test_server_versions(snapshots: dict[str, dict[str, Any]]) -> None:
    versions = {s: snap["kubernetes"]["server_version"] for s, snap in snapshots.items()}
    assert versions["utility"] == "v1.29.3+k3s1"
    assert re.fullmatch(r"v1\.28\.3-2\+[0-9a-f]{14}", versions["public-institution"])
    assert {versions[s] for s in ("savings-bank", "holding", "capital")} == {"v1.29.3"}
