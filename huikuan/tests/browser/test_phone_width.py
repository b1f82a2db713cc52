"""On a phone (390 px wide) the pages reps and finance use fit the screen: tables scroll inside
their own box, the page itself never scrolls sideways."""

import re

import pytest
from django.urls import reverse

from .helpers import PHONE, sign_in

PAGES = {
    "dashboard": lambda sales: reverse("web:dashboard"),
    "customer list": lambda sales: reverse("customers:list"),
    "customer page": lambda sales: reverse("customers:detail", args=[sales.kangning.pk]),
    "aging report": lambda sales: reverse("reports:aging"),
    "payment form": lambda sales: f"{reverse('ledger:payment_new')}?customer={sales.kangning.pk}",
    "compose a letter": lambda sales: reverse("notifications:compose", args=[sales.kangning.pk]),
    "outbox": lambda sales: reverse("notifications:messages"),
    "confirmations": lambda sales: reverse("documents:confirmations"),
    "templates": lambda sales: reverse("documents:templates"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_has_no_horizontal_scroll_at_390_px(name, open_page, sales):
    page = open_page(viewport=PHONE)
    sign_in(page, sales.finance)
    page.goto(PAGES[name](sales), wait_until="networkidle")
    if name == "payment form":
        # The allocation lines, the widest part of the form, show only when allocating by hand.
        page.get_by_role("radio", name=re.compile("By hand")).check()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[1] == PHONE["width"]
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"
