"""Hypothesis strategies for hostile text, and a look into every stored value.

The check for a stored BSN is deliberately not the guard itself: it looks for
the very nine digits that were typed, with anything that is no letter between
them taken out, in every text of every row.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

# Every character, including controls, unassigned code points and lone surrogates.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=40)
# What people type: letters, digits, punctuation, spaces of every kind.
TYPED_TEXT = st.text(st.characters(categories=("L", "N", "P", "Zs", "S", "M")), max_size=40)
NOISE = st.one_of(TYPED_TEXT, ANY_TEXT)

SEPARATORS = ["", " ", "  ", "\t", "\u00a0", "\u202f", "\u2009", "\n", "\r\n", "\u2028", ".",
              "-", " - ", "\u2013", "\u2014", "\u2212", "\u00b7", "\u200b", "\u00ad", " . "]
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}


def _weighted(first: list[int]) -> int:
    return sum(d * w for d, w in zip(first, range(9, 1, -1), strict=True)) % 11


# Nine digits passing the elfproef: eight digits, and the check digit that fits.
bsns = st.lists(st.integers(0, 9), min_size=8, max_size=8).filter(
    lambda first: _weighted(first) != 10 and any(first)
).map(lambda first: "".join(map(str, first)) + str(_weighted(first)))


@st.composite
def bsn_variants(draw: st.DrawFn) -> tuple[str, str]:
    """(the nine digits, how they were written): separators of every kind between
    digits, grouped the way people group them or one by one, ASCII or full width."""
    digits = draw(bsns)
    groups = draw(st.sampled_from([(3, 3, 3), (4, 2, 3), (1,) * 9, (9,), (2, 2, 2, 3)]))
    parts, i = [], 0
    for size in groups:
        parts.append(digits[i:i + size])
        i += size
    out = parts[0]
    for part in parts[1:]:
        out += draw(st.sampled_from(SEPARATORS)) + part
    if draw(st.booleans()) and draw(st.booleans()):
        out = "".join(FULL_WIDTH.get(c, c) for c in out)
    return digits, out


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        if value[:1] in ("{", "["):  # a JSON column, as SQLite hands it back
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            yield from strings(parsed)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings(v)


def flat_digits(value: str) -> str:
    """`value` with everything between digits that is no letter or digit taken out."""
    value = unicodedata.normalize("NFKC", value)
    value = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in value)
    return re.sub(r"(?<=\d)[^\w]+(?=\d)|[\u00ad\u200b-\u200d\u2060\ufeff]|_", "", value)


def stored(engine: Engine, tables: list[str] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of `tables` (default: all), as plain tuples in a stable order."""
    names = tables or [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        return {t: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{t}"'))),
                          key=repr) for t in names}


def find_stored(engine: Engine, digits: str, tables: list[str] | None = None) -> list[str]:
    """Every stored text holding `digits` (a BSN), however it was written."""
    found = []
    for table, rows in stored(engine, tables).items():
        for row in rows:
            for s in strings(list(row)):
                if digits in flat_digits(s):
                    found.append(f"{table}: {s!r}")
    return found
