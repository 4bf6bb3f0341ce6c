"""Real chronyd daemons on loopback that never touch the clock (-x), one per time scenario."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from nodes import binaries
from nodes.sshd import free_port


class Chrony:
    """A reference server, a synced client, an unsynced client and a client of a +2.5 s server."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: list[subprocess.Popen[bytes]] = []
        self.cmdports: dict[str, int] = {}
        server = self._daemon("server", ["local stratum 8", "allow 127.0.0.0/8"], ntp=True)
        skewed = self._daemon(
            "skewserver", ["local stratum 8", "allow 127.0.0.0/8"], ntp=True, faketime="+2.5s"
        )
        dead = free_port()
        for name, port in (("synced", server), ("drifted", skewed), ("unsynced", dead)):
            self._daemon(name, [f"server 127.0.0.1 port {port} iburst minpoll -2 maxpoll -2"])

    def _daemon(
        self, name: str, lines: list[str], ntp: bool = False, faketime: str | None = None
    ) -> int:
        root = self.base / name
        root.mkdir(parents=True)
        cmdport = free_port()
        ntpport = free_port() if ntp else 0
        conf = root / "chrony.conf"
        conf.write_text(
            "\n".join(
                [
                    *lines,
                    f"port {ntpport}",
                    f"cmdport {cmdport}",
                    "bindcmdaddress 127.0.0.1",
                    "bindcmdaddress /",
                    "cmdallow 127.0.0.1",
                    f"pidfile {root / 'chronyd.pid'}",
                    f"driftfile {root / 'drift'}",
                    f"logdir {root}",
                    "",
                ]
            )
        )
        argv = [binaries.chronyd(), "-n", "-x", "-u", "root", "-f", str(conf)]
        if faketime:
            argv = ["faketime", "-f", faketime, *argv]
        log = (root / "chronyd.log").open("wb")
        self.procs.append(subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True))
        self.cmdports[name] = cmdport
        return ntpport

    def chronyc(self, name: str) -> str:
        """The ``bin/chronyc`` wrapper a node uses to reach daemon ``name``."""
        chronyc = binaries.chronyc()
        return f'#!/bin/sh\nexec {chronyc} -h 127.0.0.1 -p {self.cmdports[name]} "$@"\n'

    def tracking(self, name: str) -> str:
        out = subprocess.run(
            [
                binaries.chronyc(),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.cmdports[name]),
                "-c",
                "tracking",
            ],
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout

    def wait_synced(self, names: tuple[str, ...], timeout: float = 15.0) -> None:
        end = time.monotonic() + timeout
        pending = set(names)
        while pending and time.monotonic() < end:
            for name in list(pending):
                fields = self.tracking(name).strip().split(",")
                if len(fields) >= 14 and fields[0] not in ("00000000",) and fields[13] == "Normal":
                    pending.discard(name)
            time.sleep(0.2)
        if pending:
            raise RuntimeError(f"chronyd clients never synchronised: {sorted(pending)}")

    def close(self) -> None:
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
