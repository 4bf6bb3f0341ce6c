"""README ``--help`` blocks are the CLI's real output: checked here; ``UPDATE_README=1`` rewrites
them and fails (re-run)."""

from __future__ import annotations

import difflib
import functools
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from golden_kit import updated, updating

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
UPDATE_HINT = (
    "run `UPDATE_README=1 .venv/bin/pytest tests/test_readme_help.py` to rewrite them, then re-run"
)

# `<!-- help: driftctl collect --help -->` on a line of its own, then a ```text block.
MARKER = re.compile(r"^\s*<!--\s*help:\s*(?P<command>.*?)\s*-->\s*$")
FENCE_OPEN = "```text"
FENCE_CLOSE = "```"

# The environment every block is rendered in (the README says so too).
HELP_ENV = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}


@dataclass(frozen=True)
class HelpBlock:
    """One marker and its fenced block; ``start``/``end`` delimit the body lines in the text."""

    command: str  # as written in the marker, e.g. "driftctl collect --help"
    args: tuple[str, ...]  # the arguments after "driftctl", e.g. ("collect", "--help")
    line: int  # 1-based line number of the marker
    start: int  # character offset of the first body line
    end: int  # character offset of the closing fence line
    body: str


def normalize(text: str) -> str:
    """Trailing whitespace off every line, trailing blank lines off the end."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def parse_command(command: str, line: int) -> tuple[str, ...]:
    words = shlex.split(command)
    if len(words) < 2 or words[0] != "driftctl" or words[-1] != "--help":
        raise ValueError(f"line {line}: marker command must be `driftctl ... --help`: {command!r}")
    return tuple(words[1:])


def find_blocks(text: str) -> list[HelpBlock]:
    """Every help marker with the ```text block right after it; a malformed one is a ValueError."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for raw in lines:
        offsets.append(offsets[-1] + len(raw))
    blocks = []
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        marker_line = i + 1
        args = parse_command(m["command"], marker_line)
        if i + 1 >= len(lines) or lines[i + 1].strip() != FENCE_OPEN:
            raise ValueError(f"line {marker_line}: marker is not followed by a {FENCE_OPEN} line")
        j = i + 2
        while j < len(lines) and lines[j].strip() != FENCE_CLOSE:
            j += 1
        if j == len(lines):
            raise ValueError(f"line {marker_line}: the {FENCE_OPEN} block is never closed")
        start, end = offsets[i + 2], offsets[j]
        blocks.append(HelpBlock(m["command"], args, marker_line, start, end, text[start:end]))
        i = j + 1
    return blocks


def rewrite(text: str, new_bodies: dict[HelpBlock, str]) -> str:
    """``text`` with the given blocks' bodies replaced; every other byte stays as it was."""
    for block in sorted(new_bodies, key=lambda b: b.start, reverse=True):
        body = normalize(new_bodies[block])
        text = text[: block.start] + (body + "\n" if body else "") + text[block.end :]
    return text


def console_script() -> Path:
    exe = Path(sys.executable).parent / "driftctl"
    if not exe.is_file() or not os.access(exe, os.X_OK):
        pytest.fail(
            f"no driftctl console script next to {sys.executable} (expected {exe}); "
            "install the package into this interpreter: .venv/bin/python -m pip install -e ."
        )
    return exe


@functools.cache
def render_help(args: tuple[str, ...]) -> str:
    """The real CLI's output for ``driftctl ARGS`` in the README's rendering environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTCTL_", "FORCE_COLOR"))}
    env |= HELP_ENV
    res = subprocess.run(
        [str(console_script()), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert res.returncode == 0, (
        f"driftctl {shlex.join(args)} exited {res.returncode}:\n{res.stderr}"
    )
    return normalize(res.stdout)


def check_file(path: Path, update: bool) -> list[str]:
    """Compare every help block of ``path`` with the CLI; with ``update`` rewrite stale ones.

    Returns one unified diff per stale block (none after an update).
    """
    text = path.read_text(encoding="utf-8")
    stale = {}
    diffs = []
    for block in find_blocks(text):
        want = render_help(block.args)
        have = normalize(block.body)
        if have != want:
            stale[block] = want
            diff = difflib.unified_diff(
                have.splitlines(),
                want.splitlines(),
                f"{path.name}:{block.line} ({block.command})",
                f"{block.command} (COLUMNS=100 TERM=dumb NO_COLOR=1)",
                lineterm="",
            )
            diffs.append("\n".join(diff))
    if update and stale:
        tmp = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
        )
        try:
            with tmp:
                tmp.write(rewrite(text, stale))
            os.chmod(tmp.name, path.stat().st_mode & 0o7777)
            os.replace(tmp.name, path)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
        return []
    return diffs


def command_names(help_text: str) -> list[str]:
    """The names in the ``Commands:`` section of a click/typer help page."""
    lines = help_text.splitlines()
    try:
        i = next(n for n, line in enumerate(lines) if line.rstrip() == "Commands:")
    except StopIteration:
        return []
    section = []
    for line in lines[i + 1 :]:
        if not line.strip() or not line[0].isspace():
            break
        section.append(line)
    indent = min(len(line) - len(line.lstrip()) for line in section)
    # Deeper-indented lines continue a wrapped description.
    return [line.split()[0] for line in section if len(line) - len(line.lstrip()) == indent]


def all_commands(prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """``()`` for the top level and the path of every (sub)command, groups recursed into."""
    found = [prefix]
    for name in command_names(render_help((*prefix, "--help"))):
        found += all_commands((*prefix, name))
    return found


def test_readme_has_help_markers() -> None:
    blocks = find_blocks(README.read_text(encoding="utf-8"))
    assert blocks, (
        f"README.md has no `<!-- help: driftctl ... --help -->` marker with a {FENCE_OPEN} block"
    )


def test_readme_help_blocks_match_cli() -> None:
    diffs = check_file(README, update=False)
    if diffs and updating("UPDATE_README"):
        check_file(README, update=True)
        assert not check_file(README, update=False)  # the rewrite holds
        updated([README], "UPDATE_README")  # and this run still fails: re-run to pass
    assert not diffs, (
        f"{len(diffs)} `--help` block(s) in README.md differ from the CLI; {UPDATE_HINT}\n\n"
        + "\n\n".join(diffs)
    )


def test_every_command_has_a_readme_help_block() -> None:
    documented = {block.args[:-1] for block in find_blocks(README.read_text(encoding="utf-8"))}
    commands = all_commands()
    assert len(commands) > 1, "found no subcommands in `driftctl --help`"
    missing = [shlex.join(("driftctl", *c, "--help")) for c in commands if c not in documented]
    assert not missing, (
        "README.md has no help block for: "
        + ", ".join(missing)
        + f"\nadd `<!-- help: COMMAND -->` followed by an empty {FENCE_OPEN} block "
        + f"for each, then {UPDATE_HINT}"
    )


# The mechanism, on strings and a copy of the README, independent of what README.md holds today.

SAMPLE = """\
# Tool

<!-- help: driftctl collect --help -->
```text
Usage: driftctl collect [OLD]
  stale line   \n\
```

Some prose stays.

<!-- help: driftctl 'sites' --help -->
```text
Usage: driftctl sites    \n\

```
Tail.
"""


def test_find_blocks_on_a_string() -> None:
    blocks = find_blocks(SAMPLE)
    assert [b.args for b in blocks] == [("collect", "--help"), ("sites", "--help")]
    assert [b.line for b in blocks] == [3, 11]
    assert normalize(blocks[0].body) == "Usage: driftctl collect [OLD]\n  stale line"
    assert normalize(blocks[1].body) == "Usage: driftctl sites"
    assert find_blocks("no markers\n```text\nx\n```\n") == []


def test_rewrite_replaces_only_the_stale_block() -> None:
    first, _ = find_blocks(SAMPLE)
    new = rewrite(SAMPLE, {first: "Usage: driftctl collect [OPTIONS]   \n\n  Collect.\n\n\n"})
    tail = SAMPLE.partition("<!-- help: driftctl 'sites'")[2]
    assert new.endswith("<!-- help: driftctl 'sites'" + tail)  # the other block, byte-identical
    assert new.startswith(SAMPLE[: first.start])
    assert new[len(SAMPLE[: first.start]) :].startswith(
        "Usage: driftctl collect [OPTIONS]\n\n  Collect.\n```\n\nSome prose stays.\n"
    )
    assert normalize(find_blocks(new)[0].body) == "Usage: driftctl collect [OPTIONS]\n\n  Collect."
    assert rewrite(SAMPLE, {}) == SAMPLE


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<!-- help: driftctl sites --help -->\nnot a fence\n", "not followed by"),
        ("<!-- help: driftctl sites --help -->\n```text\nnever closed\n", "never closed"),
        ("<!-- help: driftctl sites -->\n```text\n```\n", "must be `driftctl ... --help`"),
        ("x\n<!-- help: kubectl --help -->\n```text\n```\n", "line 2"),
    ],
)
def test_malformed_markers_are_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        find_blocks(text)


def test_command_names_skip_wrapped_descriptions() -> None:
    page = (
        "Usage: x [OPTIONS] COMMAND\n\nOptions:\n  --help  Show this.\n\nCommands:\n"
        "  keygen       Write a key\n               pair and print it.\n"
        "  dump-script  Print the script.\n\nEpilog text.\n"
    )
    assert command_names(page) == ["keygen", "dump-script"]
    assert command_names("Usage: x [OPTIONS]\n\nOptions:\n  --help  Show this.\n") == []


def test_update_rewrites_a_readme_copy(tmp_path: Path) -> None:
    original = README.read_text(encoding="utf-8")
    stale = "<!-- help: driftctl sites --help -->\n```text\nUsage: driftctl sites [OLD]\n```\n"
    fresh = "<!-- help: driftctl --help -->\n```text\n```\n"
    copy = tmp_path / "README.md"
    copy.write_text(original + "\n" + stale + "\n" + fresh, encoding="utf-8")

    diffs = check_file(copy, update=False)
    assert any("-Usage: driftctl sites [OLD]" in d and "+Usage: driftctl sites" in d for d in diffs)
    assert any("(driftctl --help)" in d and "+Usage: driftctl [OPTIONS]" in d for d in diffs)
    assert copy.read_text(encoding="utf-8") == original + "\n" + stale + "\n" + fresh  # check only

    assert check_file(copy, update=True) == []
    assert check_file(copy, update=False) == []
    text = copy.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left over
    blocks = find_blocks(text)
    assert normalize(blocks[-2].body) == render_help(("sites", "--help"))
    assert normalize(blocks[-1].body) == render_help(("--help",))
    assert blocks[-1].body.startswith("Usage: driftctl [OPTIONS] COMMAND")
    assert blocks[-2].body.endswith("\n") and not blocks[-2].body.endswith("\n\n")
    # Outside the blocks nothing moved: the prose before them is untouched.
    first = find_blocks(original)[0].start if find_blocks(original) else len(original)
    assert text[:first] == original[:first]
