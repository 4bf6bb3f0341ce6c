"""Terminal injection: escape sequences planted in annotations, image names, site names, node
facts and an API error body never reach stdout or stderr raw, in any format of any command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from bundle_kit import (
    ROOT,
    bundle_from,
    make_key,
    members,
    signer_line,
    trust_file,
    write_signed,
)
from reports_kit import HOSTILE, raw_controls
from snapshot_kit import clock, component, container, failure, node, snapshot_dict, workload

# Non-finite numbers (1e400) and lone surrogates never get this far: the strict JSON reader
# refuses them in snapshots and bundles (tests/test_bundle_hostile.py, the --snapshot test
# below); their rendering is covered in tests/test_formats_escape.py.


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    """The real CLI; output kept as bytes so a lone surrogate or raw byte cannot hide."""
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, timeout=120, cwd=ROOT
    )
    assert b"Traceback" not in res.stderr, res.stderr.decode("utf-8", "replace")
    return res


def text(stream: bytes) -> str:
    decoded = stream.decode("utf-8")  # strict: output is always valid UTF-8
    assert raw_controls(decoded) == [], [hex(ord(c)) for c in raw_controls(decoded)]
    return decoded


def hostile_snapshot(site: str, image_tag: str) -> dict[str, object]:
    """A snapshot the model accepts, whose free-text values carry terminal escapes (site ids
    are validated, so hostile text rides in annotations, images, node names and failures)."""
    web = workload(
        {"web": container(f"registry.local/web:{image_tag}{HOSTILE}")},
        annotations={"note": HOSTILE},
    )
    return snapshot_dict(
        site,
        failures=[failure("kubernetes/version", "kubernetes", HOSTILE)],
        workloads={"ai/Deployment/web": web},
        nodes={f"n1{HOSTILE}": node(["control-plane"], time=clock(True, 0.5))},
    )


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("hostile")
    args = []
    for site, tag in (("evil", "1"), ("good", "2")):
        path = base / f"{tag}.json"
        body = json.dumps(hostile_snapshot(site, tag))  # ASCII with \u escapes: a valid file
        path.write_text(body)
        args += ["--snapshot", str(path)]
    return args


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "junit", "html"])
def test_diff_never_writes_raw_controls(snapshots: list[str], fmt: str) -> None:
    res = run("-vv", "diff", *snapshots, "--format", fmt, "--fail-on", "never")
    assert res.returncode == 0, res.stderr
    out, err = text(res.stdout), text(res.stderr)
    assert "\\x1b]52;" in out or "\\u001b]52;" in out  # shown, as an escape
    assert "evil" in err or "evil" in out
    if fmt == "json":
        doc = json.loads(out)
        notes = [f["values"] for f in doc["findings"] if "annotations" in f["key"]]
        assert notes == [] or HOSTILE in json.dumps(doc, ensure_ascii=False)
    if fmt == "junit":
        ET.fromstring(res.stdout)
    if fmt == "html":
        assert "<script" not in out.lower()


def test_collect_failure_line_and_log_lines_are_visible(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(ROOT / "fixtures" / "sites" / "utility" / "dump", dump)
    # The API/node error body the collector reports on its failure line.
    (dump / "nodes" / "ut-gpu2" / "nvidia-smi.xml.stderr").write_text(f"boom {HOSTILE}\n")
    res = run(
        "-vv",
        "collect",
        "--config",
        "fixtures/sites/utility/site.yaml",
        "--from-dump",
        str(dump),
        "--dry-run",
    )
    assert res.returncode == 0, res.stderr
    err = text(res.stderr)
    text(res.stdout)
    assert "failed: " in err and "boom a\\x1b]52;" in err
    assert "read kubernetes/pods.json" in err  # -vv says what was read


def test_inspect_of_an_unverified_bundle_is_visible(tmp_path: Path) -> None:
    key, _ = make_key(tmp_path, "site-a")
    items = members(
        "site-a",
        workloads={
            "ai/Deployment/web": workload({"web": container(HOSTILE)}, annotations={"x": HOSTILE})
        },
    )
    bundle = write_signed(tmp_path / "site-a-000001.tar.gz", bundle_from(items), key)
    trust_file(tmp_path / "allowed", [signer_line("site-a", key)])
    for fmt in ("table", "json", "html"):
        res = run("inspect", str(bundle), "--format", fmt)
        assert res.returncode == 0, res.stderr
        out = text(res.stdout)
        text(res.stderr)
        assert "UNVERIFIED" in out or (fmt == "json" and '"verified": false' in out)
        if fmt == "json":
            snap = json.loads(out)["snapshot"]
            assert snap["workloads"]["ai/Deployment/web"]["annotations"]["x"] == HOSTILE
        else:
            assert "\\u001b]0;pwned\\u0007" in out  # fact values are JSON: escapes are JSON's
            assert "workloads" in out and "annotations" in out  # every fact, not a summary


def test_preflight_with_hostile_facts(tmp_path: Path) -> None:
    key, _ = make_key(tmp_path, "site-a")
    items = members(
        "site-a",
        components={
            "frontend": component(None, version=f"2.3.1{HOSTILE}", parser_api=HOSTILE),
            "parser": component(None, version="2.0.0", api_versions="v2"),
        },
        nodes={"cp1": node(["control-plane"], time=clock(True, 0.25))},
    )
    data = bundle_from(items)
    bundle = write_signed(tmp_path / "site-a-000001.tar.gz", data, key)
    trust = trust_file(tmp_path / "allowed", [signer_line("site-a", key)])
    release = str(ROOT / "manifests" / "release.example.yaml")
    # Only rules whose names this one site has: a policy naming what exists nowhere is exit 2.
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "rules:\n"
        "  - {id: api, kind: api-contract, severity: block,\n"
        "     consumer: {component: frontend, attribute: parser_api},\n"
        "     provider: {component: parser, attribute: api_versions}}\n"
        "  - {id: clock, kind: time, severity: block, nodes: control-plane, synchronized: true}\n"
    )
    for fmt in ("table", "markdown", "json", "junit", "html"):
        res = run(
            "preflight",
            str(bundle),
            "--trust",
            str(trust),
            "-r",
            release,
            "--policy",
            str(policy),
            "--format",
            fmt,
        )
        assert res.returncode == 1, res.stderr
        out, _ = text(res.stdout), text(res.stderr)
        assert "\\x1b" in out or fmt == "json"
        if fmt == "junit":
            ET.fromstring(res.stdout)
        if fmt == "json":
            json.loads(out)


@pytest.mark.hostile_outputs
@pytest.mark.parametrize(
    "planted", ['"offset_seconds": -1e400', '"source": "\\ud800"'], ids=["1e400", "surrogate"]
)
def test_diff_refuses_a_snapshot_file_with_unrepresentable_values(
    tmp_path: Path, planted: str
) -> None:
    body = json.dumps(hostile_snapshot("evil", "1")).replace('"offset_seconds": 0.5', planted)
    body = (
        body.replace(f'"source": {json.dumps(HOSTILE)}', planted) if "source" in planted else body
    )
    path = tmp_path / "s.json"
    path.write_text(body)
    res = run("diff", "--snapshot", str(path), "--snapshot", str(path))
    assert res.returncode == 2
    assert text(res.stderr).count("\n") == 1 and str(path) in text(res.stderr)
