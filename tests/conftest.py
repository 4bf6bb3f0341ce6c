"""Shared test setup: one CLI runner, one signed fixture fleet, and the schema sweep.

- ``cli``: runs ``driftctl ARGS`` in this process through ``main(argv)`` (tests/cli_kit.py);
  tests that need a real process (signals, start-up imports) use ``cli_kit.run``.
- ``fleet``: the five fixture sites (fixtures/sites) collected from their dumps with the fleet
  redaction key, signed with their keys and imported into one store by the real CLI, once per
  test run. Tests share it read-only: a test that changes it breaks every test after it, so the
  end of the run fails if any byte of it changed; copy what you need to change.
- Every bundle, snapshot file and JSON report a test writes must match the published schemas
  (docs/schemas/), checked once at the end of the run over every temp dir. Tests that write
  deliberately broken bundles or snapshots carry ``@pytest.mark.hostile_outputs`` (or a module
  ``pytestmark``): their temp dirs are left out of the sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_kit import Result, invoke
from fleet_kit import Fleet, build_fleet, digest
from schema_kit import sweep

_HOSTILE: set[Path] = set()
_SWEPT: list[int] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile_outputs: writes bundles/snapshots that must NOT match the schemas"
    )


@pytest.fixture
def cli() -> Callable[..., Result]:
    """The in-process CLI runner: ``cli("diff", "--store", ...)`` (see cli_kit.invoke)."""
    return invoke


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """The five fixture sites, collected, signed and imported once (see the module docstring)."""
    built = build_fleet(tmp_path_factory.mktemp("fleet"))
    before = {p: digest(p) for p in (built.bundles, built.store)}
    yield built
    changed = []
    for root, was in before.items():
        now = digest(root)
        changed += [
            f"{root.name}/{n}" for n in sorted(set(was) | set(now)) if was.get(n) != now.get(n)
        ]
    assert not changed, f"a test changed the shared fixture fleet: {changed[:10]}"


@pytest.fixture(autouse=True)
def _note_hostile_dirs(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("hostile_outputs") and "tmp_path" in request.fixturenames:
        _HOSTILE.add(request.getfixturevalue("tmp_path"))


@pytest.fixture(scope="session", autouse=True)
def _outputs_match_schemas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    yield
    checked, found = sweep(tmp_path_factory.getbasetemp(), _HOSTILE)
    _SWEPT.append(checked)
    assert not found, f"{len(found)} schema violations in {checked} documents:\n" + "\n".join(
        found[:20]
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SWEPT:
        terminalreporter.write_line(
            f"schema sweep: {_SWEPT[0]} bundle members and reports match docs/schemas/"
        )
