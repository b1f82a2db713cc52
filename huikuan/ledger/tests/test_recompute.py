"""The stored balances (outstanding, allocated) always agree with the allocation rows, and
ledger_recompute finds and repairs any copy that does not."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from huikuan.ledger import services
from huikuan.ledger.models import Payment, Receivable
from huikuan.ledger.tests import factories as f

D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    cust = f.customer()
    bill = f.receivable(cust, number="R1", amount="300")
    f.receivable(cust, number="R2", amount="50")
    payment = f.payment(cust, number="P1", amount="120", on=date(2026, 2, 1))
    return bill, payment


def raw_update(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_a_ledger_written_by_the_services_recomputes_clean(ledger):
    assert services.ledger_recompute() == []
    assert services.ledger_recompute(fix=True) == []


def test_a_tampered_outstanding_is_found_and_fixed(ledger):
    bill, _payment = ledger
    # outstanding is not a frozen column, so a raw UPDATE gets through the triggers.
    assert raw_update(
        "UPDATE ledger_receivable SET outstanding = %s WHERE id = %s", [12345, bill.pk]
    )
    assert Receivable.objects.get(pk=bill.pk).outstanding == D("123.45")
    problems = services.ledger_recompute()
    assert problems == ["receivable R1: outstanding 123.45, expected 180.00"]
    assert Receivable.objects.get(pk=bill.pk).outstanding == D("123.45")  # only reported
    assert services.ledger_recompute(fix=True) == problems
    assert Receivable.objects.get(pk=bill.pk).outstanding == D("180.00")
    assert services.ledger_recompute() == []


def test_a_tampered_payment_allocated_is_found_and_fixed(ledger):
    _bill, payment = ledger
    raw_update("UPDATE ledger_payment SET allocated = %s WHERE id = %s", [0, payment.pk])
    assert services.ledger_recompute() == ["payment P1: allocated 0.00, expected 120.00"]
    services.ledger_recompute(fix=True)
    assert Payment.objects.get(pk=payment.pk).allocated == D("120.00")
    assert services.ledger_recompute() == []


def test_recompute_counts_reversals_and_write_offs(ledger):
    bill, payment = ledger
    services.receivable_write_off(receivable=bill, on=date(2026, 3, 1), reason="x")
    services.payment_reverse(payment=payment, on=date(2026, 3, 1), reason="x")
    assert services.ledger_recompute() == []
    raw_update("UPDATE ledger_receivable SET outstanding = 0 WHERE id = %s", [bill.pk])
    assert services.ledger_recompute() == ["receivable R1: outstanding 0.00, expected 120.00"]
