"""The site deadline cuts a slow node off, reports it, leaves no worker thread behind; progress is
told, and a finished node's files are redacted while the pool still waits on the slow one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nodes.sshd import Farm, Reply
from realdata_kit import A100_XML

from driftctl.config import NodeTarget, SiteConfig, SshSettings
from driftctl.model import RawSet
from driftctl.redact import Redactor
from driftctl.sources.ssh import SshSource, default_deadline


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def start(self, label: str, total: int) -> None:
        self.events.append(("start", label, str(total)))

    def advance(self, item: str, ok: bool = True) -> None:
        self.events.append(("advance", item, str(ok)))

    def finish(self) -> None:
        self.events.append(("finish",))


class JudgedWhenTold(Recorder):
    """Also notes, when a node is told done, whether its files were redacted already."""

    def __init__(self, raw: RawSet) -> None:
        super().__init__()
        self.raw = raw

    def advance(self, item: str, ok: bool = True) -> None:
        super().advance(item, ok)
        files = [a for a in self.raw if a.path.startswith(f"nodes/{item}/")]
        judged = bool(files) and all(a.evidence is not None for a in files)
        self.events.append(("judged", item, str(judged)))


def test_site_deadline_bounds_a_hung_node(tmp_path: Path) -> None:
    farm = Farm(tmp_path / "nodes")
    try:
        farm.add("hung").script("nvidia-smi", {"-q -x": Reply(hang=True)})
        farm.add("fine").script("nvidia-smi", {"-q -x": Reply(A100_XML)})
        farm.start()
        settings = SshSettings(
            user="root",
            identity_file=str(farm.identity),
            known_hosts=str(farm.known_hosts),
            nodes=tuple(NodeTarget(n, "127.0.0.1", farm.nodes[n].port) for n in ("fine", "hung")),
            timeout_seconds=30.0,  # the per-command timeout alone would wait 30 s
            deadline_seconds=1.5,
            ssh_config=None,
            use_agent=False,
        )
        raw = RawSet(judge=Redactor())
        progress = JudgedWhenTold(raw)
        start = time.monotonic()
        SshSource().acquire(SiteConfig("lab", Path("lab.yaml"), ssh=settings), raw, progress)
        elapsed = time.monotonic() - start
        assert elapsed < 2.0, elapsed
        assert raw.get("nodes/fine/nvidia-smi.xml") is not None
        errors = [(f.target, f.error) for f in raw.failures]
        assert errors == [("hung", "not collected within the site deadline of 1.5 s")]
        assert progress.events[0] == ("start", "nodes", "2")
        assert ("advance", "fine", "True") in progress.events
        # Redacted as it came, while the hung node still held the pool, not after the deadline.
        assert ("judged", "fine", "True") in progress.events
        assert progress.events[-1] == ("finish",)
        end = time.monotonic() + 2.0
        while time.monotonic() < end and any(
            t.name.startswith("driftctl-ssh") for t in threading.enumerate()
        ):
            time.sleep(0.05)
        assert not [t.name for t in threading.enumerate() if t.name.startswith("driftctl-ssh")]
    finally:
        farm.close()


def test_default_deadline_covers_connect_and_every_command_per_wave() -> None:
    settings = SshSettings(timeout_seconds=2.0, concurrency=16)
    assert default_deadline(settings, 16) == 2.0 * (3 + 7)
    assert default_deadline(settings, 17) == 2 * 2.0 * (3 + 7)
