"""Commands load on first use: every help text is the same as when all loaded at start, a
mistyped command still gets "did you mean", and a command run imports no other command."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from cli_kit import invoke
from golden_kit import check_golden
from typer.core import TyperGroup

from driftctl.cli import COMMANDS, app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "cli" / "help.txt"
SITES = ROOT / "tests" / "golden" / "diff" / "sites"
WIDTHS = ("100", "60")  # the README's width, and a narrow terminal where summaries are cut
TYPOS = (("dif",), ("store", "chek"), ("polcy",), ("zzz",))


def _env(width: str) -> dict[str, str]:
    return {"COLUMNS": width, "TERM": "dumb", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"}


def _paths(command: object, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every command and group under ``command``, in the order ``--help`` lists them."""
    paths = [prefix]
    if isinstance(command, TyperGroup):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            paths += _paths(sub, (*prefix, name))
    return paths


def _section(width: str, args: tuple[str, ...], code: int, out: str) -> str:
    return f"=== COLUMNS={width} driftctl {' '.join(args)} -> {code}\n{out}"


def _all_help() -> str:
    parts = []
    for width in WIDTHS:
        for path in _paths(typer.main.get_command(app), ()):
            res = invoke(*path, "--help", env=_env(width))
            parts.append(
                _section(width, (*path, "--help"), res.returncode, res.stdout + res.stderr)
            )
        for typo in TYPOS:
            res = invoke(*typo, env=_env(width))
            parts.append(_section(width, typo, res.returncode, res.stdout + res.stderr))
    return "".join(parts)


def test_every_help_text_is_unchanged() -> None:
    """The golden file was written by main before commands loaded lazily: every command's and
    group's ``--help`` at two widths, and the "did you mean" lines of mistyped commands."""
    text = _all_help()
    assert text.count("=== ") > 2 * (len(COMMANDS) + len(TYPOS))  # the walk found the commands
    check_golden(GOLDEN, text)


@pytest.mark.parametrize("args", [("--help",), ("dif",), ("store", "chek"), ("verify", "--help")])
def test_a_fresh_process_says_the_same(args: tuple[str, ...]) -> None:
    """In-process runs share loaded modules; a new process starts with none loaded."""
    res = subprocess.run(
        [sys.executable, "-m", "driftctl", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, env=_env("60"),
    )  # fmt: skip
    section = _section("60", args, res.returncode, res.stdout + res.stderr)
    assert section in GOLDEN.read_text(encoding="utf-8")


def test_the_registry_matches_the_commands() -> None:
    """Each summary is the command's own, at every width, and each module adds exactly the
    commands the registry names for it (a command added to a module but not to the registry
    would be unreachable)."""
    for module in dict.fromkeys(entry.module for entry in COMMANDS):
        sub = typer.Typer(rich_markup_mode=None)
        importlib.import_module(f"driftctl.cli.{module}").register(sub)
        made = typer.main.get_group(sub).commands
        assert sorted(made) == sorted(e.name for e in COMMANDS if e.module == module), module
        for entry in COMMANDS:
            if entry.module == module:
                for limit in range(10, 80):
                    want = made[entry.name].get_short_help_str(limit)
                    assert entry.stub().get_short_help_str(limit) == want, (entry.name, limit)


OTHER_COMMANDS = {f"driftctl.cli.{e.module}" for e in COMMANDS}
# pydantic: what typer 0.29 imports for every parameter (setup.cfg keeps typer below it)
HEAVY = ("yaml", "paramiko", "kubernetes", "jinja2", "deepdiff", "pydantic")


def _loaded_after(tmp_path: Path, *args: str) -> set[str]:
    """The modules loaded when ``driftctl ARGS`` returns, from a fresh process (written to a
    file: the command's own output may hold any word)."""
    listing = tmp_path / "modules.txt"
    code = (
        "import pathlib, sys\nfrom driftctl.cli import main\n"
        f"code = main({list(args)!r})\n"
        f"pathlib.Path({str(listing)!r}).write_text('\\n'.join(sorted(sys.modules)))\n"
        "sys.exit(code)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert "Traceback" not in res.stderr, res.stderr
    return set(listing.read_text().split())


@pytest.mark.parametrize(
    ("args", "own"),
    [
        (("verify", "--help"), "bundles"),
        (("import", "--help"), "bundles"),
        (("verify", "/nonexistent.tar"), "bundles"),
        (("diff", *(f"--snapshot={SITES / n}" for n in ("capital.json", "utility.json"))), "diff"),
        (("inspect", "/nonexistent.tar"), "bundles"),
    ],
    ids=["verify-help", "import-help", "verify-run", "diff-run", "inspect-run"],
)
def test_a_command_imports_no_other_command(
    tmp_path: Path, args: tuple[str, ...], own: str
) -> None:
    loaded = _loaded_after(tmp_path, *args)
    assert f"driftctl.cli.{own}" in loaded  # the command itself did load
    others = sorted(OTHER_COMMANDS & loaded - {f"driftctl.cli.{own}"})
    assert not others, others
    heavy = sorted({name.split(".")[0] for name in loaded} & set(HEAVY))
    assert not heavy, heavy
