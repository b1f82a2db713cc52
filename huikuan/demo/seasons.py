"""When a Chinese health-products distributor ships: the demand calendar behind the demo data.

Demand peaks in the winter flu season and in the weeks before the Spring Festival (people stock
up and buy health-product gift boxes), stops for the festival holiday and for National Day, and
sags in the summer. Sundays see few deliveries, Saturdays some.
"""

from bisect import bisect_right
from datetime import date, timedelta

# Spring Festival (正月初一) by year. Outside the table the festival is taken as 1 February,
# which is close enough for a demand curve.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}

# Relative demand by calendar month: flu season and year-end stocking high, summer low.
MONTH_DEMAND = {
    1: 1.45,
    2: 0.95,
    3: 1.05,
    4: 0.95,
    5: 0.9,
    6: 0.75,
    7: 0.7,
    8: 0.75,
    9: 1.0,
    10: 1.05,
    11: 1.3,
    12: 1.45,
}
WEEKDAY_DEMAND = (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.1)


def spring_festival(year: int) -> date:
    return SPRING_FESTIVAL.get(year, date(year, 2, 1))


def festival_factor(day: date) -> float:
    """Stocking up in the four weeks before the Spring Festival, closed for a week after it,
    slow for the week after that; National Day week (1–7 October) is a holiday too."""
    for year in (day.year, day.year + 1):
        offset = (day - spring_festival(year)).days
        if -28 <= offset < 0:
            return 1.6
        if 0 <= offset <= 7:
            return 0.05
        if 8 <= offset <= 14:
            return 0.7
    if day.month == 10 and day.day <= 7:
        return 0.1
    return 1.0


def demand(day: date, *, sharpness: float = 1.0) -> float:
    """Relative chance of a delivery on ``day``; ``sharpness`` > 1 exaggerates the seasons
    (customers who sell mostly in the peak season)."""
    month = MONTH_DEMAND[day.month] ** sharpness
    return month * WEEKDAY_DEMAND[day.weekday()] * festival_factor(day)


def cumulative_weights(start: date, end: date, *, sharpness: float = 1.0):
    """Days from ``start`` to ``end`` inclusive and their cumulative demand, for
    ``random.choices(days, cum_weights=…)``."""
    days = []
    weights = []
    total = 0.0
    day = start
    while day <= end:
        total += demand(day, sharpness=sharpness)
        days.append(day)
        weights.append(total)
        day += timedelta(days=1)
    return days, weights


def season(day: date) -> str:
    """The selling season a day belongs to, which decides what customers order."""
    offset = (spring_festival(day.year) - day).days
    if 0 < offset <= 35 or day.month in (12,):
        return "festival"
    if day.month in (11, 1, 2, 3):
        return "flu"
    if day.month in (6, 7, 8):
        return "summer"
    return "normal"


def next_working_day(day: date) -> date:
    """Payment runs falling on a weekend or in the festival week move to the next working day."""
    while day.weekday() >= 5 or festival_factor(day) < 0.2:
        day += timedelta(days=1)
    return day


class Window:
    """The demo's 24 months and their demand curve, shared by all customers."""

    def __init__(self, as_of: date, months: int = 24):
        self.as_of = as_of
        self.start = as_of - timedelta(days=round(months * 365 / 12))
        self.days, self.cum = cumulative_weights(self.start, as_of)
        _days, self.cum_sharp = cumulative_weights(self.start, as_of, sharpness=3.0)

    def sample(self, rng, low: date, high: date, k: int, *, sharp: bool = False) -> list[date]:
        """``k`` delivery days between ``low`` and ``high`` drawn by seasonal demand, sorted."""
        cum = self.cum_sharp if sharp else self.cum
        i = min(max((low - self.start).days, 0), len(cum) - 1)
        j = min(max((high - self.start).days, i), len(cum) - 1)
        base = cum[i - 1] if i else 0.0
        span = cum[j] - base
        days = self.days
        return sorted(days[bisect_right(cum, base + rng.random() * span, i, j)] for _ in range(k))
