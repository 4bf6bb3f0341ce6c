"""How reports are rendered: one module per report kind, shared helpers here."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """Output formats of ``diff`` and ``preflight`` (docs/reports.md)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    HTML = "html"


class HistoryFormat(StrEnum):
    """Output formats of ``history`` (docs/reports.md)."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
