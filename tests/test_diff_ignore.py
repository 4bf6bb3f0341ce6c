"""Ignore files: strict loading, accepted differences (per site), severity overrides, write-back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from snapshot_kit import diff_dicts

from driftctl.diff import DiffReport, load_ignore
from driftctl.diff.ignore import TODO_REASON, write_ignore
from driftctl.errors import InputError

SITES = Path(__file__).parent / "golden" / "diff" / "sites"
NAMES = ("capital", "savings-bank", "utility")


def report_with(tmp_path: Path, text: str) -> DiffReport:
    path = tmp_path / "ignore.yaml"
    path.write_text(text)
    snaps = [(n, json.loads((SITES / f"{n}.json").read_text())) for n in NAMES]
    return diff_dicts(snaps, load_ignore(path))


def keys(report: DiffReport) -> dict[str, Any]:
    return {f.key: f for f in report.findings}


def test_glob_without_sites_accepts_the_fact(tmp_path: Path) -> None:
    report = report_with(
        tmp_path,
        'ignore:\n  - path: "helm.*.values.ingress.hostname"\n    reason: own hostname per site\n',
    )
    assert "helm.ai/docai.values.ingress.hostname" not in keys(report)
    assert [(i.key, i.reason) for i in report.ignored] == [
        ("helm.ai/docai.values.ingress.hostname", "own hostname per site")
    ]
    assert report.summary_line().endswith(", 1 ignored")


@pytest.mark.parametrize(
    ("sites", "ignored"),
    [(["utility"], True), (["capital"], False), (["capital", "savings-bank"], True)],
    ids=["odd-site-exempt", "wrong-site", "all-but-one-exempt"],
)
def test_sites_leave_the_comparison(tmp_path: Path, sites: list[str], ignored: bool) -> None:
    report = report_with(
        tmp_path,
        "ignore:\n  - path: helm.ai/docai.values.mcpHub.timeoutSeconds\n"
        f"    sites: {json.dumps(sites)}\n    reason: slow tool hub\n",
    )
    key = "helm.ai/docai.values.mcpHub.timeoutSeconds"
    assert (key not in keys(report)) is ignored
    assert (len(report.ignored) == 1) is ignored
    if not ignored:  # values are still shown for every site
        assert keys(report)[key].values["utility"] == 15


def test_severity_overrides_by_category_and_glob(tmp_path: Path) -> None:
    report = report_with(
        tmp_path,
        'severity:\n  helm: error\n  "components.*.version": warn\n  nodes.time.*: info\n',
    )
    k = keys(report)
    assert k["helm.ai/docai.values.mcpHub.timeoutSeconds"].severity == "error"
    assert k["components.frontend.version"].severity == "warn"
    assert k["components.frontend.parser_api"].severity == "error"  # category default kept
    assert k["nodes.time.synchronized"].severity == "info"
    assert k["nodes[control-plane].time.synchronized"].severity == "error"  # glob did not match


BAD = [
    ("surprise: 1\n", "unknown key 'surprise'"),
    ("ignore:\n  - path: x\n", "ignore[0]: missing required key 'reason'"),
    ("ignore:\n  - path: x\n    reason: r\n    site: [a]\n", "ignore[0]: unknown key 'site'"),
    ("ignore:\n  - path: x\n    reason: r\n    sites: a\n", "sites: must be a list"),
    ("ignore: {}\n", "ignore: must be a list"),
    ("severity:\n  hlem: error\n", "unknown category 'hlem'"),
    ("severity:\n  helm: fatal\n", "severity.helm: must be error, warn or info"),
    ("ignore: [\n", "ignore.yaml:"),
    ("a: &x 1\nb: *x\n", "aliases are not allowed"),
    ("severity: [helm]\n", "severity: expected a mapping"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(":")[0][:20] for _, m in BAD])
def test_bad_ignore_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ignore.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_ignore(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_written_ignore_file_loads_and_silences_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = report_with(tmp_path, "severity:\n  helm: error\n")
    out = tmp_path / "written.yaml"
    existing = load_ignore(tmp_path / "ignore.yaml")
    new = [(f.key, f.sites) for f in first.findings if f.kind != "unknown"]
    assert write_ignore(out, existing, new, overwrite=False) == len(new)
    text = out.read_text()
    assert text.count(TODO_REASON) == len(new)
    assert "helm: error" in text  # overrides survive the rewrite
    with pytest.raises(InputError, match="exists; pass --overwrite-ignore"):
        write_ignore(out, existing, new, overwrite=False)
    second = diff_dicts(
        [(n, json.loads((SITES / f"{n}.json").read_text())) for n in NAMES], load_ignore(out)
    )
    assert all(f.kind == "unknown" for f in second.findings)
    assert len(second.ignored) == len(new)
    # until someone writes the reasons, every load says so
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"{out}: {len(new)} of {len(new)} ignore rules still have the TODO reason" in warnings


@pytest.mark.parametrize(
    ("key", "other"),
    [
        ("nodes[control-plane].time.synchronized", "nodes.control-plane.time.synchronized"),
        ('helm.ai/docai.values["a.b*"]', 'helm.ai/docai.values["a.bc"]'),
        ('helm.ai/docai.values["?"]', "helm.ai/docai.values.x"),
    ],
    ids=["role-selector", "quoted-star", "quoted-question-mark"],
)
def test_a_reported_key_is_a_pattern_matching_exactly_itself(key: str, other: str) -> None:
    from driftctl.diff.ignore import IgnoreRule

    rule = IgnoreRule(key, "r")
    assert rule.matches(key)
    assert not rule.matches(other)


def test_globs_span_segments_and_quoted_keys_alike() -> None:
    from driftctl.diff.ignore import IgnoreRule

    rule = IgnoreRule("helm.*.values.ingress.hostname", "r")
    assert rule.matches("helm.ai/docai.values.ingress.hostname")
    assert rule.matches('helm["a.b/c"].values.ingress.hostname')
    assert not rule.matches("helm.ai/docai.values.ingress.hostnames")


@pytest.mark.parametrize(
    "path", ["nodes[[]control-plane].x", "helm..values", 'helm["unterminated'], ids=str
)
def test_a_path_that_is_no_fact_path_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(InputError, match=r"ignore\[0\]: path: .*"):
        report_with(tmp_path, f"ignore:\n  - path: '{path}'\n    reason: r\n")


def test_a_rewritten_ignore_file_keeps_its_rules_and_overrides_byte_for_byte(
    tmp_path: Path,
) -> None:
    """Existing rules keep their key order (path, sites, reason), then the new entries, then the
    severity overrides: a file read back and written again reads as the same file."""
    source = tmp_path / "ignore.yaml"
    source.write_text(
        "ignore:\n"
        "- path: helm.*.values.replicas\n"
        "  sites: [utility, capital]\n"
        "  reason: sized per site\n"
        "- path: kubernetes.server_version\n"
        "  reason: upgrade in progress\n"
        "severity:\n"
        "  helm: error\n"
        "  workloads.*.replicas: info\n"
    )
    out = tmp_path / "written.yaml"
    written = write_ignore(out, load_ignore(source), [("components.app.version", ())], False)
    assert written == 1
    assert out.read_text().splitlines()[2:] == [
        "ignore:",
        "- path: helm.*.values.replicas",
        "  sites:",
        "  - capital",
        "  - utility",
        "  reason: sized per site",
        "- path: kubernetes.server_version",
        "  reason: upgrade in progress",
        "- path: components.app.version",
        f"  reason: '{TODO_REASON}'",
        "severity:",
        "  helm: error",
        "  workloads.*.replicas: info",
    ]
