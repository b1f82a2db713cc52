"""The Chinese working calendar: weekends, public holidays and make-up working days (调休).

The days that break the Monday–Friday rule live in the ``CalendarDay`` table, seeded from the
``chinesecalendar`` package (which knows 2004–2026) and extendable by an admin when the State
Council publishes the next year's schedule. A year with no rows at all is not known: there the
calendar falls back to Monday–Friday, and ``WorkCalendar.is_known`` says so.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from .models import CalendarDay


@dataclass(frozen=True)
class WorkCalendar:
    """A snapshot of the exceptions table; build one per run or request with :meth:`load`."""

    exceptions: dict[date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    @classmethod
    def load(cls) -> "WorkCalendar":
        exceptions = dict(CalendarDay.objects.values_list("day", "is_workday"))
        return cls(exceptions, frozenset(day.year for day in exceptions))

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def is_workday(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """``day`` itself if people work that day, else the first working day after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def previous_workday(self, day: date) -> date:
        """``day`` itself if people work that day, else the last working day before it."""
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def add_workdays(self, day: date, count: int) -> date:
        """The working day ``count`` working days after (or, negative, before) ``day``."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day


def package_exceptions() -> list[tuple[date, bool, str]]:
    """Every day ``chinesecalendar`` knows that breaks the Monday–Friday rule, with its name."""
    import chinese_calendar

    rows = []
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:
            rows.append((day, False, str(name)))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            rows.append((day, True, str(name)))
    return sorted(rows)
