"""A sales rep's morning: sign in, see only their own customers, open one and read its aging —
and another rep's customer is simply not there."""

from decimal import Decimal

from django.urls import reverse

from .helpers import amount, sign_in


def test_a_rep_sees_only_own_customers_and_the_aging_of_one(open_page, sales):
    page = open_page()
    sign_in(page, sales.rep)

    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Customers"
    ).click()
    page.wait_for_url("**/customers/")
    names = page.locator("table.customers tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(names) == sorted([sales.kangning.name, sales.haishu.name])
    assert sales.ouhai.name not in page.content()

    page.get_by_role("link", name=sales.kangning.name).click()
    page.wait_for_url(f"**{reverse('customers:detail', args=[sales.kangning.pk])}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(sales.kangning.name)

    aging = page.locator("section", has=page.get_by_role("heading", name="Aging", exact=True))
    # The chart is drawn by ECharts, served by the app itself.
    aging.locator(".chart canvas").first.wait_for()
    aging.get_by_text("Show the figures as a table").click()
    figures = {
        row.locator("th").inner_text().strip(): amount(row.locator("td").first.inner_text())
        for row in aging.locator(".chart-table tbody tr").all()
    }
    assert figures["Not due"] == Decimal("5000.00")
    assert figures["61–90"] == Decimal("10000.00")
    assert sum(figures.values()) == Decimal("15000.00")


def test_a_rep_asking_for_another_reps_customer_gets_not_found(open_page, sales):
    page = open_page()
    sign_in(page, sales.rep)

    for url in (
        reverse("customers:detail", args=[sales.ouhai.pk]),
        reverse("ledger:receivable", args=[sales.ouhai_invoice.pk]),
    ):
        response = page.goto(url)
        assert response.status == 404, url
        assert sales.ouhai.name not in page.content()
        assert sales.ouhai_invoice.number not in page.content()

    # The same pages open for the rep who owns the customer.
    page = open_page()
    sign_in(page, sales.other_rep)
    response = page.goto(reverse("customers:detail", args=[sales.ouhai.pk]))
    assert response.status == 200
    assert sales.ouhai.name in page.content()
