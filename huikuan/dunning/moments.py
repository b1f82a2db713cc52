"""When in the day to make the contact: the timing rules of the playbook.

Calls and reminders go out at 15:30 (after the lunch break, before the end-of-day rush), visits
at 10:00; nothing is ever suggested between 11:45 and 14:00. Within the next ten days, the
customer's own pay day comes first ("first bus": the working day before it), then the day it has
sold about 80 % of our last delivery, then the last working day of the month.
"""

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Action
from .workdays import WorkCalendar

CALL_TIME = time(15, 30)
VISIT_TIME = time(10, 0)
LUNCH = (time(11, 45), time(14, 0))
LOOKAHEAD_DAYS = 10
MONTH_END_DAYS = 5
SOLD_SHARE_TENTHS = 8  # 80 % of the last delivery


@dataclass(frozen=True)
class Moment:
    at: datetime
    reasons: list[str] = field(default_factory=list)
    rule: str = "default"  # default | first_bus | sell_through | month_end


def _zone():
    return ZoneInfo(settings.TIME_ZONE)


def outside_lunch(moment: time) -> time:
    """``moment``, or 14:00 if it falls in the 11:45–14:00 lunch window."""
    if LUNCH[0] <= moment < LUNCH[1]:
        return LUNCH[1]
    return moment


def _pay_day_after(start: date, settlement_day: int) -> date:
    """The first occurrence of day-of-month ``settlement_day`` on or after ``start`` (a short
    month pays on its last day)."""
    year, month = start.year, start.month
    for _i in range(2):
        last = pycalendar.monthrange(year, month)[1]
        candidate = date(year, month, min(settlement_day, last))
        if candidate >= start:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return candidate


def _last_workday_of_month(day: date, cal: WorkCalendar) -> date:
    last = date(day.year, day.month, pycalendar.monthrange(day.year, day.month)[1])
    return cal.previous_workday(last)


def suggest(
    *,
    task_day: date,
    action: str,
    settlement_day: int | None,
    last_delivery_on: date | None,
    sell_through_days: int | None,
    calendar: WorkCalendar,
    on: date,
) -> Moment:
    """The suggested moment for a task due on ``task_day`` seen on ``on``: a working day no
    earlier than both, at 10:00 for a visit or 15:30 otherwise, moved by the first timing rule
    that applies within the next ten days. ``reasons`` say which rule chose it."""
    start = calendar.next_workday(max(task_day, on))
    horizon = start + timedelta(days=LOOKAHEAD_DAYS)
    day, rule, reasons = start, "default", []

    if settlement_day:
        pay_day = _pay_day_after(start, settlement_day)
        if pay_day <= horizon:
            day = max(start, calendar.previous_workday(pay_day - timedelta(days=1)))
            rule = "first_bus"
            reasons.append(
                _(
                    "The customer usually pays on the %(day)s of the month (%(date)s): ask the "
                    "working day before, so we are paid before other suppliers."
                )
                % {"day": settlement_day, "date": pay_day.isoformat()}
            )
    if rule == "default" and last_delivery_on and sell_through_days:
        sold_on = last_delivery_on + timedelta(
            days=(sell_through_days * SOLD_SHARE_TENTHS + 5) // 10
        )
        if start <= sold_on <= horizon:
            day = calendar.next_workday(sold_on)
            rule = "sell_through"
            reasons.append(
                _(
                    "About 80%% of the delivery of %(delivered)s should be sold by %(date)s: the "
                    "customer has the cash and wants the next delivery."
                )
                % {"delivered": last_delivery_on.isoformat(), "date": sold_on.isoformat()}
            )
    if rule == "default":
        month_end = _last_workday_of_month(start, calendar)
        if start <= month_end and (month_end - start).days <= MONTH_END_DAYS:
            day = month_end
            rule = "month_end"
            reasons.append(
                _("%(date)s is the last working day of the month, when the customer pays.")
                % {"date": month_end.isoformat()}
            )
    if day != max(task_day, on) and rule == "default":
        reasons.append(
            _("%(date)s is not a working day; the next working day is %(next)s.")
            % {"date": max(task_day, on).isoformat(), "next": day.isoformat()}
        )

    if action == Action.VISIT:
        at = VISIT_TIME
        reasons.append(_("Visit at 10:00, when the people who decide are in the office."))
    else:
        at = CALL_TIME
        reasons.append(
            _("Call at 15:30: the morning rush and the 11:45–14:00 lunch break are over.")
        )
    return Moment(
        at=datetime.combine(day, outside_lunch(at), tzinfo=_zone()),
        reasons=[str(r) for r in reasons],
        rule=rule,
    )
