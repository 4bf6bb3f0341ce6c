"""Shared test setup: every bundle, snapshot file and JSON report a test writes must match the
published schemas (docs/schemas/), checked once at the end of the run over every temp dir.

Tests that write deliberately broken bundles or snapshots carry ``@pytest.mark.hostile_outputs``
(or a module ``pytestmark``): their temp dirs are left out of the sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from schema_kit import sweep

_HOSTILE: set[Path] = set()
_SWEPT: list[int] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile_outputs: writes bundles/snapshots that must NOT match the schemas"
    )


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
