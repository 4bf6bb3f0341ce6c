"""``driftctl diff`` end to end: real keys, signed bundles, a real store, exit codes and stderr."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import cli_kit
import pytest

from driftctl.bundle.keys import load_private_key
from driftctl.bundle.writer import write_bundle

ROOT = Path(__file__).parent.parent
SITES = ROOT / "tests" / "golden" / "diff" / "sites"
NAMES = ("capital", "savings-bank", "utility")


def driftctl(*args: str, env: dict[str, str] | None = None) -> cli_kit.Result:
    return cli_kit.invoke(*args, env=env)


def load(name: str) -> dict[str, Any]:
    return json.loads((SITES / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three sites signed with real keys, imported into a store; utility has two bundles."""
    base = tmp_path_factory.mktemp("fleet")
    signers = []
    bundles: list[Path] = []
    for name in NAMES:
        res = driftctl("keygen", "--site", name, "--out-dir", str(base / "keys"))
        assert res.returncode == 0, res.stderr
        signers.append(res.stdout.splitlines()[0])
        key = load_private_key(base / "keys" / f"{name}_ed25519")
        snap = load(name)
        written = write_bundle(base / "out", snap, [], {}, key, "test", base / "state")
        bundles.append(written.path)
        if name == "utility":  # the fix: timeout back to 3, a day later
            newer = copy.deepcopy(snap)
            newer["helm"]["ai/docai"]["values"]["mcpHub"]["timeoutSeconds"] = 3
            newer["collected_at"] = "2026-11-22T10:00:00Z"
            written = write_bundle(base / "out", newer, [], {}, key, "test", base / "state")
            bundles.append(written.path)
    trust = base / "allowed_signers"
    trust.write_text("\n".join(signers) + "\n")
    store = base / "store"
    res = driftctl("import", *map(str, bundles), "--trust", str(trust), "--store", str(store))
    assert res.returncode == 0, res.stderr
    return {"store": store, "trust": trust, "base": base, "out": base / "out"}


def test_store_diff_json_and_summary(fleet: dict[str, Path]) -> None:
    res = driftctl("diff", "--store", str(fleet["store"]), "--format", "json")
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["sites"] == list(NAMES)
    keys = {f["key"]: f for f in report["findings"]}
    assert keys["components.frontend.version"]["severity"] == "error"
    # the store holds utility's newer bundle, where the timeout is fixed
    assert "helm.ai/docai.values.mcpHub.timeoutSeconds" not in keys
    (summary,) = res.stderr.splitlines()
    assert summary.startswith("compared 3 sites, ") and summary.endswith(" 0 ignored")
    assert f"{report['summary']['error']} error" in summary


def test_env_store_and_fail_on_never(fleet: dict[str, Path]) -> None:
    env = {"DRIFTCTL_STORE": str(fleet["store"]), "PATH": "/usr/bin:/bin"}
    res = driftctl("diff", "--fail-on", "never", "--site", "capital", "--site", "utility", env=env)
    assert res.returncode == 0, res.stderr
    assert "savings-bank" not in res.stdout and "== time ==" in res.stdout
    assert res.stderr.startswith("compared 2 sites, ")


def test_bundles_on_the_command_line_are_verified(fleet: dict[str, Path]) -> None:
    bundles = sorted(str(p) for p in fleet["out"].glob("*.tar.gz"))
    res = driftctl("diff", *bundles, "--trust", str(fleet["trust"]), "--format", "markdown")
    assert res.returncode == 1, res.stderr
    assert res.stdout.startswith("## driftctl diff\n")
    tampered = fleet["base"] / "tampered"
    tampered.mkdir(exist_ok=True)
    src = Path(bundles[0])
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tampered / src.name).write_bytes(bytes(data))
    (tampered / (src.name + ".sig")).write_bytes(Path(bundles[0] + ".sig").read_bytes())
    res = driftctl("diff", str(tampered / src.name), "--trust", str(fleet["trust"]))
    assert res.returncode == 4, res.stderr
    assert res.stdout == "" and res.stderr.startswith("driftctl: error: ")


def test_one_site_over_time(fleet: dict[str, Path]) -> None:
    res = driftctl(
        "diff", "--store", str(fleet["store"]), "--site", "utility", "--from", "1", "--to", "2",
        "--format", "json", "--fail-on", "warn",
    )  # fmt: skip
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["sites"] == ["utility@1", "utility@2"]
    (finding,) = [f for f in report["findings"] if f["kind"] == "drift"]
    assert finding["key"] == "helm.ai/docai.values.mcpHub.timeoutSeconds"
    # the clock split inside the site stays visible in both snapshots
    assert {f["kind"] for f in report["findings"]} == {"drift", "intra-site"}
    assert finding["values"] == {"utility@1": 15, "utility@2": 3}


def test_ignore_file_changes_exit_code_and_write_ignore_round_trip(
    fleet: dict[str, Path], tmp_path: Path
) -> None:
    store = ["--store", str(fleet["store"])]
    written = tmp_path / "accepted.yaml"
    res = driftctl("diff", *store, "--write-ignore", str(written))
    assert res.returncode == 1
    assert f"ignore entries to {written}" in res.stderr
    assert "TODO: why is this difference acceptable?" in written.read_text()
    again = driftctl("diff", *store, "--write-ignore", str(written))
    assert again.returncode == 2
    assert (
        again.stderr
        == f"driftctl: error: {written}: exists; pass --overwrite-ignore to replace it\n"
    )
    res = driftctl("diff", *store, "--ignore", str(written), "--output", str(tmp_path / "r.txt"))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert "ignored" in res.stderr and " 0 error, 0 warn," in res.stderr
    assert (tmp_path / "r.txt").read_text()


def test_junit_and_output_file(fleet: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    res = driftctl(
        "diff", "--store", str(fleet["store"]), "--format", "junit", "--output", str(out)
    )
    assert res.returncode == 1 and res.stdout == ""
    assert out.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')


BAD = [
    (["--baseline", "atlantis"], "--baseline: unknown site 'atlantis'"),
    (["--site", "atlantis"], "atlantis"),
    (["--format", "yaml"], "yaml"),
    (["--fail-on", "sometimes"], "sometimes"),
    (["--site", "utility", "--from", "1"], "--from/--to: give both"),
    (["--site", "utility", "--from", "1", "--to", "9"], "utility seq 9"),
]


@pytest.mark.parametrize(("args", "needle"), BAD, ids=[a[0] + "-" + a[-1] for a, _ in BAD])
def test_bad_input_exits_2(fleet: dict[str, Path], args: list[str], needle: str) -> None:
    res = driftctl("diff", "--store", str(fleet["store"]), *args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr and res.stdout == ""


def test_bad_ignore_file_names_file_and_key(fleet: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "ignore.yaml"
    bad.write_text("ignore:\n  - path: x\n    reason: r\n    sitez: [a]\n")
    res = driftctl("diff", "--store", str(fleet["store"]), "--ignore", str(bad))
    assert res.returncode == 2
    assert res.stderr == f"driftctl: error: {bad}: ignore[0]: unknown key 'sitez'\n"


def test_snapshot_files_baseline_table(tmp_path: Path) -> None:
    snaps = [arg for n in NAMES for arg in ("--snapshot", str(SITES / f"{n}.json"))]
    res = driftctl("diff", *snaps, "--baseline", "capital", "--fail-on", "info")
    assert res.returncode == 1
    assert "== components ==" in res.stdout
    flat = " ".join(res.stdout.split())  # notes wrap at 100 columns
    assert "nodes disagree within site utility: ut-cp-2, ut-cp-3 not synchronized" in flat
    assert "differs from baseline 550.54.15×2 at capital, utility: " in flat
    broken = tmp_path / "broken.json"
    broken.write_text('{"site": "x", "site": "y"}')
    res = driftctl("diff", "--snapshot", str(broken))
    assert res.returncode == 2 and "duplicate key 'site'" in res.stderr


@pytest.mark.parametrize("where", ["directory", "under-a-file"])
@pytest.mark.parametrize("option", ["--output", "--write-ignore"])
def test_unwritable_output_is_one_line_exit_2(
    fleet: dict[str, Path], tmp_path: Path, option: str, where: str
) -> None:
    (tmp_path / "afile").write_text("keep\n")
    target = tmp_path / "adir" if where == "directory" else tmp_path / "afile" / "report.txt"
    (tmp_path / "adir").mkdir()
    extra = ["--overwrite-ignore"] if option == "--write-ignore" else []
    res = driftctl("diff", "--store", str(fleet["store"]), option, str(target), *extra)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.splitlines()
    why = (
        "cannot write" if where == "directory" else f"directory {target.parent} is not a directory"
    )
    assert len(lines) == 1 and lines[0].startswith(f"driftctl: error: {target}: {why}")
    assert (tmp_path / "afile").read_text() == "keep\n"


def test_refused_write_ignore_leaves_the_output_file_alone(
    fleet: dict[str, Path], tmp_path: Path
) -> None:
    report, ignore = tmp_path / "report.txt", tmp_path / "ignore.yaml"
    report.write_text("yesterday's report\n")
    ignore.write_text("ignore: []\n")
    res = driftctl(
        "diff",
        "--store",
        str(fleet["store"]),
        "--output",
        str(report),
        "--write-ignore",
        str(ignore),
    )
    assert res.returncode == 2
    assert (
        res.stderr == f"driftctl: error: {ignore}: exists; pass --overwrite-ignore to replace it\n"
    )
    assert report.read_text() == "yesterday's report\n"
    assert ignore.read_text() == "ignore: []\n"
