"""A manager's aging report for a past day shows the same numbers as the API gives the same
manager for that day."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

from huikuan.api.services import api_token_create

from .helpers import amount, sign_in


def test_a_managers_aging_on_a_past_day_matches_the_api(open_page, sales, live_server):
    past = sales.today - timedelta(days=10)  # before 宁波海曙 paid half of its invoice
    page = open_page()
    sign_in(page, sales.manager)

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Aging").click()
    page.wait_for_url(f"**{reverse('reports:aging')}")
    page.get_by_label("As of").fill(past.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**as_of={past.isoformat()}**")

    shown = {}
    for row in page.locator("table.aging tbody tr").all():
        code = row.locator("td").first.locator(".muted").inner_text().strip()
        shown[code] = [amount(text) for text in row.locator("td.num").all_inner_texts()]

    token = api_token_create(user=sales.manager)[1]
    answer = page.request.get(
        f"{live_server.url}/api/v1/reports/aging",
        params={"as_of": past.isoformat(), "by": "customer"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.ok, answer.text()
    body = answer.json()
    bands = [column["key"] for column in body["columns"]]
    expected = {
        row["key"]: [Decimal(row[key]) for key in [*bands, "total", "unapplied_credit"]]
        for row in body["rows"]
    }

    assert shown == expected
    # The whole team's customers, with the payment made after that day not yet counted.
    assert set(shown) == {"KN-001", "HS-002", "OH-003"}
    assert shown["HS-002"][-2] == Decimal("2000.00")
    assert amount(page.locator("#aging-total").inner_text()) == Decimal("25000.00")
