"""``driftctl preflight`` as users run it: exit codes, one-line errors, formats, --output."""

from __future__ import annotations

import json
from pathlib import Path

import cli_kit
import pytest
import yaml
from fleet_kit import Fleet

ROOT = Path(__file__).parent.parent
RELEASE = ROOT / "manifests" / "release.example.yaml"
SITES = ROOT / "fixtures" / "sites"


def driftctl(*args: str, cwd: Path = ROOT) -> cli_kit.Result:
    return cli_kit.invoke(*args, cwd=cwd)


def write(path: Path, doc: object) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_help_lists_the_options() -> None:
    res = driftctl("preflight", "--help")
    assert res.returncode == 0
    for option in ("--release", "--policy", "--store", "--trust", "--site", "--max-age"):
        assert option in res.stdout
    assert "--allow-stale" in res.stdout and "--format" in res.stdout and "--output" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--release", "missing.yaml"), "missing.yaml: cannot read"),
        (("--release", str(RELEASE), "--max-age", "2w"), "--max-age: bad duration '2w'"),
        (("--release", str(RELEASE), "x.tar.gz"), "BUNDLE arguments need --trust"),
        (
            ("--release", str(RELEASE), "--max-age", "99999999999d"),
            "--max-age: duration '99999999999d' is too long",
        ),
    ],
    ids=["missing-release", "bad-max-age", "bundles-without-trust", "huge-max-age"],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    res = driftctl("preflight", *args)
    assert res.returncode == 2, res
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and message in res.stderr
    assert res.stderr.startswith("driftctl: error: ")


def test_bad_policy_exits_2_naming_file_rule_and_key(tmp_path: Path) -> None:
    policy = write(
        tmp_path / "compat.yaml",
        {
            "rules": [
                {
                    "id": "frontend-parser-api",
                    "kind": "api-contract",
                    "severity": "block",
                    "consumr": {"component": "frontend", "attribute": "parser_api"},
                }
            ]
        },
    )
    res = driftctl("preflight", "--release", str(RELEASE), "--policy", str(policy))
    assert res.returncode == 2
    assert res.stderr == (
        f"driftctl: error: {policy}: rule 'frontend-parser-api': unknown key 'consumr'\n"
    )


def test_bad_release_exits_2_naming_the_key(tmp_path: Path) -> None:
    release = write(
        tmp_path / "r.yaml", {"release": "r1", "components": {"parser": {"workload": "a/b/c"}}}
    )
    res = driftctl("preflight", "--release", str(release))
    assert res.returncode == 2
    assert f"{release}: component 'parser': key 'workload' cannot be set by a release" in res.stderr


def test_bad_format_is_a_usage_error() -> None:
    res = driftctl("preflight", "--release", str(RELEASE), "--format", "yaml")
    assert res.returncode == 2 and "yaml" in res.stderr


# The runs below judge the signed fixture fleet (tests/conftest.py).


def test_field_case_1_table_blocks_three_sites_and_exits_1(fleet: Fleet) -> None:
    res = driftctl("preflight", "--release", str(RELEASE), "--store", str(fleet.store))
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    verdicts = {ln.split()[0]: ln.split()[1] for ln in lines[2:] if ln and not ln.startswith(" ")}
    assert verdicts == {
        "capital": "pass",
        "holding": "block",
        "public-institution": "block",
        "savings-bank": "block",
        "utility": "warn",
    }
    assert (
        "frontend-parser-api: frontend 2.3.4 calls parser API v1, parser 2.0.0 serves v2"
        in res.stdout
    )
    assert max(len(ln) for ln in lines) <= 100
    assert res.stderr.startswith("preflight 2026.11-r2: block — 5 sites (3 block, 1 warn, 1 pass)")


def test_site_filter_passes_capital_and_writes_junit_to_output(
    fleet: Fleet, tmp_path: Path
) -> None:
    out = tmp_path / "report.xml"
    res = driftctl(
        "preflight",
        "--release",
        str(RELEASE),
        "--store",
        str(fleet.store),
        "--site",
        "capital",
        "--format",
        "junit",
        "--output",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert 'failures="0"' in out.read_text() and 'classname="preflight.capital"' in out.read_text()


@pytest.mark.parametrize(
    ("extra", "code", "verdict"),
    [((), 1, "block"), (("--allow-stale",), 0, "warn")],
    ids=["stale-blocks", "allow-stale-warns"],
)
def test_max_age_zero_makes_every_snapshot_stale(
    fleet: Fleet, extra: tuple[str, ...], code: int, verdict: str
) -> None:
    res = driftctl(
        "preflight",
        "--release",
        str(RELEASE),
        "--store",
        str(fleet.store),
        "--site",
        "capital",
        "--max-age",
        "0s",
        "--format",
        "json",
        *extra,
    )
    assert res.returncode == code, res.stderr
    capital = json.loads(res.stdout)["sites"]["capital"]
    assert capital["verdict"] == verdict
    assert capital["findings"][0]["rule"] == "freshness"


def test_tampered_bundle_given_as_file_exits_4(fleet: Fleet, tmp_path: Path) -> None:
    bundle = fleet.bundle("capital")
    bad = tmp_path / bundle.name
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    (tmp_path / (bundle.name + ".sig")).write_bytes(Path(str(bundle) + ".sig").read_bytes())
    res = driftctl(
        "preflight",
        "--release",
        str(RELEASE),
        str(bad),
        "--trust",
        str(fleet.trust),
    )
    assert res.returncode == 4, (res.stdout, res.stderr)
    assert res.stdout == "" and res.stderr.count("\n") == 1


def test_requested_site_without_snapshot_blocks(fleet: Fleet) -> None:
    args = ["preflight", "--release", str(RELEASE), "--store", str(fleet.store)]
    res = driftctl(*args, "--site", "capital", "--site", "wind-farm", "--format", "markdown")
    assert res.returncode == 1, res.stderr
    assert "| capital | **pass** |" in res.stdout
    assert "freshness: no verified snapshot of site wind-farm; cannot vouch for it" in res.stdout
    res = driftctl(*args, "--site", "wind-farm", "--allow-stale")
    assert res.returncode == 0, res.stderr
    assert "wind-farm" in res.stdout and "warn" in res.stdout
