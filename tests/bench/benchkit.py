"""Shared by the benchmarks: whole processes timed in alternation, min/median, ratio, the machine.

Every benchmark times complete processes as a user starts them (``driftctl …`` from the
virtualenv's console script, imports, bundle writing and signing included) against a peer
started the same way with the same inputs, in alternating rounds (A B, B A, A B, …) so drift
in the machine's load hits both sides alike. Wall time is taken around the child alone;
peak RSS from ``wait4`` of that one child, started by a small launcher process so that
neither the benchmark's own memory nor its start-up is counted.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def driftctl_argv() -> list[str]:
    """The console script a user runs (``.venv/bin/driftctl``), else ``python -m driftctl``."""
    script = Path(sys.executable).parent / "driftctl"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "driftctl"]


def user_env() -> dict[str, str]:
    """This environment as a user's shell has it: without the variables that slow Python down.

    A development shell may set ``PYTHONDONTWRITEBYTECODE`` (every start then compiles the
    modules whose bytecode is not cached yet) or ``PYTHONUNBUFFERED``; an installed driftctl
    runs with neither.
    """
    env = dict(os.environ)
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONPROFILEIMPORTTIME"):
        env.pop(var, None)
    return env


def machine() -> str:
    """One line: cores, CPU model, Python, load averages (numbers are noisy under load)."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, {model}, {platform.machine()}, "
        f"Python {platform.python_version()}, load average {load}"
    )


@dataclass(frozen=True)
class Sample:
    """One finished process: wall seconds, peak RSS in MiB, exit status, stdout, CPU seconds.

    CPU (user + system, the process and its children) is what a loaded machine inflates least;
    wall time is what a user waits.
    """

    wall: float
    rss_mib: float
    rc: int
    stdout: bytes
    cpu: float = 0.0


# A small parent for every measured process: the benchmark itself may hold hundreds of MB
# (bundles it built), and a child forked from it would report that as its own peak RSS.
LAUNCHER = """
import json, os, subprocess, sys, time
argv, stdin, stdout, stderr, cwd = json.loads(sys.argv[1])
fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
with open(stdout, "wb") as out, open(stderr, "wb") as err:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=fin, stdout=out, stderr=err, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps([os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss, cpu]))
"""


def run(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdin: Path | None = None,
    ok: Sequence[int] = (0,),
) -> Sample:
    """Run ``argv`` to completion under a small launcher that times it and reads its peak RSS."""
    with tempfile.TemporaryDirectory(prefix="driftctl-bench-run-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        spec = [list(argv), str(stdin) if stdin else None, str(out), str(err), str(cwd or ".")]
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", LAUNCHER, json.dumps(spec)],
            env=dict(env if env is not None else user_env()),
            capture_output=True,
            text=True,
            check=True,
        )
        rc, wall, maxrss_kib, cpu = json.loads(done.stdout)
        if rc not in ok:
            tail = err.read_text(errors="replace")[-800:]
            raise SystemExit(f"{argv[0]} exited {rc}: {' '.join(argv)}\n{tail}")
        return Sample(wall, maxrss_kib / 1024, rc, out.read_bytes(), cpu)


@dataclass
class Series:
    """The samples of one side."""

    name: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]

    @property
    def min(self) -> float:
        return min(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rss(self) -> float:
        return max(s.rss_mib for s in self.samples)

    def line(self, width: int = 28) -> str:
        runs = " ".join(f"{w:.3f}" for w in self.walls)
        return (
            f"{self.name:<{width}} min {self.min:7.3f} s  median {self.median:7.3f} s  "
            f"CPU {self.cpu:7.3f} s  peak RSS {self.rss:6.0f} MiB  runs [{runs}]"
        )


def alternate(
    sides: Sequence[tuple[str, Callable[[], Sample]]], rounds: int, warmup: bool = True
) -> list[Series]:
    """Run every side ``rounds`` times, alternating the order each round (AB, BA, AB, …)."""
    series = [Series(name) for name, _ in sides]
    if warmup:  # page cache, .pyc files, the replay server's first answers: for both alike
        for _, fn in sides:
            fn()
    for r in range(rounds):
        order = list(range(len(sides)))
        if r % 2:
            order.reverse()
        for i in order:
            series[i].samples.append(sides[i][1]())
    return series


def ratio_line(ours: Series, peer: Series, goal: str) -> str:
    """The last line every benchmark prints: ours / peer on wall medians and minima (and on CPU,
    which a loaded machine distorts less), and the goal."""
    cpu = f", CPU {ours.cpu / peer.cpu:.2f}" if peer.cpu > 0 else ""
    return (
        f"ratio {ours.name} / {peer.name}: median {ours.median / peer.median:.2f}, "
        f"min {ours.min / peer.min:.2f}{cpu}  (goal {goal})"
    )


def goal_line(what: str, value: float, goal: float, unit: str = "s") -> str:
    """The last line of a benchmark whose goal is a bound, not a peer: the figure over the
    bound, met when at most 1."""
    verdict = "met" if value <= goal else "MISSED"
    return (
        f"ratio {what} / goal: {value / goal:.2f} ({value:.3g} {unit} against <= {goal:.3g} {unit}; "
        f"goal <= 1: {verdict})"
    )


def isolated_home(base: Path) -> dict[str, str]:
    """The environment with ``HOME`` (and XDG dirs) in ``base``: no user config, no caches."""
    home = base / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = user_env()
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    for var in ("KUBECONFIG", "SSH_AUTH_SOCK", "DRIFTCTL_STORE", "DRIFTCTL_KEY"):
        env.pop(var, None)
    return env
