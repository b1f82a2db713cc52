"""The 应收 and 回款 pages: lists with totals, details, recording and reversing payments.

Today is 2026-06-15. The world (amounts in yuan):
  客户甲 A (rep 甲)
    RA1 1,000.00 issued 2026-01-01 due 2026-01-31
    RA2   500.00 issued 2026-05-01 due 2026-05-31
    RA3   300.00 issued 2026-06-01 due 2026-07-01 (not due)
    PA1   400.00 paid 2026-02-15, auto -> RA1 (600.00 left)
    => outstanding 1,400.00
  客户乙 B (rep 乙)
    RB1   250.00 issued 2026-05-01 due 2026-06-01
    RB2    80.00 issued 2026-06-01 due 2026-07-01 (not due)
    PB1   300.00 paid 2026-06-05 -> RB1 250.00 (settled; 50.00 unapplied)
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from huikuan.ledger.models import Payment, Receivable, Reversal
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.web.tests.pages import without_tokens

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, monkeypatch):
    for app in ("customers", "ledger"):
        monkeypatch.setattr(f"huikuan.{app}.views.business_today", lambda: TODAY)
    team = f.team("东一")
    manager = f.user(Role.MANAGER, username="manager", team=team)
    rep_a = f.user(Role.REP, username="jia", team=team, manager=manager)
    rep_b = f.user(Role.REP, username="yi")
    finance = f.user(Role.FINANCE, username="finance")
    a = f.customer("A", name="客户甲", owner=rep_a)
    b = f.customer("B", name="客户乙", owner=rep_b)
    r = {
        "RA1": f.receivable(
            a, number="RA1", amount="1000.00", issue=date(2026, 1, 1), due=date(2026, 1, 31)
        ),
        "RA2": f.receivable(
            a, number="RA2", amount="500.00", issue=date(2026, 5, 1), due=date(2026, 5, 31)
        ),
        "RA3": f.receivable(
            a, number="RA3", amount="300.00", issue=date(2026, 6, 1), due=date(2026, 7, 1)
        ),
        "RB1": f.receivable(
            b, number="RB1", amount="250.00", issue=date(2026, 5, 1), due=date(2026, 6, 1)
        ),
        "RB2": f.receivable(
            b, number="RB2", amount="80.00", issue=date(2026, 6, 1), due=date(2026, 7, 1)
        ),
    }
    pa1 = f.payment(a, number="PA1", amount="400.00", on=date(2026, 2, 15))
    pb1 = f.payment(
        b, number="PB1", amount="300.00", on=date(2026, 6, 5), allocate=[("RB1", "250.00")]
    )
    return {
        "a": a,
        "b": b,
        "r": r,
        "pa1": pa1,
        "pb1": pb1,
        "rep_a": rep_a,
        "rep_b": rep_b,
        "manager": manager,
        "finance": finance,
    }


def get(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return without_tokens(response.content.decode())


RECEIVABLES = reverse("ledger:receivables")
PAYMENTS = reverse("ledger:payments")
NEW_PAYMENT = reverse("ledger:payment_new")


def outstanding_on_customer_page(client, user, customer) -> str:
    html = get(client, user, reverse("customers:detail", args=[customer.pk]))
    start = html.index('<div class="kpi-value">') + len('<div class="kpi-value">')
    return html[start : html.index("<", start)]


# --- 应收 ---------------------------------------------------------------------------------------


def test_receivable_list_totals_for_finance(client, world):
    html = get(client, world["finance"], RECEIVABLES)
    for number in ("RA1", "RA2", "RA3", "RB1", "RB2"):
        assert number in html
    assert 'id="total-amount">¥2,130.00<' in html  # 1000 + 500 + 300 + 250 + 80
    assert 'id="total-outstanding">¥1,480.00<' in html  # 600 + 500 + 300 + 0 + 80


def test_receivable_list_filters(client, world):
    user = world["finance"]
    html = get(client, user, RECEIVABLES, overdue="on")
    assert "RA1" in html and "RA2" in html
    assert "RB1" not in html and "RB2" not in html and "RA3" not in html
    html = get(client, user, RECEIVABLES, due_from="2026-05-01", due_to="2026-06-30")
    assert "RA2" in html and "RB1" in html
    assert "RA1" not in html and "RA3" not in html and "RB2" not in html
    html = get(client, user, RECEIVABLES, customer=world["a"].pk, status="open")
    assert "RA1" in html and "RB1" not in html
    assert 'id="total-outstanding">¥1,400.00<' in html


def test_settled_filter_shows_only_paid_receivables(client, world):
    f.payment(world["a"], number="PA2", amount="600.00", on=date(2026, 6, 10))  # settles RA1
    html = get(client, world["finance"], RECEIVABLES, status="settled")
    assert "RA1" in html and "RA2" not in html


def test_receivable_list_counts_days_past_due_from_today(client, world):
    html = get(client, world["finance"], RECEIVABLES, customer=world["a"].pk)
    assert "135" in html  # RA1: 2026-01-31 -> 2026-06-15
    assert "15" in html  # RA2


def test_rep_sees_only_own_receivables(client, world):
    html = get(client, world["rep_a"], RECEIVABLES)
    assert "RA1" in html and "RB1" not in html
    html = get(client, world["rep_a"], RECEIVABLES, customer=world["b"].pk)
    assert "RB1" not in html


def test_receivable_detail_shows_allocations_and_reversals(client, world):
    f.services.payment_reverse(payment=world["pa1"], on=date(2026, 3, 1), reason="银行退票")
    html = get(client, world["rep_a"], reverse("ledger:receivable", args=[world["r"]["RA1"].pk]))
    assert "PA1" in html and "¥400.00" in html and "-¥400.00" in html and "银行退票" in html
    assert 'id="receivable-outstanding">¥1,000.00<' in html


def test_rep_gets_404_for_another_reps_receivable(client, world):
    client.force_login(world["rep_a"])
    response = client.get(reverse("ledger:receivable", args=[world["r"]["RB1"].pk]))
    assert response.status_code == 404
    assert "RB1" not in without_tokens(response.content.decode())


# --- 回款: who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep_a", "manager"])
def test_reps_and_managers_get_403_on_payment_pages(client, world, role):
    client.force_login(world[role])
    pa1 = world["pa1"].pk
    for url in (
        PAYMENTS,
        NEW_PAYMENT,
        reverse("ledger:payment", args=[pa1]),
        reverse("ledger:payment_reverse", args=[pa1]),
        reverse("ledger:payment_open_receivables") + f"?customer={world['a'].pk}",
        reverse("ledger:delivery_new"),
    ):
        assert client.get(url).status_code == 403, url
    before = f.ledger_state()
    response = client.post(reverse("ledger:payment_reverse", args=[pa1]), {"reason": "x"})
    assert response.status_code == 403
    assert f.ledger_state() == before


def test_payment_list_with_totals_for_finance(client, world):
    html = get(client, world["finance"], PAYMENTS)
    assert "PA1" in html and "PB1" in html
    assert 'id="total-amount">¥700.00<' in html
    assert 'id="total-unapplied">¥50.00<' in html
    html = get(client, world["finance"], PAYMENTS, customer=world["b"].pk)
    assert "PB1" in html and "PA1" not in html


def test_payment_detail_shows_its_allocations(client, world):
    html = get(client, world["finance"], reverse("ledger:payment", args=[world["pa1"].pk]))
    assert "RA1" in html and "¥400.00" in html
    assert 'id="payment-unapplied">¥0.00<' in html


# --- 回款: recording ---------------------------------------------------------------------------


def payment_data(world, **overrides):
    data = {
        "kind": "payment",
        "customer": world["a"].pk,
        "number": "BANK-0615",
        "received_on": "2026-06-15",
        "amount": "700.00",
        "method": "bank_transfer",
        "reference": "工行 8899",
        "note": "",
        "allocate": "manual",
    }
    data.update(overrides)
    return data


def test_the_form_lists_the_customers_open_receivables_oldest_first(client, world):
    html = get(
        client,
        world["finance"],
        reverse("ledger:payment_open_receivables"),
        customer=world["a"].pk,
    )
    assert "<html" not in html
    assert html.index("RA1") < html.index("RA2") < html.index("RA3")
    assert "RB1" not in html
    assert f'name="alloc-{world["r"]["RA2"].pk}"' in html


def test_picking_an_unknown_customer_for_the_lines_is_404(client, world):
    client.force_login(world["finance"])
    url = reverse("ledger:payment_open_receivables")
    assert client.get(url, {"customer": "999999"}).status_code == 404


def test_recording_a_payment_by_hand_changes_the_customer_page(client, world):
    client.force_login(world["finance"])
    assert outstanding_on_customer_page(client, world["finance"], world["a"]) == "¥1,400.00"
    ra2 = world["r"]["RA2"]
    response = client.post(NEW_PAYMENT, payment_data(world, **{f"alloc-{ra2.pk}": "500.00"}))
    payment = Payment.objects.get(number="BANK-0615")
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:payment", args=[payment.pk])
    assert Receivable.objects.get(pk=ra2.pk).outstanding == Decimal("0.00")
    assert payment.unapplied == Decimal("200.00") and payment.created_by == world["finance"]
    assert outstanding_on_customer_page(client, world["finance"], world["a"]) == "¥900.00"
    html = get(client, world["finance"], reverse("ledger:payment", args=[payment.pk]))
    assert 'id="payment-unapplied">¥200.00<' in html


def test_automatic_allocation_settles_oldest_first(client, world):
    client.force_login(world["finance"])
    response = client.post(NEW_PAYMENT, payment_data(world, allocate="auto", amount="700.00"))
    assert response.status_code == 302
    assert Receivable.objects.get(number="RA1").outstanding == Decimal("0.00")
    assert Receivable.objects.get(number="RA2").outstanding == Decimal("400.00")


def test_an_allocation_above_the_outstanding_is_refused_and_nothing_is_written(client, world):
    client.force_login(world["finance"])
    ra2 = world["r"]["RA2"]
    before = f.ledger_state()
    response = client.post(NEW_PAYMENT, payment_data(world, **{f"alloc-{ra2.pk}": "600.00"}))
    assert response.status_code == 200
    errors = response.context["form"].errors["allocate"]
    assert any("RA2" in e for e in errors)
    assert f.ledger_state() == before
    # The lines come back with what was typed, so the user can correct them.
    assert 'value="600.00"' in without_tokens(response.content.decode())


def test_lines_adding_up_to_more_than_the_payment_are_refused(client, world):
    client.force_login(world["finance"])
    r = world["r"]
    before = f.ledger_state()
    response = client.post(
        NEW_PAYMENT,
        payment_data(
            world, amount="100.00", **{f"alloc-{r['RA1'].pk}": "60", f"alloc-{r['RA2'].pk}": "60"}
        ),
    )
    assert response.status_code == 200
    assert "allocate" in response.context["form"].errors
    assert f.ledger_state() == before


def test_a_bad_amount_and_a_taken_number_are_shown_on_their_fields(client, world):
    client.force_login(world["finance"])
    before = f.ledger_state()
    response = client.post(NEW_PAYMENT, payment_data(world, amount="12.345", allocate="auto"))
    assert "amount" in response.context["form"].errors
    response = client.post(NEW_PAYMENT, payment_data(world, number="PA1", allocate="auto"))
    assert "PA1" in response.context["form"].errors["number"][0]
    response = client.post(NEW_PAYMENT, payment_data(world, amount="0", allocate="auto"))
    assert "amount" in response.context["form"].errors
    assert f.ledger_state() == before


def test_manual_allocation_without_any_line_is_refused(client, world):
    client.force_login(world["finance"])
    before = f.ledger_state()
    response = client.post(NEW_PAYMENT, payment_data(world))
    assert response.status_code == 200 and "allocate" in response.context["form"].errors
    assert f.ledger_state() == before


def test_a_receivable_of_another_customer_cannot_be_slipped_into_the_lines(client, world):
    client.force_login(world["finance"])
    before = f.ledger_state()
    theirs = world["r"]["RB2"]  # open, but 客户乙's
    response = client.post(
        NEW_PAYMENT, payment_data(world, **{f"alloc-{theirs.pk}": "50.00", "allocate": "manual"})
    )
    assert response.status_code == 200
    assert f.ledger_state() == before


def test_a_credit_note_uses_the_same_form(client, world):
    client.force_login(world["finance"])
    response = client.post(
        NEW_PAYMENT,
        payment_data(world, kind="credit_note", number="CN-1", amount="30.00", allocate="none"),
    )
    assert response.status_code == 302
    note = Payment.objects.get(number="CN-1")
    assert note.kind == "credit_note" and note.method == "" and note.unapplied == Decimal("30.00")
    html = get(client, world["finance"], reverse("customers:detail", args=[world["a"].pk]))
    assert "CN-1" in html and "¥30.00" in html


# --- 回款: reversing ---------------------------------------------------------------------------


def test_reversing_a_payment_reopens_what_it_settled(client, world):
    client.force_login(world["finance"])
    url = reverse("ledger:payment_reverse", args=[world["pa1"].pk])
    assert "PA1" in without_tokens(client.get(url).content.decode())
    response = client.post(
        url, {"reversed_on": "2026-06-15", "reason": "银行退票", "confirm": "on"}
    )
    assert response.status_code == 302
    assert Reversal.objects.filter(payment=world["pa1"]).exists()
    assert outstanding_on_customer_page(client, world["finance"], world["a"]) == "¥1,800.00"
    html = get(client, world["finance"], reverse("ledger:payment", args=[world["pa1"].pk]))
    assert "银行退票" in html


def test_reversal_needs_confirmation_a_reason_and_a_date_not_too_early(client, world):
    client.force_login(world["finance"])
    url = reverse("ledger:payment_reverse", args=[world["pa1"].pk])
    before = f.ledger_state()
    response = client.post(url, {"reversed_on": "2026-06-15", "reason": "退票"})
    assert "confirm" in response.context["form"].errors
    response = client.post(url, {"reversed_on": "2026-01-01", "reason": "退票", "confirm": "on"})
    assert "2026-02-15" in response.context["form"].errors["reversed_on"][0]
    response = client.post(url, {"reversed_on": "2026-06-15", "reason": "  ", "confirm": "on"})
    assert "reason" in response.context["form"].errors
    assert f.ledger_state() == before


# --- Deliveries -----------------------------------------------------------------------------------


def test_finance_records_a_delivery_due_after_the_customers_terms(client, world):
    client.force_login(world["finance"])
    response = client.post(
        reverse("ledger:delivery_new"),
        {
            "customer": world["a"].pk,
            "number": "DL-1",
            "delivered_on": "2026-06-10",
            "amount": "1,200.00",
            "description": "保健品 40 箱",
        },
    )
    receivable = Receivable.objects.get(number="DL-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:receivable", args=[receivable.pk])
    assert receivable.due_date == date(2026, 7, 10)  # 30 days of terms
    assert receivable.amount == Decimal("1200.00")


def test_a_due_date_before_the_delivery_is_refused(client, world):
    client.force_login(world["finance"])
    before = f.ledger_state()
    response = client.post(
        reverse("ledger:delivery_new"),
        {
            "customer": world["a"].pk,
            "number": "DL-2",
            "delivered_on": "2026-06-10",
            "due_date": "2026-06-01",
            "amount": "100",
        },
    )
    assert response.status_code == 200 and "due_date" in response.context["form"].errors
    assert f.ledger_state() == before
