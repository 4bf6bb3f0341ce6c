"""A chart rendered per site by the real helm: chart reading, values chains, helm's failures."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from gate_kit import CHART, FLEET, SITE_VALUES, helm_path

from driftctl.errors import InputError, OperationalError
from driftctl.release.chart import load_chart
from driftctl.release.load import for_sites, prepare
from driftctl.release.model import Form, ReleaseInputs


def chart_inputs(**more: object) -> ReleaseInputs:
    base: dict[str, object] = {
        "chart": CHART,
        "site_values": SITE_VALUES,
        "release_name": "docai",
        "namespace": "ai-platform",
        "helm": helm_path(),
    }
    return ReleaseInputs(**{**base, **more})  # type: ignore[arg-type]


def test_chart_directory_and_package_read_alike(tmp_path: Path) -> None:
    subprocess.run(
        [helm_path(), "package", str(CHART), "--destination", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    folder, packaged = load_chart(CHART), load_chart(tmp_path / "docai-2.0.0.tgz")
    assert (folder.name, folder.version, folder.app_version) == ("docai", "2.0.0", "1.8.0")
    assert packaged.defaults == folder.defaults
    assert folder.defaults["mcpHub"]["timeoutSeconds"] == 3
    assert folder.defaults["parser"]["apiVersions"] == ["v2"]


def test_each_site_gets_its_render_and_its_values() -> None:
    release = for_sites(prepare(chart_inputs()), list(FLEET))
    assert release.form is Form.CHART and release.name == "docai 2.0.0"
    assert release.missing == {}
    utility = release.per_site["utility"]
    assert utility.helm is not None and utility.helm.key == "ai-platform/docai"
    assert utility.helm.values["mcpHub"] == {
        "timeoutSeconds": 15,
        "backoffSeconds": 5,
        "initOnStart": False,
    }
    assert utility.helm.computed_values["mcpHub"]["url"] == "http://mcp-hub.ai-platform.svc:8811"
    savings = release.per_site["savings-bank"].workloads["ai-platform/Deployment/frontend"]
    env = savings["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PARSER_API_VERSION", "value": "v1"} in env


def test_values_files_apply_in_order_before_the_site_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("mcpHub: {timeoutSeconds: 7, backoffSeconds: 2}\n")
    second.write_text("mcpHub: {timeoutSeconds: 4}\n")
    release = for_sites(prepare(chart_inputs(values=(first, second))), ["capital", "utility"])
    capital = release.per_site["capital"].helm
    utility = release.per_site["utility"].helm
    assert capital is not None and utility is not None
    assert capital.computed_values["mcpHub"]["timeoutSeconds"] == 4
    assert capital.computed_values["mcpHub"]["backoffSeconds"] == 2
    assert utility.computed_values["mcpHub"]["timeoutSeconds"] == 15  # the site file is last


def test_identical_value_chains_render_once(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    wrapper = tmp_path / "helm"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {helm_path()} "$@"\n')
    wrapper.chmod(0o755)
    same = tmp_path / "same"
    same.mkdir()
    for site in ("a", "b", "c"):
        (same / f"{site}.yaml").write_text("registry: registry.same.local\n")
    (same / "d.yaml").write_text("registry: registry.d.local\n")
    inputs = chart_inputs(site_values=same, helm=str(wrapper))
    release = for_sites(prepare(inputs), ["a", "b", "c", "d"])
    assert len(log.read_text().splitlines()) == 2
    assert release.per_site["a"] == release.per_site["b"] == release.per_site["c"]


def test_a_site_without_its_values_file_has_no_render(tmp_path: Path) -> None:
    release = for_sites(prepare(chart_inputs(site_values=tmp_path)), ["capital"])
    assert release.per_site == {}
    assert release.missing == {
        "capital": f"no site values {tmp_path}/capital.yaml (an empty file renders the common "
        "values)"
    }


def broken_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "broken"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    (chart / "templates" / "bad.yaml").write_text("kind: {{ .Values.nope.deeper }\n")
    return chart


def test_a_chart_helm_refuses_is_bad_input_with_helms_error(tmp_path: Path) -> None:
    prepared = prepare(chart_inputs(chart=broken_chart(tmp_path), site_values=None))
    with pytest.raises(InputError) as err:
        for_sites(prepared, ["capital"])
    text = str(err.value)
    assert text.startswith(f"helm template {tmp_path}/broken: helm refused it: ")
    assert "bad.yaml" in text and "\n" not in text


def test_helm_hanging_is_killed_at_its_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    hang = tmp_path / "helm"
    hang.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nsleep 60\n")
    hang.chmod(0o755)
    prepared = prepare(chart_inputs(helm=str(hang), helm_timeout=0.5, site_values=None))
    started = time.monotonic()
    with pytest.raises(OperationalError) as err:
        for_sites(prepared, ["capital"])
    assert time.monotonic() - started < 10
    assert str(err.value) == (
        f"helm template {CHART}: helm did not finish within 0.5 s and was killed"
    )
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize(
    ("helm", "message"),
    [
        ("/nonexistent/helm", "--helm /nonexistent/helm: not an executable file; install helm"),
        ("no-such-helm-binary", "--helm no-such-helm-binary: not found on PATH; install helm"),
    ],
    ids=["bad-path", "not-on-path"],
)
def test_helm_missing_is_bad_input_saying_how_to_get_it(helm: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        prepare(chart_inputs(helm=helm))
    assert str(err.value).startswith(message) and "--helm BIN" in str(err.value)


def test_no_helm_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="--chart needs the helm binary, which is not on PATH"):
        prepare(chart_inputs(helm=None))


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ({"release_name": None}, "--chart needs --release-name and --namespace"),
        ({"namespace": "Not_A_Namespace"}, "--namespace 'Not_A_Namespace': not a DNS label"),
        ({"chart": Path("/nonexistent")}, "--chart /nonexistent: no such chart"),
        ({"site_values": Path("/nonexistent")}, "--site-values /nonexistent: not a directory"),
        ({"helm_timeout": 0.0}, "--helm-timeout 0: give 0 < SECONDS <= 3600"),
        ({"release": Path("r.yaml")}, "--release and --chart: give one release form"),
    ],
    ids=["no-release-name", "bad-namespace", "no-chart", "no-site-values", "timeout", "two-forms"],
)
def test_bad_chart_options(more: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        prepare(chart_inputs(**more))


def test_a_values_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    values = tmp_path / "v.yaml"
    values.write_text("- not\n- a mapping\n")
    with pytest.raises(InputError, match=f"{values}: a values file must be a mapping, not a list"):
        prepare(chart_inputs(values=(values,)))
