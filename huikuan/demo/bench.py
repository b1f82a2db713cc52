"""The aging benchmark: seed many open receivables, then time the per-customer aging report
against the least work any implementation must do.

Ledger rows are append-only (database triggers refuse DELETE), so benchmark data can never be
cleaned out again. The rule is therefore:

* a database without any ledger data gets the benchmark data (customers ``BENCH…``), marked by
  one audit line ``bench.seed`` recording the sizes and seed;
* a later run with the same sizes and seed reuses that data and only measures;
* a run with other sizes, or on a database holding other ledger data, is refused (unless
  ``allow_existing`` — then the benchmark data is added beside what is there): use a scratch
  database, e.g. ``HUIKUAN_VAR_DIR=/tmp/bench`` or a throw-away PostgreSQL database.
"""

import heapq
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction
from django.utils.translation import gettext as _

from huikuan.audit.models import AuditEntry
from huikuan.core.errors import invalid
from huikuan.customers.models import Customer
from huikuan.ledger.models import Payment, PaymentKind, PaymentMethod, Receivable, ReceivableKind
from huikuan.reports.policy import aging_bands
from huikuan.reports.selectors import aging

from .book import Book
from .world import _split

MARK = "bench.seed"
CODE_PREFIX = "BENCH"
YEARS = 2


class BenchRefused(RuntimeError):
    """The database is not one the benchmark may add to."""


def _key(receivables: int, customers: int, seed: int) -> str:
    return f"{receivables}:{customers}:{seed}"


def reusable_bench(
    *, receivables: int, customers: int, seed: int, allow_existing: bool = False
) -> date | None:
    """The day benchmark data of exactly these sizes was seeded here, or None if there is none
    yet and the database may take it.

    Raises :class:`BenchRefused` when the database holds benchmark data of other sizes or (without
    ``allow_existing``) any other ledger data, and ``ValidationError`` for sizes out of range.
    """
    if receivables < 1:
        raise invalid("receivables", _("Give at least one receivable."))
    if not 1 <= customers <= receivables:
        raise invalid("customers", _("Give between one customer and one per receivable."))
    marks = list(AuditEntry.objects.filter(action=MARK).order_by("pk"))
    key = _key(receivables, customers, seed)
    for mark in marks:
        if mark.object_id == key:
            return date.fromisoformat(mark.after["as_of"])
    if marks:
        raise BenchRefused(
            _(
                "This database already holds benchmark data for %(receivables)s receivables "
                "over %(customers)s customers (seed %(seed)s), and ledger rows cannot be deleted. "
                "Run with those sizes to reuse it, or use a fresh database."
            )
            % marks[-1].after
        )
    if not allow_existing and (Receivable.objects.exists() or Payment.objects.exists()):
        raise BenchRefused(
            _(
                "This database already holds ledger data. The benchmark adds data that can never "
                "be deleted (ledger rows are append-only), so it runs only on a database of its "
                "own: e.g. HUIKUAN_VAR_DIR=/tmp/huikuan-bench huikuan migrate, then the same "
                "command with that HUIKUAN_VAR_DIR. Add --allow-existing-data to add it anyway."
            )
        )
    return None


@transaction.atomic
def seed_bench(*, receivables: int, customers: int, seed: int, as_of: date) -> None:
    """``receivables`` receivables over ``customers`` customers, issued evenly over two years
    to ``as_of``; half as many payments over the same two years settle part of the oldest
    ones, so every receivable stays open and reports as of a year back have allocations after
    their date to add back. About one payment in ten leaves some unapplied credit."""
    rng = random.Random(seed)
    book = Book()
    start = as_of - timedelta(days=365 * YEARS)
    span = (as_of - start).days
    next_number = iter(range(1, 10**12))
    ids = []
    for index in range(customers):
        row = book.row(
            Customer,
            code=f"{CODE_PREFIX}{index + 1:07d}",
            name=f"基准测试客户{index + 1:07d}",
            payment_terms_days=30,
        )
        ids.append(row["id"])
    book.flush()
    for customer_id, count in zip(ids, _split(receivables, [1.0] * customers), strict=True):
        recs = [
            book.receivable(
                customer_id=customer_id,
                number=f"BR{next(next_number):010d}",
                kind=ReceivableKind.INVOICE,
                issue=day,
                due=day + timedelta(days=rng.choice((30, 60, 90))),
                fen=rng.randint(500, 200_000) * 100,
            )
            for day in sorted(start + timedelta(days=rng.randint(0, span)) for _n in range(count))
        ]
        waiting = iter(recs)
        upcoming = next(waiting, None)
        due_first: list = []  # issued, still open: oldest due first
        for day in sorted(start + timedelta(days=rng.randint(0, span)) for _n in range(count // 2)):
            while upcoming is not None and upcoming.issue <= day:
                heapq.heappush(due_first, (upcoming.key, upcoming))
                upcoming = next(waiting, None)
            oldest = [heapq.heappop(due_first)[1] for _ in range(min(2, len(due_first)))]
            pairs = [(r, r.outstanding * rng.randint(30, 70) // 100) for r in oldest]
            pairs = [(r, fen) for r, fen in pairs if fen > 0]
            extra = rng.randint(1, 1000) * 100 if rng.random() < 0.1 or not pairs else 0
            pay = book.payment(
                customer_id=customer_id,
                kind=PaymentKind.PAYMENT,
                number=f"BP{next(next_number):010d}",
                on=day,
                fen=sum(fen for _r, fen in pairs) + extra,
                method=PaymentMethod.BANK_TRANSFER,
            )
            for rec, fen in pairs:
                book.allocate(pay, rec, fen, day)
            for rec in oldest:
                if rec.outstanding > 1:
                    heapq.heappush(due_first, (rec.key, rec))
        if book.pending >= 50_000:
            book.flush()
    book.finish()
    AuditEntry.objects.create(
        action=MARK,
        object_type="demo.bench",
        object_id=_key(receivables, customers, seed),
        object_repr=f"bench aging {receivables}",
        after={
            "receivables": receivables,
            "customers": customers,
            "seed": seed,
            "as_of": as_of.isoformat(),
        },
        note="Benchmark data added by huikuan bench aging",
    )


def analyze() -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map) for the new rows."""
    tables = ["ledger_receivable", "ledger_allocation", "ledger_payment", "customers_customer"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                cursor.execute(f"ANALYZE {', '.join(tables)}")
            else:
                for table in tables:
                    cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def floor_query(*, as_of: date) -> list[tuple]:
    """The least work any per-customer aging must do: one pass over today's open receivables,
    one GROUP BY customer with a CASE sum per bucket. Raw SQL, all rows fetched."""
    sums, params = [], []
    for band in aging_bands():
        conditions = []
        if band.high is not None:
            conditions.append("due_date >= %s")
            params.append(as_of - timedelta(days=band.high))
        if band.low is not None:
            conditions.append("due_date <= %s")
            params.append(as_of - timedelta(days=band.low))
        sums.append(f"SUM(CASE WHEN {' AND '.join(conditions)} THEN outstanding ELSE 0 END)")
    sql = (
        f"SELECT customer_id, {', '.join(sums)} FROM ledger_receivable "
        "WHERE outstanding > 0 GROUP BY customer_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class Timing:
    label: str
    runs: list[float]
    rows: int

    @property
    def best(self) -> float:
        return min(self.runs)


def _time(label: str, work, repeat: int) -> Timing:
    runs, rows = [], 0
    for _run in range(repeat):
        started = time.perf_counter()
        rows = len(work())
        runs.append(time.perf_counter() - started)
    return Timing(label, runs, rows)


def measure(*, as_of: date, repeat: int = 3) -> list[Timing]:
    """Best-of-``repeat`` timings: per-customer aging today and a year back, and the floor."""
    back = as_of - timedelta(days=365)
    return [
        _time(
            _("aging by customer as of %(date)s") % {"date": as_of},
            lambda: aging(as_of=as_of, by="customer"),
            repeat,
        ),
        _time(
            _("aging by customer as of %(date)s") % {"date": back},
            lambda: aging(as_of=back, by="customer"),
            repeat,
        ),
        _time(
            _("floor: raw GROUP BY over open receivables"),
            lambda: floor_query(as_of=as_of),
            repeat,
        ),
    ]


def totals_agree(*, as_of: date) -> bool:
    """The report and the floor see the same money today (a sanity check, not timed)."""
    report = sum(sum(row.buckets.values()) for row in aging(as_of=as_of, by="customer"))
    floor = sum(sum(value for value in row[1:]) for row in floor_query(as_of=as_of))
    return round(report * 100) == floor


def open_count() -> int:
    return Receivable.objects.filter(outstanding__gt=0).count()


def customer_count() -> int:
    return Customer.objects.count()
