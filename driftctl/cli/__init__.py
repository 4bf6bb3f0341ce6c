"""The command line: the only package that prints or exits; it parses, wires and renders.

Start-up time: the root group knows each command by name and summary (``COMMANDS``) and imports
a command's module only when that command is used (driftctl/cli/lazy.py), so ``driftctl verify``
loads neither the modules of the other commands nor their libraries. A command module still
imports the core it drives inside the command, so that ``driftctl CMD --help`` stays light;
those imports say "start-up time".
"""

from __future__ import annotations

import difflib
import errno
import logging
import os
import re
import sys
from collections.abc import Sequence

import typer

from driftctl import __version__
from driftctl.cli.lazy import Entry, LazyGroup
from driftctl.errors import DriftctlError, ExitCode
from driftctl.formats.escape import visible

log = logging.getLogger(__name__)

# Explicit registry: every command, its module, and its summary in `driftctl --help` (the
# command's short_help; a test checks they agree). Order is the order of `--help`; a module is
# imported only when one of its commands is used (start-up time).
COMMANDS = (
    Entry("keygen", "keygen", "Make a site's Ed25519 signing key pair."),
    Entry("collect", "collect", "Collect one site into a signed bundle."),
    Entry("dump-script", "dumpscript", "Print the sh script that writes a dump directory."),
    Entry("inspect", "bundles", "Show what a bundle carries out, UNVERIFIED."),
    Entry("verify", "bundles", "Verify a bundle; change nothing."),
    Entry("import", "bundles", "Verify bundles and add them to the store."),
    Entry("sites", "bundles", "Per site: latest seq, age, history, signer, gaps."),
    Entry("diff", "diff", "Cross-site drift, or one site over time."),
    Entry("history", "history", "One site's timeline: what changed, bundle by bundle."),
    Entry("preflight", "preflight", "Judge a planned release at every site."),
    Entry("report", "report", "Write one HTML page: fleet drift and preflight."),
    Entry("store", "store", "Check or prune the store of imported bundles."),
    Entry("policy", "policy", help="Check a compatibility policy against the fleet."),
)


class _Root(LazyGroup):
    entries = COMMANDS


app = typer.Typer(
    name="driftctl",
    cls=_Root,
    help="Catch deployment drift between air-gapped sites before it becomes an outage.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _error(message: object, code: int) -> int:
    """One error line on stderr (control characters made visible); returns ``code``."""
    _say(f"driftctl: error: {visible(message)}")
    return code


INTERRUPTED = 130  # 128 + SIGINT, as shells report it
BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader went away (driftctl diff | head), as for cat or yes


def main(argv: Sequence[str] | None = None) -> int:
    """Run driftctl on ``argv`` (default: the process's arguments) and return its exit code.

    The one place where errors become exit codes: a ``DriftctlError`` its own (one line), a
    usage error 2, Ctrl-C 130, a reader that went away 141, a report that cannot be written 3,
    and anything else, a bug, 3 with one line (the traceback only at ``-vv``): never 1, which
    means findings, and never a traceback. Tests call it in-process (tests/cli_kit.py).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    _reset_logging()
    try:
        code = app(args=args, prog_name="driftctl", standalone_mode=False)
    except DriftctlError as exc:
        return _error(exc, exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _say("driftctl: interrupted")
        return INTERRUPTED
    except SystemExit as exc:
        # typer answers a broken pipe itself with exit 1 ("findings"): say what happened instead.
        if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
            return BROKEN_PIPE
        raise  # shell completion ends this way, with its own code
    except OSError as exc:
        # A report that cannot be written (stdout on a full disk, a closed terminal) fails
        # inside echo; any other OSError reaching here escaped the core: a bug.
        if exc.filename is not None or not _raised_in_echo(exc):
            return _internal(exc)
        return _error(f"cannot write the output: {exc.strerror or exc}", ExitCode.OPERATIONAL)
    except Exception as exc:
        usage = _usage_error(exc)
        return usage if usage is not None else _internal(exc)
    if code == INTERRUPTED:  # typer turns Ctrl-C into Exit(130), silently
        _say("driftctl: interrupted")
    return code if isinstance(code, int) else 0


def _internal(exc: BaseException) -> int:
    """A bug: one line and exit 3; the traceback goes to the log at -vv."""
    log.debug("internal error, traceback follows", exc_info=exc)
    name = type(exc).__name__
    return _error(
        f"internal error: {name}: {exc} (a bug in driftctl; -vv shows the traceback)",
        ExitCode.OPERATIONAL,
    )


def _reset_logging() -> None:
    """Logging as it is before the root callback sets it up (main may run more than once)."""
    logger = logging.getLogger("driftctl")
    logger.handlers[:] = []
    logger.setLevel(logging.WARNING)


def _usage_error(exc: Exception) -> int | None:
    """The parser's own errors (unknown option, bad choice, missing argument): one line, exit 2;
    None when ``exc`` is not one."""
    message = getattr(exc, "format_message", None)
    if message is None or getattr(exc, "exit_code", None) != ExitCode.BAD_INPUT:
        return None
    text = str(message())
    if "\n" in text:  # no arguments at all: the help itself, as before
        _say(text)
        return int(ExitCode.BAD_INPUT)
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "driftctl"
    return _error(f"{where}: {_plain(exc, text)} (see '{where} --help')", ExitCode.BAD_INPUT)


_VALUE_ERROR = re.compile(
    r"Invalid value for '(?P<opt>[^']+)'(?: / '[^']+')*: (?:Value error, )?(?P<why>.*)",
    re.DOTALL,
)


def _plain(exc: Exception, text: str) -> str:
    """The parser's message in plain words: a bad choice names the option and the values it
    takes; a misspelt option suggests one close name, never a list of unrelated ones."""
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
