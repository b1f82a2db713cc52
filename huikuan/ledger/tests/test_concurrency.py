"""Concurrent writers never over-allocate (PostgreSQL only: SQLite runs one writer at a time).

Sixteen threads, each with its own database connection, start together behind a barrier. Each
either succeeds or gets the ordinary validation error a user would see; the receivable is never
settled beyond its amount, a payment never allocated beyond its amount, and the stored balances
still agree with the allocation rows afterwards.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, Receivable
from huikuan.ledger.tests import factories as f

D = Decimal
THREADS = 16

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(work, count=THREADS):
    """Run ``work(i)`` in ``count`` threads at once; return ``[(outcome, value)]`` in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", work(i))
        except ValidationError as exc:
            results[i] = ("refused", exc.message_dict)
        except Exception as exc:  # a deadlock or database error must show up as a failure
            results[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return results


def settled(receivable):
    return Allocation.objects.filter(receivable=receivable).aggregate(s=Sum("amount"))["s"]


def test_sixteen_payments_racing_for_one_receivable_never_over_settle_it():
    cust = f.customer()
    bill = f.receivable(cust, number="R1", amount="1000.00")

    def pay(i):
        # Half name the receivable explicitly, half leave it to automatic allocation.
        allocate = [("R1", D("100.00"))] if i % 2 else "auto"
        return services.payment_record(
            customer=cust,
            number=f"P{i:02d}",
            received_on=date(2026, 2, 1),
            amount=D("100.00"),
            allocate=allocate,
        )

    results = run_together(pay)
    assert [r for r in results if r[0] == "error"] == []
    refused = [r[1] for r in results if r[0] == "refused"]
    assert all(set(errors) == {"allocate"} for errors in refused), refused
    # Only explicit lines can be refused (automatic allocation takes what is left).
    assert all(results[i][0] == "ok" for i in range(0, THREADS, 2))

    stored = Receivable.objects.get(pk=bill.pk)
    assert stored.outstanding >= D("0.00")
    assert settled(bill) <= stored.amount
    assert settled(bill) + stored.outstanding == stored.amount
    # 1,600 was offered for a 1,000 bill: it is fully settled, the rest is credit or refused.
    assert stored.outstanding == D("0.00")
    assert services.ledger_recompute() == []
    recorded = Payment.objects.aggregate(s=Sum("amount"), a=Sum("allocated"))
    assert recorded["a"] == D("1000.00")
    assert recorded["s"] == D("100.00") * (THREADS - len(refused))


def test_sixteen_threads_sharing_one_payments_credit_never_allocate_more_than_it():
    cust = f.customer()
    payment = f.payment(cust, number="P1", amount="1000.00", allocate="none")
    bills = [f.receivable(cust, number=f"R{i:02d}", amount="100.00") for i in range(THREADS)]

    def allocate(i):
        if i % 4 == 0:
            return services.payment_allocate_auto(payment=payment, on=date(2026, 2, 2))
        return services.payment_allocate(
            payment=payment, lines=[(bills[i].number, D("100.00"))], on=date(2026, 2, 2)
        )

    results = run_together(allocate)
    assert [r for r in results if r[0] == "error"] == []
    refused = [r[1] for r in results if r[0] == "refused"]
    assert all(set(errors) == {"allocate"} for errors in refused), refused

    stored = Payment.objects.get(pk=payment.pk)
    total = Allocation.objects.filter(payment=payment).aggregate(s=Sum("amount"))["s"]
    assert total == stored.allocated == D("1000.00")
    assert stored.allocated <= stored.amount
    assert all(Receivable.objects.get(pk=b.pk).outstanding >= D("0.00") for b in bills)
    assert services.ledger_recompute() == []
