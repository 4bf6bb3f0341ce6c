"""End to end on the field-case fixtures: collect → bundle → import → diff → preflight, via the CLI."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import cli_kit
from fleet_kit import Fleet

ROOT = Path(__file__).parent.parent
SITES = ROOT / "fixtures" / "sites"
FIELD_SITES = sorted(p.name for p in SITES.iterdir() if (p / "site.yaml").exists())


def driftctl(*args: str, check: int | None = 0) -> cli_kit.Result:
    res = cli_kit.invoke(*args)
    if check is not None:
        assert res.returncode == check, (args, res.stdout, res.stderr)
    return res


def test_the_fleet_is_every_field_site(fleet: Fleet) -> None:
    assert set(fleet.sites) == set(FIELD_SITES)
    assert {"savings-bank", "holding", "capital", "public-institution", "utility"} == set(
        FIELD_SITES
    )


def test_no_planted_secret_in_any_byte_of_any_bundle(fleet: Fleet) -> None:
    planted = [
        s
        for s in (ROOT / "fixtures" / "planted-secrets.txt").read_text().splitlines()
        if s.strip() and not s.startswith("#")
    ]
    assert planted
    bundles = sorted(fleet.bundles.glob("*.tar.gz"))
    assert len(bundles) == len(FIELD_SITES)
    for bundle in bundles:
        raw = bundle.read_bytes()
        blobs = [raw, gzip.decompress(raw)]
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
            for member in tar.getmembers():
                f = tar.extractfile(member)
                if f is not None:
                    blobs.append(f.read())
        blobs.append(Path(str(bundle) + ".sig").read_bytes())
        for secret in planted:
            for blob in blobs:
                assert secret.encode() not in blob, f"{secret!r} leaked into {bundle.name}"


def test_reimport_is_a_noop(fleet: Fleet) -> None:
    res = driftctl(
        "import",
        *map(str, sorted(fleet.bundles.glob("*.tar.gz"))),
        "--trust",
        str(ROOT / "fixtures" / "allowed_signers"),
        "--store",
        str(fleet.store),
    )
    assert "already imported" in res.stdout


def test_diff_points_at_the_field_cases(fleet: Fleet) -> None:
    res = driftctl("diff", "--store", str(fleet.store), "--format", "json", check=1)
    report = json.loads(res.stdout)
    keys = {f["key"]: f for f in report["findings"]}
    assert keys["components.frontend.version"]["severity"] == "error"
    assert "components.frontend.parser_api" in keys
    timeout = [k for k in keys if k.endswith("mcpHub.timeoutSeconds")]
    assert timeout, sorted(keys)
    values = keys[timeout[0]]["values"]
    assert values["utility"] == 15 and values["savings-bank"] == 3
    assert any("driver_version" in k for k in keys), sorted(keys)
    assert any(k.endswith("time.synchronized") for k in keys), sorted(keys)


def test_preflight_blocks_two_financial_sites_and_passes_the_third(fleet: Fleet) -> None:
    res = driftctl(
        "preflight",
        "--release",
        str(ROOT / "manifests" / "release.example.yaml"),
        "--store",
        str(fleet.store),
        "--format",
        "json",
        check=1,
    )
    report = json.loads(res.stdout)
    sites = report["sites"]
    assert report["verdict"] == "block"
    for site in ("savings-bank", "holding"):
        assert sites[site]["verdict"] == "block"
        messages = " ".join(f["message"] for f in sites[site]["findings"])
        assert "frontend" in messages and "parser" in messages and "v1" in messages
    assert sites["capital"]["verdict"] == "pass", sites["capital"]
    assert sites["public-institution"]["verdict"] == "block"
    clock = [f for f in sites["public-institution"]["findings"] if f["severity"] == "block"]
    assert any("clock" in f["rule"] or "time" in f["rule"] for f in clock), clock
