"""The customer pages, checked against figures worked out by hand.

Today is 2026-06-15. The world (amounts in yuan):
  客户甲 A (rep 甲 in team 东一, managed by 经理; region 华东)
    RA1 1,000.00 issued 2026-01-01 due 2026-01-31 (135 days past due)
    RA2   500.00 issued 2026-05-01 due 2026-05-31 ( 15 days past due)
    RA3   300.00 issued 2026-06-01 due 2026-07-01 (not due)
    PA1   400.00 paid 2026-02-15, auto -> RA1 (600.00 left)
    => outstanding 1,400.00, overdue 1,100.00, class 准呆账 (doubtful)
  客户乙 B (rep 乙, no team; region 华南)
    RB1   250.00 issued 2026-05-01 due 2026-06-01 (14 days past due)
    CB1    50.00 credit note 2026-06-02, not allocated
    => outstanding 250.00, overdue 250.00, unapplied credit 50.00, class 催收款 (overdue)
  客户丙 C (rep 乙; region 华南): nothing owed.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from huikuan.customers.models import Contact, Customer, CustomerStatus
from huikuan.ledger import services
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.reports.selectors import class_report
from huikuan.web.tests.pages import without_tokens

TODAY = date(2026, 6, 15)
VIEW_MODULES = ("customers", "ledger", "reports")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Each world signs up several users; the production hasher would take seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today(monkeypatch):
    for app in VIEW_MODULES:
        monkeypatch.setattr(f"huikuan.{app}.views.business_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def world(db, today):
    east, south = f.region("EAST"), f.region("SOUTH")
    team = f.team("东一", east)
    manager = f.user(Role.MANAGER, username="manager", team=team, region=east)
    rep_a = f.user(
        Role.REP, username="jia", last_name="甲", team=team, manager=manager, region=east
    )
    rep_b = f.user(Role.REP, username="yi", last_name="乙", region=south)
    finance = f.user(Role.FINANCE, username="finance")
    a = f.customer("A", name="客户甲", region=east, owner=rep_a)
    b = f.customer("B", name="客户乙", region=south, owner=rep_b)
    c = f.customer("C", name="客户丙", region=south, owner=rep_b)
    f.receivable(a, number="RA1", amount="1000.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    f.receivable(a, number="RA2", amount="500.00", issue=date(2026, 5, 1), due=date(2026, 5, 31))
    f.receivable(a, number="RA3", amount="300.00", issue=date(2026, 6, 1), due=date(2026, 7, 1))
    f.payment(a, number="PA1", amount="400.00", on=date(2026, 2, 15))
    f.receivable(b, number="RB1", amount="250.00", issue=date(2026, 5, 1), due=date(2026, 6, 1))
    f.credit_note(b, number="CB1", amount="50.00", on=date(2026, 6, 2))
    return {
        "a": a,
        "b": b,
        "c": c,
        "rep_a": rep_a,
        "rep_b": rep_b,
        "manager": manager,
        "finance": finance,
    }


def page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return without_tokens(response.content.decode())


LIST = reverse("customers:list")


def test_finance_sees_every_customer_with_balances_and_totals(client, world):
    html = page(client, world["finance"], LIST)
    for name in ("客户甲", "客户乙", "客户丙"):
        assert name in html
    assert "¥1,400.00" in html and "¥1,100.00" in html  # 客户甲
    assert 'id="total-outstanding">¥1,650.00<' in html
    assert 'id="total-overdue">¥1,350.00<' in html
    assert 'id="total-credit">¥50.00<' in html


def test_list_is_sorted_by_overdue_amount_unless_asked_for_name(client, world):
    html = page(client, world["finance"], LIST)
    assert html.index("客户甲") < html.index("客户乙") < html.index("客户丙")
    html = page(client, world["finance"], LIST, sort="name")
    names = sorted(["客户甲", "客户乙", "客户丙"])
    positions = [html.index(n) for n in names]
    assert positions == sorted(positions)


def test_rep_sees_only_own_customers_and_own_totals(client, world):
    html = page(client, world["rep_a"], LIST)
    assert "客户甲" in html
    assert "客户乙" not in html and "客户丙" not in html
    assert 'id="total-outstanding">¥1,400.00<' in html


def test_rep_cannot_widen_the_list_with_another_reps_filter(client, world):
    html = page(client, world["rep_a"], LIST, owner=world["rep_b"].pk)
    assert "客户乙" not in html


def test_manager_sees_the_teams_customers(client, world):
    html = page(client, world["manager"], LIST)
    assert "客户甲" in html and "客户乙" not in html


def test_search_matches_code_or_name(client, world):
    html = page(client, world["finance"], LIST, q="乙")
    assert "客户乙" in html and "客户甲" not in html
    html = page(client, world["finance"], LIST, q="a")  # the code, case-insensitively
    assert "客户甲" in html and "客户乙" not in html


def test_filter_by_class_uses_the_worst_open_money(client, world):
    html = page(client, world["finance"], LIST, debt_class="doubtful")
    assert "客户甲" in html and "客户乙" not in html
    html = page(client, world["finance"], LIST, debt_class="overdue")
    assert "客户乙" in html and "客户甲" not in html


def test_filter_by_rep_region_and_overdue_only(client, world):
    html = page(client, world["finance"], LIST, owner=world["rep_b"].pk)
    assert "客户乙" in html and "客户丙" in html and "客户甲" not in html
    html = page(client, world["finance"], LIST, region=world["a"].region_id)
    assert "客户甲" in html and "客户乙" not in html
    html = page(client, world["finance"], LIST, overdue="on")
    assert "客户丙" not in html and "客户乙" in html


def test_htmx_search_answers_with_the_results_fragment_only(client, world):
    client.force_login(world["finance"])
    response = client.get(LIST, {"q": "丙"}, headers={"HX-Request": "true"})
    html = without_tokens(response.content.decode())
    assert "<html" not in html
    assert "客户丙" in html and "客户甲" not in html


def test_insolvent_customer_with_overdue_money_is_bad_debt(client, world):
    Customer.objects.filter(pk=world["b"].pk).update(status=CustomerStatus.INSOLVENT)
    html = page(client, world["finance"], LIST, debt_class="bad")
    assert "客户乙" in html and "客户甲" not in html


def test_customer_class_agrees_with_the_class_report(client, world):
    """The list's class is the worst class holding money in reports.selectors.class_report."""
    html = page(client, world["finance"], LIST, debt_class="doubtful")
    assert "客户甲" in html
    report = class_report(as_of=TODAY, customers=Customer.objects.filter(pk=world["a"].pk))
    held = [row.key for row in report.rows if row.amount]
    assert held[-1] == "doubtful"


def test_written_off_customer_is_dead(client, world):
    rb1 = world["b"].receivables.get(number="RB1")
    services.receivable_write_off(receivable=rb1, on=TODAY, reason="破产清算")
    html = page(client, world["finance"], LIST, debt_class="dead")
    assert "客户乙" in html and "客户甲" not in html


def test_customer_page_shows_balances_aging_and_open_receivables(client, world):
    html = page(client, world["rep_a"], reverse("customers:detail", args=[world["a"].pk]))
    assert "¥1,400.00" in html  # outstanding
    assert "¥1,100.00" in html  # overdue
    # Aging buckets as of today: not due 300, 1–30 days 500, 91–180 days 600.
    for amount in ("¥300.00", "¥500.00", "¥600.00"):
        assert amount in html
    assert "135" in html and "RA1" in html and "RA3" in html
    # The timeline lists the payment and its allocation.
    assert "PA1" in html and "2026-02-15" in html


def test_customer_page_timeline_is_newest_first(client, world):
    html = page(client, world["finance"], reverse("customers:detail", args=[world["a"].pk]))
    timeline = html[html.index('class="timeline"') :]
    assert (
        timeline.index("2026-06-01") < timeline.index("2026-02-15") < timeline.index("2026-01-01")
    )


def test_rep_gets_404_for_another_reps_customer(client, world):
    client.force_login(world["rep_a"])
    b = world["b"].pk
    for url in (
        reverse("customers:detail", args=[b]),
        reverse("customers:contact_add", args=[b]),
        reverse("customers:payment_process", args=[b]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "客户乙" not in without_tokens(response.content.decode())


def test_rep_may_not_create_or_edit_customers(client, world):
    client.force_login(world["rep_a"])
    assert client.get(reverse("customers:create")).status_code == 403
    assert client.get(reverse("customers:edit", args=[world["a"].pk])).status_code == 403


def test_finance_creates_a_customer(client, world):
    client.force_login(world["finance"])
    response = client.post(
        reverse("customers:create"),
        {
            "code": "D",
            "name": "客户丁",
            "owner": world["rep_a"].pk,
            "status": "active",
            "distance_km": "12",
            "credit_limit": "50000.00",
            "payment_terms_days": "45",
        },
    )
    customer = Customer.objects.get(code="D")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.credit_limit == Decimal("50000.00") and customer.owner == world["rep_a"]


def test_a_taken_code_is_shown_on_the_code_field_and_nothing_is_written(client, world):
    client.force_login(world["finance"])
    before = f.ledger_state()
    response = client.post(
        reverse("customers:create"),
        {
            "code": "A",
            "name": "重复",
            "status": "active",
            "distance_km": "0",
            "credit_limit": "0",
            "payment_terms_days": "30",
        },
    )
    assert response.status_code == 200
    assert "A" in response.context["form"].errors["code"][0]
    assert f.ledger_state() == before


def test_manager_edits_a_team_customers_credit_limit(client, world):
    client.force_login(world["manager"])
    url = reverse("customers:edit", args=[world["a"].pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"credit_limit": "8000.00", "is_government": ""})
    data.pop("is_government")
    response = client.post(url, data)
    assert response.status_code == 302
    assert Customer.objects.get(pk=world["a"].pk).credit_limit == Decimal("8000.00")
    assert client.get(reverse("customers:edit", args=[world["b"].pk])).status_code == 404


def test_rep_adds_a_contact_and_sees_it_under_its_role(client, world):
    client.force_login(world["rep_a"])
    response = client.post(
        reverse("customers:contact_add", args=[world["a"].pk]),
        {"name": "王会计", "role": "finance", "phone": "13800000000"},
    )
    assert response.status_code == 302
    html = page(client, world["rep_a"], reverse("customers:detail", args=[world["a"].pk]))
    assert "王会计" in html and "13800000000" in html


def test_payment_process_offers_only_this_customers_contacts(client, world):
    mine = Contact.objects.create(customer=world["a"], name="李出纳", role="cashier")
    theirs = Contact.objects.create(customer=world["b"], name="赵财务", role="finance")
    client.force_login(world["rep_a"])
    url = reverse("customers:payment_process", args=[world["a"].pk])
    html = without_tokens(client.get(url).content.decode())
    assert "李出纳" in html and "赵财务" not in html
    response = client.post(url, {"signer": theirs.pk, "approval_steps": "1"})
    assert response.status_code == 200 and "signer" in response.context["form"].errors
    response = client.post(
        url,
        {"signer": mine.pk, "settlement_day": "25", "approval_steps": "2", "cash_allowed": "on"},
    )
    assert response.status_code == 302
    html = page(client, world["rep_a"], reverse("customers:detail", args=[world["a"].pk]))
    assert "李出纳" in html and ">25<" in html


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]
