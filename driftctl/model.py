"""Core data model shared by sources, collectors and bundles: raw artifacts and failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from driftctl.snapshot.model import SNAPSHOT_SCHEMA, Failure

__all__ = [
    "SNAPSHOT_SCHEMA",
    "Artifact",
    "Failure",
    "ItemJudge",
    "JudgedFile",
    "JudgedList",
    "RawSet",
]


@dataclass(frozen=True)
class JudgedList:
    """The items of a ``List`` artifact redacted as they were fetched: each item's compact JSON
    after redaction, and the rule of every redaction made in them (counted when the evidence is
    assembled, so a list restarted after an expired continue token is not counted twice)."""

    items: tuple[bytes, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class JudgedFile:
    """The evidence of a file artifact (not a List) redacted as it arrived: its members
    (``path`` and any ``.stderr``, ``.rc``), the rule of every redaction in them (counted when
    the evidence is assembled), and whether the redactor failed on it (then it is dropped)."""

    members: tuple[tuple[str, bytes], ...]
    rules: tuple[str, ...]
    dropped: bool = False


class ItemJudge(Protocol):
    """Redacts what a source fetched as it arrives: one item of a List, or one whole file
    (the collection's redactor)."""

    def grant(self, judged: int) -> None:
        """Allow decoding in proportion to ``judged`` bytes read (a page, before its items)."""

    def list_item(self, path: str, item: dict[str, object]) -> tuple[bytes, tuple[str, ...]]: ...

    def file(self, artifact: Artifact) -> JudgedFile: ...


@dataclass(frozen=True)
class Artifact:
    """One raw command output in dump layout (docs/dump-layout.md): ``path`` like ``nodes/n1/nvidia-smi.xml``.

    ``data`` is stdout (``None`` when the command produced no file), ``stderr`` and ``rc`` are
    its companions; ``rc`` is ``None`` when unknown. A live source's List comes as ``items``
    instead of ``data``: the objects it parsed once and checked as strict JSON would be.
    """

    path: str
    data: bytes | None
    stderr: bytes = b""
    rc: int | None = 0
    # Set by a source that redacted a List while fetching it: the evidence is then these
    # items, never ``data`` judged again (``data`` stays what the collectors parse).
    judged: JudgedList | None = None
    items: tuple[dict[str, object], ...] | None = None
    # Set by RawSet.add when a file (not a List) was redacted as it arrived: the evidence is then
    # these members, never ``data`` judged again.
    evidence: JudgedFile | None = None

    @property
    def ok(self) -> bool:
        return (self.data is not None or self.items is not None) and (self.rc in (0, None))

    def text(self) -> str:
        if self.data is None and self.items is not None:  # the List, built when asked for
            doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}}
            return json.dumps({**doc, "items": list(self.items)}, separators=(",", ":"))
        return (self.data or b"").decode("utf-8", errors="replace")

    def describe_failure(self) -> str:
        """One line saying why this artifact is not usable."""
        err = self.stderr.decode("utf-8", errors="replace").strip().splitlines()
        first = err[0] if err else (self.text().strip().splitlines() or [""])[0]
        rc = "" if self.rc in (0, None) else f"exit {self.rc}"
        return ": ".join(x for x in (rc, first[:300]) if x) or "no output"


@dataclass
class RawSet:
    """Raw artifacts of one site, filled by sources and read by collectors (a builder, not data)."""

    artifacts: dict[str, Artifact] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    # The collection's redactor, for sources that redact list items as they arrive (None: the
    # evidence is redacted whole after collection).
    judge: ItemJudge | None = None

    def add(self, artifact: Artifact) -> None:
        """Keep ``artifact``; with a judge, a file is redacted now, so a source that adds each
        target's files as it finishes has them judged while it waits on the others."""
        if self.judge is not None and artifact.items is None and artifact.judged is None:
            artifact = replace(artifact, evidence=self.judge.file(artifact))
        self.artifacts[artifact.path] = artifact

    def fail(self, target: str, collector: str, error: str) -> None:
        self.failures.append(Failure(target, collector, error))

    def get(self, path: str) -> Artifact | None:
        return self.artifacts.get(path)

    def release_items(self) -> None:
        """Forget the parsed items of Lists whose evidence was already judged: once the
        collectors ran, they are the largest thing a big cluster leaves in memory."""
        for path, artifact in self.artifacts.items():
            if artifact.judged is not None and artifact.items is not None:
                self.artifacts[path] = replace(artifact, items=())

    def node_names(self) -> list[str]:
        """Names of nodes that have any artifact under ``nodes/<node>/``."""
        names = {
            p.split("/")[1] for p in self.artifacts if p.startswith("nodes/") and p.count("/") >= 2
        }
        return sorted(names)

    def __iter__(self) -> Iterator[Artifact]:
        return iter(self.artifacts[p] for p in sorted(self.artifacts))
