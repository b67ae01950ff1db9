"""Family data that is not a BSN: what a reason, a report or a kenmerk may not hold.

Chat is not a case file. Besides a BSN (`storage.privacy`), free text refuses
what points at a person outside the chain: a date (a date of birth looks like
any other date), a phone number, an e-mail address, a postcode with a house
number (an address), an IBAN. These are patterns, not understanding: names
cannot be detected, which is why reasons offer fixed choices first.

A kenmerk must look like a case reference: at least one digit and at least one
letter or mark (`JBG-2026-00123`, `2026/4411`, `WSS.12345`), no date, no phone
number, no e-mail address. A bare word (`Jansen`) or a bare number is no kenmerk.
"""

from __future__ import annotations

import re
import unicodedata

from storage.privacy import guard_view

_SEP = "\x1f"  # guard_view's separator

_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
           "november|december|jan|feb|mrt|mar|apr|jun|jul|aug|sept|sep|okt|oct|nov|dec|"
           "january|february|march|may|june|july|august|october")
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)[0-9]{2}"
_DATES = [
    # 12-03-2015, 12/3/15, 12.03.2015 (one mark, used twice)
    re.compile(rf"(?<![0-9]){_DAY}([-/.]){_MONTH}\1(?:{_YEAR}|[0-9]{{2}})(?![0-9])"),
    # 2015-03-12
    re.compile(rf"(?<![0-9]){_YEAR}([-/.]){_MONTH}\1{_DAY}(?![0-9])"),
    # 12 maart 2015, 12-mrt-2015, 12mrt2015
    re.compile(rf"(?<![0-9]){_DAY}[-/. ]?(?:{_MONTHS})\.?[-/. ]?{_YEAR}(?![0-9])", re.I),
    # March 12, 2015
    re.compile(rf"(?<![a-z])(?:{_MONTHS})\.? {_DAY},? {_YEAR}(?![0-9])", re.I),
    # geboren 2015, geb. 12 maart, born in 2015, geboortedatum ...
    re.compile(r"\b(?:geboren|geboortedatum|geboortejaar|born|date of birth|dob)\b|\bgeb\.",
               re.I),
]
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
# A Dutch postcode: 6711 AB, 6711AB, 6711ab (lower case only when written together:
# "in 2026 en" is no postcode).
_POSTCODE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{3}(?: [A-Z]{2}|[A-Za-z]{2})(?![A-Za-z])")
_HOUSE_NUMBER = re.compile(r"(?<![0-9])[0-9]{1,5}(?![0-9])")
_NEAR = 40  # characters either side of a postcode where a house number makes an address
# IBAN: country, check digits, then 11-30 letters and digits, in groups of four or not.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}", re.I)
_IBAN_LENGTH = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22, "LU": 20, "ES": 24,
                "IT": 27, "PL": 28, "PT": 25, "AT": 20, "CH": 21}


def _plain(text: str) -> str:
    """NFKC, with every dash as "-" and every space as " " (dates, postcodes)."""
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        cat = unicodedata.category(ch)
        out.append("-" if cat == "Pd" or ch == "−" else " " if cat[0] == "Z" else ch)
    return "".join(out)


def has_date(text: str) -> bool:
    plain = _plain(text)
    return any(p.search(plain) for p in _DATES)


def has_email(text: str) -> bool:
    return _EMAIL.search(_plain(text)) is not None


def _groups(view: str) -> list[list[str]]:
    """Runs of digit groups in the guard's view: "06 1234 5678" -> [["06", "1234", "5678"]]."""
    runs = re.findall(rf"\+?[0-9]+(?:{_SEP}+[0-9]+)*", view)
    return [[g for g in run.split(_SEP) if g] for run in runs]


def has_phone(text: str) -> bool:
    """A Dutch number (ten digits from a group starting with 0: 06-12345678,
    010 123 4567) or an international one (+31 6 …, 0031 6 …)."""
    for run in _groups(guard_view(text)):
        for i, first in enumerate(run):
            digits = "".join(run[i:]).lstrip("+")
            if first.startswith("+") and len(digits) >= 9:
                return True
            if first.startswith("00") and first[2:3] not in ("", "0") and len(digits) >= 11:
                return True
            if first.startswith("0") and len(first) >= 2:
                total = 0
                for group in run[i:]:
                    total += len(group)
                    if total == 10:
                        return True
                    if total > 10:
                        break
    return False


def has_address(text: str) -> bool:
    plain = _plain(text)
    for m in _POSTCODE.finditer(plain):
        around = plain[max(0, m.start() - _NEAR):m.start()] + " " + plain[m.end():m.end() + _NEAR]
        if _HOUSE_NUMBER.search(around):
            return True
    return False


def _mod97(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def has_iban(text: str) -> bool:
    for m in _IBAN.finditer(_plain(text)):
        compact = m.group(0).replace(" ", "").upper()
        lengths = ([_IBAN_LENGTH[compact[:2]]] if compact[:2] in _IBAN_LENGTH
                   else range(15, 35))
        if any(len(compact) >= n and _mod97(compact[:n]) for n in lengths):
            return True
    return False


# What free text may not hold, in the order a refusal names it.
_FREE_TEXT_RULES = (("iban", has_iban), ("email", has_email), ("date", has_date),
                    ("phone", has_phone), ("address", has_address))


def personal_data(text: str) -> str | None:
    """What kind of personal data `text` seems to hold (iban, email, date,
    phone, address), or None."""
    return next((kind for kind, found in _FREE_TEXT_RULES if found(text)), None)


KENMERK_MAX = 40
_KENMERK_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]*$")


def kenmerk_problem(kenmerk: str) -> str | None:
    """Why `kenmerk` is no case reference (email, date, phone, shape), or None."""
    if has_email(kenmerk):
        return "email"
    if has_date(kenmerk):
        return "date"
    if has_phone(kenmerk):
        return "phone"
    if len(kenmerk) > KENMERK_MAX or not _KENMERK_CHARS.match(kenmerk):
        return "shape"
    has_digit = any(c.isdigit() for c in kenmerk)
    has_other = any(c.isalpha() or c in "-_/." for c in kenmerk)
    if not (has_digit and has_other):
        return "shape"
    return None
