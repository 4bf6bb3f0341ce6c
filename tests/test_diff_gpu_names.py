"""GPU names the plain nvidia-smi table cut short compare equal to the full name of the same card."""

from __future__ import annotations

from typing import Any

from snapshot_kit import diff_dicts, gpu, node, snapshot_dict

from driftctl.diff.gpu_names import resolve


def _site(site: str, name: str) -> dict[str, Any]:
    card = gpu("595.71.05", "13.2", devices=[{"name": name, "mig": False}])
    return snapshot_dict(site, "2026-11-30T00:00:00Z", nodes={"n1": node(gpu=card)})


def test_cut_name_takes_the_one_full_name_it_starts() -> None:
    full = {"NVIDIA GeForce RTX 4080 SUPER", "NVIDIA A100-SXM4-80GB"}
    assert resolve("NVIDIA GeForce RTX 4080 ...", full) == "NVIDIA GeForce RTX 4080 SUPER"
    assert resolve("NVIDIA A100-SXM4-80GB", full) == "NVIDIA A100-SXM4-80GB"


def test_cut_name_with_several_or_no_candidates_stays_as_printed() -> None:
    two = {"NVIDIA GeForce RTX 4080 SUPER", "NVIDIA GeForce RTX 4080 Laptop GPU"}
    assert resolve("NVIDIA GeForce RTX 4080 ...", two) == "NVIDIA GeForce RTX 4080 ..."
    assert resolve("NVIDIA GeForce RTX 4080 ...", set()) == "NVIDIA GeForce RTX 4080 ..."


def test_table_and_xml_forms_of_one_card_are_no_drift() -> None:
    report = diff_dicts(
        [
            ("a", _site("a", "NVIDIA GeForce RTX 4080 ...")),
            ("b", _site("b", "NVIDIA GeForce RTX 4080 SUPER")),
        ]
    )
    assert not [f for f in report.findings if ".gpu." in f.key], report.findings


def test_a_cut_name_of_another_card_is_still_drift() -> None:
    report = diff_dicts(
        [
            ("a", _site("a", "NVIDIA GeForce RTX 4090 ...")),
            ("b", _site("b", "NVIDIA GeForce RTX 4080 SUPER")),
        ]
    )
    keys = {f.key for f in report.findings}
    assert any(k.endswith("gpu.devices") or k.endswith("gpu.product") for k in keys), keys
