"""The signed fixture fleet the ``fleet`` fixture (tests/conftest.py) builds once per test run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bundle_kit import private_key_copy
from cli_kit import ROOT, invoke

FIXTURES = ROOT / "fixtures"
FLEET_SITES = ("capital", "holding", "public-institution", "savings-bank", "utility")


@dataclass(frozen=True)
class Fleet:
    """The signed fixture fleet, built once per run; read-only (copy what you change)."""

    base: Path
    bundles: Path  # SITE-000001.tar.gz and its .sig, one per site
    store: Path  # all of them imported
    trust: Path  # the allowed_signers that vouches for them
    sites: tuple[str, ...]

    def bundle(self, site: str) -> Path:
        """The site's bundle (its ``.sig`` beside it)."""
        (found,) = self.bundles.glob(f"{site}-*.tar.gz")
        return found


def digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def build_fleet(base: Path) -> Fleet:
    """Collect every fixture site from its dump (fleet key on), sign, import: the real CLI."""
    bundles = base / "bundles"
    for site in FLEET_SITES:
        res = invoke(
            "collect",
            "--config",
            str(FIXTURES / "sites" / site / "site.yaml"),
            "--from-dump",
            str(FIXTURES / "sites" / site / "dump"),
            "--key",
            str(private_key_copy(FIXTURES / "keys" / f"{site}_ed25519", base)),
            "--out-dir",
            str(bundles),
            "--state-dir",
            str(base / "state"),
            "--fleet-key",
            str(FIXTURES / "fleet.key"),
        )
        assert res.returncode == 0, res.stderr
    trust = FIXTURES / "allowed_signers"
    store = base / "store"
    found = sorted(str(p) for p in bundles.glob("*.tar.gz"))
    res = invoke("import", *found, "--trust", str(trust), "--store", str(store))
    assert res.returncode == 0, res.stderr
    return Fleet(base, bundles, store, trust, FLEET_SITES)
