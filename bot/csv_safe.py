"""CSV cells that a spreadsheet cannot take for a formula.

Every CSV the project writes (the figures download, `ketenbot report --format
csv`, `referral export`, `escalation export`) is meant to be opened in Excel
or LibreOffice, which read a cell starting with `=`, `+`, `-` or `@` (and a
leading tab or carriage return) as a formula: a gemeente or team name from the
directory could run one. Such text cells get a leading `'`, the spreadsheets'
own "this is text" mark (OWASP's advice for CSV injection). Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


def record(values: dict[str, Any]) -> dict[str, Any]:
    return {k: cell(v) for k, v in values.items()}
