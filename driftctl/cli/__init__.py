"""The command line: the only package that prints or exits; it parses, wires and renders."""

from __future__ import annotations

import logging
import os
import re
import sys

import typer

from driftctl import __version__
from driftctl.cli import (
    bundles,
    collect,
    diff,
    dumpscript,
    keygen,
    policy,
    preflight,
    report,
    store,
)
from driftctl.errors import DriftctlError, ExitCode
from driftctl.formats.escape import visible

app = typer.Typer(
    name="driftctl",
    help="Catch deployment drift between air-gapped sites before it becomes an outage.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Explicit registry: each module adds its commands; order is the order of `--help`.
for module in (keygen, collect, dumpscript, bundles, store, diff, preflight, report, policy):
    module.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"driftctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging on stderr."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Catch deployment drift between air-gapped sites before it becomes an outage."""
    level_name = os.environ.get("DRIFTCTL_LOG", "")
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if level_name and not verbose:
        level = getattr(logging, level_name.upper(), logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_VisibleFormatter("driftctl: %(levelname)s: %(message)s"))
    logger = logging.getLogger("driftctl")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


class _VisibleFormatter(logging.Formatter):
    """Log lines carry names and errors from bundles and APIs: one visible line each, always."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        head, sep, trace = text.partition("\n")  # a traceback (-vv) keeps its lines
        return visible(head) + sep + "\n".join(visible(line) for line in trace.split("\n") if sep)


def fail(message: str, code: ExitCode) -> None:
    """Print one error line on stderr (control characters made visible) and exit with ``code``."""
    typer.echo(f"driftctl: error: {visible(message)}", err=True)
    sys.exit(int(code))


INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def main() -> None:
    """Console entry point: run the app; every expected error becomes one line and an exit code."""
    try:
        code = app(prog_name="driftctl", standalone_mode=False)
    except DriftctlError as exc:
        fail(str(exc), exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("driftctl: interrupted", err=True)
        sys.exit(INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except OSError as exc:
        # A report that cannot be written (stdout on a full disk, a closed terminal) fails inside
        # echo; anything else is a bug and keeps its traceback.
        if exc.filename is not None or not _raised_in_echo(exc):
            raise
        fail(f"cannot write the output: {exc.strerror or exc}", ExitCode.OPERATIONAL)
    except Exception as exc:
        if not _usage_error(exc):
            raise
    if code == INTERRUPTED:  # typer turns Ctrl-C into Exit(130), silently
        typer.echo("driftctl: interrupted", err=True)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(exc: Exception) -> bool:
    """The parser's own errors (unknown option, bad choice, missing argument): one line, exit 2."""
    message = getattr(exc, "format_message", None)
    if message is None or getattr(exc, "exit_code", None) != ExitCode.BAD_INPUT:
        return False
    text = str(message())
    if "\n" in text:  # no arguments at all: the help itself, as before
        typer.echo(text, err=True)
        sys.exit(int(ExitCode.BAD_INPUT))
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "driftctl"
    fail(f"{where}: {_plain(exc, text)} (see '{where} --help')", ExitCode.BAD_INPUT)
    return True


_VALUE_ERROR = re.compile(
    r"Invalid value for '(?P<opt>[^']+)': (?:Value error, )?(?P<why>.*)", re.DOTALL
)


def _plain(exc: Exception, text: str) -> str:
    """The parser's message in plain words: a bad choice names the option and the values it
    takes; a misspelt option suggests one close name, never a list of unrelated ones."""
    import difflib

    name = getattr(exc, "option_name", None)
    possible = getattr(exc, "possibilities", None)
    if name and possible is not None:
        best = difflib.get_close_matches(name, sorted(possible), n=1, cutoff=0.75)
        return f"no such option {name}" + (f" (did you mean {best[0]}?)" if best else "")
    match = _VALUE_ERROR.fullmatch(text)
    if match:
        why = match["why"].replace("is not one of", "is not allowed; use one of")
        return f"{match['opt']}: {why.rstrip('.')}"
    return text


def _raised_in_echo(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "echo"
