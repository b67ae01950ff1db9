"""Working days (werkdagen) per the Algemene termijnenwet (Atw) and term deadlines.

A werkdag is Monday-Friday that is not an algemeen erkende feestdag (Atw art. 3):
the statutory days come from the `holidays` package, filtered to exactly the
Atw list; the royal-decree days (art. 3 lid 3) come from `decree_days.yaml`;
organisations may add their own closed days on top.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays
import yaml
from holidays.constants import OPTIONAL, PUBLIC

log = logging.getLogger("ketenbot.calendar")

DECREE_FILE = Path(__file__).with_name("decree_days.yaml")

Unit = Literal["werkdagen", "weken"]
WEEKDAY_ABBR = ("ma", "di", "wo", "do", "vr", "za", "zo")

# The package only knows 1966 (first full Atw year) ..2100 and silently returns
# NO holidays outside that range, which would make every weekday a werkdag.
# We refuse those years instead.
FIRST_YEAR: int = holidays.NL.start_year
LAST_YEAR: int = holidays.NL.end_year
# Sanity cap for parsed terms: no legal term is this long, and it keeps a typo
# like "30000" from running off the end of the date range.
MAX_TERM_AMOUNT = 1000

# Package name (language="nl") -> name we show. Anything NOT in this map is
# dropped: it is not an Atw day (e.g. Eerste paasdag / Eerste pinksterdag are
# always Sundays, and a future package version could add observances).
_ATW_NAMES = {
    "Nieuwjaarsdag": "Nieuwjaarsdag",
    "Goede vrijdag": "Goede Vrijdag",
    "Tweede paasdag": "Tweede Paasdag",
    "Koningsdag": "Koningsdag",
    "Koninginnedag": "Koninginnedag",
    "Bevrijdingsdag": "Bevrijdingsdag (5 mei)",
    "Hemelvaartsdag": "Hemelvaartsdag",
    "Tweede pinksterdag": "Tweede Pinksterdag",
    "Eerste kerstdag": "Eerste Kerstdag",
    "Tweede kerstdag": "Tweede Kerstdag",
}
# Matched without regard to case: the package has capitalised these names
# differently across releases ("Goede Vrijdag" up to 0.10x, "Goede vrijdag" since).
_ATW_KEYS = {k.casefold(): v for k, v in _ATW_NAMES.items()}


def _required_names(year: int) -> set[str]:
    """Atw days that must be present, so a package rename fails loudly, not silently."""
    names = {"Nieuwjaarsdag", "Goede Vrijdag", "Tweede Paasdag", "Hemelvaartsdag",
             "Tweede Pinksterdag", "Eerste Kerstdag", "Tweede Kerstdag"}
    names.add("Koningsdag" if year >= 2014 else "Koninginnedag")
    if year >= 1982:  # 5 mei joined the Atw in 1982
        names.add("Bevrijdingsdag (5 mei)")
    return names


def _package_days(year: int) -> dict[date, str]:
    # language="nl" is explicit: without it the package guesses from LANG/LC_*
    # and returns English names under e.g. LANG=C.UTF-8.
    # OPTIONAL is needed because PUBLIC only carries 5 mei in lustrum years.
    found = holidays.NL(years=year, categories=(PUBLIC, OPTIONAL), language="nl")
    days: dict[date, str] = {}
    for d in sorted(found):
        # get_list: two holidays can share a date (5 mei was Hemelvaartsdag in 2016).
        names = [_ATW_KEYS[n.casefold()] for n in found.get_list(d) if n.casefold() in _ATW_KEYS]
        if names:
            days[d] = "; ".join(dict.fromkeys(names))  # dedupe, keep order
    missing = _required_names(year) - {n for v in days.values() for n in v.split("; ")}
    if missing:
        raise RuntimeError(
            f"holidays package did not provide {sorted(missing)} for {year}; "
            "update _ATW_NAMES in scheduling/calendar.py"
        )
    return days


@dataclass(frozen=True)
class _DecreeTable:
    covered_years: frozenset[int]
    days: Mapping[date, str]


@cache
def _decree_table() -> _DecreeTable:
    # A plain path next to this module, not importlib.resources: on Python 3.11
    # with a setuptools editable install, resources.files("scheduling") can see a
    # namespace-style path and raise NotADirectoryError (seen under pytest).
    text = DECREE_FILE.read_text("utf-8")
    covered: set[int] = set()
    days: dict[date, str] = {}
    for block in yaml.safe_load(text) or []:
        first, last = (int(y) for y in block["covers"])
        if first > last:
            raise ValueError(f"decree_days.yaml: covers [{first}, {last}] is reversed")
        covered.update(range(first, last + 1))
        for entry in block.get("days") or []:
            d = entry["date"]
            # YAML turns an unquoted 2026-01-02 into a date; a typo would stay a str.
            if not isinstance(d, date) or not first <= d.year <= last:
                raise ValueError(f"decree_days.yaml: bad date {d!r} in block {first}-{last}")
            days[d] = str(entry["name"])
    return _DecreeTable(frozenset(covered), MappingProxyType(days))


_cache_lock = threading.Lock()
_statutory_cache: dict[int, Mapping[date, str]] = {}


def statutory_days(year: int) -> Mapping[date, str]:
    """All Atw feestdagen of `year` (statutory + decree), including ones on weekends.

    Cached per process; building a year happens once, so the "decree data ran
    out" warning is logged once per year no matter how many calendars ask.
    """
    cached = _statutory_cache.get(year)
    if cached is not None:
        return cached
    with _cache_lock:
        if year not in _statutory_cache:
            _statutory_cache[year] = _build_statutory(year)
        return _statutory_cache[year]


def clear_cache() -> None:
    """Forget cached years (tests, or after editing decree_days.yaml at runtime)."""
    with _cache_lock:
        _statutory_cache.clear()
    _decree_table.cache_clear()


def _build_statutory(year: int) -> Mapping[date, str]:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"jaar {year} valt buiten {FIRST_YEAR}..{LAST_YEAR} / "
            f"year {year} is outside the supported {FIRST_YEAR}..{LAST_YEAR}"
        )
    days = _package_days(year)
    table = _decree_table()
    if year not in table.covered_years:
        log.warning(
            "no royal-decree days (Atw art. 3 lid 3) known for the year: its working days "
            "ignore them; extend scheduling/decree_days.yaml", extra={"year": year}
        )
    for d, name in table.days.items():
        if d.year == year:
            days[d] = f"{days[d]}; {name}" if d in days else name
    return MappingProxyType(dict(sorted(days.items())))


def _check_date(d: date) -> date:
    # datetime is a subclass of date but never equals one, so a datetime would
    # silently miss every holiday lookup.
    if isinstance(d, datetime):
        raise TypeError("expected a date, got a datetime; use .date() in the right zone")
    return d


@dataclass(frozen=True)
class Term:
    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in get_args(Unit):
            raise ValueError(f"unknown unit {self.unit!r}")
        if not 1 <= self.amount <= MAX_TERM_AMOUNT:
            raise ValueError(f"term amount must be 1..{MAX_TERM_AMOUNT}, got {self.amount}")


_TERM_RE = re.compile(r"^([+-]?\d+)\s*([a-z]*)$")
_UNITS: dict[str, Unit] = {
    "": "werkdagen", "d": "werkdagen", "wd": "werkdagen",
    "werkdag": "werkdagen", "werkdagen": "werkdagen",
    "w": "weken", "week": "weken", "weken": "weken",
}


def parse_term(text: str) -> Term:
    """"3", "3d", "3wd" -> 3 werkdagen; "2w" -> 2 weken. Raises ValueError (nl / en)."""
    m = _TERM_RE.match(text.strip().lower())
    if not m:
        raise ValueError(
            f"Ongeldige termijn {text!r}: gebruik bijv. '3', '3wd' of '2w' / "
            f"invalid term {text!r}: use e.g. '3', '3wd' or '2w'"
        )
    amount, suffix = int(m.group(1)), m.group(2)
    if suffix not in _UNITS:
        raise ValueError(
            f"Onbekende eenheid {suffix!r}: gebruik 'wd' (werkdagen) of 'w' (weken) / "
            f"unknown unit {suffix!r}: use 'wd' (working days) or 'w' (weeks)"
        )
    if not 1 <= amount <= MAX_TERM_AMOUNT:
        raise ValueError(
            f"Termijn moet tussen 1 en {MAX_TERM_AMOUNT} liggen, niet {amount} / "
            f"term must be between 1 and {MAX_TERM_AMOUNT}, not {amount}"
        )
    return Term(amount, _UNITS[suffix])


class WorkCalendar:
    """Atw working-day arithmetic, plus an organisation's own closed days."""

    def __init__(
        self, extra_closed: Mapping[date, str] | None = None, tz: str = "Europe/Amsterdam"
    ) -> None:
        self.tz = ZoneInfo(tz)
        self._extra = {_check_date(d): name for d, name in (extra_closed or {}).items()}
        self._closed: dict[int, Mapping[date, str]] = {}  # per-year cache, hot path

    def _closed_days(self, year: int) -> Mapping[date, str]:
        days = self._closed.get(year)
        if days is None:
            merged = dict(statutory_days(year))
            for d, name in self._extra.items():
                if d.year == year:
                    merged[d] = f"{merged[d]}; {name}" if d in merged else name
            days = self._closed[year] = dict(sorted(merged.items()))
        return days

    def is_working_day(self, d: date) -> bool:
        return _check_date(d).weekday() < 5 and d not in self._closed_days(d.year)

    def holiday_name(self, d: date) -> str | None:
        """Name of the feestdag / closed day on `d` (also on a weekend); None otherwise."""
        return self._closed_days(_check_date(d).year).get(d)

    def non_working_weekdays(self, year: int) -> list[tuple[date, str]]:
        return [(d, n) for d, n in self._closed_days(year).items() if d.weekday() < 5]

    def next_working_day(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`; `d` itself never counts (Atw counting)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        _check_date(d)
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def add_weeks(self, d: date, n: int) -> date:
        """Same weekday n weeks later, pushed to the next working day if it is not one."""
        if n < 0:
            raise ValueError("n must be >= 0")
        return self.next_working_day(_check_date(d) + timedelta(weeks=n))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        _check_date(start)
        _check_date(end)
        if end <= start:
            return 0
        # Count weekdays arithmetically, then subtract closed weekdays: the range
        # can span years, so no day-by-day loop.
        total_days = (end - start).days
        weeks, rest = divmod(total_days, 7)
        count = weeks * 5
        count += sum(1 for i in range(1, rest + 1)
                     if (start + timedelta(days=i)).weekday() < 5)
        for year in range(start.year, end.year + 1):
            count -= sum(1 for d in self._closed_days(year)
                         if start < d <= end and d.weekday() < 5)
        return count

    def due_date(self, event_day: date, term: Term) -> date:
        """The last day of `term` counted from `event_day` (which does not count)."""
        if term.unit == "werkdagen":
            return self.add_working_days(event_day, term.amount)
        return self.add_weeks(event_day, term.amount)

    def due(self, event: datetime, term: Term) -> datetime:
        """Deadline instant: the end of the due day, i.e. 00:00 local the day after.

        The event day is taken in the calendar's zone (an event at 23:30 UTC is
        already the next day in Amsterdam). Midnight always exists in
        Europe/Amsterdam (DST switches at 02:00/03:00), so the result is exact.
        """
        if event.tzinfo is None or event.utcoffset() is None:
            raise ValueError("event must be a timezone-aware datetime")
        last_day = self.due_date(event.astimezone(self.tz).date(), term)
        return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=self.tz)
