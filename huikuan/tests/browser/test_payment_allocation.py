"""Finance books a payment and allocates it by hand; the customer's page shows the new figures."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from .helpers import field, sign_in


def kpi(page, label: str):
    """The value of the key-figure card called ``label``."""
    card = page.locator(".kpi", has=page.locator(".kpi-label", has_text=re.compile(f"^{label}$")))
    return card.locator(".kpi-value")


def test_finance_allocates_a_payment_by_hand_and_the_customer_page_follows(open_page, sales):
    customer_page = reverse("customers:detail", args=[sales.kangning.pk])
    page = open_page()
    sign_in(page, sales.finance)
    page.goto(customer_page)
    expect(kpi(page, "Outstanding")).to_have_text("¥15,000.00")
    expect(kpi(page, "Overdue")).to_have_text("¥10,000.00")

    page.goto(reverse("ledger:payment_new"))
    field(page, "Customer").select_option(label=str(sales.kangning))
    # Picking the customer loads its open receivables as allocation lines.
    line = page.get_by_label(f"Amount to allocate to {sales.new_invoice.number}")
    field(page, "Document number").fill("BANK-0001")
    field(page, "Amount").fill("3,000.00")
    page.get_by_role("radio", name=re.compile("By hand")).check()
    # By hand, to the newer invoice: automatic allocation would have taken the oldest.
    line.fill("2500")
    expect(page.locator("#unapplied-live")).to_have_text("¥500.00")
    page.get_by_role("button", name="Record", exact=True).click()

    page.wait_for_url(re.compile(r"/ledger/payments/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("BANK-0001")
    expect(page.get_by_role("status")).to_contain_text("¥500.00")

    page.goto(customer_page)
    expect(kpi(page, "Outstanding")).to_have_text("¥12,500.00")
    expect(kpi(page, "Overdue")).to_have_text("¥10,000.00")
    expect(kpi(page, "Unapplied credit")).to_have_text("¥500.00")
    receivables = page.locator("section", has=page.get_by_role("heading", name="Open receivables"))
    new_row = receivables.locator("tr", has_text=sales.new_invoice.number)
    old_row = receivables.locator("tr", has_text=sales.old_invoice.number)
    expect(new_row).to_contain_text("¥2,500.00")
    expect(old_row.locator("td").nth(4)).to_have_text("¥10,000.00")
