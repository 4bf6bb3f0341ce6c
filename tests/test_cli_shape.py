"""One CLI shape: an option several commands take is spelt the same on each (name, short flag,
environment variable, help), and a short flag means one option everywhere."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import typer

from driftctl.cli import app

SHARED = (
    "--store",
    "--trust",
    "--site",
    "--format",
    "--output",
    "--baseline",
    "--ignore",
    "--policy",
    "--release",
    "--max-age",
)
# keygen's --site names the one site a key is made for, history's the one site it shows: not
# a filter over sites.
OWN_MEANING = {("keygen", "--site"), ("history", "--site")}


# typer brings its own copy of click: its classes are reached through the objects, not imported.
def commands(group: Any, prefix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {}
    ctx = typer.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        path = f"{prefix}{name}"
        if hasattr(cmd, "list_commands"):
            found.update(commands(cmd, path + " "))
        else:
            found[path] = cmd
    return found


COMMANDS = commands(typer.main.get_command(app))


def options() -> dict[str, list[tuple[str, Any]]]:
    """Every option by its long name: (command, option) pairs."""
    by_name: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for path, cmd in COMMANDS.items():
        for param in cmd.params:
            if param.param_type_name == "option":
                long = next(o for o in param.opts if o.startswith("--"))
                by_name[long].append((path, param))
    return by_name


def test_the_scan_sees_every_command() -> None:
    assert {"collect", "diff", "preflight", "report", "import", "verify", "inspect"} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_option_is_the_same_on_every_command(name: str) -> None:
    uses = [(path, opt) for path, opt in options()[name] if (path, name) not in OWN_MEANING]
    assert len(uses) >= 2, f"{name} is on {[p for p, _ in uses]} only"
    shapes = {
        path: (tuple(sorted(opt.opts)), opt.envvar, opt.help, opt.metavar) for path, opt in uses
    }
    assert len(set(shapes.values())) == 1, shapes


def test_a_short_flag_means_one_option_everywhere() -> None:
    meaning: dict[str, set[str]] = defaultdict(set)
    for path, cmd in COMMANDS.items():
        for param in cmd.params:
            if param.param_type_name == "option":
                long = next(o for o in param.opts if o.startswith("--"))
                for short in (o for o in param.opts if not o.startswith("--")):
                    meaning[short].add(long)
    assert {s: m for s, m in meaning.items() if len(m) > 1} == {}
    assert meaning["-o"] == {"--output"} and meaning["-f"] == {"--format"}
    assert meaning["-s"] == {"--site"} and meaning["-t"] == {"--trust"}


def test_every_report_command_takes_the_shared_report_options() -> None:
    for path in ("diff", "preflight"):
        names = {o for p in COMMANDS[path].params for o in p.opts}
        assert {"--store", "--trust", "--site", "--format", "--output"} <= names, path
