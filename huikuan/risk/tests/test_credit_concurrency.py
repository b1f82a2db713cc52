"""Credit checks racing a hold and each other (PostgreSQL only: SQLite runs one writer at a time,
so there is no race to lose there).

Each thread has its own database connection. The guarantee under test: the check and every
writer of what it reads take the customer's row lock first, so they run one after another for a
customer. A hold therefore splits the checks in two: those that finished before the hold was
placed, and those that see it and block — never a check that allows an order after the hold went
in. And concurrent checks count each other's reservations, so together they never allow more
than the limit.
"""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from huikuan.dunning.tests.factories import make_customer, make_user
from huikuan.org.models import Role
from huikuan.risk.credit import credit_check
from huikuan.risk.models import CreditDecision, CreditHold, Decision
from huikuan.risk.services import hold_place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AS_OF = date(2026, 6, 30)
D = Decimal


def run_together(jobs):
    """Run each ``job()`` in its own thread, all released at once; return their results in
    order as ``("ok", value)`` or ``("error", repr)``."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", jobs[i]())
        except Exception as exc:  # a deadlock or database error must show up as a failure
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert [r for r in results if r[0] == "error"] == []
    return [value for _outcome, value in results]


def test_no_check_allows_an_order_once_a_hold_has_been_placed():
    manager = make_user(Role.MANAGER)
    customer = make_customer(
        owner=make_user(Role.REP, manager=manager),
        credit_limit=D("10000000.00"),
        first_deal_on=date(2023, 1, 1),
    )
    committed = {}

    def place_hold():
        time.sleep(0.1)
        # A hold whose transaction stays open a while after it is written: checks that start
        # meanwhile must wait for it rather than read around it.
        with transaction.atomic():
            hold = hold_place(customer=customer, reason="多次违约,停止发货", actor=manager)
            time.sleep(0.3)
        committed["at"] = time.monotonic()
        return hold

    def check(i):
        def job():
            time.sleep(0.025 * i)  # spread the checks over 1.25 s, across the hold
            started = time.monotonic()
            decision = credit_check(
                customer=customer, amount=D("1000.00"), order_ref=f"SO-{i:02d}", as_of=AS_OF
            )
            return started, decision

        return job

    results = run_together([place_hold] + [check(i) for i in range(50)])
    hold, checks = results[0], results[1:]
    hold = CreditHold.objects.get(pk=hold.pk)

    after_commit = [d for started, d in checks if started > committed["at"]]
    assert after_commit, "no check started after the hold committed; the test proves nothing"
    assert [d.decision for d in after_commit if d.decision != Decision.BLOCK] == []

    # Stronger, and the part that needs the lock: every check written after the hold was
    # placed saw it, whenever it started.
    stored = {d.pk: d for d in CreditDecision.objects.filter(customer=customer)}
    assert len(stored) == 50
    for _started, decision in checks:
        row = stored[decision.pk]
        assert (row.decision, row.allowed_amount, row.reasons) == (
            decision.decision,
            decision.allowed_amount,
            decision.reasons,
        )
        if row.asked_at > hold.placed_at:
            assert row.decision == Decision.BLOCK
            assert row.reasons[0]["code"] == "hold"
        else:
            assert row.decision == Decision.ALLOW
    assert any(row.decision == Decision.ALLOW for row in stored.values()), "hold came first"


def test_parallel_checks_never_allow_more_than_the_limit_together():
    customer = make_customer(credit_limit=D("100000.00"), first_deal_on=date(2023, 1, 1))

    def check(i):
        return lambda: credit_check(
            customer=customer, amount=D("10000.00"), order_ref=f"SO-{i:02d}", as_of=AS_OF
        )

    decisions = run_together([check(i) for i in range(20)])

    allowed = sum((d.allowed_amount for d in decisions), D("0.00"))
    assert allowed == D("100000.00")
    assert sorted(d.decision for d in decisions).count(Decision.ALLOW) == 10
    stored = CreditDecision.objects.filter(customer=customer).aggregate(s=Sum("allowed_amount"))
    assert stored["s"] == D("100000.00")
