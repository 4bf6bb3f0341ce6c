"""The other side of redaction: on the fixture fleet and on real recorded outputs, exactly the
secrets change; versions, images, digests, timeouts and every other fact stay as collected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from realdata_kit import REALDATA, needs_realdata

from driftctl.config import load_site_config
from driftctl.model import Artifact
from driftctl.pipeline import collect_site
from driftctl.redact import Redactor, redact_evidence, redact_snapshot

ROOT = Path(__file__).parent.parent
SITES = sorted(p for p in (ROOT / "fixtures" / "sites").iterdir() if (p / "site.yaml").exists())
# The secrets the fixture fleet plants in its snapshot facts (fixtures/planted-secrets.txt).
DOCAI = ".helm.ai-platform/docai."
SECRET_FACTS = {
    DOCAI + section + fact
    for section in ("values.", "computed_values.")  # computed: the same values under defaults
    for fact in (
        "auth.password",
        "auth.username",  # below ``auth``: secret by inheritance
        "externalDb.dsn",
        "mcpHub.clientAssertion",  # a JWT under an ordinary name
        "tls.key",
    )
}


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from leaves(child, f"{path}[{i}]")
    else:
        yield path, value


@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
def test_only_the_planted_secrets_change_in_the_fixture_fleet(site: Path) -> None:
    config = load_site_config(site / "site.yaml")
    outcome = collect_site(config, from_dump=site / "dump")
    r = Redactor(bytes(32))
    rules = {c.name: c.attributes for c in config.components}
    snapshot = outcome.snapshot.to_dict()
    before = dict(leaves(snapshot))
    after = dict(leaves(redact_snapshot(r, snapshot, rules)))
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    print(f"{site.name}: {len(before)} facts, {len(changed)} redacted")
    assert changed == SECRET_FACTS
    visible = {k: v for k, v in after.items() if k not in SECRET_FACTS}
    assert any(k.endswith("mcpHub.timeoutSeconds") for k in visible)
    assert any(k.endswith(".image_id") and str(v).startswith("sha256:") for k, v in visible.items())
    assert any(k.endswith("env.PARSER_API_VERSION") for k in visible)
    assert any(k.endswith("gpu.driver_version") for k in visible)
    assert after[".kubernetes.server_version"] == before[".kubernetes.server_version"]


@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
def test_evidence_changes_only_where_secrets_are(site: Path) -> None:
    """Secret values in objects, the last-applied copy and Helm release payloads; nothing else."""
    config = load_site_config(site / "site.yaml")
    outcome = collect_site(config, from_dump=site / "dump")
    r = Redactor(bytes(32))
    members = dict(redact_evidence(r, outcome.raw))
    changed = set()
    for artifact in outcome.raw:
        if artifact.data is None:
            continue
        if not artifact.path.endswith(".json"):
            assert members[artifact.path] == artifact.data, artifact.path
            continue
        before = dict(leaves(json.loads(artifact.data)))
        after = dict(leaves(json.loads(members[artifact.path])))
        changed |= {k.split(".", 2)[-1] for k in before if k in after and before[k] != after[k]}
    allowed = {
        "data.release",
        "metadata.annotations.kubectl.kubernetes.io/last-applied-configuration",
        "spec.containers[0].env[2].value",
        "spec.template.spec.containers[0].env[2].value",
    }
    assert changed <= allowed, changed - allowed
    assert r.report()["dropped"] == []


@needs_realdata
def test_real_recorded_outputs_are_not_redacted() -> None:
    """Real nvidia-smi, chrony, timedatectl, kubectl outputs and Helm releases hold no secret:
    nothing in them may be redacted but the Helm release Secret payloads themselves."""
    assert REALDATA is not None
    hits: dict[str, dict[str, int]] = {}
    files = sorted(p for p in REALDATA.rglob("*") if p.is_file() and p.suffix != ".md")
    for path in files:
        r = Redactor(bytes(32))
        data = path.read_bytes()
        r.artifact(Artifact("x.json" if path.suffix == ".json" else "x.txt", data))
        if path.suffix == ".json":
            r.value(json.loads(data))  # also judged as free-form values, as Helm values are
        rules = {k: v for k, v in r.report()["by_rule"].items() if k != "secret-data"}
        if rules:
            hits[str(path.relative_to(REALDATA))] = rules
    release = json.loads((REALDATA / "helm-release-decoded__pluto-demo2.json").read_text())
    r = Redactor(bytes(32))
    r.value(release["chart"]["values"])
    r.value(release)
    r.text(release["manifest"])
    if r.report()["total"]:
        hits["decoded release"] = r.report()["by_rule"]
    print(f"realdata: {len(files)} files, false positives: {hits}")
    assert len(files) > 50
    assert hits == {}
