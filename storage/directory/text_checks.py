"""Checks on a directory file's text and values, before any record is written.

- The text: control characters (NUL ...) and lone surrogates are no text;
  PostgreSQL refuses some of them with a traceback, SQLite stores them. They
  are reported on their line; the rest is put in Unicode NFC, as chat text is.
- The values: every text is checked against the length of the column it is
  stored in (read from the tables, so a new field is checked too) and for a
  BSN: the directory is no place for family data either.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterator
from typing import Any

from sqlmodel import SQLModel

from storage.privacy import bad_char, contains_bsn

MAX_BAD_CHARS = 20  # reported per file; one is enough to fix the export that made them


def short(value: Any, limit: int = 60) -> str:
    """A value quoted for a problem message, cut short: a 1 MB field is not repeated."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(text: str, limit: int) -> str:
    """`text` for a terminal: non-printable characters escaped, cut at `limit`."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bad_chars(text: str) -> Iterator[tuple[int, str]]:
    """(line, the line's text) of each character that is no text, at most MAX_BAD_CHARS."""
    found = 0
    start = 0
    while found < MAX_BAD_CHARS:
        i = bad_char(text[start:])
        if i is None:
            return
        at = start + i
        line_start = text.rfind("\n", 0, at) + 1
        line_end = text.find("\n", at)
        yield text.count("\n", 0, at) + 1, text[line_start:at]
        found += 1
        start = at + 1 if line_end == -1 else line_end + 1


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def value_problems(rec: Any, model: type[SQLModel], renamed: dict[str, str],
                   list_limits: dict[str, int]) -> Iterator[tuple[str, str]]:
    """(field, message) for each text of `rec` too long for its column, or holding a BSN."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    for f in dataclasses.fields(rec):
        value = getattr(rec, f.name)
        if isinstance(value, list):
            limit = list_limits.get(f.name)
            values = value
        else:
            column = columns.get(renamed.get(f.name, f.name))
            limit = getattr(column.type, "length", None) if column is not None else None
            values = [value]
        for v in values:
            if not isinstance(v, str):
                continue
            if bad_char(v) is not None:  # from a YAML escape such as "\0"
                yield f.name, "bevat een teken dat geen tekst is " \
                              "(een stuurteken zoals NUL, of een half Unicode-teken)"
            elif limit is not None and len(v) > limit:
                yield f.name, f"te lang: {len(v)} tekens, hoogstens {limit}"
            elif contains_bsn(v):
                yield f.name, "lijkt een BSN te bevatten; de contactenlijst bevat geen " \
                              "gegevens van gezinnen"
