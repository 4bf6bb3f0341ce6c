"""The contract lives in docs/: every page is indexed, every ``docs/…`` reference resolves, and
nothing points at a document users do not have or at a path on the machine it was written on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# What users and contributors read: the package (code, help texts, data), tests, docs, fixtures.
SCANNED = ("driftctl", "tests", "docs", "fixtures", "manifests", ".ci")
TOP_FILES = ("README.md", "setup.cfg", "pyproject.toml", "ruff.toml")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".cfg", ".toml", ".sh", ".j2", ".json", ".txt", ""}
DOC_REF = re.compile(r"docs/([A-Za-z0-9_-]+\.md)")
# A section sign after "design" or "contract", or before a number: a section of a document that
# is not in the repository.
# A line naming OpenSSH's PROTOCOL.* files may cite their sections: they are public.
SECTION = re.compile(r"(?:design|contract)\s*§|§\s*\d")
PUBLIC = "PROTOCOL."
MACHINE_PATH = "/" + "work/"  # spelt in two parts so this file does not match itself


def text_files() -> list[Path]:
    found = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                found.append(path)
    return found


@pytest.fixture(scope="module")
def texts() -> dict[Path, str]:
    out = {}
    for path in text_files():
        try:
            out[path] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # recorded binary fixtures
    assert len(out) > 100, "the scan found too few files to mean anything"
    return out


def test_every_docs_reference_resolves(texts: dict[Path, str]) -> None:
    broken = sorted(
        f"{path.relative_to(ROOT)}: docs/{name}"
        for path, text in texts.items()
        for name in set(DOC_REF.findall(text))
        if not (DOCS / name).is_file()
    )
    assert broken == []


def test_the_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([A-Za-z0-9_-]+\.md)\)", index))
    pages = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert pages == linked


def test_no_reference_to_a_document_users_do_not_have(texts: dict[Path, str]) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path, text in texts.items()
        for number, line in enumerate(text.splitlines(), start=1)
        if SECTION.search(line) and PUBLIC not in line
    ]
    assert found == []


def test_no_machine_paths(texts: dict[Path, str]) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path, text in texts.items()
        for number, line in enumerate(text.splitlines(), start=1)
        if MACHINE_PATH in line.replace(f'"{MACHINE_PATH}" not in', "")  # a test checking for it
    ]
    assert found == []


def test_the_checks_catch_what_they_are_for() -> None:
    # Spelt in parts, so that the scans above do not find these lines themselves.
    section = "\u00a7"
    assert SECTION.search(f"Site config YAML (design {section}7)")
    assert SECTION.search(f"The planned push (YAML, {section}8)")
    assert DOC_REF.findall("see docs/" + "no-such-page.md") == ["no-such-page.md"]
