"""``seed_demo``: a realistic, repeatable demo distributor in one transaction.

Same ``(seed, as_of)``, same documents: every choice comes from seeded generators in a fixed
order (each customer's history from its own generator), document numbers from one counter, and
nothing reads the clock except the ``created_at`` stamps.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from faker import Faker

from huikuan.audit.models import AuditEntry
from huikuan.core.errors import invalid
from huikuan.dunning.run import RunResult
from huikuan.ledger.services import ledger_recompute
from huikuan.risk.daily import run_daily

from .book import Book, Numbers
from .collection import seed_collection
from .history import CustomerHistory
from .imports import seed_imports
from .letters import seed_letters
from .risk import seed_credit_checks, seed_risk
from .seasons import Window
from .world import DEMO_PASSWORDS, CustomerPlan, ensure_staff, plan_customers

DEFAULT_CUSTOMERS = 150
RECEIVABLES_PER_CUSTOMER = 40
FLUSH_ROWS = 50_000


class SeedError(RuntimeError):
    """The seeded ledger failed its own check; nothing was written."""


@dataclass
class SeedResult:
    seed: int
    as_of: date
    plans: list[CustomerPlan]
    counts: Counter
    fen: Counter
    users_created: list[str]
    seconds: float = 0.0
    behaviours: Counter = field(default_factory=Counter)
    collection: Counter = field(default_factory=Counter)
    run: RunResult | None = None


def default_sizes(customers: int | None, receivables: int | None) -> tuple[int, int]:
    """Fill in what was not given: 150 customers and 40 receivables a customer by default;
    with only ``receivables`` given, one customer per 40 receivables (at least 150)."""
    if customers is None and receivables is None:
        customers = DEFAULT_CUSTOMERS
    if customers is None:
        customers = max(DEFAULT_CUSTOMERS, receivables // RECEIVABLES_PER_CUSTOMER)
    if receivables is None:
        receivables = customers * RECEIVABLES_PER_CUSTOMER
    return customers, receivables


def seed_demo(
    *, customers: int, receivables: int, seed: int, as_of: date, progress=None
) -> SeedResult:
    """Load ``customers`` customers with exactly ``receivables`` receivables and 24 months of
    history ending on ``as_of``, plus the demo logins; checks the ledger, adds six months of
    collection work (``collection.py``) and runs the daily dunning run for ``as_of``, so every
    rep has a worklist — all in one transaction.

    Raises ``ValidationError`` for sizes out of range and :class:`SeedError` if the stored
    balances disagree with the allocation rows (then nothing is written).
    """
    if customers < 1:
        raise invalid("customers", _("Give at least one customer."))
    if receivables < 0:
        raise invalid("receivables", _("The number of receivables cannot be negative."))
    started = time.perf_counter()
    report = progress or (lambda message: None)
    with transaction.atomic():
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        rng = random.Random(seed)
        staff = ensure_staff(fake=fake)
        book = Book(actor_id=staff.finance.pk)
        window = Window(as_of)
        plans = plan_customers(
            rng=rng,
            fake=fake,
            book=book,
            staff=staff,
            count=customers,
            receivables=receivables,
            as_of=as_of,
            window_start=window.start,
        )
        book.flush()
        numbers = Numbers()
        done = 0
        for plan in plans:
            history = CustomerHistory(
                plan=plan,
                book=book,
                rng=random.Random(f"{seed}:{plan.code}"),
                window=window,
                numbers=numbers,
            )
            history.run()
            done += plan.receivables
            if book.pending >= FLUSH_ROWS:
                book.flush()
                report(
                    _("%(done)s of %(total)s receivables written")
                    % {"done": done, "total": receivables}
                )
        book.finish()
        behaviours = Counter(plan.behaviour for plan in plans)
        AuditEntry.objects.create(
            actor=staff.admin,
            action="demo.seed",
            object_type="demo.seed",
            object_id=str(seed),
            object_repr=f"seed-demo {as_of.isoformat()}",
            after={
                "seed": seed,
                "as_of": as_of.isoformat(),
                "customers": customers,
                "receivables": receivables,
                "documents": dict(sorted(book.counts.items())),
            },
            note="Demo data loaded by huikuan seed-demo",
        )
        report(_("Checking the ledger …"))
        problems = ledger_recompute()
        if problems:
            raise SeedError(
                _("The seeded ledger does not add up (%(count)s problems), e.g. %(first)s")
                % {"count": len(problems), "first": "; ".join(problems[:3])}
            )
        report(_("Writing the collection history …"))
        collection = seed_collection(plans=plans, seed=seed, as_of=as_of)
        collection.update(seed_risk(plans=plans, seed=seed, as_of=as_of, staff=staff))
        report(_("Running the daily run for %(date)s …") % {"date": as_of.isoformat()})
        daily = run_daily(as_of=as_of)
        run = daily.dunning
        collection.update(seed_credit_checks(plans=plans, seed=seed, as_of=as_of, staff=staff))
        report(_("Writing letters and messages …"))
        collection.update(seed_letters(plans=plans, seed=seed, as_of=as_of, staff=staff))
        report(_("Importing a sheet from the ERP …"))
        collection.update(seed_imports(plans=plans, as_of=as_of, staff=staff))
        AuditEntry.objects.create(
            actor=staff.admin,
            action="demo.collection",
            object_type="demo.seed",
            object_id=str(seed),
            object_repr=f"seed-demo collection {as_of.isoformat()}",
            after={
                "written": dict(sorted(collection.items())),
                "daily_run": daily.counts(),
            },
            note="Demo collection history loaded by huikuan seed-demo",
        )
    return SeedResult(
        seed=seed,
        as_of=as_of,
        plans=plans,
        counts=book.counts,
        fen=book.fen,
        users_created=staff.created,
        seconds=time.perf_counter() - started,
        behaviours=behaviours,
        collection=collection,
        run=run,
    )


DEMO_LOGINS = [
    ("admin", DEMO_PASSWORDS["admin"], "admin"),
    ("finance", DEMO_PASSWORDS["finance"], "finance"),
    ("manager1", DEMO_PASSWORDS["manager"], "manager"),
    ("manager2", DEMO_PASSWORDS["manager"], "manager"),
    ("manager3", DEMO_PASSWORDS["manager"], "manager"),
    ("rep1 … rep8", DEMO_PASSWORDS["rep"], "rep"),
]
