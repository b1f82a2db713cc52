"""The risk part of the daily run, and the whole daily run.

``risk_daily_run(as_of=D)`` does, in one transaction:

1. **ratings** — recompute every customer's payment behaviour, rating and trend
   (``huikuan.risk.rating.ratings_recompute``);
2. **signals** — run the warning-signal detectors and raise the new signals
   (``huikuan.risk.signals.signals_detect``);
3. **summary** — make every customer's live-signal count and 准呆账 date agree with its signals.

It writes a ``RiskRun`` row in the same transaction: a rerun for the same date finds it and
changes nothing. ``run_daily`` runs it and then the collection run (``dunning_run``) in one
transaction, so today's signals shape today's classes and a run killed half-way leaves nothing
behind.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date

from django.db import connection, transaction

from huikuan.dunning.run import RunResult, dunning_run

from .models import RiskRun
from .signals import signals_detect, signals_summary_recompute

# The key the collection run locks with: all daily runs queue behind one another.
DAILY_LOCK = 0x48554B55  # "HUKU"


@dataclass
class RiskRunResult:
    as_of: date
    already_done: bool = False
    ratings_changed: int = 0
    signals_raised: int = 0
    signals_by_kind: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("as_of", "already_done", "signals_by_kind")
        }


@dataclass
class DailyResult:
    """Both parts of one day's run."""

    as_of: date
    risk: RiskRunResult
    dunning: RunResult

    @property
    def already_done(self) -> bool:
        return self.risk.already_done and self.dunning.already_done

    def counts(self) -> dict[str, int]:
        return {**self.dunning.counts(), **self.risk.counts()}


def _lock() -> None:
    """Serialise daily runs. SQLite's IMMEDIATE transactions already do; PostgreSQL takes a
    transaction-scoped advisory lock (the collection run's, which a session may take twice)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DAILY_LOCK])


def risk_daily_run(*, as_of: date, progress: Callable[[str], None] | None = None) -> RiskRunResult:
    """Recompute ratings, raise the day's warning signals and reconcile the customers' signal
    summary for ``as_of`` (see the module docstring). Idempotent per date, all-or-nothing;
    concurrent runs queue behind each other."""
    progress = progress or (lambda step: None)
    with transaction.atomic():
        _lock()
        if RiskRun.objects.filter(as_of=as_of).exists():
            return RiskRunResult(as_of=as_of, already_done=True)
        result = RiskRunResult(as_of=as_of)
        from .rating import ratings_recompute

        result.ratings_changed = ratings_recompute(as_of=as_of)
        progress("ratings")
        result.signals_by_kind = signals_detect(as_of=as_of)
        result.signals_raised = sum(result.signals_by_kind.values())
        progress("signals")
        signals_summary_recompute()
        progress("summary")
        RiskRun.objects.create(
            as_of=as_of, counts={**result.counts(), "signals_by_kind": result.signals_by_kind}
        )
    return result


def run_daily(*, as_of: date, progress: Callable[[str], None] | None = None) -> DailyResult:
    """The whole daily run for ``as_of``: the risk run first (ratings and signals decide today's
    classes), then the collection run; one transaction, so a crash anywhere undoes both."""
    with transaction.atomic():
        risk = risk_daily_run(as_of=as_of, progress=progress)
        dunning = dunning_run(as_of=as_of, progress=progress)
    return DailyResult(as_of=as_of, risk=risk, dunning=dunning)
