"""The limitation period (诉讼时效) of each receivable.

Under the PRC Civil Code the ordinary period is three years (art. 188), counted here from the due
date, and a demand by the creditor or the debtor's acknowledgement interrupts it (art. 195): the
three years start again from that day. Huikuan counts as interruptions the ``LimitationEvent``
rows — a written demand we sent, or a balance confirmation the customer signed — that happened
on or after a receivable's due date (before it, there was nothing to demand yet).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet

from .models import LimitationEvent

PERIOD_YEARS = 3
# Days before expiry at which the daily run warns the owner rep.
WARNING_DAYS = (180, 90, 30)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expires_on(due_date: date, interruptions: Iterable[date]) -> date:
    """Three years after the later of ``due_date`` and the last interruption on or after it."""
    start = max((d for d in interruptions if d >= due_date), default=due_date)
    return add_years(start, PERIOD_YEARS)


def warning_threshold(expiry: date, as_of: date) -> int | None:
    """The tightest warning (180, 90 or 30 days) that applies on ``as_of``; ``None`` when the
    expiry is further away or already past."""
    days_left = (expiry - as_of).days
    if days_left < 0:
        return None
    fitting = [days for days in WARNING_DAYS if days_left <= days]
    return min(fitting) if fitting else None


def interruptions_by_customer(customer_ids: Iterable[int], as_of: date) -> dict[int, list[date]]:
    """Each customer's interruption dates up to ``as_of``."""
    result: dict[int, list[date]] = defaultdict(list)
    rows = LimitationEvent.objects.filter(
        customer_id__in=list(customer_ids), happened_on__lte=as_of
    ).values_list("customer_id", "happened_on")
    for customer_id, day in rows:
        result[customer_id].append(day)
    return result


def limitation_by_receivable(*, receivables: QuerySet, as_of: date) -> dict[int, date]:
    """The expiry date of each receivable in ``receivables`` as known on ``as_of``."""
    rows = list(receivables.values_list("pk", "customer_id", "due_date"))
    events = interruptions_by_customer({row[1] for row in rows}, as_of)
    return {pk: expires_on(due, events.get(customer_id, ())) for pk, customer_id, due in rows}
