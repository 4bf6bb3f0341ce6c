"""A site with a past: six savings-bank collections from its fixture dump, edited as the field
cases happened, signed in order and imported beside today's holding and capital.

The story, one edit of the dump per bundle (each later bundle keeps the earlier edits):

1. the frontend runs 3.0.1 and calls parser API v2 (as at capital);
2. nothing changes;
3. the frontend is rolled back to 2.3.4, parser API v1 (the dump as committed, field case 1);
4. the docai Helm release's ``mcpHub.timeoutSeconds`` goes from 3 to 15 (field case 3);
5. node sb-gpu2 loses clock sync (field case 2);
6. every image is pulled from another mirror host: no change.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundle_kit import private_key_copy

from driftctl.bundle.keys import load_private_key
from driftctl.bundle.writer import write_bundle
from driftctl.collect_job import run_collect
from driftctl.config import load_site_config

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
SITE = "savings-bank"
# Collections at 06:00 UTC on six days; holding and capital collected on the last one.
TIMES = [f"2026-10-{day:02d}T06:00:00Z" for day in range(1, 7)]
UNSYNCED = SITES / "public-institution" / "dump" / "nodes" / "pi-cp1" / "chronyc-tracking.csv"
OLD_FRONTEND_DIGEST = "sha256:" + "3" * 64


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _write(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1))


def frontend_301(dump: Path) -> None:
    """The frontend as it ran before the rollback: 3.0.1, parser API v2."""
    kube = dump / "kubernetes"
    workloads = _json(kube / "workloads.json")
    for item in workloads["items"]:
        if item["metadata"]["name"] == "frontend":
            item["metadata"]["labels"]["app.kubernetes.io/version"] = "3.0.1"
            item["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] = "3.0.1"
            (c,) = item["spec"]["template"]["spec"]["containers"]
            c["image"] = c["image"].replace(":2.3.4", ":3.0.1")
            for env in c["env"]:
                if env["name"] == "PARSER_API_VERSION":
                    env["value"] = "v2"
                if env["name"] == "PARSER_URL":
                    env["value"] = env["value"].replace("/v1", "/v2")
    _write(kube / "workloads.json", workloads)
    pods = _json(kube / "pods.json")
    for item in pods["items"]:
        if item["metadata"]["name"].startswith("frontend-"):
            for c in item["spec"]["containers"]:
                c["image"] = c["image"].replace(":2.3.4", ":3.0.1")
            for s in item["status"]["containerStatuses"]:
                s["image"] = s["image"].replace(":2.3.4", ":3.0.1")
                s["imageID"] = s["imageID"].split("@")[0] + "@" + OLD_FRONTEND_DIGEST
    _write(kube / "pods.json", pods)


def helm_timeout_15(dump: Path) -> None:
    """The deployed docai release's ``mcpHub.timeoutSeconds``: 3 → 15, encoded as Helm does."""
    path = dump / "kubernetes" / "helm-secrets.json"
    secrets = _json(path)
    for item in secrets["items"]:
        if item["metadata"]["labels"]["status"] != "deployed":
            continue
        blob = base64.b64decode(base64.b64decode(item["data"]["release"]))
        release = json.loads(gzip.decompress(blob))
        release["config"]["mcpHub"]["timeoutSeconds"] = 15
        helm = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
        item["data"]["release"] = base64.b64encode(helm).decode()
    _write(path, secrets)


def gpu2_unsynced(dump: Path) -> None:
    shutil.copyfile(UNSYNCED, dump / "nodes" / "sb-gpu2" / "chronyc-tracking.csv")


def other_mirror(dump: Path) -> None:
    """Images pulled through another registry mirror: same repositories, tags and digests."""
    kube = dump / "kubernetes"
    for name in ("workloads.json", "pods.json"):
        text = (kube / name).read_text()
        (kube / name).write_text(text.replace("registry.savings-bank.local/", "mirror.sb.local/"))


def _undo_frontend(dump: Path) -> None:
    """Back to the dump as committed (the rollback to 2.3.4)."""
    for name in ("workloads.json", "pods.json"):
        src = SITES / SITE / "dump" / "kubernetes" / name
        shutil.copyfile(src, dump / "kubernetes" / name)


EDITS: list[Callable[[Path], None]] = [
    frontend_301,
    lambda _dump: None,
    _undo_frontend,
    helm_timeout_15,
    gpu2_unsynced,
    other_mirror,
]


def collect(site: str, dump: Path, collected_at: str) -> dict[str, Any]:
    """What ``driftctl collect --from-dump`` puts into the bundle, collected at ``collected_at``."""
    config = load_site_config(SITES / site / "site.yaml")
    fleet_key = ROOT / "fixtures" / "fleet.key"
    result = run_collect(config, None, dump, from_dump=dump, fleet_key=fleet_key, dry_run=True)
    snapshot = result.snapshot.to_dict()
    snapshot["collected_at"] = collected_at
    return snapshot


def sign(base: Path, site: str, snapshot: dict[str, Any]) -> Path:
    key = load_private_key(private_key_copy(ROOT / "fixtures" / "keys" / f"{site}_ed25519", base))
    return write_bundle(base / "bundles" / site, snapshot, [], {"total": 0}, key, "test").path


@dataclass(frozen=True)
class Story:
    """The signed bundles: savings-bank's six in seq order, and one each of holding and capital."""

    savings: list[Path]
    others: list[Path]
    trust: Path = ROOT / "fixtures" / "allowed_signers"


def build_story(base: Path) -> Story:
    dump = base / "dump"
    shutil.copytree(SITES / SITE / "dump", dump)
    savings = []
    for edit, when in zip(EDITS, TIMES, strict=True):
        edit(dump)
        savings.append(sign(base, SITE, collect(SITE, dump, when)))
    others = [
        sign(base, s, collect(s, SITES / s / "dump", TIMES[-1])) for s in ("holding", "capital")
    ]
    return Story(savings, others)
