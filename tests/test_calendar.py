"""Working days per the Algemene termijnenwet (see spec DOMAIN.md, "Working days")."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import calendar as cli_calendar
from scheduling import calendar as cal_mod
from scheduling.calendar import Term, WorkCalendar, parse_term

AMS = ZoneInfo("Europe/Amsterdam")
WD = Term(1, "werkdagen")


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_koningsdag_5_mei_and_1_mei(cal: WorkCalendar) -> None:
    # 27 Apr (Mon) is before the start; 1 May (Fri) is a normal werkdag;
    # 5 mei 2026 (Tue) is a feestdag even though 2026 is no lustrum year.
    assert cal.add_working_days(date(2026, 4, 30), 3) == date(2026, 5, 6)
    assert cal.is_working_day(date(2026, 5, 1))
    assert not cal.is_working_day(date(2026, 4, 27))


def test_hemelvaart_and_decree_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 5, 13), 5) == date(2026, 5, 22)
    assert cal.holiday_name(date(2026, 5, 14)) == "Hemelvaartsdag"
    assert "art. 3 lid 3" in (cal.holiday_name(date(2026, 5, 15)) or "")


def test_year_boundary_with_decree_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 7)
    assert not cal.is_working_day(date(2026, 1, 2))


def test_koningsdag_2025_on_saturday(cal: WorkCalendar) -> None:
    # 27 April 2025 is a Sunday, so Koningsdag is celebrated on Saturday 26 April.
    assert cal.holiday_name(date(2025, 4, 26)) == "Koningsdag"
    assert cal.holiday_name(date(2025, 4, 27)) is None
    assert cal.is_working_day(date(2025, 4, 28))
    assert all(d != date(2025, 4, 26) for d, _ in cal.non_working_weekdays(2025))


@pytest.mark.parametrize("year", [2026, 2027])
def test_5_mei_every_year(cal: WorkCalendar, year: int) -> None:
    may5 = date(year, 5, 5)
    assert may5.weekday() < 5
    assert not cal.is_working_day(may5)
    assert "Bevrijdingsdag" in (cal.holiday_name(may5) or "")


def test_goede_vrijdag(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2026, 4, 3))
    assert cal.holiday_name(date(2026, 4, 3)) == "Goede Vrijdag"


def test_holidays_2026_exact_list(cal: WorkCalendar) -> None:
    # Nothing beyond the Atw (no Eerste Paas-/Pinksterdag, no 1 mei), sorted.
    days = cal.non_working_weekdays(2026)
    assert [d.isoformat() for d, _ in days] == [
        "2026-01-01", "2026-01-02", "2026-04-03", "2026-04-06", "2026-04-27",
        "2026-05-05", "2026-05-14", "2026-05-15", "2026-05-25", "2026-12-25",
    ]
    assert days[0][1] == "Nieuwjaarsdag"
    # Tweede Kerstdag 2026 is a Saturday: still named, just not a weekday.
    assert cal.holiday_name(date(2026, 12, 26)) == "Tweede Kerstdag"
    assert cal.holiday_name(date(2026, 4, 5)) is None  # Eerste Paasdag dropped


def test_plain_days_have_no_name(cal: WorkCalendar) -> None:
    assert cal.holiday_name(date(2026, 6, 10)) is None
    assert cal.holiday_name(date(2026, 6, 13)) is None  # plain Saturday
    assert not cal.is_working_day(date(2026, 6, 13))


def test_due_across_march_clock_change(cal: WorkCalendar) -> None:
    due = cal.due(datetime(2026, 3, 27, 10, 0, tzinfo=AMS), WD)
    assert due == datetime(2026, 3, 31, 0, 0, tzinfo=AMS)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)


def test_due_across_october_clock_change(cal: WorkCalendar) -> None:
    due = cal.due(datetime(2026, 10, 23, 10, 0, tzinfo=AMS), WD)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 23, 0, tzinfo=UTC)


def test_due_uses_amsterdam_event_day(cal: WorkCalendar) -> None:
    # 22:30 UTC on Thu 2026-06-11 is already Friday 00:30 in Amsterdam.
    due = cal.due(datetime(2026, 6, 11, 22, 30, tzinfo=UTC), WD)
    assert due == datetime(2026, 6, 16, 0, 0, tzinfo=AMS)  # end of Mon 15 June


def test_due_rejects_naive(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        cal.due(datetime(2026, 3, 27, 10, 0), WD)


def test_weeks_move_off_decree_day(cal: WorkCalendar) -> None:
    assert cal.add_weeks(date(2026, 5, 1), 2) == date(2026, 5, 18)
    due = cal.due(datetime(2026, 5, 1, 9, 0, tzinfo=AMS), parse_term("2w"))
    assert due == datetime(2026, 5, 19, 0, 0, tzinfo=AMS)


def test_next_working_day_and_zero(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2026, 12, 24)) == date(2026, 12, 24)
    assert cal.next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert cal.add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)


def test_working_days_between(cal: WorkCalendar) -> None:
    # (30 Apr, 6 May] holds 1 May, 4 May and 6 May.
    assert cal.working_days_between(date(2026, 4, 30), date(2026, 5, 6)) == 3
    assert cal.working_days_between(date(2026, 5, 6), date(2026, 4, 30)) == 0
    start = date(2025, 12, 15)
    end = cal.add_working_days(start, 40)
    assert cal.working_days_between(start, end) == 40


def test_extra_closed_days() -> None:
    closed = {date(2026, 5, 4): "Regiodag Gelderland-Zuid"}
    cal = WorkCalendar(extra_closed=closed)
    assert not cal.is_working_day(date(2026, 5, 4))
    assert cal.holiday_name(date(2026, 5, 4)) == "Regiodag Gelderland-Zuid"
    assert cal.add_working_days(date(2026, 4, 30), 3) == date(2026, 5, 7)
    assert (date(2026, 5, 4), "Regiodag Gelderland-Zuid") in cal.non_working_weekdays(2026)
    # Other calendars are not affected by one organisation's days.
    assert WorkCalendar().is_working_day(date(2026, 5, 4))


def test_rejects_datetime_as_date(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2026, 1, 1, 12, 0))


def test_warns_once_per_uncovered_year(caplog: pytest.LogCaptureFixture) -> None:
    cal_mod.clear_cache()
    with caplog.at_level(logging.WARNING, logger="ketenbot.calendar"):
        cal = WorkCalendar()
        assert cal.is_working_day(date(2029, 5, 11))  # day after Hemelvaart: no decree known
        cal.add_working_days(date(2029, 5, 1), 10)
        WorkCalendar().non_working_weekdays(2029)
        cal.is_working_day(date(2027, 6, 1))  # covered year: no warning
    warnings = [r for r in caplog.records if r.name == "ketenbot.calendar"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert warnings[0].year == 2029  # type: ignore[attr-defined]  # a field, not in the text


def test_out_of_package_range_refused(cal: WorkCalendar) -> None:
    # holidays.NL returns an empty set after 2100; silently treating every
    # weekday as a werkdag would be wrong, so it is an error.
    with pytest.raises(ValueError, match="2101"):
        cal.add_working_days(date(2100, 12, 31), 1)
    with pytest.raises(ValueError, match="1965"):
        cal.non_working_weekdays(1965)


@pytest.mark.parametrize(
    ("text", "term"),
    [("3", Term(3, "werkdagen")), ("3d", Term(3, "werkdagen")), (" 3WD ", Term(3, "werkdagen")),
     ("2w", Term(2, "weken")), ("2 weken", Term(2, "weken"))],
)
def test_parse_term(text: str, term: Term) -> None:
    assert parse_term(text) == term


@pytest.mark.parametrize("text", ["0", "-3", "abc", "3x", "", "2.5w", "99999"])
def test_parse_term_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="termijn|Termijn|eenheid") as exc:
        parse_term(text)
    assert " / " in str(exc.value)  # Dutch and English


def _cli() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(cli_calendar.app)
    return root


def test_cli_add() -> None:
    runner = CliRunner()
    result = runner.invoke(_cli(), ["calendar", "add", "2026-04-30", "3"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "2026-05-06"
    result = runner.invoke(_cli(), ["calendar", "add", "2026-05-01", "2w"])
    assert result.stdout.strip() == "2026-05-18"


def test_cli_holidays() -> None:
    result = CliRunner().invoke(_cli(), ["calendar", "holidays", "2026"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-01-01  do  Nieuwjaarsdag"
    assert "2026-05-05  di  Bevrijdingsdag (5 mei)" in lines
    assert len(lines) == 10


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["2026-13-01", "3"], "datum"), (["gisteren", "3"], "datum"),
     (["2026-04-30", "3x"], "eenheid"), (["2026-04-30", "-3"], "Termijn")],
)
def test_cli_bad_input_exits_2(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(_cli(), ["calendar", "add", *args])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert result.stdout == ""
