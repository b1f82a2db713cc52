"""GET /reports/aging and /reports/classes: hand-computed figures, and the same numbers as the
`huikuan aging` command."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from huikuan.core.dates import business_today
from huikuan.ledger import services
from huikuan.ledger.tests import factories as f

from .conftest import fields


@pytest.fixture
def book(people):
    """As of 2026-05-31 (amounts in yuan):
    X 1,000.00 due 2026-06-30: not due               -> 未收款, recovery 100 %
    Y   500.00 due 2026-04-30: 31 days past due      -> 催收款, recovery 98 %  (490.00)
    Z   200.00 due 2025-12-01: 181 days past due     -> 准呆账, recovery 30 %  (60.00)
    W   300.00 due 2025-01-31, written off 2026-03-01 -> 死账
    Q    75.00 payment kept as credit
    """
    c1 = f.customer("C1", owner=people["rep"], region=people["region"])
    c2 = f.customer("C2", owner=people["other_rep"])
    f.receivable(c1, number="X", amount="1000.00", issue=date(2026, 5, 1), due=date(2026, 6, 30))
    f.receivable(c1, number="Y", amount="500.00", issue=date(2026, 4, 1), due=date(2026, 4, 30))
    f.receivable(c2, number="Z", amount="200.00", issue=date(2025, 11, 1), due=date(2025, 12, 1))
    w = f.receivable(c2, number="W", amount="300.00", issue=date(2025, 1, 1), due=date(2025, 1, 31))
    services.receivable_write_off(receivable=w, on=date(2026, 3, 1), reason="债务人失联")
    f.payment(c1, number="Q", amount="75.00", on=date(2026, 5, 20), allocate="none")


def test_aging_by_portfolio_has_the_hand_computed_buckets(book, finance_api):
    response = finance_api.get("reports/aging", as_of="2026-05-31", by="portfolio")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-05-31" and body["by"] == "portfolio"
    assert [c["key"] for c in body["columns"]] == [
        "not_due",
        "d1_30",
        "d31_60",
        "d61_90",
        "d91_180",
        "d181_365",
        "over_365",
    ]
    assert body["rows"] == [
        {
            "key": "portfolio",
            "label": "portfolio",
            "not_due": "1000.00",
            "d1_30": "0.00",
            "d31_60": "500.00",
            "d61_90": "0.00",
            "d91_180": "0.00",
            "d181_365": "200.00",
            "over_365": "0.00",
            "total": "1700.00",
            "unapplied_credit": "75.00",
        }
    ]


def test_aging_by_rep_keys_rows_by_username(book, finance_api):
    rows = finance_api.get("reports/aging", as_of="2026-05-31", by="rep").json()["rows"]
    assert [(r["key"], r["total"], r["unapplied_credit"]) for r in rows] == [
        ("rep", "1500.00", "75.00"),
        ("other_rep", "200.00", "0.00"),
    ]


def command_json(as_of: str, by: str) -> dict:
    out = io.StringIO()
    call_command("aging", "--as-of", as_of, "--by", by, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("by", ["customer", "rep", "region", "portfolio"])
@pytest.mark.parametrize("as_of", ["2026-02-28", "2026-05-31", "2027-06-30"])
def test_aging_equals_the_command_on_the_same_data(book, finance_api, people, by, as_of):
    # Some history through the API itself too: a partial payment, then its reversal.
    finance_api.post(
        "payments",
        {"customer": "C2", "number": "P-Z", "received_on": "2026-01-10", "amount": "50.00"},
    )
    finance_api.post("payments/P-Z/reverse", {"date": "2026-04-01", "reason": "退票"})
    api = finance_api.get("reports/aging", as_of=as_of, by=by).json()
    cli = command_json(as_of, by)
    assert api["rows"] == cli["rows"]
    assert (api["as_of"], api["by"]) == (cli["as_of"], cli["by"])


def test_aging_defaults_to_today(book, finance_api):
    assert finance_api.get("reports/aging").json()["as_of"] == business_today().isoformat()


def test_aging_refuses_an_unknown_grouping_and_a_bad_date(book, finance_api):
    response = finance_api.get("reports/aging", as_of="31/05/2026", by="team")
    assert response.status_code == 422
    assert sorted(fields(response)) == ["as_of", "by"]


def test_classes_have_the_hand_computed_recovery_and_provision(book, finance_api):
    response = finance_api.get("reports/classes", as_of="2026-05-31")
    assert response.status_code == 200
    body = response.json()
    rows = {
        r["key"]: (r["amount"], r["count"], r["expected_recovery"], r["provision"])
        for r in body["rows"]
    }
    assert rows == {
        "current": ("1000.00", 1, "1000.00", "0.00"),
        "overdue": ("500.00", 1, "490.00", "10.00"),
        "doubtful": ("200.00", 1, "60.00", "140.00"),
        "bad": ("0.00", 0, "0.00", "0.00"),
        "dead": ("300.00", 1, "0.00", "0.00"),
    }
    assert body["totals"] == {
        "amount": "2000.00",
        "count": 4,
        "expected_recovery": "1550.00",
        "provision": "150.00",
    }


def test_classes_refuse_a_date_that_does_not_exist(book, finance_api):
    response = finance_api.get("reports/classes", as_of="2026-02-30")
    assert response.status_code == 422
    assert fields(response) == ["as_of"]
