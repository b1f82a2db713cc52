"""The new customer's ramp: a small limit at first, doubling with each few receivables paid on
time, set back by late ones, and the granted limit once the customer is no longer new."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.dunning.tests.factories import make_customer, make_payment, make_receivable
from huikuan.risk.credit import credit_check
from huikuan.risk.models import CreditPolicy, Decision
from huikuan.risk.rating import add_months, ramp_limit, ratings_recompute
from huikuan.risk.tests.factories import set_counts, set_policy

AS_OF = date(2026, 6, 30)
D = Decimal
GRANTED = D("100000.00")


def ramp(on_time=0, late=0, first_deal_on=None, granted=GRANTED, policy=None):
    return ramp_limit(
        granted=granted,
        first_deal_on=first_deal_on,
        on_time_count=on_time,
        late_count=late,
        as_of=AS_OF,
        policy=policy or CreditPolicy(),  # the defaults: ¥20,000, ×2 per 3 on time, 12 months
    )


def test_a_brand_new_customer_gets_the_start_limit():
    state = ramp()
    assert (state.limit, state.in_ramp, state.step, state.paid_to_next_step) == (
        D("20000.00"),
        True,
        0,
        3,
    )


def test_a_granted_limit_below_the_start_limit_stays():
    assert ramp(granted=D("5000.00")).limit == D("5000.00")


@pytest.mark.parametrize(
    ("on_time", "limit", "step", "to_next"),
    [
        (2, "20000.00", 0, 1),
        (3, "40000.00", 1, 3),
        (5, "40000.00", 1, 1),
        (6, "80000.00", 2, 3),
        (9, "100000.00", 3, 0),  # 160,000 by the ramp, capped at the granted limit
        (40, "100000.00", 13, 0),
    ],
)
def test_the_limit_doubles_after_each_step_of_on_time_payments(on_time, limit, step, to_next):
    state = ramp(on_time=on_time, first_deal_on=AS_OF - timedelta(days=100))
    assert (state.limit, state.step, state.paid_to_next_step) == (D(limit), step, to_next)


@pytest.mark.parametrize(
    ("on_time", "late", "limit"),
    [
        (6, 1, "40000.00"),  # 6 − 2 = 4 → one step
        (6, 2, "20000.00"),  # 6 − 4 = 2 → none
        (3, 5, "20000.00"),  # never below the start
    ],
)
def test_each_late_payment_cancels_two_on_time_ones(on_time, late, limit):
    assert ramp(on_time=on_time, late=late).limit == D(limit)


def test_after_ramp_months_the_granted_limit_applies():
    a_year_ago = add_months(AS_OF, -12)
    assert ramp(first_deal_on=a_year_ago).limit == GRANTED
    assert ramp(first_deal_on=a_year_ago).in_ramp is False
    still_new = ramp(first_deal_on=a_year_ago + timedelta(days=1))
    assert (still_new.limit, still_new.in_ramp) == (D("20000.00"), True)


def test_ramp_months_zero_switches_the_ramp_off():
    assert ramp(policy=CreditPolicy(ramp_months=0)).limit == GRANTED


def test_the_policy_sets_the_start_and_the_step():
    policy = CreditPolicy(ramp_start_limit=D("5000.00"), ramp_step_paid=2)
    assert ramp(on_time=4, policy=policy).limit == D("20000.00")
    assert ramp(on_time=4, policy=CreditPolicy(ramp_step_paid=0)).limit == D("20000.00")


def test_months_are_calendar_months():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2026, 6, 30), -12) == date(2025, 6, 30)


# --- In the credit check --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_customers_order_is_limited_to_the_ramp_and_says_so():
    customer = make_customer(credit_limit=GRANTED, first_deal_on=AS_OF - timedelta(days=20))
    decision = credit_check(customer=customer, amount=D("30000.00"), as_of=AS_OF)

    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("20000.00"))
    assert decision.credit_limit == D("20000.00")
    assert [r["code"] for r in decision.reasons] == ["over_limit", "ramp_limit"]
    assert decision.reasons[1]["params"] == {
        "limit": "20000.00",
        "granted": "100000.00",
        "step": 0,
        "paid_to_next_step": 3,
    }


@pytest.mark.django_db
def test_on_time_payments_counted_by_the_daily_run_raise_the_limit_in_the_check():
    customer = make_customer(credit_limit=GRANTED, first_deal_on=date(2026, 1, 5))
    for month in (1, 2, 3):
        bill = make_receivable(
            customer, amount="1000.00", issue_date=date(2026, month, 5), number=f"RAMP-{month}"
        )
        make_payment(
            customer, "1000.00", received_on=bill.due_date, allocate=[(bill.number, "1000.00")]
        )
    ratings_recompute(as_of=AS_OF)

    decision = credit_check(customer=customer, amount=D("45000.00"), as_of=AS_OF)
    assert (decision.credit_limit, decision.allowed_amount) == (D("40000.00"), D("40000.00"))


@pytest.mark.django_db
def test_an_established_customer_is_not_ramped():
    customer = make_customer(credit_limit=GRANTED, first_deal_on=date(2024, 1, 1))
    set_counts(customer, on_time=0, late=3)
    decision = credit_check(customer=customer, amount=D("90000.00"), as_of=AS_OF)
    assert decision.decision == Decision.ALLOW


@pytest.mark.django_db
def test_a_customer_with_no_first_deal_date_counts_as_new():
    customer = make_customer(credit_limit=GRANTED)
    set_policy(ramp_start_limit=D("10000.00"))
    decision = credit_check(customer=customer, amount=D("15000.00"), as_of=AS_OF)
    assert decision.allowed_amount == D("10000.00")
