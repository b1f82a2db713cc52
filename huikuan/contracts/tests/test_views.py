"""Contract pages: a contract with its installment plan goes through contract_create; its
installments become receivables through installments_post."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from huikuan.contracts.models import Contract
from huikuan.contracts.services import contract_create
from huikuan.ledger.models import Receivable
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

NEW = reverse("contracts:create")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    team = f.team("东一")
    manager = f.user(Role.MANAGER, username="manager", team=team)
    rep_a = f.user(Role.REP, username="jia", team=team, manager=manager)
    rep_b = f.user(Role.REP, username="yi")
    finance = f.user(Role.FINANCE, username="finance")
    a = f.customer("A", name="客户甲", owner=rep_a)
    b = f.customer("B", name="客户乙", owner=rep_b)
    theirs = contract_create(
        customer=b,
        number="HT-B",
        signed_on=date(2026, 1, 5),
        installments=[(date(2026, 3, 1), "100.00")],
    )
    return {
        "a": a,
        "b": b,
        "theirs": theirs,
        "manager": manager,
        "rep_a": rep_a,
        "finance": finance,
    }


def contract_data(customer, **overrides):
    data = {
        "customer": customer.pk,
        "number": "HT-2026-001",
        "signed_on": "2026-03-01",
        "amount": "3,000.00",
        "payment_terms": "货到验收后分两期付款",
        "term_days": "30",
        "late_fee_per_day_bp": "5",
        "seal_kind": "contract_seal",
        "acceptance_criteria": "",
        "nodes-TOTAL_FORMS": "3",
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
        "nodes-0-due_date": "2026-04-30",
        "nodes-0-amount": "1000.00",
        "nodes-1-due_date": "2026-06-30",
        "nodes-1-amount": "2000.00",
        "nodes-2-due_date": "",
        "nodes-2-amount": "",
    }
    data.update(overrides)
    return data


def test_manager_creates_a_contract_with_an_installment_plan(client, world):
    client.force_login(world["manager"])
    response = client.post(NEW, contract_data(world["a"]))
    contract = Contract.objects.get(number="HT-2026-001")
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:detail", args=[contract.pk])
    assert [(n.sequence, n.due_date, n.amount) for n in contract.nodes.all()] == [
        (1, date(2026, 4, 30), Decimal("1000.00")),
        (2, date(2026, 6, 30), Decimal("2000.00")),
    ]
    html = client.get(reverse("customers:detail", args=[world["a"].pk])).content.decode()
    assert "HT-2026-001" in html and "2026-06-30" in html and "¥2,000.00" in html


def test_a_plan_that_does_not_add_up_is_refused_and_nothing_is_written(client, world):
    client.force_login(world["manager"])
    before = f.ledger_state()
    response = client.post(NEW, contract_data(world["a"], amount="3500.00"))
    assert response.status_code == 200
    assert any("3500.00" in e for e in response.context["installment_errors"])
    assert 'id="installment-errors"' in response.content.decode()
    assert f.ledger_state() == before


def test_a_taken_contract_number_is_shown_on_the_number_field(client, world):
    client.force_login(world["manager"])
    response = client.post(NEW, contract_data(world["a"], number="HT-B"))
    assert "HT-B" in response.context["form"].errors["number"][0]


def test_a_manager_cannot_file_a_contract_for_a_customer_outside_the_team(client, world):
    client.force_login(world["manager"])
    before = f.ledger_state()
    response = client.post(NEW, contract_data(world["b"]))
    assert response.status_code == 200 and "customer" in response.context["form"].errors
    assert f.ledger_state() == before


def test_reps_may_not_enter_contracts(client, world):
    client.force_login(world["rep_a"])
    assert client.get(NEW).status_code == 403


def test_rep_gets_404_for_another_reps_contract(client, world):
    client.force_login(world["rep_a"])
    response = client.get(reverse("contracts:detail", args=[world["theirs"].pk]))
    assert response.status_code == 404 and "HT-B" not in response.content.decode()


def test_finance_posts_the_installments_as_receivables(client, world):
    client.force_login(world["finance"])
    url = reverse("contracts:post_installments", args=[world["theirs"].pk])
    assert client.post(url).status_code == 302
    receivable = Receivable.objects.get(installment__contract=world["theirs"])
    assert (receivable.amount, receivable.due_date) == (Decimal("100.00"), date(2026, 3, 1))
    client.post(url)  # twice changes nothing
    assert Receivable.objects.filter(installment__contract=world["theirs"]).count() == 1
    html = client.get(reverse("contracts:detail", args=[world["theirs"].pk])).content.decode()
    assert receivable.number in html


def test_managers_may_not_post_installments(client, world):
    client.force_login(world["manager"])
    contract = contract_create(
        customer=world["a"],
        number="HT-A",
        signed_on=date(2026, 1, 5),
        installments=[(date(2026, 3, 1), "100.00")],
    )
    response = client.post(reverse("contracts:post_installments", args=[contract.pk]))
    assert response.status_code == 403
    assert not Receivable.objects.filter(installment__contract=contract).exists()
