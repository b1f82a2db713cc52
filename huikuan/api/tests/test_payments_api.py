"""POST/GET /payments and /credit-notes, and their reversals."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.ledger.models import Allocation, Payment, Receivable, Reversal
from huikuan.ledger.tests import factories as f

from .conftest import fields


@pytest.fixture
def customer(people):
    """C1 owes R-JAN 100.00 (due 2026-01-31) and R-FEB 200.00 (due 2026-02-28)."""
    c1 = f.customer("C1", owner=people["rep"], region=people["region"])
    f.receivable(c1, number="R-FEB", amount="200.00", due=date(2026, 2, 28))
    f.receivable(c1, number="R-JAN", amount="100.00", due=date(2026, 1, 31))
    return c1


def payment(**overrides):
    body = {"customer": "C1", "number": "P1", "received_on": "2026-03-10", "amount": "250.00"}
    return {**body, **overrides}


def outstanding(number: str) -> Decimal:
    return Receivable.objects.get(number=number).outstanding


def nothing_posted() -> bool:
    return not Payment.objects.exists() and not Allocation.objects.exists()


def test_auto_allocation_settles_the_oldest_due_first(customer, finance_api):
    response = finance_api.post("payments", payment(reference="ICBC-889"))
    assert response.status_code == 201
    body = response.json()
    assert body["amount"] == "250.00" and body["allocated"] == "250.00"
    assert body["unapplied"] == "0.00" and body["method"] == "bank_transfer"
    assert body["reference"] == "ICBC-889" and body["reversal"] is None
    assert [(a["receivable"], a["amount"]) for a in body["allocations"]] == [
        ("R-JAN", "100.00"),
        ("R-FEB", "150.00"),
    ]
    assert outstanding("R-JAN") == Decimal("0.00") and outstanding("R-FEB") == Decimal("50.00")


def test_explicit_lines_leave_the_rest_as_credit(customer, finance_api):
    response = finance_api.post(
        "payments",
        payment(
            amount="100.00",
            method="acceptance_bill",
            allocate=[{"receivable": "R-FEB", "amount": "80.50"}],
        ),
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["allocated"], body["unapplied"]) == ("80.50", "19.50")
    assert body["method"] == "acceptance_bill"
    assert outstanding("R-FEB") == Decimal("119.50") and outstanding("R-JAN") == Decimal("100.00")


def test_none_keeps_everything_as_credit(customer, finance_api):
    body = finance_api.post("payments", payment(allocate="none")).json()
    assert (body["allocated"], body["unapplied"], body["allocations"]) == ("0.00", "250.00", [])
    assert finance_api.get("customers/C1").json()["unapplied_credit"] == "250.00"


def test_over_allocating_is_refused_and_nothing_is_written(customer, finance_api):
    response = finance_api.post(
        "payments",
        payment(
            amount="100.00",
            allocate=[
                {"receivable": "R-JAN", "amount": "60.00"},
                {"receivable": "R-FEB", "amount": "60.00"},
            ],
        ),
    )
    assert response.status_code == 422
    assert fields(response) == ["allocate"]
    assert nothing_posted()
    assert outstanding("R-JAN") == Decimal("100.00")


def test_a_line_for_another_customers_receivable_is_refused(customer, finance_api, people):
    f.receivable(f.customer("C2", owner=people["rep"]), number="R-C2", amount="50.00")
    response = finance_api.post(
        "payments", payment(allocate=[{"receivable": "R-C2", "amount": "10.00"}])
    )
    assert response.status_code == 422
    assert fields(response) == ["allocate"]
    assert nothing_posted()


def test_a_duplicate_number_is_a_409(customer, finance_api):
    assert finance_api.post("payments", payment(allocate="none")).status_code == 201
    response = finance_api.post("payments", payment(amount="1.00"))
    assert response.status_code == 409
    assert fields(response) == ["number"]
    assert Payment.objects.count() == 1


def test_an_unknown_method_is_named(customer, finance_api):
    response = finance_api.post("payments", payment(method="cheque"))
    assert response.status_code == 422
    assert fields(response) == ["method"]
    assert nothing_posted()


def test_a_rep_may_not_post_a_payment_even_for_an_own_customer(customer, rep_api):
    response = rep_api.post("payments", payment())
    assert response.status_code == 403
    assert fields(response) == ["__all__"]
    assert nothing_posted()


def test_list_and_detail(customer, finance_api, people):
    other = f.customer("C2", owner=people["rep"])
    f.payment(customer, number="P-OLD", amount="10.00", on=date(2026, 3, 1))
    f.payment(customer, number="P-NEW", amount="20.00", on=date(2026, 3, 5))
    f.payment(other, number="P-C2", amount="30.00", on=date(2026, 3, 3), allocate="none")
    listing = finance_api.get("payments").json()
    assert [p["number"] for p in listing["items"]] == ["P-NEW", "P-C2", "P-OLD"]
    assert listing["count"] == 3
    c1 = finance_api.get("payments", customer="C1", limit=1).json()
    assert (c1["count"], [p["number"] for p in c1["items"]]) == (2, ["P-NEW"])
    detail = finance_api.get("payments/P-NEW").json()
    assert detail["allocations"][0]["receivable"] == "R-JAN"
    assert detail["allocated"] == "20.00"
    response = finance_api.get("payments/P-404")
    assert response.status_code == 404 and fields(response) == ["number"]


def test_reversing_a_payment_reopens_what_it_settled(customer, finance_api, people):
    finance_api.post("payments", payment())
    response = finance_api.post("payments/P1/reverse", {"date": "2026-03-20", "reason": "银行退票"})
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("RV") and body["date"] == "2026-03-20"
    assert body["payment"]["reversal"] == {
        "number": body["number"],
        "date": "2026-03-20",
        "reason": "银行退票",
    }
    assert (body["payment"]["allocated"], body["payment"]["unapplied"]) == ("0.00", "0.00")
    assert [a["amount"] for a in body["payment"]["allocations"]] == [
        "100.00",
        "150.00",
        "-100.00",
        "-150.00",
    ]
    assert outstanding("R-JAN") == Decimal("100.00") and outstanding("R-FEB") == Decimal("200.00")
    assert AuditEntry.objects.get(action="payment.reverse").actor == people["finance"]


def test_a_payment_is_reversed_once(customer, finance_api):
    finance_api.post("payments", payment())
    finance_api.post("payments/P1/reverse", {"date": "2026-03-20", "reason": "退票"})
    response = finance_api.post("payments/P1/reverse", {"date": "2026-03-21", "reason": "again"})
    assert response.status_code == 422
    assert fields(response) == ["payment"]
    assert Reversal.objects.count() == 1


def test_a_reversal_dated_before_the_payment_writes_nothing(customer, finance_api):
    finance_api.post("payments", payment())
    response = finance_api.post("payments/P1/reverse", {"date": "2026-03-01", "reason": "退票"})
    assert response.status_code == 422
    assert fields(response) == ["date"]
    assert not Reversal.objects.exists()
    assert outstanding("R-JAN") == Decimal("0.00")


def test_a_rep_may_not_reverse(customer, finance_api, rep_api):
    finance_api.post("payments", payment())
    response = rep_api.post("payments/P1/reverse", {"date": "2026-03-20", "reason": "退票"})
    assert response.status_code == 403
    assert not Reversal.objects.exists()


def test_a_credit_note_settles_like_a_payment_and_can_be_reversed(customer, finance_api):
    response = finance_api.post(
        "credit-notes",
        {
            "customer": "C1",
            "number": "CN1",
            "issued_on": "2026-03-10",
            "amount": "120.00",
            "note": "质量折让",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["issued_on"] == "2026-03-10" and body["note"] == "质量折让"
    assert (body["allocated"], body["unapplied"]) == ("120.00", "0.00")
    assert [(a["receivable"], a["amount"], a["document_kind"]) for a in body["allocations"]] == [
        ("R-JAN", "100.00", "credit_note"),
        ("R-FEB", "20.00", "credit_note"),
    ]
    assert Payment.objects.get().kind == "credit_note"
    # A credit note and a payment may share a number: they are different documents.
    assert finance_api.post("payments", payment(number="CN1", amount="1.00")).status_code == 201
    assert finance_api.get("credit-notes").json()["count"] == 1
    assert finance_api.get("credit-notes/CN1").json()["amount"] == "120.00"

    reversed_ = finance_api.post(
        "credit-notes/CN1/reverse", {"date": "2026-03-31", "reason": "折让取消"}
    )
    assert reversed_.status_code == 201
    assert reversed_.json()["credit_note"]["reversal"]["reason"] == "折让取消"
    assert outstanding("R-FEB") == Decimal("199.00")  # the 1.00 payment still settles R-FEB
    assert outstanding("R-JAN") == Decimal("100.00")
