"""Creating and changing customers, their contacts and how they pay."""

from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.customers.models import Contact, ContactRole, Customer, CustomerStatus
from huikuan.customers.services import (
    contact_add,
    customer_create,
    customer_update,
    payment_process_set,
)
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.org.models import Role

D = Decimal

pytestmark = pytest.mark.django_db


# --- customer_create ------------------------------------------------------------------------------


def test_a_new_customer_gets_an_empty_payment_process_and_an_audit_line():
    clerk = f.user(Role.FINANCE)
    cust = customer_create(
        code=" C001 ", name=" 华东医药 ", credit_limit="50000", payment_terms_days=45, actor=clerk
    )
    stored = Customer.objects.get(pk=cust.pk)
    assert (stored.code, stored.name, stored.credit_limit) == ("C001", "华东医药", D("50000.00"))
    assert stored.payment_process.signer is None
    entry = AuditEntry.objects.get(action="customer.create")
    assert (entry.actor, entry.object_id) == (clerk, str(cust.pk))
    assert entry.after["credit_limit"] == "50000.00"
    assert entry.after["payment_terms_days"] == 45


def test_a_customer_code_is_used_only_once():
    customer_create(code="C001", name="甲")
    with refused("code", match="C001", code="unique"):
        customer_create(code="C001", name="乙")


def test_a_customer_needs_a_code_and_a_name():
    with refused("name"):
        customer_create(code="C001", name="  ")
    with refused("code"):
        customer_create(code="", name="甲")


@pytest.mark.parametrize("limit", [1000.5, "lots", "NaN"])
def test_a_credit_limit_that_is_not_money_is_refused_by_name(limit):
    with refused("credit_limit"):
        customer_create(code="C001", name="甲", credit_limit=limit)


def test_a_negative_credit_limit_is_refused_by_name():
    with refused("credit_limit"):
        customer_create(code="C001", name="甲", credit_limit="-1")


def test_an_unknown_status_is_refused():
    with refused("status"):
        customer_create(code="C001", name="甲", status="sleeping")


# --- customer_update ------------------------------------------------------------------------------


def test_changing_owner_status_or_credit_terms_is_audited_with_before_and_after():
    manager = f.user(Role.MANAGER)
    rep, new_rep = f.user(), f.user()
    cust = f.customer(owner=rep, credit_limit=D("1000"))
    customer_update(
        customer=cust,
        owner=new_rep,
        credit_limit=D("2000"),
        status=CustomerStatus.INSOLVENT,
        actor=manager,
    )
    entry = AuditEntry.objects.get(action="customer.update")
    assert entry.actor == manager
    assert entry.before == {
        "owner_id": rep.pk,
        "status": "active",
        "credit_limit": "1000.00",
        "payment_terms_days": 30,
        "rating": "",
    }
    assert entry.after["owner_id"] == new_rep.pk
    assert entry.after["credit_limit"] == "2000.00"
    assert entry.after["status"] == "insolvent"
    assert Customer.objects.get(pk=cust.pk).owner == new_rep


def test_changing_only_an_address_is_saved_without_an_audit_line():
    cust = f.customer()
    customer_update(customer=cust, address="上海市浦东新区")
    assert Customer.objects.get(pk=cust.pk).address == "上海市浦东新区"
    assert not AuditEntry.objects.filter(action="customer.update").exists()


def test_a_refused_update_changes_nothing():
    cust = f.customer(credit_limit=D("1000"))
    with refused("credit_limit"):
        customer_update(customer=cust, credit_limit=12.5, rating="A")
    stored = Customer.objects.get(pk=cust.pk)
    assert (stored.credit_limit, stored.rating) == (D("1000.00"), "")


def test_a_customer_cannot_take_another_customers_code():
    f.customer("C001")
    cust = f.customer("C002")
    with refused("code", code="unique"):
        customer_update(customer=cust, code="C001")


def test_an_unknown_field_is_refused_rather_than_silently_ignored():
    cust = f.customer()
    with refused("credit_limt"):
        customer_update(customer=cust, credit_limt=D("5"))


# --- contact_add ----------------------------------------------------------------------------------


def test_a_contact_is_added_with_their_role():
    cust = f.customer()
    contact = contact_add(
        customer=cust, name="王会计", role=ContactRole.FINANCE, phone="13800000000"
    )
    stored = Contact.objects.get(customer=cust)
    assert stored == contact
    assert (stored.name, stored.role, stored.phone) == ("王会计", "finance", "13800000000")
    assert stored.is_active


def test_a_contact_needs_a_known_role_and_a_name():
    cust = f.customer()
    with refused("role"):
        contact_add(customer=cust, name="王", role="friend")
    with refused("name"):
        contact_add(customer=cust, name="", role=ContactRole.BOSS)
    with refused("email"):
        contact_add(customer=cust, name="王", role=ContactRole.BOSS, email="not-an-address")
    assert not Contact.objects.exists()


# --- payment_process_set --------------------------------------------------------------------------


def test_the_payment_process_names_who_receives_signs_and_approves():
    cust = f.customer()
    cashier = contact_add(customer=cust, name="李出纳", role=ContactRole.CASHIER)
    boss = contact_add(customer=cust, name="张总", role=ContactRole.BOSS)
    process = payment_process_set(
        customer=cust,
        request_recipient=cashier,
        signer=boss,
        approver=boss,
        settlement_day=25,
        needs_delivery_proof=True,
    )
    stored = type(process).objects.get(customer=cust)
    assert (stored.request_recipient, stored.signer, stored.approver) == (cashier, boss, boss)
    assert stored.settlement_day == 25
    assert stored.needs_delivery_proof is True


@pytest.mark.parametrize("role", ["request_recipient", "signer", "approver"])
def test_a_contact_of_another_customer_cannot_take_part_in_the_payment_process(role):
    cust, other = f.customer(), f.customer()
    stranger = contact_add(customer=other, name="外人", role=ContactRole.BOSS)
    with refused(role):
        payment_process_set(customer=cust, settlement_day=10, **{role: stranger})
    stored = type(cust.payment_process).objects.get(customer=cust)
    assert (getattr(stored, f"{role}_id"), stored.settlement_day) == (None, None)


@pytest.mark.parametrize("day", [0, 32])
def test_the_pay_day_must_be_a_day_of_the_month(day):
    cust = f.customer()
    with refused("settlement_day"):
        payment_process_set(customer=cust, settlement_day=day)
