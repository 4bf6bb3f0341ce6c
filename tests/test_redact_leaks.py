"""The leak corpus end to end: two sites planted with 77 secrets each, collected by the real CLI
with and without a fleet key; no secret, plain or encoded, in any bundle member, any decoded
layer of it, ``inspect`` (every format), ``collect`` output, any ``diff``/``preflight`` report
format, ``history`` or the ``report --html`` page."""

from __future__ import annotations

import gzip
import html
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from bundle_kit import make_key, signer_line, trust_file
from redact_kit import LEAKY, NS, Corpus, leaks, make_leak_site, needles

ROOT = Path(__file__).parent.parent
SITES = ("leak-a", "leak-b")
MODES = ("keyed", "marker")
FORMATS = ("table", "json", "markdown", "junit", "html")
POLICY = f"""
rules:
  - id: leak-helm-password
    kind: value
    severity: warn
    path: "helm.{NS}/{LEAKY}.values.auth.password"
    same_across_sites: true
  - id: leak-component-build
    kind: value
    severity: block
    path: "components.{LEAKY}.build"
    equals: "expected"
  - id: leak-component-callback
    kind: value
    severity: warn
    path: "components.{LEAKY}.callback"
    one_of: ["https://example.com"]
  - id: leak-env-url
    kind: value
    severity: warn
    path: "workloads.{NS}/Deployment/{LEAKY}.containers.{LEAKY}.env.DATABASE_URL"
    same_across_sites: true
"""


def run(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[bytes]:
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args], capture_output=True, timeout=300, cwd=ROOT
    )
    assert b"Traceback" not in res.stderr, res.stderr.decode()
    assert res.returncode in ok, (args, res.stdout[-2000:], res.stderr[-2000:])
    return res


def shown(name: str, text: bytes) -> dict[str, bytes]:
    """An output, and for HTML its text with the entities resolved (``&amp;`` must not hide a
    secret holding ``&`` from the search)."""
    out = {name: text}
    if b"<html" in text[:200].lower() or b"<!doctype html" in text[:200].lower():
        out[f"{name} (entities resolved)"] = html.unescape(text.decode("utf-8")).encode()
    return out


def members(bundle: Path) -> dict[str, bytes]:
    raw = bundle.read_bytes()
    out = {bundle.name: raw, f"{bundle.name} (gunzipped)": gzip.decompress(raw)}
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for member in tar.getmembers():
            f = tar.extractfile(member)
            if f is not None:
                out[f"{bundle.name}:{member.name}"] = f.read()
    sig = Path(str(bundle) + ".sig")
    out[sig.name] = sig.read_bytes()
    return out


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both leak sites collected in both modes, imported, and every report rendered."""
    base = tmp_path_factory.mktemp("leak")
    corpora: list[Corpus] = []
    configs: dict[str, tuple[Path, Path]] = {}
    signers = []
    keys = {}
    for site in SITES:
        config, dump, corpus = make_leak_site(base / "sites", site)
        corpora.append(corpus)
        configs[site] = (config, dump)
        key, private = make_key(base / site, site)
        keys[site] = private
        signers.append(signer_line(site, key))
    trust = trust_file(base / "allowed_signers", signers)
    policy = base / "policy.yaml"
    policy.write_text(POLICY)
    outputs: dict[str, bytes] = {}
    for mode in MODES:
        out_dir, store = base / mode / "bundles", base / mode / "store"
        fleet = ["--fleet-key", str(ROOT / "fixtures" / "fleet.key")] if mode == "keyed" else []
        for site, (config, dump) in configs.items():
            res = run(
                "collect", "--config", str(config), "--from-dump", str(dump),
                "--key", str(keys[site]), "--out-dir", str(out_dir),
                "--state-dir", str(base / mode / "state"), *fleet,
            )  # fmt: skip
            outputs[f"{mode} collect {site} stdout"] = res.stdout
            outputs[f"{mode} collect {site} stderr"] = res.stderr
        dry = run("collect", "--config", str(configs[SITES[0]][0]), "--from-dump",
                  str(configs[SITES[0]][1]), "--dry-run", *fleet)  # fmt: skip
        outputs[f"{mode} collect --dry-run"] = dry.stdout + dry.stderr
        bundles = sorted(out_dir.glob("*.tar.gz"))
        assert len(bundles) == len(SITES)
        for bundle in bundles:
            outputs.update({f"{mode} {k}": v for k, v in members(bundle).items()})
            res = run("inspect", str(bundle), "--format", "json")
            outputs[f"{mode} inspect {bundle.name}"] = res.stdout + res.stderr
            res = run("inspect", str(bundle))
            outputs[f"{mode} inspect --format table {bundle.name}"] = res.stdout + res.stderr
            res = run("inspect", str(bundle), "--format", "html")
            outputs.update(shown(f"{mode} inspect --format html {bundle.name}", res.stdout))
        run("import", *map(str, bundles), "--trust", str(trust), "--store", str(store))
        for fmt in FORMATS:
            res = run("diff", "--store", str(store), "--format", fmt, ok=(0, 1))
            outputs.update(shown(f"{mode} diff --format {fmt}", res.stdout + res.stderr))
            res = run(
                "preflight", "--release", str(ROOT / "manifests" / "release.example.yaml"),
                "--policy", str(policy), "--store", str(store), "--format", fmt, ok=(0, 1),
            )  # fmt: skip
            outputs.update(shown(f"{mode} preflight --format {fmt}", res.stdout + res.stderr))
        for site in SITES:
            for fmt in ("table", "json", "markdown"):
                res = run("history", "--site", site, "--store", str(store), "--format", fmt)
                outputs[f"{mode} history {site} --format {fmt}"] = res.stdout + res.stderr
        page = base / mode / "report.html"
        res = run(
            "report", "--html", str(page), "--store", str(store), "--policy", str(policy),
            "--release", str(ROOT / "manifests" / "release.example.yaml"), ok=(0, 1),
        )  # fmt: skip
        outputs.update(shown(f"{mode} report --html", page.read_bytes() + res.stderr))
    return {"corpora": corpora, "outputs": outputs}


def test_the_corpus_is_large_and_every_secret_is_really_in_the_dumps(
    leak_run: dict[str, Any], tmp_path: Path
) -> None:
    """A control: the search finds every planted secret in the raw dump, so 0 leaks means 0."""
    corpora: list[Corpus] = leak_run["corpora"]
    for corpus in corpora:
        assert len(corpus.secrets) >= 60, len(corpus.secrets)
        assert len({s.value for s in corpus.secrets}) == len(corpus.secrets)
        _, dump, _ = make_leak_site(tmp_path, corpus.site)
        raw = {str(p): p.read_bytes() for p in dump.rglob("*") if p.is_file()}
        found = {line.split(" ", 1)[0] for line in leaks(raw, corpus.secrets)}
        assert found == {s.ident for s in corpus.secrets}


def test_no_planted_secret_leaves_in_any_member_layer_or_report(leak_run: dict[str, Any]) -> None:
    corpora: list[Corpus] = leak_run["corpora"]
    outputs: dict[str, bytes] = leak_run["outputs"]
    secrets = [s for c in corpora for s in c.secrets]
    found = leaks(outputs, secrets)
    print(
        f"leak corpus: {len(secrets)} planted secrets ({len(corpora)} sites), "
        f"{sum(len(needles(s)) for s in secrets)} byte strings searched in {len(outputs)} "
        f"outputs and their decoded layers: {len(found)} leaks"
    )
    assert found == []


def test_reports_show_that_secrets_differ_without_showing_them(leak_run: dict[str, Any]) -> None:
    """With a fleet key the diff still sees the planted secrets differ (tokens), and where."""
    text = leak_run["outputs"]["keyed diff --format json"].decode()
    diff = json.JSONDecoder().raw_decode(text)[0]
    keys = {f["key"]: f for f in diff["findings"]}
    for key in (
        f"workloads.{NS}/Deployment/{LEAKY}.labels.build-pass",
        f"workloads.{NS}/Deployment/{LEAKY}.annotations.example.com/webhook-token",
        f"helm.{NS}/{LEAKY}.values.auth.password",
        f"components.{LEAKY}.pat",
    ):
        match = [k for k in keys if k.replace('"', "").replace("[", ".").replace("]", "") == key]
        assert match, (key, sorted(keys))
        values = keys[match[0]]["values"]
        assert all(str(v).startswith("$dctok$v1$") for v in values.values()), values
        assert len(set(values.values())) == len(SITES)
    marker = leak_run["outputs"]["marker diff --format json"]
    assert b"$dctok$" not in marker
