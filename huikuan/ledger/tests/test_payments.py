"""Recording payments and credit notes and allocating them (核销) to receivables."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, PaymentKind, Receivable
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.org.models import Role

D = Decimal
FEB1 = date(2026, 2, 1)

pytestmark = pytest.mark.django_db


def outstanding(*receivables):
    return [Receivable.objects.get(pk=r.pk).outstanding for r in receivables]


def record(cust, **kw):
    args = {"customer": cust, "number": "P-1", "received_on": FEB1, "amount": "100"}
    return services.payment_record(**{**args, **kw})


@pytest.fixture
def cust():
    return f.customer()


@pytest.fixture
def three(cust):
    """Three open receivables of 100 created out of due-date order."""
    late = f.receivable(cust, number="LATE", issue=date(2026, 1, 5), due=date(2026, 3, 31))
    early = f.receivable(cust, number="EARLY", issue=date(2026, 1, 10), due=date(2026, 1, 20))
    mid = f.receivable(cust, number="MID", issue=date(2026, 1, 1), due=date(2026, 2, 28))
    return early, mid, late


# --- Automatic allocation -------------------------------------------------------------------------


def test_auto_allocation_settles_the_oldest_due_first(cust, three):
    early, mid, late = three
    payment = record(cust, amount="250")
    assert outstanding(early, mid, late) == [D("0.00"), D("0.00"), D("50.00")]
    rows = list(payment.allocations.order_by("pk").values_list("receivable__number", "amount"))
    assert rows == [("EARLY", D("100.00")), ("MID", D("100.00")), ("LATE", D("50.00"))]
    assert payment.allocated == D("250.00")
    assert payment.unapplied == D("0.00")
    assert {a.applied_on for a in payment.allocations.all()} == {FEB1}


def test_auto_allocation_keeps_what_is_left_as_unapplied_credit(cust, three):
    payment = record(cust, amount="350.40")
    assert outstanding(*three) == [D("0.00")] * 3
    assert payment.allocated == D("300.00")
    assert payment.unapplied == D("50.40")


def test_auto_allocation_with_nothing_open_leaves_all_as_credit(cust):
    payment = record(cust, amount="80")
    assert payment.allocated == D("0.00")
    assert not payment.allocations.exists()


def test_auto_allocation_touches_only_this_customers_receivables_in_its_currency(cust):
    other = f.receivable(f.customer(), due=date(2026, 1, 2))
    dollars = f.receivable(cust, currency="USD", due=date(2026, 1, 3))
    own = f.receivable(cust, due=date(2026, 1, 31))
    payment = record(cust, amount="150")
    assert outstanding(other, dollars, own) == [D("100.00"), D("100.00"), D("0.00")]
    assert payment.unapplied == D("50.00")


def test_an_allocation_never_takes_effect_before_the_receivable_is_issued(cust):
    later = f.receivable(cust, issue=date(2026, 3, 1), due=date(2026, 3, 31))
    payment = record(cust, amount="100")
    assert payment.allocations.get().applied_on == date(2026, 3, 1)
    assert later.pk == payment.allocations.get().receivable_id


def test_allocate_none_leaves_everything_as_credit(cust, three):
    payment = record(cust, amount="100", allocate="none")
    assert payment.allocated == D("0.00")
    assert outstanding(*three) == [D("100.00")] * 3


# --- Explicit allocation --------------------------------------------------------------------------


def test_explicit_lines_settle_exactly_what_they_name(cust, three):
    early, mid, late = three
    payment = record(cust, amount="100", allocate=[("LATE", "60"), (mid, D("30.5"))])
    assert outstanding(early, mid, late) == [D("100.00"), D("69.50"), D("40.00")]
    assert payment.allocated == D("90.50")
    assert payment.unapplied == D("9.50")


def test_an_unknown_receivable_is_refused_and_no_payment_is_posted(cust, three):
    with refused("allocate", match="NOPE", code="not_found"):
        record(cust, allocate=[("EARLY", "10"), ("NOPE", "10")])
    assert not Payment.objects.exists()


def test_a_receivable_of_another_customer_cannot_be_settled(cust, three):
    stranger = f.receivable(f.customer(), number="THEIRS")
    with refused("allocate", match="THEIRS", code="not_found"):
        record(cust, allocate=[(stranger, "10")])


def test_a_line_larger_than_the_receivables_outstanding_is_refused(cust, three):
    f.payment(cust, amount="70", allocate=[("EARLY", "70")], number="P-0")
    with refused("allocate", match="30.00"):
        record(cust, amount="100", allocate=[("EARLY", "30.01")])


def test_lines_adding_up_to_more_than_the_payment_are_refused(cust, three):
    with refused("allocate", match="100.00"):
        record(cust, amount="100", allocate=[("EARLY", "60"), ("MID", "40.01")])


def test_a_receivable_listed_twice_is_refused(cust, three):
    early = three[0]
    with refused("allocate", match="EARLY"):
        record(cust, amount="100", allocate=[("EARLY", "10"), (early, "10")])


@pytest.mark.parametrize("amount", ["0", "-10", 5.0, "x"])
def test_every_line_needs_a_positive_amount(cust, three, amount):
    with refused("allocate"):
        record(cust, allocate=[("EARLY", amount)])


def test_a_malformed_line_is_refused(cust, three):
    with refused("allocate", match="Line 1"):
        record(cust, allocate=["EARLY"])


def test_a_receivable_in_another_currency_cannot_be_settled(cust):
    f.receivable(cust, number="USD-1", currency="USD")
    with refused("allocate", match="USD-1"):
        record(cust, allocate=[("USD-1", "10")])


def test_an_unknown_allocation_mode_is_refused(cust):
    with refused("allocate"):
        record(cust, allocate="oldest")


# --- The payment document itself ------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, "-1", 99.9, "NaN", "1e20"])
def test_a_payment_needs_a_positive_amount_of_money(cust, amount):
    with refused("amount"):
        record(cust, amount=amount)


def test_an_unknown_kind_or_method_is_refused(cust):
    with refused("kind"):
        record(cust, kind="gift")
    with refused("method"):
        record(cust, method="barter")


def test_a_payment_number_is_used_once_per_kind(cust):
    record(cust, number="X-1")
    other = f.customer()
    with refused("number", match="X-1", code="unique"):
        record(other, number="X-1", amount="5")


def test_a_payment_and_a_credit_note_may_share_a_number(cust):
    record(cust, number="X-1", allocate="none")
    note = record(cust, number="X-1", kind=PaymentKind.CREDIT_NOTE, allocate="none")
    assert note.kind == PaymentKind.CREDIT_NOTE
    assert Payment.objects.filter(number="X-1").count() == 2
    with refused("number", code="unique"):
        record(cust, number="X-1", kind=PaymentKind.CREDIT_NOTE, allocate="none")


def test_a_payment_needs_a_number(cust):
    with refused("number"):
        record(cust, number="  ")


def test_a_credit_note_settles_receivables_like_a_payment(cust, three):
    clerk = f.user(Role.FINANCE)
    note = record(cust, kind=PaymentKind.CREDIT_NOTE, amount="120", actor=clerk)
    assert note.method == ""
    assert outstanding(*three) == [D("0.00"), D("80.00"), D("100.00")]
    entry = AuditEntry.objects.get(action="credit_note.record")
    assert entry.actor == clerk
    assert entry.after["amount"] == "120.00"


def test_recording_a_payment_is_audited_with_each_allocation(cust, three):
    clerk = f.user(Role.FINANCE)
    payment = record(cust, amount="150", actor=clerk)
    entry = AuditEntry.objects.get(action="payment.record")
    assert (entry.actor, entry.object_id, entry.after["amount"]) == (
        clerk,
        str(payment.pk),
        "150.00",
    )
    lines = AuditEntry.objects.filter(action="allocation.create").order_by("pk")
    assert [(e.before["outstanding"], e.after["outstanding"]) for e in lines] == [
        ("100.00", "0.00"),
        ("100.00", "50.00"),
    ]
    assert [e.after["payment_allocated"] for e in lines] == ["100.00", "150.00"]
    assert {e.actor for e in lines} == {clerk}


# --- Allocating unapplied credit later -----------------------------------------------------------


def test_unapplied_credit_can_be_allocated_later_by_hand(cust):
    payment = record(cust, amount="300", allocate="none")
    bill = f.receivable(cust, number="LATER", issue=date(2026, 3, 1), due=date(2026, 3, 31))
    rows = services.payment_allocate(payment=payment, lines=[("LATER", "80")], on=date(2026, 3, 5))
    assert [(r.amount, r.applied_on) for r in rows] == [(D("80.00"), date(2026, 3, 5))]
    assert outstanding(bill) == [D("20.00")]
    assert Payment.objects.get(pk=payment.pk).unapplied == D("220.00")


def test_unapplied_credit_can_be_allocated_later_automatically(cust):
    payment = record(cust, amount="150", allocate="none")
    first = f.receivable(cust, issue=date(2026, 3, 1), due=date(2026, 3, 31))
    second = f.receivable(cust, issue=date(2026, 3, 2), due=date(2026, 4, 30))
    rows = services.payment_allocate_auto(payment=payment, on=date(2026, 3, 10))
    assert [r.applied_on for r in rows] == [date(2026, 3, 10)] * 2
    assert outstanding(first, second) == [D("0.00"), D("50.00")]
    assert services.payment_allocate_auto(payment=payment, on=date(2026, 3, 11)) == []


def test_a_later_allocation_is_dated_no_earlier_than_the_payments_last_movement(cust):
    payment = record(cust, amount="300", allocate="none")
    f.receivable(cust, number="A", issue=date(2026, 1, 1))
    f.receivable(cust, number="B", issue=date(2026, 1, 1))
    services.payment_allocate(payment=payment, lines=[("A", "10")], on=date(2026, 4, 1))
    (row,) = services.payment_allocate(payment=payment, lines=[("B", "10")], on=date(2026, 3, 1))
    assert row.applied_on == date(2026, 4, 1)


def test_more_than_the_unapplied_credit_cannot_be_allocated(cust):
    payment = record(cust, amount="50", allocate="none")
    f.receivable(cust, number="A")
    services.payment_allocate(payment=payment, lines=[("A", "30")])
    with refused("allocate", match="20.00"):
        services.payment_allocate(payment=payment, lines=[("A", "20.01")])


def test_a_later_allocation_to_another_customers_receivable_is_refused(cust):
    payment = record(cust, amount="50", allocate="none")
    f.receivable(f.customer(), number="THEIRS")
    with refused("allocate", match="THEIRS"):
        services.payment_allocate(payment=payment, lines=[("THEIRS", "10")])


def test_no_allocation_rows_without_lines(cust):
    payment = record(cust, amount="50", allocate="none")
    assert services.payment_allocate(payment=payment, lines=[]) == []
    assert not Allocation.objects.exists()
