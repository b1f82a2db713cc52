"""The daily-run benchmark: how long does the whole daily run (``run_daily``: ratings and warning
signals, then collection work) take over the aging benchmark's data?

It reuses the aging benchmark's scratch data (``bench.seed_bench``: the same sizes and seed give
the same rows, and the same refusal of a database holding other ledger data). A run for a date
that was already run is a no-op, so each invocation goes forward in time: the first date is the
day the data was seeded (or, once runs exist, the working day after the last one), then the next
working day, then a rerun of that day, which must change nothing.
"""

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum

from huikuan.customers.models import Customer
from huikuan.dunning.models import (
    ApprovalRequest,
    Case,
    DailyRun,
    Promise,
    ReceivableDunning,
    Task,
)
from huikuan.dunning.workdays import WorkCalendar
from huikuan.ledger.models import Receivable
from huikuan.risk.daily import DailyResult, run_daily
from huikuan.risk.models import CreditProfile, RiskRun, Signal

TARGET_SECONDS = 60


@dataclass
class RunTiming:
    as_of: date
    seconds: float
    result: DailyResult
    steps: list[tuple[str, float]] = field(default_factory=list)
    first_ever: bool = False  # no receivable had a dunning level before this run


def run_dates(*, seeded_on: date) -> tuple[date, date]:
    """Two dates not run yet: the seeding day (or the working day after the last run), and
    the working day after that."""
    calendar = WorkCalendar.load()
    last = DailyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    first = seeded_on if last is None else calendar.next_workday(last + timedelta(days=1))
    return first, calendar.next_workday(first + timedelta(days=1))


def timed_run(as_of: date) -> RunTiming:
    """One daily run for ``as_of``, timed in all and step by step (through its progress
    callback: each step's time is the time since the previous report)."""
    first_ever = not ReceivableDunning.objects.exists()
    steps: list[tuple[str, float]] = []
    started = time.perf_counter()
    mark = [started]

    def progress(step: str) -> None:
        now = time.perf_counter()
        steps.append((step, now - mark[0]))
        mark[0] = now

    result = run_daily(as_of=as_of, progress=progress)
    return RunTiming(as_of, time.perf_counter() - started, result, steps, first_ever)


def state() -> dict[str, int]:
    """Row counts (and the highest ids) of what a daily run writes: equal before and after a
    run that changed nothing."""
    counts = {}
    for model in (
        Case,
        Task,
        ApprovalRequest,
        ReceivableDunning,
        Promise,
        DailyRun,
        Signal,
        CreditProfile,
        RiskRun,
    ):
        name = model._meta.model_name
        counts[name] = model.objects.count()
    counts["open_cases"] = Case.objects.filter(closed_on__isnull=True).count()
    counts["open_tasks"] = Task.objects.filter(status="open").count()
    counts["levels"] = ReceivableDunning.objects.aggregate(total=Sum("level"))["total"] or 0
    return counts


def sizes() -> tuple[int, int]:
    """Open receivables and customers in the database."""
    return Receivable.objects.filter(outstanding__gt=0).count(), Customer.objects.count()
