"""Creating contracts with their installment plans (回款计划)."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.contracts.models import Contract
from huikuan.contracts.services import contract_create
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused

D = Decimal
SIGNED = date(2026, 1, 10)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cust():
    return f.customer()


def test_a_contract_keeps_its_plan_in_due_date_order(cust):
    contract = contract_create(
        customer=cust,
        number=" HT-2026-001 ",
        signed_on=SIGNED,
        amount="1000",
        installments=[(date(2026, 6, 30), "700.00"), (date(2026, 3, 31), D("300"))],
        term_days=30,
    )
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.number, stored.amount, stored.term_days) == ("HT-2026-001", D("1000.00"), 30)
    assert list(stored.nodes.values_list("sequence", "due_date", "amount")) == [
        (1, date(2026, 3, 31), D("300.00")),
        (2, date(2026, 6, 30), D("700.00")),
    ]
    assert AuditEntry.objects.get(action="contract.create").after["amount"] == "1000.00"


def test_without_a_stated_amount_the_contract_is_worth_its_plan(cust):
    contract = contract_create(
        customer=cust,
        number="HT-1",
        signed_on=SIGNED,
        installments=[(date(2026, 3, 31), "300"), (date(2026, 4, 30), "200.50")],
    )
    assert contract.amount == D("500.50")


def test_a_contract_without_a_plan_is_allowed(cust):
    contract = contract_create(customer=cust, number="HT-1", signed_on=SIGNED, amount="800")
    assert (contract.amount, contract.nodes.count()) == (D("800.00"), 0)


def test_installments_that_do_not_add_up_to_the_contract_are_refused(cust):
    with refused("installments", match="999.99"):
        contract_create(
            customer=cust,
            number="HT-1",
            signed_on=SIGNED,
            amount="1000",
            installments=[(date(2026, 3, 31), "500"), (date(2026, 4, 30), "499.99")],
        )


@pytest.mark.parametrize("value", ["0", "-100", 100.0, "abc"])
def test_every_installment_needs_a_positive_amount_of_money(cust, value):
    with refused("installments"):
        contract_create(
            customer=cust,
            number="HT-1",
            signed_on=SIGNED,
            installments=[(date(2026, 3, 31), "100"), (date(2026, 4, 30), value)],
        )


@pytest.mark.parametrize("amount", ["-1", 99.5, "abc"])
def test_a_contract_amount_that_is_negative_or_not_money_is_refused_by_name(cust, amount):
    with refused("amount"):
        contract_create(customer=cust, number="HT-1", signed_on=SIGNED, amount=amount)


def test_a_contract_number_is_used_only_once(cust):
    contract_create(customer=cust, number="HT-1", signed_on=SIGNED)
    other = f.customer()
    with refused("number", match="HT-1", code="unique"):
        contract_create(customer=other, number="HT-1", signed_on=SIGNED)


def test_a_contract_needs_a_number(cust):
    with refused("number"):
        contract_create(customer=cust, number=" ", signed_on=SIGNED)
