"""Credit control in the browser: a manager checks an order for 杭州康宁 (¥10,000.00 about 75 days
overdue), sees it blocked with the overdue invoice as the reason, grants a time- and
amount-limited exception, and the next check of the same order ships with the exception named —
on the check's answer and in the customer page's list of decisions. The credit pages fit a
phone."""

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from huikuan.customers.models import Customer
from huikuan.risk.models import CreditDecision, CreditException, SignalKind
from huikuan.risk.signals import signal_record

from .helpers import PHONE, field, sign_in


@pytest.fixture
def kangning(sales):
    """杭州康宁 with room under its limit, dealt with for years: only the overdue invoice stands
    between it and a new order."""
    Customer.objects.filter(pk=sales.kangning.pk).update(
        credit_limit=Decimal("100000.00"), first_deal_on=sales.today - timedelta(days=3 * 365)
    )
    sales.kangning.refresh_from_db()
    return sales.kangning


def check_order(page, amount: str, order_ref: str):
    """Fill in and send "Check an order" on the customer page; the answer replaces the form's
    box in place (HTMX). Returns the answer."""
    form = page.locator("#credit-check-form")
    field(form, "Order amount").fill(amount)
    field(form, "Order reference").fill(order_ref)
    form.get_by_role("button", name="Check an order").click()
    answer = page.locator("#check-result")
    answer.wait_for()
    return answer


def test_a_manager_grants_an_exception_and_the_next_check_shows_it(open_page, sales, kangning):
    page = open_page()
    sign_in(page, sales.manager)
    page.goto(reverse("customers:detail", args=[kangning.pk]))
    panel = page.locator("#credit")
    assert "¥100,000.00" in panel.locator("[data-figure=limit]").inner_text()

    answer = check_order(page, "3,000.00", "SO-2026-001")
    assert urlparse(page.url).path == reverse("customers:detail", args=[kangning.pk])  # in place
    assert answer.get_attribute("data-decision") == "block"
    overdue = answer.locator("[data-reason=overdue_block]")
    assert "KN-INV-1" in overdue.inner_text()
    assert re.search(r"\b75 days\b", overdue.inner_text())
    assert answer.get_attribute("data-allowed") == "0.00"

    panel.get_by_role("link", name="Grant exception").click()
    page.wait_for_url(f"**{reverse('risk:exception_new', args=[kangning.pk])}")
    until = sales.today + timedelta(days=14)
    field(page, "Up to").fill("5,000.00")
    field(page, "Valid until").fill(until.isoformat())
    field(page, "Reason").fill("老客户,月底前回款,经理特批")
    page.get_by_role("button", name="Grant the exception").click()
    page.wait_for_url(re.compile(rf"{reverse('customers:detail', args=[kangning.pk])}#credit$"))
    assert "Exception granted" in page.locator(".messages").inner_text()
    exceptions = page.locator("#credit ul.exceptions li")
    assert exceptions.count() == 1
    assert "¥5,000.00" in exceptions.first.inner_text()
    assert until.isoformat() in exceptions.first.inner_text()

    answer = check_order(page, "3,000.00", "SO-2026-001")
    assert answer.get_attribute("data-decision") == "allow"
    assert answer.get_attribute("data-allowed") == "3000.00"
    used = answer.locator("[data-reason=exception_used]")
    assert used.count() == 1
    assert "¥2,000.00" in used.inner_text()  # what is left of the exception
    # The overdue invoice is still named: the exception lifts the rule, it does not hide it.
    assert answer.locator("[data-reason=overdue_block]").count() == 1

    # The list of decisions was swapped in too, and it is there after a reload.
    for _ in range(2):
        latest = page.locator("#credit-decisions li").first
        assert latest.get_attribute("data-decision") == "allow"
        assert "SO-2026-001" in latest.inner_text()
        assert latest.locator("[data-reason=exception_used]").count() == 1
        page.reload()

    decision = CreditDecision.objects.filter(customer=kangning).order_by("-pk").first()
    assert (decision.decision, decision.allowed_amount, decision.asked_by) == (
        "allow",
        Decimal("3000.00"),
        sales.manager,
    )
    assert CreditException.objects.get(customer=kangning).used == Decimal("3000.00")


PHONE_PAGES = {
    "customer page": lambda sales: reverse("customers:detail", args=[sales.kangning.pk]),
    "signals": lambda sales: reverse("risk:signals"),
    "exceptions": lambda sales: reverse("risk:exceptions"),
    "decisions": lambda sales: reverse("risk:decisions"),
    "grant form": lambda sales: reverse("risk:exception_new", args=[sales.kangning.pk]),
}


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_the_credit_pages_fit_a_phone(name, open_page, sales, kangning):
    signal_record(
        customer=kangning,
        kind=SignalKind.DUMPING,
        evidence="门店在做清仓甩卖,价格低于我们的出厂价",
        detected_on=sales.today,
        actor=sales.rep,
    )
    page = open_page(viewport=PHONE)
    sign_in(page, sales.manager)
    page.goto(PHONE_PAGES[name](sales), wait_until="networkidle")
    if name == "customer page":
        check_order(page, "3,000.00", "SO-PHONE-1")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[1] == PHONE["width"]
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"
