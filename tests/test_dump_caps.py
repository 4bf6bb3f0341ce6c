"""A dump file over the reader's cap is a recorded failure naming the file, its size and the
cap, never a file silently read as absent. kubectl's Lists are read item by item under a cap of
their own (a 150k-pod cluster's pods.json is about 600 MB); every other file under the cap for
files read whole."""

from __future__ import annotations

import json
import os
from pathlib import Path

from driftctl.config import load_site_config
from driftctl.pipeline import collect_site
from driftctl.sources.dump import MAX_FILE_BYTES, MAX_LIST_FILE_BYTES

OVER = MAX_FILE_BYTES + 1  # sparse: costs no disk, and the cap is checked before reading
OVER_LIST = MAX_LIST_FILE_BYTES + 1


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as fh:
        fh.truncate(size)


def test_a_file_over_the_cap_is_a_failure_naming_file_size_and_cap(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("site: lab\nkubernetes: {}\n")
    kube = tmp_path / "dump" / "kubernetes"
    kube.mkdir(parents=True)
    namespace = {"kind": "Namespace", "metadata": {"name": "kube-system", "uid": "u-1"}}
    (kube / "namespace-kube-system.json").write_text(json.dumps(namespace))
    _sparse(kube / "pods.json", OVER_LIST)
    _sparse(kube / "version.json", OVER)
    (kube / "nodes.json").write_text('{"kind": "List", "items": []}')
    _sparse(kube / "nodes.json.stderr", OVER)
    snap = collect_site(load_site_config(cfg), from_dump=tmp_path / "dump").snapshot.to_dict()
    errors = {f["target"]: f["error"] for f in snap["failures"] if f["collector"] == "dump"}
    cap = f"over the cap of {MAX_FILE_BYTES // 2**20} MiB per dump file"
    list_cap = f"over the cap of {MAX_LIST_FILE_BYTES // 2**20} MiB per dump file"
    assert errors["kubernetes/pods.json"] == f"not read: {OVER_LIST} bytes, {list_cap}"
    assert errors["kubernetes/version.json"] == f"not read: {OVER} bytes, {cap}"
    assert errors["kubernetes/nodes.json.stderr"] == f"not read: {OVER} bytes, {cap}"
    assert os.path.getsize(kube / "pods.json") == OVER_LIST  # the file itself was left alone
