"""When a step is due, when to remind, when each escalation tier fires.

All instants are timezone-aware; the database stores them in UTC.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from scheduling.calendar import Term, WorkCalendar


class Hours:
    """Working hours on werkdagen: when a message may reach a person."""

    def __init__(self, calendar: WorkCalendar, start: time, end: time) -> None:
        self.calendar = calendar
        self.start = start
        self.end = end

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when inside working hours, else the start of the next ones."""
        local = at.astimezone(self.calendar.tz)
        day = local.date()
        if self.calendar.is_working_day(day):
            if local.time() < self.start:
                return self._at(day, self.start)
            if local.time() < self.end:
                return at
        return self._at(self.calendar.add_working_days(day, 1), self.start)

    def _at(self, day, t: time) -> datetime:  # type: ignore[no-untyped-def]
        return datetime.combine(day, t, tzinfo=self.calendar.tz)


def due_at(calendar: WorkCalendar, start: datetime, term: Term) -> datetime:
    return calendar.due(start, term)


def remind_at(calendar: WorkCalendar, hours: Hours, start: datetime,
              due: datetime) -> datetime | None:
    """The start of the working day before the last one: one werkdag to go.

    None when that moment is not after the step began (a one-day term has no
    useful reminder).
    """
    last_day = (due - timedelta(seconds=1)).astimezone(calendar.tz).date()
    day_before = last_day - timedelta(days=1)
    while not calendar.is_working_day(day_before):
        day_before -= timedelta(days=1)
    at = datetime.combine(day_before, hours.start, tzinfo=calendar.tz)
    return at if at > start else None


def tier_at(calendar: WorkCalendar, due: datetime, after: Term | None) -> datetime:
    """When an escalation tier fires: at the lapse, or `after` a term counted from it."""
    if after is None:
        return due
    lapse = due - timedelta(seconds=1)  # the last instant of the due day
    return calendar.due(lapse, after)
