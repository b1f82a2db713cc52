"""Posting receivables: by hand, from a delivery, and from a contract's installment plan."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.contracts.models import Delivery
from huikuan.contracts.services import contract_create
from huikuan.ledger import services
from huikuan.ledger.models import Receivable, ReceivableKind
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.org.models import Role

D = Decimal
JAN1 = date(2026, 1, 1)

pytestmark = pytest.mark.django_db


def create(cust, **kw):
    args = {
        "customer": cust,
        "number": "INV-1",
        "issue_date": JAN1,
        "due_date": date(2026, 1, 31),
        "amount": D("1200.50"),
    }
    return services.receivable_create(**{**args, **kw})


# --- receivable_create ----------------------------------------------------------------------------


def test_a_new_receivable_is_fully_outstanding_and_audited():
    clerk = f.user(Role.FINANCE)
    receivable = create(f.customer(), actor=clerk)
    stored = Receivable.objects.get(pk=receivable.pk)
    assert stored.outstanding == stored.amount == D("1200.50")
    assert stored.created_by == clerk
    entry = AuditEntry.objects.get(action="receivable.create", object_id=str(receivable.pk))
    assert entry.actor == clerk
    assert entry.before is None
    assert entry.after["amount"] == "1200.50"
    assert entry.after["number"] == "INV-1"


def test_a_receivable_number_is_stored_without_surrounding_spaces():
    receivable = create(f.customer(), number="  INV-7 ")
    assert Receivable.objects.get(pk=receivable.pk).number == "INV-7"


@pytest.mark.parametrize("amount", [0, "0.00", "-5", D("0.004")])
def test_a_receivable_needs_an_amount_above_zero(amount):
    cust = f.customer()
    with refused("amount", match="greater than zero"):
        create(cust, amount=amount)


@pytest.mark.parametrize("amount", [12.5, "abc", "NaN", "Infinity", "1e17", None])
def test_a_receivable_amount_that_is_not_money_is_refused_by_name(amount):
    cust = f.customer()
    with refused("amount", match="Not an amount"):
        create(cust, amount=amount)


def test_a_receivable_cannot_fall_due_before_it_is_issued():
    cust = f.customer()
    with refused("due_date"):
        create(cust, issue_date=date(2026, 2, 1), due_date=date(2026, 1, 31))


def test_a_receivable_may_fall_due_on_its_issue_day():
    receivable = create(f.customer(), due_date=JAN1)
    assert receivable.due_date == receivable.issue_date


def test_a_receivable_number_is_used_only_once_even_across_customers():
    create(f.customer())
    other = f.customer()
    with refused("number", code="unique"):
        create(other, number="INV-1")


def test_a_receivable_needs_a_number():
    cust = f.customer()
    with refused("number"):
        create(cust, number="   ")


def test_a_receivable_under_another_customers_contract_is_refused():
    owner, other = f.customer(), f.customer()
    contract = contract_create(customer=owner, number="HT-1", signed_on=JAN1)
    with refused("contract"):
        create(other, contract=contract)


# --- delivery_record ------------------------------------------------------------------------------


def deliver(cust, **kw):
    args = {"customer": cust, "number": "DL-1", "delivered_on": JAN1, "amount": "800"}
    return services.delivery_record(**{**args, **kw})


def test_a_delivery_under_a_contract_falls_due_after_the_contracts_day_count():
    cust = f.customer(payment_terms_days=60)
    contract = contract_create(customer=cust, number="HT-1", signed_on=JAN1, term_days=45)
    receivable = deliver(cust, contract=contract, delivered_on=date(2026, 3, 10))
    assert receivable.due_date == date(2026, 4, 24)
    assert receivable.kind == ReceivableKind.DELIVERY
    assert receivable.contract == contract
    delivery = Delivery.objects.get(number="DL-1")
    assert receivable.delivery == delivery
    assert delivery.due_date == receivable.due_date
    assert receivable.outstanding == receivable.amount == D("800.00")


def test_a_contract_with_zero_days_makes_the_delivery_due_at_once():
    cust = f.customer(payment_terms_days=60)
    contract = contract_create(customer=cust, number="HT-1", signed_on=JAN1, term_days=0)
    assert deliver(cust, contract=contract).due_date == JAN1


def test_without_a_day_count_in_the_contract_the_customers_payment_terms_apply():
    cust = f.customer(payment_terms_days=60)
    contract = contract_create(customer=cust, number="HT-1", signed_on=JAN1)
    assert deliver(cust, contract=contract).due_date == JAN1 + timedelta(days=60)


def test_a_delivery_without_a_contract_follows_the_customers_payment_terms():
    cust = f.customer(payment_terms_days=90)
    assert deliver(cust).due_date == date(2026, 4, 1)


def test_an_explicit_due_date_overrides_the_terms():
    cust = f.customer(payment_terms_days=90)
    assert deliver(cust, due_date=date(2026, 1, 15)).due_date == date(2026, 1, 15)


def test_a_delivery_takes_the_contracts_currency():
    cust = f.customer()
    contract = contract_create(customer=cust, number="HT-1", signed_on=JAN1, currency="USD")
    assert deliver(cust, contract=contract).currency == "USD"


def test_a_delivery_due_before_it_was_delivered_is_refused():
    cust = f.customer()
    with refused("due_date"):
        deliver(cust, due_date=date(2025, 12, 31))


def test_a_delivery_number_is_used_only_once():
    cust = f.customer()
    deliver(cust)
    with refused("number", code="unique"):
        deliver(cust, amount="5")


def test_a_delivery_whose_number_is_taken_by_an_invoice_writes_nothing():
    cust = f.customer()
    create(cust, number="DL-1")
    with refused("number", code="unique"):
        deliver(cust)


@pytest.mark.parametrize("amount", ["0", "-1", 3.5])
def test_a_delivery_needs_a_positive_amount(amount):
    cust = f.customer()
    with refused("amount"):
        deliver(cust, amount=amount)


def test_a_delivery_under_another_customers_contract_is_refused():
    owner, other = f.customer(), f.customer()
    contract = contract_create(customer=owner, number="HT-1", signed_on=JAN1, term_days=10)
    with refused("contract"):
        deliver(other, contract=contract)


# --- installments_post ----------------------------------------------------------------------------


def test_each_installment_node_becomes_one_receivable():
    cust = f.customer()
    contract = contract_create(
        customer=cust,
        number="HT-9",
        signed_on=date(2026, 3, 1),
        amount="1000",
        installments=[(date(2026, 6, 30), "600"), (date(2026, 2, 15), "400")],
    )
    created = services.installments_post(contract=contract)
    assert [(r.number, r.due_date, r.amount) for r in created] == [
        ("HT-9-01", date(2026, 2, 15), D("400.00")),
        ("HT-9-02", date(2026, 6, 30), D("600.00")),
    ]
    # A node due before signing is issued on its due date; the rest on the signing date.
    assert [r.issue_date for r in created] == [date(2026, 2, 15), date(2026, 3, 1)]
    assert all(r.kind == ReceivableKind.INSTALLMENT and r.contract == contract for r in created)
    assert [r.installment.sequence for r in created] == [1, 2]


def test_posting_installments_twice_creates_nothing_the_second_time():
    cust = f.customer()
    contract = contract_create(
        customer=cust,
        number="HT-9",
        signed_on=JAN1,
        installments=[(date(2026, 2, 1), "100"), (date(2026, 3, 1), "200")],
    )
    services.installments_post(contract=contract)
    before = f.ledger_state()
    assert services.installments_post(contract=contract) == []
    assert f.ledger_state() == before
    assert Receivable.objects.filter(contract=contract).count() == 2
