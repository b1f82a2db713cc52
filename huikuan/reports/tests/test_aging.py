"""Aging and the five classes, checked to the fen against numbers worked out by hand.

The world (all amounts in yuan):
  客户A (rep 甲, region 华东)
    R1 1,000.00 issued 2026-01-01 due 2026-01-31
    R2   500.00 issued 2026-03-01 due 2026-03-31
    R3   300.00 issued 2026-05-01 due 2026-06-30
    P1   400.00 paid 2026-02-15, auto      -> R1 (R1 600 left)
    CN1   50.00 credit note 2026-04-05, unallocated (credit 50)
    P2   700.00 paid 2026-05-10, auto      -> R1 600, R2 100 (R2 400 left)
  客户B (rep 乙, region 华南)
    R4 2,000.00 issued 2025-01-10 due 2025-02-09, written off 2026-03-01
    R5   250.00 issued 2026-04-01 due 2026-05-01
    P3   100.00 paid 2026-04-20 -> R5 (150 left), reversed 2026-05-05 (250 again)
"""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.customers.models import CustomerStatus
from huikuan.customers.services import customer_update
from huikuan.ledger import services
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.reports.selectors import aging, class_report, receivables_as_of

D = Decimal


@pytest.fixture
def world(db):
    east, south = f.region("EAST"), f.region("SOUTH")
    rep_a, rep_b = f.user(Role.REP, username="jia"), f.user(Role.REP, username="yi")
    a = f.customer("A", name="客户A", region=east, owner=rep_a)
    b = f.customer("B", name="客户B", region=south, owner=rep_b)
    r = {}
    r[1] = f.receivable(
        a, number="R1", amount="1000.00", issue=date(2026, 1, 1), due=date(2026, 1, 31)
    )
    r[2] = f.receivable(
        a, number="R2", amount="500.00", issue=date(2026, 3, 1), due=date(2026, 3, 31)
    )
    r[3] = f.receivable(
        a, number="R3", amount="300.00", issue=date(2026, 5, 1), due=date(2026, 6, 30)
    )
    r[4] = f.receivable(
        b, number="R4", amount="2000.00", issue=date(2025, 1, 10), due=date(2025, 2, 9)
    )
    r[5] = f.receivable(
        b, number="R5", amount="250.00", issue=date(2026, 4, 1), due=date(2026, 5, 1)
    )
    # R3 exists from the start but is issued in May: it must not appear in earlier reports.
    f.payment(a, number="P1", amount="400.00", on=date(2026, 2, 15))
    services.receivable_write_off(receivable=r[4], on=date(2026, 3, 1), reason="债务人破产")
    services.payment_record(
        customer=a,
        number="CN1",
        received_on=date(2026, 4, 5),
        amount=D("50.00"),
        kind="credit_note",
        allocate="none",
    )
    p3 = f.payment(b, number="P3", amount="100.00", on=date(2026, 4, 20), allocate=[("R5", "100")])
    f.payment(a, number="P2", amount="700.00", on=date(2026, 5, 10))
    services.payment_reverse(payment=p3, on=date(2026, 5, 5), reason="银行退票")
    return {"a": a, "b": b, "r": r}


def by_key(rows):
    return {row.key: row for row in rows}


def buckets(row):
    return {k: v for k, v in row.buckets.items() if v}


def test_aging_by_customer_mid_year_counts_only_what_had_happened(world):
    rows = by_key(aging(as_of=date(2026, 4, 30), by="customer"))
    # A: R1 1000-400 = 600 at 89 days; R2 500 at 30 days; R3 not yet issued; CN1 is credit.
    assert buckets(rows["A"]) == {"d61_90": D("600.00"), "d1_30": D("500.00")}
    assert rows["A"].total == D("1100.00")
    assert rows["A"].unapplied_credit == D("50.00")
    # B: R4 written off on 03-01; R5 250-100 (P3, reversed only on 05-05), due tomorrow.
    assert buckets(rows["B"]) == {"not_due": D("150.00")}
    assert rows["B"].unapplied_credit == D("0.00")


def test_aging_after_later_payment_reversal_and_new_invoice(world):
    rows = by_key(aging(as_of=date(2026, 5, 31), by="customer"))
    # A: R1 settled by P2; R2 500-100 = 400 at 61 days; R3 300 not due until 06-30.
    assert buckets(rows["A"]) == {"d61_90": D("400.00"), "not_due": D("300.00")}
    assert rows["A"].unapplied_credit == D("50.00")
    # B: P3 reversed on 05-05, so R5 is 250 again, 30 days past due.
    assert buckets(rows["B"]) == {"d1_30": D("250.00")}


def test_aging_before_the_write_off_shows_the_old_debt_over_a_year(world):
    rows = by_key(aging(as_of=date(2026, 2, 20), by="customer"))
    assert buckets(rows["A"]) == {"d1_30": D("600.00")}
    assert buckets(rows["B"]) == {"over_365": D("2000.00")}
    on_write_off_day = by_key(aging(as_of=date(2026, 3, 1), by="customer"))
    assert "B" not in on_write_off_day  # nothing open and no credit: no row


def test_portfolio_buckets_sum_exactly_to_total(world):
    (row,) = aging(as_of=date(2026, 4, 30), by="portfolio")
    assert buckets(row) == {
        "not_due": D("150.00"),
        "d1_30": D("500.00"),
        "d61_90": D("600.00"),
    }
    assert row.total == D("1250.00") == sum(row.buckets.values())
    assert row.unapplied_credit == D("50.00")


def test_portfolio_row_exists_even_when_nothing_is_open(db):
    (row,) = aging(as_of=date(2026, 1, 1), by="portfolio")
    assert row.total == D("0.00") and row.unapplied_credit == D("0.00")


def test_aging_by_rep_and_region_use_the_customers_owner_and_region(world):
    reps = by_key(aging(as_of=date(2026, 5, 31), by="rep"))
    assert reps["jia"].total == D("700.00")
    assert reps["yi"].total == D("250.00")
    regions = by_key(aging(as_of=date(2026, 5, 31), by="region"))
    assert regions["EAST"].total == D("700.00") and regions["EAST"].unapplied_credit == D("50.00")
    assert regions["SOUTH"].total == D("250.00")


def test_custom_edges_regroup_the_same_money(world):
    (row,) = aging(as_of=date(2026, 4, 30), by="portfolio", edges=[45])
    assert list(row.buckets) == ["not_due", "d1_45", "over_45"]
    assert buckets(row) == {"not_due": D("150.00"), "d1_45": D("500.00"), "over_45": D("600.00")}


def test_aging_can_be_restricted_to_customers_a_user_may_see(world):
    from huikuan.customers.models import Customer

    rows = aging(
        as_of=date(2026, 4, 30), by="portfolio", customers=Customer.objects.filter(code="B")
    )
    assert rows[0].total == D("150.00") and rows[0].unapplied_credit == D("0.00")


def test_receivables_as_of_gives_each_balance_that_day(world):
    balances = {
        r.number: r.balance for r in receivables_as_of(as_of=date(2026, 4, 30)).order_by("number")
    }
    assert balances == {"R1": D("600.00"), "R2": D("500.00"), "R5": D("150.00")}


def classes(report):
    return {
        row.key: (row.amount, row.count, row.expected_recovery, row.provision)
        for row in report.rows
    }


def test_five_classes_with_recovery_and_provision(world):
    got = classes(class_report(as_of=date(2026, 2, 20)))
    # R1 600 at 20 days: 催收款, 98 % expected. R4 2000 at 376 days: 呆账, 10 % expected.
    assert got == {
        "current": (D("0.00"), 0, D("0.00"), D("0.00")),
        "overdue": (D("600.00"), 1, D("588.00"), D("12.00")),
        "doubtful": (D("0.00"), 0, D("0.00"), D("0.00")),
        "bad": (D("2000.00"), 1, D("200.00"), D("1800.00")),
        "dead": (D("0.00"), 0, D("0.00"), D("0.00")),
    }


def test_classes_count_items_open_that_day_even_if_settled_since(world):
    got = classes(class_report(as_of=date(2026, 4, 30)))
    # R5 150 not due: 100 %. R1 600 at 89 days: 80 % = 480; R2 500 at 30 days: 98 % = 490.
    assert got["current"] == (D("150.00"), 1, D("150.00"), D("0.00"))
    assert got["overdue"] == (D("1100.00"), 2, D("970.00"), D("130.00"))
    assert got["dead"] == (D("2000.00"), 1, D("0.00"), D("0.00"))
    assert got["bad"][0] == D("0.00")


def test_overdue_money_of_an_insolvent_customer_is_bad_debt(world):
    customer_update(customer=world["b"], status=CustomerStatus.INSOLVENT)
    got = classes(class_report(as_of=date(2026, 5, 31)))
    assert got["bad"][:2] == (D("250.00"), 1)
    assert got["overdue"][:2] == (D("400.00"), 1)  # only A's R2 remains in 催收款
    assert got["current"][:2] == (D("300.00"), 1)


def test_reversed_write_off_is_no_longer_dead(world):
    write_off = world["r"][4].write_offs.get()
    services.write_off_reverse(write_off=write_off, on=date(2026, 6, 1), reason="误核销")
    assert classes(class_report(as_of=date(2026, 5, 31)))["dead"][:2] == (D("2000.00"), 1)
    after = classes(class_report(as_of=date(2026, 6, 1)))
    assert after["dead"][:2] == (D("0.00"), 0)
    assert after["bad"][:2] == (D("2000.00"), 1)
