"""A token sees what its user sees: another rep's customer, receivable or payment does not exist
for it (404, exactly as for a missing one), lists and reports leave them out, and nothing can be
posted against them."""

from datetime import date

import pytest

from huikuan.ledger.models import Payment, WriteOff
from huikuan.ledger.tests import factories as f

from .conftest import ApiClient, fields, token_for


@pytest.fixture
def two_books(people):
    """OWN belongs to the rep, MATE to a rep of the same team, FAR to a rep elsewhere."""
    mate = f.user("rep", username="mate", team=people["rep"].team)
    own = f.customer("OWN", owner=people["rep"])
    team = f.customer("MATE", owner=mate)
    far = f.customer("FAR", owner=people["other_rep"])
    for customer, amount in ((own, "100.00"), (team, "200.00"), (far, "400.00")):
        f.receivable(customer, number=f"R-{customer.code}", amount=amount, due=date(2026, 1, 31))
        f.payment(customer, number=f"P-{customer.code}", amount="10.00", on=date(2026, 2, 1))
    return {"own": own, "team": team, "far": far}


def test_a_rep_lists_only_own_customers_and_documents(two_books, rep_api):
    assert [c["code"] for c in rep_api.get("customers").json()["items"]] == ["OWN"]
    assert [r["number"] for r in rep_api.get("receivables").json()["items"]] == ["R-OWN"]
    assert [p["number"] for p in rep_api.get("payments").json()["items"]] == ["P-OWN"]
    assert rep_api.get("receivables", customer="FAR").json() == {"items": [], "count": 0}


def test_another_reps_objects_answer_exactly_like_missing_ones(two_books, rep_api):
    for path, field in (
        ("customers/{}", "code"),
        ("receivables/R-{}", "number"),
        ("payments/P-{}", "number"),
    ):
        hidden = rep_api.get(path.format("FAR"))
        missing = rep_api.get(path.format("NONE"))
        assert hidden.status_code == missing.status_code == 404
        assert fields(hidden) == fields(missing) == [field]
        assert hidden.json()["detail"][0]["message"] == missing.json()["detail"][0][
            "message"
        ].replace("NONE", "FAR")
    assert rep_api.get("customers/OWN").status_code == 200


def test_a_rep_cannot_post_against_another_reps_customer(two_books, rep_api):
    response = rep_api.post(
        "payments",
        {"customer": "FAR", "number": "P-X", "received_on": "2026-03-01", "amount": "1.00"},
    )
    assert response.status_code == 404
    assert fields(response) == ["customer"]
    response = rep_api.post("receivables/R-FAR/write-off", {"date": "2026-03-01", "reason": "x"})
    assert response.status_code == 404
    assert not Payment.objects.filter(number="P-X").exists()
    assert not WriteOff.objects.exists()


def test_finance_sees_every_customer(two_books, finance_api):
    assert finance_api.get("customers").json()["count"] == 3


def test_a_manager_sees_the_team_but_not_other_teams(two_books, manager_api):
    codes = [c["code"] for c in manager_api.get("customers").json()["items"]]
    assert codes == ["MATE", "OWN"]
    assert manager_api.get("customers/FAR").status_code == 404


def test_reports_cover_only_what_the_token_may_see(two_books, rep_api, finance_api):
    mine = rep_api.get("reports/aging", as_of="2026-03-01", by="portfolio").json()["rows"][0]
    assert mine["total"] == "90.00"  # 100.00 less the 10.00 paid
    everyone = finance_api.get("reports/aging", as_of="2026-03-01", by="portfolio").json()
    assert everyone["rows"][0]["total"] == "670.00"
    classes = rep_api.get("reports/classes", as_of="2026-03-01").json()
    assert classes["totals"]["amount"] == "90.00"


def test_the_other_rep_sees_only_the_far_customer(two_books, people):
    api = ApiClient(token_for(people["other_rep"]))
    assert [c["code"] for c in api.get("customers").json()["items"]] == ["FAR"]
    assert api.get("payments/P-OWN").status_code == 404
