"""Progress as an injected observer: the core reports, the CLI decides whether to display."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Observer of long work; every method must be cheap and must not raise."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, item: str, ok: bool = True) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """The default observer: does nothing."""

    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, item: str, ok: bool = True) -> None:
        return None

    def finish(self) -> None:
        return None
