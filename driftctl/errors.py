"""The one error hierarchy: every failure carries its exit code and a one-line message."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes every command ends with (docs/exit-codes.md)."""

    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2
    OPERATIONAL = 3
    REJECTED = 4


class DriftctlError(Exception):
    """Root of every error driftctl raises on purpose; the CLI prints ``str(e)`` and exits."""

    exit_code: ExitCode = ExitCode.OPERATIONAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DriftctlError):
    """Malformed or invalid input file or flag (exit 2); the message names the file and key."""

    exit_code = ExitCode.BAD_INPUT


class OperationalError(DriftctlError):
    """Nothing could be collected, store I/O failed, a target failed under --strict (exit 3)."""

    exit_code = ExitCode.OPERATIONAL


class BundleRejected(DriftctlError):
    """A bundle failed verification or freshness (exit 4); ``step`` names the failing check."""

    exit_code = ExitCode.REJECTED

    def __init__(self, message: str, step: str = "") -> None:
        super().__init__(message)
        self.step = step
