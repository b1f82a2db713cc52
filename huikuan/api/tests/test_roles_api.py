"""Who may book money through the API: finance, admins and superusers; reps and managers read."""

from datetime import date

import pytest

from huikuan.ledger.models import Payment, Receivable
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

from .conftest import ApiClient, fields, token_for


@pytest.fixture
def customer(people):
    c1 = f.customer("C1", owner=people["rep"])
    f.receivable(c1, number="R1", amount="100.00", due=date(2026, 1, 31))
    return c1


def post_payment(api):
    return api.post(
        "payments",
        {"customer": "C1", "number": "P1", "received_on": "2026-02-01", "amount": "40.00"},
    )


def test_a_manager_reads_the_teams_books_but_may_not_post(customer, manager_api):
    assert manager_api.get("receivables/R1").status_code == 200
    response = post_payment(manager_api)
    assert response.status_code == 403
    assert fields(response) == ["__all__"]
    response = manager_api.post(
        "receivables",
        {
            "customer": "C1",
            "number": "R2",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "5.00",
        },
    )
    assert response.status_code == 403
    assert not Payment.objects.exists() and Receivable.objects.count() == 1


def test_an_admin_posts(customer, people):
    admin = f.user(Role.ADMIN, username="boss")
    assert post_payment(ApiClient(token_for(admin))).status_code == 201


def test_a_superuser_posts_whatever_its_role(customer, people):
    root = f.user(Role.REP, username="root", is_superuser=True)
    assert post_payment(ApiClient(token_for(root))).status_code == 201
    assert Payment.objects.get().created_by == root
