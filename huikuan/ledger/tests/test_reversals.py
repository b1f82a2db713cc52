"""Undoing a payment, a credit note or one allocation by a new document, never by editing."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, PaymentKind, Receivable, Reversal
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.org.models import Role
from huikuan.reports.selectors import aging

D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def cust():
    return f.customer()


@pytest.fixture
def paid(cust):
    """Two receivables of 100 and a payment of 250 on 1 February: both settled, 50 credit."""
    first = f.receivable(cust, number="R1", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    second = f.receivable(cust, number="R2", issue=date(2026, 1, 5), due=date(2026, 2, 5))
    payment = f.payment(cust, number="P1", amount="250", on=date(2026, 2, 1))
    return first, second, payment


def outstanding(*receivables):
    return [Receivable.objects.get(pk=r.pk).outstanding for r in receivables]


def portfolio(as_of):
    (row,) = aging(as_of=as_of, by="portfolio")
    return row.total, row.unapplied_credit


# --- payment_reverse ------------------------------------------------------------------------------


def test_reversing_a_payment_reopens_what_it_settled(paid):
    first, second, payment = paid
    clerk = f.user(Role.FINANCE)
    reversal = services.payment_reverse(
        payment=payment, on=date(2026, 2, 10), reason="银行退票", actor=clerk
    )
    assert reversal.payment == payment
    assert outstanding(first, second) == [D("100.00"), D("100.00")]
    assert Payment.objects.get(pk=payment.pk).allocated == D("0.00")
    undo = Allocation.objects.filter(reversal=reversal).order_by("pk")
    assert [(a.amount, a.applied_on) for a in undo] == [(D("-100.00"), date(2026, 2, 10))] * 2
    assert services.ledger_recompute() == []
    entry = AuditEntry.objects.get(action="payment.reverse")
    assert (entry.actor, entry.before, entry.after["allocated"]) == (
        clerk,
        {"allocated": "200.00"},
        "0.00",
    )
    assert entry.after["reason"] == "银行退票"


def test_a_reversed_payment_leaves_no_unapplied_credit_from_the_reversal_date(paid):
    payment = paid[2]
    services.payment_reverse(payment=payment, on=date(2026, 2, 10), reason="退票")
    assert portfolio(date(2026, 2, 9)) == (D("0.00"), D("50.00"))
    assert portfolio(date(2026, 2, 10)) == (D("200.00"), D("0.00"))


def test_a_reversed_payment_cannot_be_allocated_or_reversed_again(paid, cust):
    payment = paid[2]
    services.payment_reverse(payment=payment, on=date(2026, 2, 10), reason="退票")
    f.receivable(cust, number="R3")
    with refused("payment", match="P1"):
        services.payment_reverse(payment=payment, on=date(2026, 2, 11), reason="again")
    with refused("payment", match="P1"):
        services.payment_allocate(payment=payment, lines=[("R3", "10")])
    with refused("payment", match="P1"):
        services.payment_allocate_auto(payment=payment)


def test_a_payment_cannot_be_reversed_before_it_was_received(paid):
    with refused("date", match="2026-02-01"):
        services.payment_reverse(payment=paid[2], on=date(2026, 1, 31), reason="x")


def test_a_payment_cannot_be_reversed_before_its_last_allocation(paid, cust):
    payment = paid[2]
    f.receivable(cust, number="R3")
    services.payment_allocate(payment=payment, lines=[("R3", "50")], on=date(2026, 3, 1))
    with refused("date", match="2026-03-01"):
        services.payment_reverse(payment=payment, on=date(2026, 2, 28), reason="x")


def test_a_payment_cannot_be_reversed_before_a_later_movement_on_a_receivable_it_paid(cust):
    bill = f.receivable(cust, number="R1", amount="100")
    first = f.payment(cust, number="P1", amount="40", on=date(2026, 2, 1))
    f.payment(cust, number="P2", amount="60", on=date(2026, 3, 1))
    with refused("date", match="2026-03-01"):
        services.payment_reverse(payment=first, on=date(2026, 2, 15), reason="x")
    services.payment_reverse(payment=first, on=date(2026, 3, 1), reason="x")
    assert outstanding(bill) == [D("40.00")]


def test_a_payment_reversal_needs_a_reason(paid):
    with refused("reason"):
        services.payment_reverse(payment=paid[2], on=date(2026, 2, 10), reason="")


def test_a_credit_note_is_reversed_like_a_payment(cust):
    bill = f.receivable(cust, number="R1")
    note = f.credit_note(cust, amount="30", allocate="auto")
    services.payment_reverse(payment=note, on=date(2026, 2, 2), reason="开错")
    assert outstanding(bill) == [D("100.00")]
    assert AuditEntry.objects.filter(action=f"{PaymentKind.CREDIT_NOTE}.reverse").count() == 1


def test_a_payment_with_one_allocation_already_undone_reverses_only_the_rest(paid):
    first, second, payment = paid
    row = payment.allocations.get(receivable=first)
    services.allocation_reverse(allocation=row, on=date(2026, 2, 5), reason="错配")
    services.payment_reverse(payment=payment, on=date(2026, 2, 6), reason="退票")
    assert outstanding(first, second) == [D("100.00"), D("100.00")]
    assert Allocation.objects.filter(reverses__isnull=False).count() == 2
    assert services.ledger_recompute() == []


# --- allocation_reverse ---------------------------------------------------------------------------


def test_reversing_an_allocation_reopens_the_receivable_and_frees_the_credit(paid, cust):
    first, second, payment = paid
    row = payment.allocations.get(receivable=second)
    reversal = services.allocation_reverse(allocation=row, on=date(2026, 2, 3), reason="错配")
    assert reversal.allocation == row
    assert outstanding(first, second) == [D("0.00"), D("100.00")]
    assert Payment.objects.get(pk=payment.pk).unapplied == D("150.00")
    assert Allocation.objects.get(reverses=row).amount == D("-100.00")
    entry = AuditEntry.objects.get(action="allocation.reverse")
    assert (entry.before, entry.after["outstanding"]) == ({"outstanding": "0.00"}, "100.00")
    # The freed credit can now go to the right receivable.
    right = f.receivable(cust, number="R3", amount="150")
    services.payment_allocate(payment=payment, lines=[(right, "150")], on=date(2026, 2, 3))
    assert outstanding(right) == [D("0.00")]
    assert services.ledger_recompute() == []


def test_an_allocation_is_reversed_only_once(paid):
    row = paid[2].allocations.first()
    services.allocation_reverse(allocation=row, on=date(2026, 2, 3), reason="x")
    with refused("allocation"):
        services.allocation_reverse(allocation=row, on=date(2026, 2, 4), reason="x")


def test_a_reversing_entry_cannot_itself_be_reversed(paid):
    row = paid[2].allocations.first()
    services.allocation_reverse(allocation=row, on=date(2026, 2, 3), reason="x")
    undo = Allocation.objects.get(reverses=row)
    with refused("allocation"):
        services.allocation_reverse(allocation=undo, on=date(2026, 2, 4), reason="x")


def test_a_write_off_allocation_is_undone_by_reversing_the_write_off(cust):
    bill = f.receivable(cust)
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 3, 1), reason="x")
    with refused("allocation"):
        services.allocation_reverse(
            allocation=write_off.allocations.get(), on=date(2026, 3, 2), reason="x"
        )


def test_an_allocation_reversal_cannot_be_dated_before_the_payments_last_movement(paid):
    row = paid[2].allocations.first()
    with refused("date", match="2026-02-01"):
        services.allocation_reverse(allocation=row, on=date(2026, 1, 31), reason="x")


def test_an_allocation_of_a_reversed_payment_cannot_be_reversed_again(paid):
    payment = paid[2]
    row = payment.allocations.first()
    services.payment_reverse(payment=payment, on=date(2026, 2, 10), reason="x")
    with refused("payment"):
        services.allocation_reverse(allocation=row, on=date(2026, 2, 11), reason="x")


def test_an_allocation_reversal_needs_a_reason(paid):
    with refused("reason"):
        services.allocation_reverse(
            allocation=paid[2].allocations.first(), on=date(2026, 2, 3), reason=""
        )
    assert not Reversal.objects.exists()
