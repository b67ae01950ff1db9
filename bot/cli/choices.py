"""The fixed choices of the command line's options, as Enums: Typer lists
them in `--help` and refuses anything else with status 2 before the command runs."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    nl = "nl"
    en = "en"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Prefer(StrEnum):
    """Which side wins when the chat changed an entry after the file's as_of."""

    file = "file"
    chat = "chat"
