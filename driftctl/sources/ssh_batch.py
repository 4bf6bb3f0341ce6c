"""Several node commands in one SSH exec: one framed sh line out, each command's output back exactly.

Every exec costs the node a session, a login shell and (with a slow ``.bashrc``) its start-up,
so the commands of one round go in one exec. After each command the line prints an end mark
on stdout (with the exit status) and on stderr, so the two streams split back into exactly
the bytes, stderr and status the command would have given on its own. The mark carries a
random nonce; a node that echoes it can only garble its own outputs, which it controls anyway.
A command that overruns its timeout closes the exec; the commands after it are not run here.
"""

from __future__ import annotations

import secrets
import select
import time
from collections.abc import Sequence
from dataclasses import dataclass

from driftctl.sources.ssh_paramiko import SSHException, Transport
from driftctl.sources.ssh_transport import MAX_OUTPUT_BYTES, CommandTimeout, SshFailure

MARK = "@driftctl-end-"
DEADLINE_GRACE = 1.0  # seconds a command may run past the site deadline before its own bound


def script(commands: Sequence[str], tag: str) -> str:
    """One POSIX sh line running ``commands`` in order, each followed by its end marks.

    ``</dev/null``: a command that reads stdin sees end-of-file instead of waiting for it.
    """
    return "; ".join(
        f'{{ {command}; }} </dev/null; printf "\\n{tag}:{i}:%d\\n" $?; printf "\\n{tag}:{i}\\n" >&2'
        for i, command in enumerate(commands)
    )


class FramingError(SshFailure):
    """The output does not carry the end marks in order (not a POSIX shell, or garbled)."""


class Frames:
    """One stream (stdout or stderr) split at the end marks as its bytes arrive."""

    def __init__(self, tag: str, with_status: bool) -> None:
        self.tag = tag.encode()
        self.with_status = with_status
        self.frames: list[tuple[bytes, int]] = []
        self.pending = bytearray()
        self._scan = 0  # no mark starts before this offset of ``pending``

    def feed(self, data: bytes) -> None:
        self.pending += data
        while self._take():
            pass

    def _take(self) -> bool:
        end = b":" if self.with_status else b"\n"
        needle = b"\n" + self.tag + b":%d" % len(self.frames) + end
        at = self.pending.find(needle, self._scan)
        if at < 0:
            self._scan = max(0, len(self.pending) - len(needle) + 1)
            return False
        status, rest = 0, at + len(needle)
        if self.with_status:
            newline = self.pending.find(b"\n", rest)
            if newline < 0:
                self._scan = at
                return False
            digits = bytes(self.pending[rest:newline])
            if not (digits.isdigit() and len(digits) <= 3):
                raise FramingError(f"unreadable exit status {digits[:20]!r} in the output")
            status, rest = int(digits), newline + 1
        self.frames.append((bytes(self.pending[:at]), status))
        del self.pending[:rest]
        self._scan = 0
        return True


@dataclass(frozen=True)
class Outcome:
    """The first ``len(done)`` commands' (stdout, stderr, status); ``failure`` says why no more."""

    done: list[tuple[bytes, bytes, int]]
    failure: SshFailure | None = None


def run_batch(t: Transport, commands: Sequence[str], timeout: float, deadline: float) -> Outcome:
    """Run ``commands`` (fixed strings) in one exec; each gets ``timeout`` s, none runs past ``deadline``."""

    def allowed(start: float) -> float:
        # The site deadline is the pool's to enforce (it closes the transport, and what is
        # unfinished reads "not collected within the site deadline"); a command's own bound
        # only backs it up, a moment later, so the two never race to word the same failure.
        return min(timeout, max(0.1, deadline - start) + DEADLINE_GRACE)

    try:
        chan = t.open_session(timeout=allowed(time.monotonic()))
    except SSHException as exc:
        raise SshFailure(f"cannot open a session: {exc}") from None
    tag = MARK + secrets.token_hex(8)
    out, err = Frames(tag, with_status=True), Frames(tag, with_status=False)
    done: list[tuple[bytes, bytes, int]] = []
    started = time.monotonic()
    limit = allowed(started)
    try:
        chan.exec_command(script(commands, tag))
        while True:
            while chan.recv_ready():
                out.feed(chan.recv(65536))
            while chan.recv_stderr_ready():
                err.feed(chan.recv_stderr(65536))
            while len(done) < min(len(out.frames), len(err.frames)):
                (data, status), (errors, _) = out.frames[len(done)], err.frames[len(done)]
                done.append((data, errors, status))
                started = time.monotonic()
                limit = allowed(started)
            if len(done) == len(commands):
                return Outcome(done)
            command = commands[len(done)]
            if len(out.pending) + len(err.pending) > MAX_OUTPUT_BYTES:
                return Outcome(
                    done,
                    SshFailure(f"command {command!r} wrote more than {MAX_OUTPUT_BYTES} bytes"),
                )
            # The end is the channel's EOF with the exit status (or its close): sshd may send
            # the status before it has forwarded the last of the output, or after the EOF.
            ended = chan.closed or (chan.eof_received and chan.exit_status_ready())
            if ended and not chan.recv_ready() and not chan.recv_stderr_ready():
                # The shell ended before this command's end marks: killed, or no POSIX shell.
                status = chan.recv_exit_status() if chan.exit_status_ready() else -1
                why = f"exit {status}" if status != -1 else "no exit status"
                return Outcome(
                    done, FramingError(f"command {command!r} ended without its end mark ({why})")
                )
            remaining = started + limit - time.monotonic()
            if remaining <= 0:
                return Outcome(
                    done, CommandTimeout(f"command {command!r} timed out after {limit:.1f} s")
                )
            if chan.eof_received:  # nothing more to read (select would not wait): the status
                time.sleep(min(remaining, 0.01))
            else:
                select.select([chan], [], [], min(remaining, 0.05))
    except FramingError as exc:
        return Outcome(done, exc)
    except (SSHException, EOFError, OSError) as exc:
        command = commands[min(len(done), len(commands) - 1)]
        return Outcome(
            done,
            SshFailure(
                f"command {command!r} failed: connection lost ({exc or type(exc).__name__})"
            ),
        )
    finally:
        chan.close()
