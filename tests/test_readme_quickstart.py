"""The README's first ```sh block, run in a fresh clone, installs driftctl and shows the blocked push."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
OPEN_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`]*)")
TIMEOUT_S = 600
BUDGET_S = 300  # "about a minute" on a fresh machine; installing from the index is part of it
# A plain checkout (no .git) is copied without what a developer's runs leave behind.
TOP_LEVEL_JUNK = {".git", ".venv", ".cache", "demo"}
ANY_LEVEL_JUNK = ("__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.egg-info")


def fenced_blocks(markdown: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of every fenced code block, in order."""
    blocks = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        m = OPEN_FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m["fence"]
        body = []
        i += 1
        while i < len(lines):
            line = lines[i].strip()
            if line.startswith(fence) and set(line) == {fence[0]}:
                break
            body.append(lines[i])
            i += 1
        blocks.append((m["info"], "\n".join(body) + "\n"))
        i += 1
    return blocks


def quickstart_block() -> str:
    blocks = [
        body
        for info, body in fenced_blocks(ROOT.joinpath("README.md").read_text(encoding="utf-8"))
        if info == "sh"
    ]
    assert blocks, "README.md has no ```sh block"
    return blocks[0]


STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def shown_output() -> list[str]:
    """The lines of the README's first ```text block (what the first command ends with), each
    with its timestamps made neutral; ``…`` lines (where the README shortens) left out."""
    blocks = [
        body
        for info, body in fenced_blocks(ROOT.joinpath("README.md").read_text(encoding="utf-8"))
        if info == "text"
    ]
    assert blocks, "README.md has no ```text block"
    return [STAMP.sub("<time>", line) for line in blocks[0].splitlines() if "…" not in line]


def missing_from(shown: list[str], output: str) -> list[str]:
    """README lines that the real output does not hold, line for line."""
    real = {STAMP.sub("<time>", line.rstrip()) for line in output.splitlines()}
    return [line for line in shown if line.strip() and line.rstrip() not in real]


def git(*args: str, cwd: Path) -> str:
    res = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"git {' '.join(args)}: {res.stderr}"
    return res.stdout


def is_git_root(path: Path) -> bool:
    if shutil.which("git") is None:
        return False
    res = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return res.returncode == 0 and Path(res.stdout.strip()).resolve() == path.resolve()


def copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    shutil.copy2(src, dst, follow_symlinks=False)  # keeps the exec bit, and symlinks as links


def fresh_clone(root: Path, dest: Path) -> None:
    """What a new user would get from ``root``, as the developer has it now.

    A git work tree is cloned, then its uncommitted state is laid over the clone: every tracked or
    untracked-but-not-ignored file as it is on disk, and tracked files deleted on disk removed. A
    plain checkout is copied, without virtualenvs, caches and demo output.
    """
    if not is_git_root(root):

        def ignore(directory: str, names: list[str]) -> set[str]:
            junk = set(shutil.ignore_patterns(*ANY_LEVEL_JUNK)(directory, names))
            if Path(directory).resolve() == root.resolve():
                junk |= TOP_LEVEL_JUNK & set(names)
            return junk

        shutil.copytree(root, dest, symlinks=True, ignore=ignore)
        return
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(root), str(dest)],
        check=True,
        timeout=300,
    )
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
    present = set()
    for name in filter(None, listed.split("\0")):
        src = root / name
        if src.is_symlink() or src.is_file():
            copy_file(src, dest / name)
            present.add(name)
    # Committed files that are deleted (or `git rm`-ed) in the work tree are gone in the clone too.
    for name in filter(None, git("ls-files", "-z", cwd=dest).split("\0")):
        if name not in present and (dest / name).is_file():
            (dest / name).unlink()


def clean_env() -> dict[str, str]:
    """The caller's environment without this repo's virtualenv: the block must make its own."""
    venv_bin = (ROOT / ".venv" / "bin").resolve()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_CURRENT_TEST"}
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != venv_bin]
    env["PATH"] = os.pathsep.join(path)
    return env


def after(text: str, marker: str) -> str:
    assert marker in text, f"{marker!r} not in the output"
    return text[text.index(marker) + len(marker) :]


def preflight_sites(report: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Site -> (verdict, rule id -> "<severity> <message>") from the table report.

    A site row is followed by its indented findings; a wrapped message continues on deeper lines.
    """
    sites: dict[str, tuple[str, dict[str, str]]] = {}
    site = rule = None
    for line in report.splitlines():
        row = re.match(r"^(?P<site>[a-z0-9][\w.-]*)\s+(?P<verdict>pass|warn|block)\s", line)
        finding = re.match(r"^\s+(?P<sev>block|warn|info)\s+(?P<rule>[\w.-]+): (?P<msg>.*)", line)
        if row:
            site, rule = row["site"], None
            sites[site] = (row["verdict"], {})
        elif site and finding:
            rule = finding["rule"]
            sites[site][1][rule] = f"{finding['sev']} {finding['msg'].strip()}"
        elif site and rule and line.startswith(" ") and line.strip():
            sites[site][1][rule] += " " + line.strip()
        else:
            site = rule = None
    return sites


# The helpers themselves, fast.


def test_first_sh_block_is_found_past_other_blocks() -> None:
    text = "# T\n\n~~~text\n```sh\nnot this\n~~~\n\n````sh\necho one\n```\necho two\n````\n```sh\nx\n```\n"
    blocks = fenced_blocks(text)
    assert blocks == [
        ("text", "```sh\nnot this\n"),
        ("sh", "echo one\n```\necho two\n"),
        ("sh", "x\n"),
    ]


def test_fresh_clone_carries_uncommitted_state(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / ".gitignore").write_text("ignored.txt\n.venv/\n")
    (repo / "kept.txt").write_text("committed\n")
    (repo / "edited.txt").write_text("committed\n")
    (repo / "deleted.txt").write_text("committed\n")
    (repo / "removed.txt").write_text("committed\n")
    (repo / "sub" / "run.sh").write_text("echo hi\n")
    git("init", "--quiet", cwd=repo)
    git("add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "c", cwd=repo)
    (repo / "edited.txt").write_text("edited\n")
    (repo / "deleted.txt").unlink()
    git("rm", "--quiet", "removed.txt", cwd=repo)
    (repo / "sub" / "run.sh").chmod(0o755)
    (repo / "sub" / "new.txt").write_text("untracked\n")
    (repo / "ignored.txt").write_text("ignored\n")
    (repo / ".venv").mkdir()
    (repo / ".venv" / "x").write_text("venv\n")

    fresh_clone(repo, tmp_path / "clone")
    clone = tmp_path / "clone"
    assert (clone / "kept.txt").read_text() == "committed\n"
    assert (clone / "edited.txt").read_text() == "edited\n"
    assert (clone / "sub" / "new.txt").read_text() == "untracked\n"
    assert os.access(clone / "sub" / "run.sh", os.X_OK)
    for gone in ("deleted.txt", "removed.txt", "ignored.txt", ".venv"):
        assert not (clone / gone).exists(), gone
    assert (clone / ".git").is_dir()

    shutil.rmtree(repo / ".git")
    (repo / "sub" / "__pycache__").mkdir()
    (repo / "x.egg-info").mkdir()
    fresh_clone(repo, tmp_path / "copy")
    copied = {str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*")}
    assert copied == {
        ".gitignore",
        "kept.txt",
        "edited.txt",
        "ignored.txt",
        "sub",
        "sub/run.sh",
        "sub/new.txt",
    }
    assert os.access(tmp_path / "copy" / "sub" / "run.sh", os.X_OK)


def test_readme_output_check_sees_a_drifted_line() -> None:
    shown = ["$ driftctl diff", "compared 5 sites: 8 error", "  row  <time>  x"]
    output = "$ driftctl diff\ncompared 5 sites: 8 error\n  row  2026-12-01T00:00:00Z  x\n"
    assert missing_from(shown, output) == []
    assert missing_from(shown, output.replace("8 error", "9 error")) == [shown[1]]
    assert shown_output(), "the README's first text block is empty"


def test_preflight_table_parser() -> None:
    report = (
        "preflight r1 (policy p.yaml): BLOCK\nSITE  VERDICT  SNAPSHOT  FINDINGS\n"
        "a     pass     #1 t      all rules pass\n"
        "b     block    #1 t      2 block\n"
        "  block  frontend-parser-api: frontend 2.3.1 calls parser API v1, parser serves v2 (roll\n"
        "         out a frontend first)\n"
        "  warn   mcp-timeout: 15 is above max 5\n"
        "preflight r1: block — 2 sites\n"
    )
    sites = preflight_sites(report)
    assert sites["a"] == ("pass", {})
    assert sites["b"] == (
        "block",
        {
            "frontend-parser-api": "block frontend 2.3.1 calls parser API v1, parser serves v2 (roll out a frontend first)",
            "mcp-timeout": "warn 15 is above max 5",
        },
    )


# The quickstart, for real.


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S + 300)
def test_readme_quickstart_from_a_fresh_clone(tmp_path: Path) -> None:
    block = quickstart_block()
    commands = [
        line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands, "the README's first ```sh block is empty"
    prompts = [line for line in commands if re.match(r"^\s*[$>%] ", line)]
    assert not prompts, f"the first ```sh block must be commands to paste, not a session: {prompts}"
    script = tmp_path / "quickstart.sh"
    script.write_text(block)
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, f"the first ```sh block is not one shell script: {syntax.stderr}"

    clone = tmp_path / "clone"
    fresh_clone(ROOT, clone)
    assert not (clone / ".venv").exists() and not (clone / "demo").exists()

    started = time.monotonic()
    res = subprocess.run(
        ["bash", "-eo", "pipefail", str(script)],
        cwd=clone,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_S,
    )
    wall = time.monotonic() - started
    print(f"\nREADME quickstart ({block.strip()!r}) in a fresh clone: {wall:.1f} s wall")
    out = ANSI.sub("", res.stdout)
    assert res.returncode == 0, f"exit {res.returncode}\n{out[-6000:]}"
    assert "Traceback" not in out, out[-6000:]
    assert "\x1b" not in res.stdout, "the demo wrote terminal codes into a pipe"
    # What the README shows the first command ending with is what it really prints.
    drifted = missing_from(shown_output(), res.stdout)
    assert not drifted, "README lines the demo no longer prints:\n" + "\n".join(drifted)

    diff = after(out, "$ driftctl diff")
    diff = diff[: diff.index("$ driftctl preflight")] if "$ driftctl preflight" in diff else diff
    assert re.search(r"^components\.frontend\.version\s", diff, re.M), diff[-4000:]

    preflight = after(out, "$ driftctl preflight")
    assert re.search(r"^preflight .*: BLOCK$", preflight, re.M), preflight
    sites = preflight_sites(preflight)
    for site in ("savings-bank", "holding"):
        assert site in sites, f"{site} missing from the preflight table:\n{preflight}"
        verdict, found = sites[site]
        assert verdict == "block", f"{site}: {verdict}\n{preflight}"
        rule = found.get("frontend-parser-api", "")
        assert rule.startswith("block ") and "parser API v1" in rule, f"{site}: {found}"
    assert sites.get("capital", ("missing", {}))[0] == "pass", preflight
    codes = re.findall(r"^\(exit code (\d+)\b", preflight, re.M)
    assert codes and codes[-1] == "1", f"preflight exit codes shown: {codes}\n{preflight}"

    # The same gate from the chart, rendered per site by helm: no hand-written release file.
    chart = after(out, "$ driftctl preflight --chart fixtures/charts/docai")
    assert re.search(r"^preflight docai 2\.0\.0 .*: BLOCK$", chart, re.M), chart
    sites = preflight_sites(chart)
    for site in ("savings-bank", "holding"):
        verdict, found = sites[site]
        rule = found.get("frontend-parser-api", "")
        assert verdict == "block" and rule.startswith("block "), f"{site}: {found}"
    verdict, found = sites["utility"]
    assert "timeoutSeconds is 15, above max 5" in found.get("mcp-timeout", ""), found

    driftctl = clone / ".venv" / "bin" / "driftctl"
    assert driftctl.is_file() and os.access(driftctl, os.X_OK), "no .venv/bin/driftctl in the clone"
    where = subprocess.run(
        [
            str(clone / ".venv" / "bin" / "python"),
            "-c",
            "import driftctl; print(driftctl.__file__)",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert Path(where.stdout.strip()).resolve().is_relative_to(clone.resolve()), where
    bundles = sorted((clone / "demo" / "bundles").glob("*.tar.gz"))
    assert len(bundles) == 5, [b.name for b in bundles]
    unsigned = [b.name for b in bundles if not b.with_name(b.name + ".sig").is_file()]
    assert not unsigned, f"bundles without a .sig: {unsigned}"

    assert wall < BUDGET_S, f"the quickstart took {wall:.0f} s (budget {BUDGET_S} s)"
