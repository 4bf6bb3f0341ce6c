"""The release gate as CI runs it: the three release forms, fail-closed verdicts, bad inputs."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from bundle_kit import private_key_copy
from fleet_kit import Fleet
from gate_kit import (
    CHART,
    CHART_ARGS,
    FLEET,
    ROOT,
    SITE_VALUES,
    SITES_DIR,
    driftctl,
    helm_path,
    helm_template,
    verdicts,
)

CAPITAL = SITES_DIR / "capital"


def chart(store: Path, *more: str) -> tuple[str, ...]:
    return (
        "--chart",
        str(CHART),
        "--site-values",
        str(SITE_VALUES),
        *CHART_ARGS,
        "--helm",
        helm_path(),
        "--store",
        str(store),
        *more,
    )


def report(res: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def without_release(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "release"}


# -- the demo: field cases 1 and 3 from the chart, with no hand-written release file ----------


def test_the_chart_blocks_savings_bank_and_holding_and_flags_the_15_s_timeout(fleet: Fleet) -> None:
    res = driftctl("preflight", *chart(fleet.store))
    assert res.returncode == 1, res.stderr
    assert verdicts(res.stdout) == {
        "capital": "pass",
        "holding": "block",
        "public-institution": "block",
        "savings-bank": "block",
        "utility": "warn",
    }
    assert res.stdout.startswith(
        "preflight docai 2.0.0 (policy: packaged default (manifests/compat.yaml)): BLOCK"
    )
    for site, frontend in (("savings-bank", "2.3.4"), ("holding", "2.3.1")):
        assert (
            f"frontend-parser-api: frontend {frontend} calls parser API v1, parser 2.0.0 serves v2"
            in res.stdout
        ), site
    assert (
        "mcp-timeout: helm.ai-platform/docai.computed_values.mcpHub.timeoutSeconds is 15, "
        "above max" in res.stdout
    )


def test_chart_manifests_dir_and_manifests_give_identical_verdicts(
    fleet: Fleet, tmp_path: Path
) -> None:
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    for site in FLEET:
        (rendered / f"{site}.yaml").write_text(helm_template(SITE_VALUES / f"{site}.yaml"))
    store = ("--store", str(fleet.store), "--format", "json")
    from_chart = report(driftctl("preflight", *chart(fleet.store, "--format", "json")))
    from_dir = driftctl(
        "preflight", "--manifests-dir", str(rendered), "--namespace", "ai-platform", *store
    )
    assert from_dir.returncode == 1, from_dir.stderr
    assert without_release(report(from_dir)) == without_release(from_chart)
    for site in ("savings-bank", "utility"):
        one = driftctl(
            "preflight",
            "--manifests",
            str(rendered / f"{site}.yaml"),
            "-n",
            "ai-platform",
            "--site",
            site,
            *store,
        )
        assert report(one)["sites"][site] == from_chart["sites"][site]
    piped = driftctl(
        "preflight",
        "--manifests",
        "-",
        "-n",
        "ai-platform",
        "--site",
        "holding",
        *store,
        stdin=(rendered / "holding.yaml").read_text(),
    )
    assert report(piped)["sites"]["holding"] == from_chart["sites"]["holding"]
    assert report(piped)["release"] == "rendered manifests"


def test_a_site_without_its_rendered_file_blocks(fleet: Fleet, tmp_path: Path) -> None:
    (tmp_path / "capital.yaml").write_text(helm_template(SITE_VALUES / "capital.yaml"))
    res = driftctl(
        "preflight",
        "--manifests-dir",
        str(tmp_path),
        "-n",
        "ai-platform",
        "--store",
        str(fleet.store),
        "--site",
        "capital",
        "--site",
        "holding",
    )
    assert res.returncode == 1, res.stderr
    assert verdicts(res.stdout) == {"capital": "pass", "holding": "block"}
    assert (
        f"release: no rendered release for this site: {tmp_path}/holding.yaml does not exist"
        in " ".join(res.stdout.split())
    )


# -- fail closed ---------------------------------------------------------------------------------

IMAGE_ONLY = (
    "release: parser-image\ncomponents:\n  parser:\n    image: registry.local/ai/parser:2.0.0\n"
)


def test_an_image_alone_blocks_where_the_api_contract_breaks(fleet: Fleet, tmp_path: Path) -> None:
    """Field case 1 pushed as 'just the new image': it used to pass at the two broken sites."""
    release = tmp_path / "r.yaml"
    release.write_text(IMAGE_ONLY)
    base = ("preflight", "--release", str(release), "--store", str(fleet.store))
    res = driftctl(*base, "--format", "json")
    assert res.returncode == 1
    sites = report(res)["sites"]
    for site, frontend in (("savings-bank", "2.3.4"), ("holding", "2.3.1")):
        found = {f["rule"]: f for f in sites[site]["findings"]}
        assert found["frontend-parser-api"]["severity"] == "block"
        assert found["frontend-parser-api"]["message"] == (
            f"frontend-parser-api: cannot check: parser api_versions unknown at {site} (not "
            "given by the release: this site reads it from annotation:driftctl.io/api-versions, "
            "which an image alone does not carry)"
        )
        assert found["parser2-needs-frontend3"]["message"] == (
            f"parser2-needs-frontend3: parser 2.0.0 requires frontend >=3.0, found frontend "
            f"{frontend}"
        )
    # --allow-unknown: capital's only problem was the unknown API list; the real breaks stay.
    res = driftctl(*base, "--allow-unknown", "--format", "json")
    assert res.returncode == 1
    sites = report(res)["sites"]
    assert sites["capital"]["verdict"] == "warn"
    assert {s: sites[s]["verdict"] for s in ("savings-bank", "holding")} == {
        "savings-bank": "block",
        "holding": "block",
    }


def test_allow_unknown_exits_0_when_only_unknowns_block(fleet: Fleet, tmp_path: Path) -> None:
    release = tmp_path / "r.yaml"
    release.write_text(IMAGE_ONLY)
    args = ("preflight", "--release", str(release), "--store", str(fleet.store))
    assert driftctl(*args, "--site", "capital").returncode == 1
    res = driftctl(*args, "--site", "capital", "--allow-unknown")
    assert res.returncode == 0, res.stderr
    assert verdicts(res.stdout) == {"capital": "warn"}
    assert res.stdout.splitlines()[0].endswith(": WARN")


@pytest.mark.parametrize(
    ("sites", "verdict", "code"),
    [(("utility",), "warn", 0), (("capital",), "pass", 0), (("capital", "holding"), "block", 1)],
    ids=["warn", "pass", "block"],
)
def test_every_format_says_the_same_overall_verdict(
    fleet: Fleet, sites: tuple[str, ...], verdict: str, code: int
) -> None:
    picks = [a for s in sites for a in ("--site", s)]
    out: dict[str, str] = {}
    for fmt in ("table", "json", "markdown", "junit"):
        res = driftctl("preflight", *chart(fleet.store, *picks, "--format", fmt))
        assert res.returncode == code, res.stderr
        assert res.stderr.startswith(f"preflight docai 2.0.0: {verdict} — ")
        out[fmt] = res.stdout
    assert out["table"].splitlines()[0].endswith(f": {verdict.upper()}")
    assert report_text_verdict(out["json"]) == verdict
    assert out["markdown"].startswith(f"## Preflight `docai 2.0.0`: **{verdict}**")
    root = ET.fromstring(out["junit"])
    assert (root.get("failures") != "0") == (verdict == "block")


def report_text_verdict(text: str) -> str:
    return str(json.loads(text)["verdict"])


# -- a site whose every collection failed --------------------------------------------------------

REFUSED = "The connection to the server 10.0.0.1:6443 was refused - did you specify the right host or port?\n"


def dark_dump(root: Path) -> Path:
    """What the dump script writes when the cluster and the nodes are unreachable."""
    kube = root / "kubernetes"
    kube.mkdir(parents=True)
    for name in (
        "version",
        "nodes",
        "workloads",
        "pods",
        "helm-secrets",
        "namespace-kube-system",
    ):
        (kube / f"{name}.json").write_bytes(b"")
        (kube / f"{name}.json.rc").write_text("1\n")
        (kube / f"{name}.json.stderr").write_text(REFUSED)
    node = root / "nodes" / "ut-gpu1"
    node.mkdir(parents=True)
    for name in ("nvidia-smi.xml", "chronyc-tracking.csv"):
        (node / name).write_bytes(b"")
        (node / f"{name}.rc").write_text("255\n")
        (node / f"{name}.stderr").write_text("ssh: connect to host ut-gpu1 port 22: No route\n")
    return root


def test_collect_that_learned_nothing_is_exit_3_and_writes_no_bundle(tmp_path: Path) -> None:
    dump = dark_dump(tmp_path / "dump")
    key = private_key_copy(ROOT / "fixtures" / "keys" / "utility_ed25519", tmp_path)
    out = tmp_path / "out"
    res = driftctl(
        "collect",
        "--config",
        str(SITES_DIR / "utility" / "site.yaml"),
        "--from-dump",
        str(dump),
        "--key",
        str(key),
        "--out-dir",
        str(out),
    )
    assert res.returncode == 3
    assert res.stderr.count("\n") == 1
    assert res.stderr.startswith(
        "driftctl: error: utility: no fact could be collected, no bundle written "
        "(kubernetes/cluster-uid: exit 1: The connection to the server"
    )
    assert not out.exists(), "no bundle and no sequence state may be written"


def test_an_old_bundle_of_failures_now_blocks(fleet: Fleet, tmp_path: Path) -> None:
    """A bundle an older driftctl wrote for an unreachable site imported fine and passed."""
    from driftctl.bundle.site_key import load_signer
    from driftctl.bundle.writer import write_bundle
    from driftctl.config import load_site_config
    from driftctl.model import RawSet
    from driftctl.pipeline import rfc3339, run_collectors
    from driftctl.progress import NullProgress
    from driftctl.sources.dump import DumpSource

    config = load_site_config(SITES_DIR / "utility" / "site.yaml")
    raw = RawSet()
    DumpSource(dark_dump(tmp_path / "dump")).acquire(config, raw, NullProgress())
    snapshot = run_collectors(config, raw, rfc3339(datetime.now(UTC)))
    key = load_signer(private_key_copy(ROOT / "fixtures" / "keys" / "utility_ed25519", tmp_path))
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    for other in sorted(fleet.bundles.glob("*.tar.gz*")):
        if not other.name.startswith("utility-"):
            shutil.copy(other, bundles / other.name)
    written = write_bundle(
        bundles, snapshot.to_dict(), [], {"total": 0}, key, "1.0.0", tmp_path / "st"
    )
    store = tmp_path / "store"
    res = driftctl(
        "import",
        *map(str, sorted(bundles.glob("*.tar.gz"))),
        "--trust",
        str(ROOT / "fixtures" / "allowed_signers"),
        "--store",
        str(store),
    )
    assert res.returncode == 0, res.stderr
    assert written.path.exists()
    res = driftctl(
        "preflight",
        "--release",
        str(ROOT / "manifests" / "release.example.yaml"),
        "--store",
        str(store),
        "--site",
        "utility",
    )
    assert res.returncode == 1, res.stderr
    assert verdicts(res.stdout) == {"utility": "block"}
    text = " ".join(res.stdout.split())
    assert (
        "frontend-parser-api: cannot check: frontend parser_api unknown at utility (collection "
        "failed: workload ai-platform/Deployment/frontend unknown (no workload facts); "
        "kubernetes/workloads: kubernetes/workloads.json: exit 1: The connection to the server "
        "10.0.0.1:6443 was refused" in text
    )


# -- policy check ----------------------------------------------------------------------------------


def test_the_default_policy_passes_policy_check_against_the_fixture_fleet(fleet: Fleet) -> None:
    res = driftctl("policy", "check", "--store", str(fleet.store))
    assert res.returncode == 0, res.stderr
    assert res.stdout == (
        "packaged default (manifests/compat.yaml): 8 rules, every name resolves at one or more "
        "of 5 sites\n"
    )


TYPOS = """rules:
  - {id: api, kind: api-contract, severity: block,
     consumer: {component: frontend, attribute: parser_apis},
     provider: {component: parser, attribute: api_versions}}
  - {id: pair, kind: version-pair, severity: block,
     when: {component: frontnd, version: ">=3"}, require: {component: parser, version: ">=1"}}
  - {id: clock, kind: time, severity: block, nodes: controlplane, synchronized: true}
  - {id: gpu, kind: gpu, severity: block, component: Parser, cuda: ">=12.0"}
  - {id: mcp, kind: value, severity: warn, max: 5,
     path: "helm.ai-platform/docai.computed_values.mcpHub.timeoutSecond"}
  - {id: rel, kind: value, severity: warn, max: 5,
     path: "helm.ai-platform/docia.values.mcpHub.timeoutSeconds"}
"""


def test_policy_check_names_every_typo_with_the_nearest_name(fleet: Fleet, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(TYPOS)
    res = driftctl("policy", "check", "--policy", str(policy), "--store", str(fleet.store))
    assert res.returncode == 2
    assert res.stdout.splitlines() == [
        f"{policy}: rule 'api': key 'consumer.attribute': frontend has no attribute "
        "'parser_apis' at any site nor in the release (did you mean 'parser_api'?)",
        f"{policy}: rule 'pair': key 'when.component': component 'frontnd' exists at no site "
        "and not in the release (did you mean 'frontend'?)",
        f"{policy}: rule 'clock': key 'nodes': no node has role 'controlplane' at any site "
        "(did you mean 'control-plane'?)",
        f"{policy}: rule 'gpu': key 'component': component 'Parser' exists at no site and not "
        "in the release (did you mean 'parser'?)",
        f"{policy}: rule 'mcp': key 'path': helm.ai-platform/docai.computed_values.mcpHub."
        "timeoutSecond resolves at no site and not in the release (did you mean "
        "'timeoutSeconds'?)",
        f"{policy}: rule 'rel': key 'path': helm.ai-platform/docia.values.mcpHub.timeoutSeconds "
        "resolves at no site and not in the release (did you mean 'ai-platform/docai'?)",
    ]
    assert res.stderr == f"driftctl: error: {policy}: 6 problems, listed above\n"


def test_preflight_refuses_a_policy_typo(fleet: Fleet, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(TYPOS)
    out = tmp_path / "report.json"
    res = driftctl("preflight", *chart(fleet.store, "--policy", str(policy), "--output", str(out)))
    assert res.returncode == 2 and res.stdout == "" and not out.exists()
    assert res.stderr == (
        f"driftctl: error: {policy}: rule 'api': key 'consumer.attribute': frontend has no "
        "attribute 'parser_apis' at any site nor in the release (did you mean 'parser_api'?) "
        "(and 5 more: driftctl policy check)\n"
    )


def test_a_rule_satisfied_only_by_the_release_is_no_typo(fleet: Fleet, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "rules:\n  - {id: ocr, kind: version-pair, severity: block,\n"
        '     when: {component: ocr, version: ">=1"}, require: {component: parser, '
        'version: ">=1"}}\n'
    )
    release = tmp_path / "r.yaml"
    release.write_text("release: r\ncomponents:\n  parser: {version: 1.4.2}\n")
    res = driftctl(
        "preflight",
        "--release",
        str(release),
        "--policy",
        str(policy),
        "--store",
        str(fleet.store),
    )
    assert res.returncode == 2 and "component 'ocr' exists at no site" in res.stderr


# -- bad input: one line, the contract's exit code, nothing written ------------------------------


def _hang(tmp_path: Path) -> str:
    hang = tmp_path / "helm-hangs"
    hang.write_text("#!/bin/sh\nsleep 60\n")
    hang.chmod(0o755)
    return str(hang)


def _broken_chart(tmp_path: Path) -> str:
    chart_dir = tmp_path / "broken"
    (chart_dir / "templates").mkdir(parents=True)
    (chart_dir / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    (chart_dir / "templates" / "bad.yaml").write_text("kind: {{ .Values.nope.deeper }\n")
    return str(chart_dir)


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BAD_INPUTS: list[tuple[str, Any, int, str]] = [
    (
        "render-not-yaml",
        lambda t: ("--manifests", _file(t, "r.yaml", "kind: [oops\n"), "-n", "ai-platform"),
        2,
        "r.yaml: line 2: not YAML",
    ),
    (
        "not-a-kubernetes-object",
        lambda t: ("--manifests", _file(t, "r.yaml", "- just\n- a list\n"), "-n", "x"),
        2,
        "r.yaml: document 1 (line 1): not a Kubernetes object (a list)",
    ),
    (
        "workload-without-namespace",
        lambda t: ("--manifests", _file(t, "r.yaml", helm_template(SITE_VALUES / "capital.yaml"))),
        2,
        "has no metadata.namespace; give --namespace (as for helm template -n)",
    ),
    (
        "chart-helm-refuses",
        lambda t: ("--chart", _broken_chart(t), *CHART_ARGS, "--helm", helm_path()),
        2,
        "broken: helm refused it: ",
    ),
    (
        "helm-missing",
        lambda t: ("--chart", str(CHART), *CHART_ARGS, "--helm", str(t / "nope")),
        2,
        "nope: not an executable file; install helm 3 or 4",
    ),
    (
        "helm-hangs",
        lambda t: (
            "--chart",
            str(CHART),
            *CHART_ARGS,
            "--helm",
            _hang(t),
            "--helm-timeout",
            "1",
        ),
        3,
        f"helm template {CHART}: helm did not finish within 1 s and was killed",
    ),
    (
        "values-not-a-mapping",
        lambda t: (
            "--chart",
            str(CHART),
            *CHART_ARGS,
            "--helm",
            helm_path(),
            "--values",
            _file(t, "v.yaml", "- a\n- b\n"),
        ),
        2,
        "v.yaml: a values file must be a mapping, not a list",
    ),
    (
        "component-no-site-has",
        lambda t: (
            "--release",
            _file(t, "r.yaml", "release: r\ncomponents:\n  parsr: {version: 2.0.0}\n"),
        ),
        2,
        "r.yaml: component 'parsr': no site runs it (did you mean 'parser'?)",
    ),
    (
        "two-release-forms",
        lambda t: ("--release", str(ROOT / "manifests" / "release.example.yaml"), "--chart", "c"),
        2,
        "--release and --chart: give one release form, not several",
    ),
    (
        "no-release-at-all",
        lambda t: (),
        2,
        "give the release: --release FILE, --manifests FILE|-, --manifests-dir DIR or --chart",
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "code", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_release_input_is_one_line_and_writes_nothing(
    fleet: Fleet, tmp_path: Path, name: str, args: Any, code: int, message: str
) -> None:
    out = tmp_path / "report.json"
    res = driftctl(
        "preflight",
        *args(tmp_path),
        "--store",
        str(fleet.store),
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert res.returncode == code, res
    assert res.stdout == "" and not out.exists()
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("driftctl: error: ")
    assert message in res.stderr, res.stderr


def test_report_takes_the_same_release_forms(fleet: Fleet, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    args = chart(fleet.store)[:-2]  # without --store, given below like report's other inputs
    res = driftctl("report", "--html", str(page), *args, "--store", str(fleet.store))
    assert res.returncode == 1, res.stderr
    text = page.read_text()
    assert "docai 2.0.0" in text and "parser 2.0.0 serves v2" in text
    assert "preflight docai 2.0.0: block — 5 sites" in res.stderr
