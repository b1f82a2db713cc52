from datetime import date

import pytest

from huikuan.contracts.models import Contract, InstallmentNode
from huikuan.customers.models import ContactRole
from huikuan.dunning.selectors import checklist
from huikuan.ledger.services import delivery_record

from .factories import make_contact, make_customer, set_payment_process

pytestmark = pytest.mark.django_db

KEYS = [
    "deal",
    "acceptance_person",
    "acceptance_criteria",
    "payment_terms",
    "settlement_day",
    "payment_responsible",
]


def by_key(customer):
    return {item.key: item for item in checklist(customer=customer)}


def test_a_bare_customer_misses_everything_and_each_item_says_how_to_fix_it():
    items = checklist(customer=make_customer())
    assert [item.key for item in items] == KEYS
    assert not any(item.ok for item in items)
    assert all(item.fix and item.label and item.detail for item in items)


def test_a_complete_file_passes_every_item():
    customer = make_customer()
    Contract.objects.create(
        customer=customer,
        number="HT-2026-001",
        signed_on=date(2026, 1, 2),
        term_days=60,
        acceptance_criteria="到货 3 日内验收",
    )
    make_contact(customer, ContactRole.ACCEPTANCE, name="赵验收")
    make_contact(customer, ContactRole.PAYMENT_RESPONSIBLE, name="钱出纳")
    set_payment_process(customer, settlement_day=25)
    items = by_key(customer)
    assert all(item.ok for item in items.values()), items
    assert "HT-2026-001" in items["deal"].detail
    assert items["acceptance_person"].detail == "赵验收"
    assert "25" in items["settlement_day"].detail
    assert "60" in items["payment_terms"].detail


def test_a_described_delivery_counts_as_the_deal_without_a_contract():
    customer = make_customer()
    delivery_record(
        customer=customer,
        number="SH-1",
        delivered_on=date(2026, 3, 1),
        amount="100.00",
        description="饮料 20 箱",
    )
    items = by_key(customer)
    assert items["deal"].ok
    assert not items["payment_terms"].ok


def test_an_installment_plan_gives_the_payment_terms():
    customer = make_customer()
    contract = Contract.objects.create(customer=customer, number="HT-2", signed_on=date(2026, 1, 2))
    InstallmentNode.objects.create(
        contract=contract, sequence=1, due_date=date(2026, 4, 1), amount="500.00"
    )
    assert by_key(customer)["payment_terms"].ok
    assert not by_key(customer)["acceptance_criteria"].ok


def test_a_contact_who_has_left_does_not_count():
    customer = make_customer()
    make_contact(customer, ContactRole.PAYMENT_RESPONSIBLE, is_active=False)
    assert not by_key(customer)["payment_responsible"].ok
