"""The root command group: commands known by name and summary, their module imported on first use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:  # typer ships its own click (private); only its types are named here
    from typer import _click as click


@dataclass(frozen=True)
class Entry:
    """One command of ``driftctl``: the module under ``driftctl.cli`` whose ``register(app)``
    adds it, and the summary ``driftctl --help`` lists for it (the command's own ``short_help``,
    or for a group without one its ``help``, which a narrow terminal cuts as click does)."""

    name: str
    module: str
    short_help: str = ""
    help: str = ""

    def stub(self) -> TyperCommand:
        """A command that only knows its summary: what ``--help`` lists, without the import."""
        return TyperCommand(self.name, short_help=self.short_help or None, help=self.help or None)


class LazyGroup(TyperGroup):
    """A TyperGroup whose commands come from ``ENTRIES``, each module imported when one of its
    commands runs, asks for its own help or completes: ``driftctl verify`` never imports the
    modules (nor the libraries) of ``collect`` or ``report``. Start-up time is the reason."""

    entries: tuple[Entry, ...] = ()  # set by a subclass: the commands, in ``--help`` order

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [entry.name for entry in self.entries]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            entry = next((e for e in self.entries if e.name == cmd_name), None)
            if entry is not None:
                self._load(entry.module)
            else:  # a typo: the parser's "did you mean" picks from the loaded commands
                for module in dict.fromkeys(e.module for e in self.entries):
                    self._load(module)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from the summaries, as the base class writes it."""
        limit = formatter.width - 6 - max(len(entry.name) for entry in self.entries)
        rows = [(entry.name, entry.stub().get_short_help_str(limit)) for entry in self.entries]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _load(self, module: str) -> None:
        """Import ``driftctl.cli.<module>`` and add the commands its ``register`` makes."""
        if any(e.name in self.commands for e in self.entries if e.module == module):
            return  # loaded before
        app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
        importlib.import_module(f"driftctl.cli.{module}").register(app)
        for name, command in typer.main.get_group(app).commands.items():
            self.commands.setdefault(name, command)
