from datetime import date
from decimal import Decimal

import pytest

from huikuan.core.dates import business_today
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(rep, make_user):
    other = make_user(Role.REP)
    mine = f.customer(owner=rep, name="华东医药")
    theirs = f.customer(owner=other, name="南方药业")
    f.receivable(mine, amount="1230.00", issue=date(2026, 3, 1), due=date(2026, 3, 31))
    f.receivable(theirs, amount="5000.00", issue=date(2026, 4, 1), due=date(2026, 4, 30))
    return {"mine": mine, "theirs": theirs}


def test_a_rep_sees_only_their_own_customers_figures(client, rep, book):
    client.force_login(rep)
    response = client.get("/?as_of=2026-06-15")
    figures = response.context["f"]
    assert figures.totals.outstanding == Decimal("1230.00")
    assert [c.customer_id for c in figures.top_overdue] == [book["mine"].pk]
    body = response.content.decode()
    assert "华东医药" in body and f'href="/customers/{book["mine"].pk}/"' in body
    assert "南方药业" not in body
    assert "¥5,000.00" not in body and "¥1,230.00" in body


def test_finance_sees_the_whole_book(client, finance, book):
    client.force_login(finance)
    response = client.get("/?as_of=2026-06-15")
    assert response.context["f"].totals.outstanding == Decimal("6230.00")
    body = response.content.decode()
    assert "南方药业" in body and "华东医药" in body


def test_figures_are_as_of_the_chosen_date(client, finance, book):
    client.force_login(finance)
    before = client.get("/?as_of=2026-03-15").context["f"]
    assert before.totals.outstanding == Decimal("1230.00")  # the 5000 was issued on 04-01
    assert before.totals.overdue == Decimal("0.00")
    assert "2026-03-15" in client.get("/?as_of=2026-03-15").content.decode()


def test_a_bad_date_is_named_and_today_is_shown_instead(client, rep):
    client.force_login(rep)
    response = client.get("/?as_of=2026-13-45")
    assert response.status_code == 200
    assert response.context["form"].errors["as_of"]
    assert response.context["as_of"] == business_today()


def test_charts_carry_their_data_and_a_table_fallback(client, finance, book):
    client.force_login(finance)
    body = client.get("/?as_of=2026-06-15").content.decode()
    assert 'id="aging-chart-data" type="application/json"' in body
    assert 'data-chart="trend-chart-data"' in body
    assert body.count('class="chart-table"') == 2
    assert "vendor/echarts/echarts.min.js" in body


def test_an_empty_book_shows_an_empty_state_not_an_error(client, rep):
    client.force_login(rep)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["f"].top_overdue == []
    assert 'class="empty"' in response.content.decode()
