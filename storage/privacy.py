"""What text may be stored: no BSN (chat is not a case file), no control characters.

A BSN is nine digits that pass the elfproef (11-test). People write them with
separators between the digits: spaces, dots, hyphens, slashes, brackets,
quotes, commas, and whatever their keyboard or a copy from another program
puts there (tabs, no-break and thin spaces, line breaks, Unicode dashes,
zero-width characters, full-width digits). The guard looks at a view of the
text in which every character that is neither a letter nor a digit (nor the
`+` of a phone number) is one kind of separator, so every way of writing the
number is the same number.

One shape is read as a case number, not a BSN: a year and five digits joined
by one mark (`JBG-2026-00123`, `2026/00123`), the numbering GIs use; nobody
writes a BSN as 4 + 5 digits.

Free text (reasons, reports) and the kenmerk have rules of their own in
`storage.personal_data`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_SEP = "\x1f"  # what every separator becomes in the guard's view
# Nine digits, optionally with separators between them (e.g. 1234.56.782).
_CANDIDATE = re.compile(rf"(?<![0-9])([0-9](?:{_SEP}*[0-9]){{8}})(?![0-9])")
# An international phone number ("+31 6 0000 1271", "0031 6 …", "+31 (0)6 …")
# holds nine digits after its country code; about one in eleven would pass the
# elfproef.
_COUNTRY_CODE = re.compile(
    rf"(?:\+[0-9]|(?<![0-9])00[1-9])[0-9]{{0,2}}{_SEP}*(?:0{_SEP}+)?$")
# A case number: a year, one mark, five digits (JBG-2026-00123).
_CASE_NUMBER = re.compile(r"(?:19|20)[0-9]{2}[-/._][0-9]{5}")


def _view_char(ch: str) -> str:
    # Letters and digits are themselves, and so is the + that starts a phone
    # number; everything else (spaces, dots, dashes, / ( ) ' , : | ~ * …,
    # zero-width and format characters) may stand between the digits of a BSN.
    if ch.isdigit() or ch.isalpha() or ch == "+":
        return ch
    return _SEP


def guard_view(text: str) -> str:
    """The text as the guard reads it: compatibility digits as ASCII digits
    (NFKC: full-width １, circled ① ...), every separator as one character."""
    text = unicodedata.normalize("NFKC", text)
    out = "".join(_view_char(ch) for ch in text)
    # Any other decimal digit (Arabic-Indic, Devanagari ...) as its value.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii()
                   else ch for ch in out)


def elfproef(digits: str) -> bool:
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit() \
            or digits == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def contains_bsn(text: str) -> bool:
    view = guard_view(text)
    # The same text with only NFKC applied (same length as `view`, character
    # for character): to tell a case number's one mark from a run of them.
    plain = unicodedata.normalize("NFKC", text)
    if len(plain) != len(view):
        plain = view
    return any(
        elfproef(m.group(1).replace(_SEP, ""))
        and not _COUNTRY_CODE.search(view[:m.start()])
        and not _CASE_NUMBER.fullmatch(plain[m.start():m.end()])
        for m in _CANDIDATE.finditer(view)
    )


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def any_bsn(value: Any) -> bool:
    """A BSN in any text of `value` (nested dicts and lists: a history detail)."""
    return any(contains_bsn(s) for s in _strings(value))


_ALLOWED_CONTROLS = frozenset("\t\n\r")


def bad_char(text: str) -> int | None:
    """Index of the first character that is no text (control, surrogate), or None."""
    for i, ch in enumerate(text):
        if ch.isprintable() or ch in _ALLOWED_CONTROLS:
            continue
        # isprintable() is also False for spaces other than " " and for format
        # characters (soft hyphen, zero-width joiner): those are text.
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return i
    return None
