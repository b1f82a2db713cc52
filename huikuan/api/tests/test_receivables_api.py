"""POST/GET /receivables, GET /receivables/{number}, POST /receivables/{number}/write-off."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.ledger.models import Allocation, Receivable, WriteOff
from huikuan.ledger.tests import factories as f

from .conftest import fields


@pytest.fixture
def customer(people):
    return f.customer("C1", owner=people["rep"], region=people["region"])


def invoice(**overrides):
    body = {
        "customer": "C1",
        "number": "INV-2026-0001",
        "issue_date": "2026-01-05",
        "due_date": "2026-02-04",
        "amount": "1234.50",
        "description": "阿莫西林胶囊 200 盒",
    }
    return {**body, **overrides}


def test_finance_posts_a_receivable_that_starts_fully_outstanding(customer, finance_api, people):
    response = finance_api.post("receivables", invoice())
    assert response.status_code == 201
    assert response.json() == {
        "number": "INV-2026-0001",
        "customer": "C1",
        "kind": "invoice",
        "issue_date": "2026-01-05",
        "due_date": "2026-02-04",
        "amount": "1234.50",
        "outstanding": "1234.50",
        "currency": "CNY",
        "description": "阿莫西林胶囊 200 盒",
    }
    assert Receivable.objects.get().created_by == people["finance"]
    assert AuditEntry.objects.get(action="receivable.create").actor == people["finance"]


def test_a_due_date_before_the_issue_date_is_named_and_nothing_is_written(customer, finance_api):
    response = finance_api.post("receivables", invoice(due_date="2026-01-01"))
    assert response.status_code == 422
    assert fields(response) == ["due_date"]
    assert not Receivable.objects.exists()


def test_a_duplicate_number_is_a_409_naming_number(customer, finance_api):
    assert finance_api.post("receivables", invoice()).status_code == 201
    response = finance_api.post("receivables", invoice(amount="1.00"))
    assert response.status_code == 409
    assert fields(response) == ["number"]
    assert Receivable.objects.get().amount == Decimal("1234.50")


def test_a_zero_amount_is_refused(customer, finance_api):
    response = finance_api.post("receivables", invoice(amount="0.00"))
    assert response.status_code == 422
    assert fields(response) == ["amount"]
    assert not Receivable.objects.exists()


def test_an_unknown_customer_is_404_naming_customer(customer, finance_api):
    response = finance_api.post("receivables", invoice(customer="C404"))
    assert response.status_code == 404
    assert fields(response) == ["customer"]
    assert not Receivable.objects.exists()


def test_a_lower_case_currency_is_refused(customer, finance_api):
    response = finance_api.post("receivables", invoice(currency="cny"))
    assert response.status_code == 422
    assert fields(response) == ["currency"]


def test_the_list_filters_by_customer_and_open_items(customer, finance_api, people):
    other = f.customer("C2", owner=people["rep"])
    f.receivable(customer, number="R1", amount="100.00", due=date(2026, 1, 31))
    f.receivable(customer, number="R2", amount="200.00", due=date(2026, 2, 28))
    f.receivable(other, number="R3", amount="300.00", due=date(2026, 1, 15))
    f.payment(customer, number="P1", amount="100.00", on=date(2026, 2, 1))  # settles R1

    everything = finance_api.get("receivables").json()
    assert everything["count"] == 3
    assert [r["number"] for r in everything["items"]] == ["R3", "R1", "R2"]  # by due date

    open_c1 = finance_api.get("receivables", customer="C1", open="true").json()
    assert [(r["number"], r["outstanding"]) for r in open_c1["items"]] == [("R2", "200.00")]
    assert finance_api.get("receivables", limit=1, offset=1).json()["items"][0]["number"] == "R1"


def test_detail_lists_the_allocations(customer, finance_api):
    f.receivable(customer, number="R1", amount="100.00", due=date(2026, 1, 31))
    f.payment(customer, number="P1", amount="30.00", on=date(2026, 2, 1))
    response = finance_api.get("receivables/R1")
    assert response.status_code == 200
    body = response.json()
    assert body["outstanding"] == "70.00"
    assert body["allocations"] == [
        {
            "receivable": "R1",
            "document": "P1",
            "document_kind": "payment",
            "amount": "30.00",
            "applied_on": "2026-02-01",
            "reversal": None,
        }
    ]


def test_a_number_with_slashes_is_reachable(customer, finance_api):
    f.receivable(customer, number="2026/INV/7", amount="10.00")
    assert finance_api.get("receivables/2026/INV/7").json()["number"] == "2026/INV/7"


def test_write_off_covers_what_is_still_outstanding(customer, finance_api, people):
    f.receivable(customer, number="R1", amount="1000.00", due=date(2026, 1, 31))
    f.payment(customer, number="P1", amount="400.00", on=date(2026, 2, 1))
    response = finance_api.post(
        "receivables/R1/write-off", {"date": "2026-06-30", "reason": "债务人已注销"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == "600.00" and body["date"] == "2026-06-30"
    assert body["reason"] == "债务人已注销"
    assert body["receivable"]["outstanding"] == "0.00"
    assert [(a["document_kind"], a["amount"]) for a in body["receivable"]["allocations"]] == [
        ("payment", "400.00"),
        ("write_off", "600.00"),
    ]
    assert AuditEntry.objects.get(action="write_off.create").actor == people["finance"]


def test_write_off_without_a_reason_writes_nothing(customer, finance_api):
    f.receivable(customer, number="R1", amount="1000.00")
    response = finance_api.post("receivables/R1/write-off", {"date": "2026-06-30", "reason": " "})
    assert response.status_code == 422
    assert fields(response) == ["reason"]
    assert not WriteOff.objects.exists() and not Allocation.objects.exists()
    assert Receivable.objects.get().outstanding == Decimal("1000.00")


def test_write_off_before_the_last_payment_is_refused_naming_date(customer, finance_api):
    f.receivable(customer, number="R1", amount="1000.00")
    f.payment(customer, number="P1", amount="400.00", on=date(2026, 2, 1))
    response = finance_api.post("receivables/R1/write-off", {"date": "2026-01-15", "reason": "x"})
    assert response.status_code == 422
    assert fields(response) == ["date"]
    assert not WriteOff.objects.exists()


def test_a_rep_may_not_write_off(customer, rep_api):
    f.receivable(customer, number="R1", amount="1000.00")
    response = rep_api.post("receivables/R1/write-off", {"date": "2026-06-30", "reason": "x"})
    assert response.status_code == 403
    assert not WriteOff.objects.exists()
