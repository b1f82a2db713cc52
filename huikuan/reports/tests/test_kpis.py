"""Dashboard figures against numbers worked out by hand.

The book on 2026-06-15 (as_of):

Customer A (rep1)
  r1  issued 03-01, due 03-31, 1000: paid 400 on 05-10, 100 on 06-05, credit note 20 on 06-08
  r2  issued 05-20, due 06-10,  500: paid 300 on 06-20 (after as_of)
  r3  issued 06-01, due 07-01,  300: paid 50 on 06-14 (before it is due)
  r4  issued 06-02, due 06-12,  200: paid 200 on 06-12
  r5  issued 01-01, due 01-31,  700: paid 700 on 02-15
Customer B (rep2)
  r6  issued 04-01, due 04-30, 5000: open
  r7  issued 2025-01-01, due 2025-01-31, 800: written off on 06-03

Balances on 06-15: r1 480 (76 days past due), r2 500 (5 days), r3 250 (not due), r6 5000 (46 days).
"""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.customers.selectors import customers_visible_to
from huikuan.ledger import services
from huikuan.ledger.models import PaymentKind
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.reports import kpis

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 15)
D = Decimal


@pytest.fixture
def book():
    rep1 = f.user(Role.REP)
    rep2 = f.user(Role.REP)
    a = f.customer(owner=rep1)
    b = f.customer(owner=rep2)
    r1 = f.receivable(a, amount="1000", issue=date(2026, 3, 1), due=date(2026, 3, 31))
    r2 = f.receivable(a, amount="500", issue=date(2026, 5, 20), due=date(2026, 6, 10))
    r3 = f.receivable(a, amount="300", issue=date(2026, 6, 1), due=date(2026, 7, 1))
    r4 = f.receivable(a, amount="200", issue=date(2026, 6, 2), due=date(2026, 6, 12))
    r5 = f.receivable(a, amount="700", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    f.payment(a, amount="700", on=date(2026, 2, 15), allocate=[(r5, D("700"))])
    f.payment(a, amount="400", on=date(2026, 5, 10), allocate=[(r1, D("400"))])
    f.payment(a, amount="100", on=date(2026, 6, 5), allocate=[(r1, D("100"))])
    f.payment(
        a, amount="20", on=date(2026, 6, 8), kind=PaymentKind.CREDIT_NOTE, allocate=[(r1, D("20"))]
    )
    f.payment(a, amount="200", on=date(2026, 6, 12), allocate=[(r4, D("200"))])
    f.payment(a, amount="50", on=date(2026, 6, 14), allocate=[(r3, D("50"))])
    f.payment(a, amount="300", on=date(2026, 6, 20), allocate=[(r2, D("300"))])
    f.receivable(b, amount="5000", issue=date(2026, 4, 1), due=date(2026, 4, 30))
    r7 = f.receivable(b, amount="800", issue=date(2025, 1, 1), due=date(2025, 1, 31))
    services.receivable_write_off(receivable=r7, on=date(2026, 6, 3), reason="公司注销")
    return {"rep1": rep1, "rep2": rep2, "a": a, "b": b}


def scope(user):
    return customers_visible_to(user)


def test_outstanding_and_overdue_on_a_past_date_add_back_later_payments(book):
    totals = kpis.portfolio_totals(as_of=AS_OF)
    assert totals.outstanding == D("6230.00")  # 480 + 500 + 250 + 5000
    assert totals.overdue == D("5980.00")  # all but r3
    assert sum(bar.amount for bar in totals.buckets) == totals.outstanding
    assert totals.buckets[0].amount == D("250.00")  # not due


def test_a_reps_totals_cover_only_their_own_customers(book):
    totals = kpis.portfolio_totals(as_of=AS_OF, customers=scope(book["rep1"]))
    assert (totals.outstanding, totals.overdue) == (D("1230.00"), D("980.00"))
    assert totals.overdue_ratio == D("0.7967")


def test_collection_rate_counts_payments_on_money_due_against_the_balance_at_month_start(book):
    rate = kpis.collection_rate(as_of=AS_OF, customers=scope(book["rep1"]))
    # Due by 06-15: r1 600 at 06-01, r2 500, r4 200 (issued in June), r5 0 -> 1300.
    # Collected in June up to the 15th on them: 100 (r1) + 200 (r4); not the credit note,
    # not the prepayment on r3, not the payment of 06-20.
    assert rate.period_start == date(2026, 6, 1)
    assert (rate.collected, rate.collectible) == (D("300.00"), D("1300.00"))
    assert rate.rate == D("0.2308")


def test_collection_rate_of_the_whole_book_counts_a_write_off_as_not_collected(book):
    rate = kpis.collection_rate(as_of=AS_OF)
    assert (rate.collected, rate.collectible) == (D("300.00"), D("7100.00"))  # + 5000 + 800
    assert rate.rate == D("0.0423")


def test_collection_rate_is_empty_when_nothing_was_due(book):
    rate = kpis.collection_rate(as_of=date(2025, 12, 31), customers=scope(book["rep1"]))
    assert rate.collectible == D("0.00")
    assert rate.rate is None


def test_dso_is_outstanding_over_the_last_90_days_billing_times_90(book):
    mine = kpis.dso(as_of=AS_OF, customers=scope(book["rep1"]))
    # Issued 03-18..06-15: r2 500 + r3 300 + r4 200 = 1000 (r1 of 03-01 is older).
    assert (mine.outstanding, mine.billed) == (D("1230.00"), D("1000.00"))
    assert mine.value == D("110.7")
    everyone = kpis.dso(as_of=AS_OF)
    assert everyone.billed == D("6000.00")
    assert everyone.value == D("93.5")  # 6230 × 90 ÷ 6000 = 93.45, rounded half up


def test_dso_is_empty_without_recent_billing(book):
    assert kpis.dso(as_of=date(2027, 6, 30), customers=scope(book["rep1"])).value is None


def test_trend_gives_twelve_months_of_collected_and_fallen_due(book):
    trend = kpis.monthly_trend(as_of=AS_OF, customers=scope(book["rep1"]))
    assert [m.month for m in trend][:2] == [date(2025, 7, 1), date(2025, 8, 1)]
    assert trend[-1].month == date(2026, 6, 1)
    by_month = {m.month: (m.collected, m.fallen_due) for m in trend}
    assert by_month[date(2026, 1, 1)] == (D("0.00"), D("700.00"))
    assert by_month[date(2026, 2, 1)] == (D("700.00"), D("0.00"))
    assert by_month[date(2026, 3, 1)] == (D("0.00"), D("1000.00"))
    assert by_month[date(2026, 5, 1)] == (D("400.00"), D("0.00"))
    # June up to the 15th: 100 + 200 + 50 collected (the credit note is not), r2 + r4 due.
    assert by_month[date(2026, 6, 1)] == (D("350.00"), D("700.00"))
    assert by_month[date(2025, 7, 1)] == (D("0.00"), D("0.00"))


def test_trend_of_another_rep_shows_none_of_the_first_reps_money(book):
    trend = kpis.monthly_trend(as_of=AS_OF, customers=scope(book["rep2"]))
    assert sum(m.collected for m in trend) == D("0.00")
    assert {m.month: m.fallen_due for m in trend}[date(2026, 4, 1)] == D("5000.00")
    assert sum(m.fallen_due for m in trend) == D("5000.00")


def test_top_overdue_customers_are_ranked_by_overdue_amount_as_of_the_date(book):
    rows = kpis.top_overdue_customers(as_of=AS_OF)
    assert [(r.customer_id, r.overdue) for r in rows] == [
        (book["b"].pk, D("5000.00")),
        (book["a"].pk, D("980.00")),  # r2 still owes 500 on 06-15: its payment came on 06-20
    ]
    a = rows[1]
    assert (a.oldest_due, a.days_overdue, a.code) == (date(2026, 3, 31), 76, book["a"].code)
    assert a.owner == str(book["rep1"])


def test_top_overdue_customers_of_a_rep_are_only_their_own(book):
    rows = kpis.top_overdue_customers(as_of=AS_OF, customers=scope(book["rep1"]))
    assert [r.customer_id for r in rows] == [book["a"].pk]


def test_top_overdue_leaves_out_customers_who_had_paid_by_then(book):
    # On 06-25 r2 is down to 200 and r1 still owes 480.
    rows = kpis.top_overdue_customers(as_of=date(2026, 6, 25), customers=scope(book["rep1"]))
    assert rows[0].overdue == D("680.00")
    # On 03-31 r1 is due that very day (not overdue yet) and r5 was paid in February.
    assert kpis.top_overdue_customers(as_of=date(2026, 3, 31), customers=scope(book["rep1"])) == []
    # B's r7 counted as overdue until it was written off on 06-03.
    rows = kpis.top_overdue_customers(as_of=date(2026, 3, 31), customers=scope(book["rep2"]))
    assert [(r.overdue, r.days_overdue) for r in rows] == [(D("800.00"), 424)]


def test_dashboard_bundles_the_figures_for_one_scope(book):
    figures = kpis.dashboard(as_of=AS_OF, customers=scope(book["rep2"]))
    assert figures.totals.outstanding == D("5000.00")
    amounts = {row.key: row.amount for row in figures.classes.rows}
    assert amounts["overdue"] == D("5000.00")
    assert amounts["dead"] == D("800.00")
    assert figures.collection.collectible == D("5800.00")
    assert [c.customer_id for c in figures.top_overdue] == [book["b"].pk]
