"""Live SSH node source: fixed node commands on every node in parallel, bounded in time."""

from __future__ import annotations

import logging
import math
import shlex
import time
from dataclasses import dataclass, field

from driftctl.config import SiteConfig, SshSettings
from driftctl.dump_layout import NODE_COMMANDS, NodeCommand
from driftctl.errors import OperationalError
from driftctl.model import Artifact, Failure, RawSet
from driftctl.parsers.node_outputs import gives_facts
from driftctl.parsers.nvidia_smi import classify_error
from driftctl.progress import Progress
from driftctl.sources.ssh_batch import run_batch
from driftctl.sources.ssh_paramiko import Transport
from driftctl.sources.ssh_pool import BoundedPool, Cancel
from driftctl.sources.ssh_resolve import Endpoint, load_ssh_config, nodes_from_kubernetes, resolve
from driftctl.sources.ssh_transport import (
    CommandTimeout,
    Credentials,
    HostKeyChecker,
    Limits,
    SshFailure,
    connect,
)

log = logging.getLogger(__name__)
NAME = "ssh"


@dataclass
class NodeResult:
    """What one node gave: artifacts in dump layout and why anything is missing."""

    artifacts: list[Artifact] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    reached: bool = False


def binary(cmd: NodeCommand) -> str:
    """The program a command runs (after any ``VAR=value`` prefix)."""
    words = [w for w in shlex.split(cmd.command) if "=" not in w]
    return words[0] if words else cmd.command


def usable(cmd: NodeCommand, data: bytes) -> bool:
    """Whether an exit-0 output already gives the group's facts, so fallbacks can be skipped."""
    return gives_facts(cmd, data)


def driver_level(output: bytes, rc: int) -> bool:
    """An nvidia-smi failure every other nvidia-smi form would repeat (driver, NVML, devices)."""
    found = classify_error(output.decode("utf-8", "replace"), rc)
    return found is not None and found[0] != "nvidia-smi-failed"


def default_deadline(settings: SshSettings, nodes: int) -> float:
    """Connect, banner and auth per node, then every command, for each wave of ``concurrency``."""
    waves = max(1, math.ceil(nodes / settings.concurrency))
    return waves * settings.timeout_seconds * (3 + len(NODE_COMMANDS))


@dataclass(frozen=True)
class NodeCollector:
    """Collects one node over one connection, its commands in rounds of one session each."""

    hostkeys: HostKeyChecker
    creds: Credentials
    limits: Limits
    deadline: float

    def __call__(self, endpoint: Endpoint, cancel: Cancel) -> NodeResult:
        result = NodeResult()
        opened: list[Transport] = []

        def close_all() -> None:
            for t in list(opened):
                t.close()

        cancel.on_cancel(close_all)
        try:
            transport = connect(endpoint, self.hostkeys, self.creds, self.limits, opened)
            result.reached = True
            self._commands(endpoint.node, transport, result, cancel)
        except SshFailure as exc:
            result.failures.append(Failure(endpoint.node, NAME, str(exc)))
        except Exception as exc:  # a paramiko surprise must cost one node, never the site
            log.debug("ssh to %s failed", endpoint.node, exc_info=True)
            msg = str(exc).splitlines()[0] if str(exc) else ""
            result.failures.append(Failure(endpoint.node, NAME, f"{type(exc).__name__}: {msg}"))
        finally:
            for t in reversed(opened):
                t.close()
        return result

    def _commands(
        self, node: str, transport: Transport, result: NodeResult, cancel: Cancel
    ) -> None:
        """Rounds of one exec each: every unresolved group's next command, until none is left.

        Within a group the order is the fallback order, so the same commands run as one exec
        per command would run, only fewer sessions: usually one round, on every node.
        """
        done_groups: set[str] = set()
        dead: set[str] = set()  # binaries that are missing or hung on this node
        tried: set[NodeCommand] = set()
        while batch := next_round(done_groups, dead, tried):
            if cancel.event.is_set() or time.monotonic() >= self.deadline:
                result.failures.append(
                    Failure(node, NAME, f"deadline reached before {batch[0].command!r}")
                )
                return
            outcome = run_batch(
                transport, [c.command for c in batch], self.limits.timeout, self.deadline
            )
            for cmd, (out, err, rc) in zip(batch, outcome.done, strict=False):
                tried.add(cmd)
                result.artifacts.append(Artifact(f"nodes/{node}/{cmd.file}", out, err, rc))
                if rc == 127 or (rc != 0 and cmd.group == "gpu" and driver_level(out + err, rc)):
                    dead.add(binary(cmd))
                elif rc == 0 and usable(cmd, out):
                    done_groups.add(cmd.group)
            if outcome.failure is None:
                continue
            if not isinstance(outcome.failure, CommandTimeout):
                raise outcome.failure
            hung = batch[len(outcome.done)]
            tried.add(hung)
            dead.add(binary(hung))
            result.failures.append(Failure(node, NAME, str(outcome.failure)))


def next_round(done_groups: set[str], dead: set[str], tried: set[NodeCommand]) -> list[NodeCommand]:
    """The next command of every group not yet answered, skipping missing or hung binaries."""
    batch: list[NodeCommand] = []
    for cmd in NODE_COMMANDS:
        if cmd.group in done_groups or cmd in tried or binary(cmd) in dead:
            continue
        if all(c.group != cmd.group for c in batch):
            batch.append(cmd)
    return batch


class SshSource:
    """Runs ``NODE_COMMANDS`` on every configured node (or Kubernetes node) over SSH."""

    name = NAME

    def acquire(self, config: SiteConfig, raw: RawSet, progress: Progress) -> None:
        settings = config.ssh
        if settings is None:
            return
        # paramiko logs tracebacks from its transport threads when a silent node's socket is
        # closed; without a handler Python's last-resort handler would print them on stderr.
        paramiko_log = logging.getLogger("paramiko")
        if not paramiko_log.handlers:
            paramiko_log.addHandler(logging.NullHandler())
        cfg = load_ssh_config(settings)
        if settings.nodes is None:
            targets, failures = nodes_from_kubernetes(raw)
            raw.failures.extend(failures)
        else:
            targets = list(settings.nodes)
        endpoints = [resolve(t, settings, cfg) for t in targets]
        creds = Credentials(settings.identity_file, settings.use_agent)
        if creds.default:
            loaded = creds.load(creds.default[0])
            if isinstance(loaded, str) and not creds.use_agent:
                raise OperationalError(f"{config.source}: ssh.identity_file: {loaded}")
        try:
            hostkeys = HostKeyChecker(settings.known_hosts)
        except Exception as exc:
            raise OperationalError(
                f"{settings.known_hosts}: known_hosts not readable: {exc}"
            ) from None
        started = time.monotonic()
        budget = settings.deadline_seconds or default_deadline(settings, len(endpoints))
        work = NodeCollector(hostkeys, creds, Limits(settings.timeout_seconds), started + budget)
        progress.start("nodes", len(endpoints))

        def on_done(i: int, result: NodeResult) -> None:
            # On this (the calling) thread, as each node finishes: its files are redacted while
            # the pool still waits on other nodes, not all after the last one.
            for artifact in result.artifacts:
                raw.add(artifact)
            progress.advance(endpoints[i].node, ok=result.reached and not result.failures)

        results = BoundedPool(work, settings.concurrency).run(endpoints, started + budget, on_done)
        progress.finish()
        for i, endpoint in enumerate(endpoints):
            result = results.get(i)
            if result is None:
                msg = f"not collected within the site deadline of {budget:.1f} s"
                raw.fail(endpoint.node, NAME, msg)
                continue
            raw.failures.extend(result.failures)  # in node order; the files are in already
