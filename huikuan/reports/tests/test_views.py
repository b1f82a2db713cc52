"""The aging page, its drill-down and its Excel export, against reports.selectors.aging.

The world (amounts in yuan), as in test_aging but smaller:
  客户甲 A (rep 甲 in team 东一, managed by 经理; region 华东)
    R1 1,000.00 issued 2026-01-01 due 2026-01-31
    R2   500.00 issued 2026-03-01 due 2026-03-31
    P1   400.00 paid 2026-02-15, auto -> R1 (600.00 left)
    P2   700.00 paid 2026-05-10, auto -> R1 600.00, R2 100.00
  客户乙 B (rep 乙; region 华南)
    R5   250.00 issued 2026-04-01 due 2026-05-01
On 2026-04-30: A owes 600.00 (R1, 89 days: 61–90) + 500.00 (R2, 30 days: 1–30) = 1,100.00;
B owes 250.00 not yet due. Total 1,350.00.
"""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from huikuan.customers.models import Customer
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.reports.selectors import aging
from huikuan.web.tests.pages import without_tokens

AGING = reverse("reports:aging")
DRILL = reverse("reports:aging_receivables")
XLSX = reverse("reports:aging_xlsx")
PAST = date(2026, 4, 30)
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, monkeypatch):
    monkeypatch.setattr("huikuan.reports.views.business_today", lambda: date(2026, 6, 15))
    east, south = f.region("EAST"), f.region("SOUTH")
    team = f.team("东一", east)
    manager = f.user(Role.MANAGER, username="manager", team=team)
    rep_a = f.user(Role.REP, username="jia", last_name="甲", team=team, manager=manager)
    rep_b = f.user(Role.REP, username="yi", last_name="乙")
    finance = f.user(Role.FINANCE, username="finance")
    a = f.customer("A", name="客户甲", region=east, owner=rep_a)
    b = f.customer("B", name="客户乙", region=south, owner=rep_b)
    f.receivable(a, number="R1", amount="1000.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    f.receivable(a, number="R2", amount="500.00", issue=date(2026, 3, 1), due=date(2026, 3, 31))
    f.receivable(b, number="R5", amount="250.00", issue=date(2026, 4, 1), due=date(2026, 5, 1))
    f.payment(a, number="P1", amount="400.00", on=date(2026, 2, 15))
    f.payment(a, number="P2", amount="700.00", on=date(2026, 5, 10))
    return {"a": a, "b": b, "rep_a": rep_a, "rep_b": rep_b, "manager": manager, "finance": finance}


def get(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response


def test_aging_as_of_a_past_date_matches_the_selector(client, world):
    response = get(client, world["finance"], AGING, as_of="2026-04-30", by="customer")
    html = response.content.decode()
    assert 'id="aging-total">¥1,350.00<' in html
    rows = {row.key: row for row in aging(as_of=PAST, by="customer")}
    assert rows["A"].total == Decimal("1100.00") and rows["B"].total == Decimal("250.00")
    assert [line["row"].total for line in response.context["table"]] == [
        Decimal("1100.00"),
        Decimal("250.00"),
    ]
    for amount in ("¥1,100.00", "¥600.00", "¥500.00", "¥250.00"):
        assert amount in html


def test_aging_today_reflects_later_payments(client, world):
    html = get(client, world["finance"], AGING).content.decode()  # today: 2026-06-15
    assert 'id="aging-total">¥650.00<' in html  # R2 400 + R5 250


@pytest.mark.parametrize("by", ["rep", "region"])
def test_aging_by_rep_and_region(client, world, by):
    response = get(client, world["finance"], AGING, as_of="2026-04-30", by=by)
    totals = [line["row"].total for line in response.context["table"]]
    assert totals == [row.total for row in aging(as_of=PAST, by=by)]
    html = response.content.decode()
    assert ("甲" if by == "rep" else "区域EAST") in html


def test_rep_and_manager_see_only_their_customers(client, world):
    for who in ("rep_a", "manager"):
        html = get(client, world[who], AGING, as_of="2026-04-30").content.decode()
        assert "客户甲" in html and "客户乙" not in html
        assert 'id="aging-total">¥1,100.00<' in html


def test_a_bad_date_falls_back_to_today_and_says_so(client, world):
    response = get(client, world["finance"], AGING, as_of="2026-13-01")
    assert "as_of" in response.context["form"].errors
    assert response.context["as_of"] == date(2026, 6, 15)


def test_drill_down_lists_the_receivables_behind_a_row_on_that_day(client, world):
    a = world["a"]
    html = get(
        client, world["rep_a"], DRILL, as_of="2026-04-30", by="customer", key=a.pk
    ).content.decode()
    html = without_tokens(html)
    assert "R1" in html and "R2" in html and "R5" not in html
    assert 'id="drill-total">¥1,100.00<' in html  # the row's total in the report
    assert "89" in html  # R1 was 89 days past due that day


def test_drill_down_by_rep_sums_to_the_reps_row(client, world):
    rep_row = next(r for r in aging(as_of=PAST, by="rep") if r.group_id == world["rep_a"].pk)
    html = get(
        client, world["manager"], DRILL, as_of="2026-04-30", by="rep", key=world["rep_a"].pk
    ).content.decode()
    assert f'id="drill-total">¥{rep_row.total:,.2f}<' in html


def test_drill_down_into_another_reps_customer_is_404(client, world):
    client.force_login(world["rep_a"])
    response = client.get(DRILL, {"as_of": "2026-04-30", "by": "customer", "key": world["b"].pk})
    assert response.status_code == 404
    assert "R5" not in without_tokens(response.content.decode())


def test_drill_down_into_another_reps_group_shows_nothing_of_theirs(client, world):
    html = get(
        client, world["rep_a"], DRILL, as_of="2026-04-30", by="rep", key=world["rep_b"].pk
    ).content.decode()
    html = without_tokens(html)
    assert "R5" not in html and "客户乙" not in html and "乙" not in html.split("<main")[1]


# --- Excel --------------------------------------------------------------------------------------


def read_sheet(content: bytes):
    """(sheet name, rows as lists of str/Decimal, sheet XML, styles XML) of the first sheet."""
    book = zipfile.ZipFile(io.BytesIO(content))
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    name = workbook.find("m:sheets/m:sheet", NS).get("name")
    strings = []
    if "xl/sharedStrings.xml" in book.namelist():
        shared = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        strings = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in shared]
    sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    rows = []
    for row in ElementTree.fromstring(sheet_xml).iter(f"{{{NS['m']}}}row"):
        values = []
        for cell in row.findall("m:c", NS):
            v = cell.find("m:v", NS)
            if cell.get("t") == "inlineStr":  # the streaming writer keeps strings in the cell
                values.append("".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t")))
            elif v is None:
                values.append("")
            elif cell.get("t") == "s":
                values.append(strings[int(v.text)])
            else:
                values.append(Decimal(v.text))
        rows.append(values)
    return name, rows, sheet_xml, book.read("xl/styles.xml").decode()


def test_xlsx_opens_and_its_totals_equal_the_selectors(client, world):
    response = get(client, world["finance"], XLSX, as_of="2026-04-30", by="customer")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "aging-customer-2026-04-30.xlsx" in response["Content-Disposition"]
    name, rows, sheet_xml, styles = read_sheet(response.getvalue())
    assert name
    assert "2026-04-30" in rows[0][0]
    header, lines, total = rows[1], rows[2:-1], rows[-1]
    portfolio = aging(as_of=PAST, by="portfolio")[0]
    assert len(header) == len(total) == 2 + len(portfolio.buckets) + 2
    assert total[2:] == [*portfolio.buckets.values(), portfolio.total, portfolio.unapplied_credit]
    assert [line[0] for line in lines] == ["A", "B"]
    assert lines[0][-2] == Decimal("1100") and lines[1][-2] == Decimal("250")
    assert sum(line[-2] for line in lines) == total[-2] == Decimal("1350")
    assert re.search(r'<pane [^>]*ySplit="2"[^>]*state="frozen"', sheet_xml)
    assert "¥" in styles and "#,##0.00" in styles  # amounts are numbers shown with a ¥ format


def test_xlsx_of_a_rep_holds_only_own_customers(client, world):
    response = get(client, world["rep_a"], XLSX, as_of="2026-04-30", by="customer")
    _name, rows, _xml, _styles = read_sheet(response.getvalue())
    keys = [row[0] for row in rows[2:-1]]
    assert keys == ["A"]
    assert rows[-1][-2] == Decimal("1100")
    assert not any("客户乙" in str(value) for row in rows for value in row)


def test_xlsx_by_rep_for_a_manager(client, world):
    response = get(client, world["manager"], XLSX, as_of="2026-04-30", by="rep")
    _name, rows, _xml, _styles = read_sheet(response.getvalue())
    assert [row[0] for row in rows[2:-1]] == ["jia"]
    visible = Customer.objects.filter(owner=world["rep_a"])
    assert rows[-1][-2] == aging(as_of=PAST, by="portfolio", customers=visible)[0].total
