"""POST/GET /customers and GET /customers/{code}."""

from datetime import date

from huikuan.audit.models import AuditEntry
from huikuan.customers.models import Customer
from huikuan.ledger import services
from huikuan.ledger.tests import factories as f

from .conftest import fields


def new_customer(**overrides):
    body = {"code": "ERP-001", "name": "杭州康宁医药有限公司", "region": "EAST", "owner": "rep"}
    return {**body, **overrides}


def test_finance_creates_a_customer_with_region_and_owner(people, finance_api):
    response = finance_api.post("customers", new_customer())
    assert response.status_code == 201
    assert response.json() == {
        "code": "ERP-001",
        "name": "杭州康宁医药有限公司",
        "region": "EAST",
        "owner": "rep",
        "status": "active",
    }
    customer = Customer.objects.get(code="ERP-001")
    assert customer.owner == people["rep"] and customer.region == people["region"]
    assert AuditEntry.objects.get(action="customer.create").actor == people["finance"]


def test_an_unknown_region_is_named_and_nothing_is_written(people, finance_api):
    response = finance_api.post("customers", new_customer(region="MARS"))
    assert response.status_code == 422
    assert fields(response) == ["region"]
    assert "MARS" in response.json()["detail"][0]["message"]
    assert not Customer.objects.exists()


def test_an_unknown_owner_is_named_and_nothing_is_written(people, finance_api):
    response = finance_api.post("customers", new_customer(owner="nobody"))
    assert response.status_code == 422
    assert fields(response) == ["owner"]
    assert not Customer.objects.exists()


def test_a_duplicate_code_is_a_conflict(people, finance_api):
    assert finance_api.post("customers", new_customer()).status_code == 201
    response = finance_api.post("customers", new_customer(name="另一家"))
    assert response.status_code == 409
    assert fields(response) == ["code"]
    assert Customer.objects.get().name == "杭州康宁医药有限公司"


def test_a_blank_name_is_refused(people, finance_api):
    response = finance_api.post("customers", new_customer(name=""))
    assert response.status_code == 422
    assert fields(response) == ["name"]
    assert not Customer.objects.exists()


def test_a_rep_may_not_create_customers(people, rep_api):
    response = rep_api.post("customers", new_customer())
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_the_list_is_paginated_by_limit_and_offset(people, finance_api):
    for code in ("C1", "C2", "C3"):
        f.customer(code, owner=people["rep"])
    first = finance_api.get("customers", limit=2).json()
    assert first["count"] == 3
    assert [c["code"] for c in first["items"]] == ["C1", "C2"]
    rest = finance_api.get("customers", limit=2, offset=2).json()
    assert [c["code"] for c in rest["items"]] == ["C3"]


def test_q_filters_on_code_or_name(people, finance_api):
    f.customer("HZ-1", name="杭州康宁医药", owner=people["rep"])
    f.customer("NJ-1", name="南京众康药房", owner=people["rep"])
    f.customer("SH-1", name="上海华康", owner=people["rep"])
    assert [c["code"] for c in finance_api.get("customers", q="康宁").json()["items"]] == ["HZ-1"]
    assert [c["code"] for c in finance_api.get("customers", q="nj-").json()["items"]] == ["NJ-1"]


def test_detail_shows_outstanding_and_unapplied_credit(people, finance_api):
    customer = f.customer("C1", owner=people["rep"], region=people["region"])
    f.receivable(customer, number="R1", amount="100.00", due=date(2026, 1, 31))
    f.receivable(customer, number="R2", amount="250.50", due=date(2026, 2, 28))
    # 150.00 oldest first: R1 100.00 settled, R2 50.00 -> 200.50 left on R2.
    f.payment(customer, number="P1", amount="150.00", on=date(2026, 3, 1))
    # 30.00 credit note kept as credit; a 40.00 payment kept as credit and then reversed.
    services.payment_record(
        customer=customer,
        number="CN1",
        received_on=date(2026, 3, 2),
        amount="30.00",
        kind="credit_note",
        allocate="none",
    )
    p2 = f.payment(customer, number="P2", amount="40.00", on=date(2026, 3, 3), allocate="none")
    services.payment_reverse(payment=p2, on=date(2026, 3, 4), reason="退票")

    response = finance_api.get("customers/C1")
    assert response.status_code == 200
    assert response.json() == {
        "code": "C1",
        "name": "客户C1",
        "region": "EAST",
        "owner": "rep",
        "status": "active",
        "outstanding": "200.50",
        "open_receivables": 1,
        "unapplied_credit": "30.00",
    }


def test_an_unknown_customer_is_404_naming_the_code(people, finance_api):
    response = finance_api.get("customers/NOPE")
    assert response.status_code == 404
    assert fields(response) == ["code"]
