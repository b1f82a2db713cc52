"""Ratings from constructed payment histories: the average days late weighted by amount, the
rating bands, the trend between two half-years, on-time and late counts, the override, and the
audit line for every change of a customer's rating."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.dunning.tests.factories import (
    make_customer,
    make_payment,
    make_receivable,
    make_user,
)
from huikuan.ledger import services as ledger
from huikuan.org.models import Role
from huikuan.risk.models import CreditPolicy, CreditProfile, Rating, Trend
from huikuan.risk.rating import payment_behaviour, rating_for, ratings_recompute, trend_for
from huikuan.risk.services import credit_profile_set
from huikuan.risk.tests.factories import set_policy

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)  # current window 2026-01-01 … 06-30; previous 2025-07-05 … 12-31
D = Decimal


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def paid(customer, due: date, days_late: int, amount="1000.00"):
    """A receivable due on ``due`` settled in full ``days_late`` days after it."""
    bill = make_receivable(
        customer, amount=amount, issue_date=due - timedelta(days=30), due_date=due
    )
    return make_payment(
        customer, amount, received_on=due + timedelta(days=days_late), allocate=[(bill, amount)]
    )


def behaviour(customer):
    return payment_behaviour(as_of=AS_OF, customer_ids=[customer.pk]).get(customer.pk)


@pytest.fixture
def customer():
    return make_customer()


@pytest.mark.parametrize(
    ("days_late", "rating"),
    [(-10, "A"), (0, "A"), (5, "A"), (6, "B"), (30, "B"), (31, "C"), (90, "C"), (91, "D")],
)
def test_the_rating_follows_the_average_days_late(customer, days_late, rating):
    paid(customer, ago(100), days_late)
    assert behaviour(customer).avg_days_late == days_late
    ratings_recompute(as_of=AS_OF)
    customer.refresh_from_db()
    assert customer.rating == rating
    assert CreditProfile.objects.get(customer=customer).computed_rating == rating


def test_the_average_is_weighted_by_amount(customer):
    paid(customer, ago(120), 0, amount="1000.00")
    paid(customer, ago(100), 20, amount="3000.00")
    assert behaviour(customer).avg_days_late == 15  # (0 × 1,000 + 20 × 3,000) / 4,000


def test_the_average_rounds_half_away_from_zero(customer):
    paid(customer, ago(120), 0)
    paid(customer, ago(100), 5)
    assert behaviour(customer).avg_days_late == 3  # 2.5


def test_an_item_still_open_counts_with_its_days_overdue(customer):
    paid(customer, ago(120), 0, amount="1000.00")
    make_receivable(customer, amount="1000.00", issue_date=ago(90), due_date=ago(60))
    assert behaviour(customer).avg_days_late == 30  # (0 + 60) / 2
    ratings_recompute(as_of=AS_OF)
    customer.refresh_from_db()
    assert customer.rating == Rating.B


def test_part_of_an_item_paid_late_and_the_rest_still_open(customer):
    bill = make_receivable(customer, amount="1000.00", issue_date=ago(110), due_date=ago(80))
    make_payment(customer, "400.00", received_on=ago(70), allocate=[(bill, "400.00")])
    # 400 paid 10 days late, 600 open 80 days: (4,000 + 48,000) / 1,000 = 52
    assert behaviour(customer).avg_days_late == 52


def test_reversed_payments_and_write_offs_are_not_paying(customer):
    payment = paid(customer, ago(100), 2)
    ledger.payment_reverse(payment=payment, on=ago(95), reason="退票")
    assert behaviour(customer).avg_days_late == 100  # open again: 100 days overdue

    other = make_customer()
    bill = make_receivable(other, amount="500.00", issue_date=ago(300), due_date=ago(270))
    ledger.receivable_write_off(receivable=bill, on=ago(10), reason="破产")
    found = payment_behaviour(as_of=AS_OF, customer_ids=[other.pk])[other.pk]
    assert found.avg_days_late is None  # a write-off settles but is no payment
    assert (found.on_time_count, found.late_count) == (0, 1)


def test_a_credit_note_settles_like_a_payment(customer):
    bill = make_receivable(customer, amount="800.00", issue_date=ago(130), due_date=ago(100))
    make_payment(
        customer, "800.00", received_on=ago(90), allocate=[(bill, "800.00")], kind="credit_note"
    )
    assert behaviour(customer).avg_days_late == 10


def test_no_data_means_unrated(customer):
    make_receivable(customer, amount="1000.00", issue_date=ago(5), due_date=ago(-25))
    assert behaviour(customer) is None
    paid(customer, ago(500), 50)  # settled before both windows: counted, but no average
    found = behaviour(customer)
    assert (found.avg_days_late, found.prev_avg_days_late, found.late_count) == (None, None, 1)
    ratings_recompute(as_of=AS_OF)
    customer.refresh_from_db()
    assert customer.rating == ""


@pytest.mark.parametrize(
    ("previous", "current", "trend"),
    [
        (2, 20, Trend.WORSENING),
        (20, 2, Trend.IMPROVING),
        (10, 14, Trend.STEADY),
        (10, 5, Trend.IMPROVING),
        (10, 15, Trend.WORSENING),
    ],
)
def test_the_trend_compares_the_two_half_years(customer, previous, current, trend):
    paid(customer, date(2025, 9, 1), previous)
    paid(customer, date(2026, 3, 1), current)
    found = behaviour(customer)
    assert (found.prev_avg_days_late, found.avg_days_late) == (previous, current)
    ratings_recompute(as_of=AS_OF)
    assert CreditProfile.objects.get(customer=customer).trend == trend


def test_an_item_open_at_the_previous_windows_end_counts_there(customer):
    # Due 2025-12-01, paid 2026-02-01: 31 days overdue at the previous window's end (2026-01-01),
    # and a settlement 62 days late in the current window.
    bill = make_receivable(
        customer, amount="1000.00", issue_date=date(2025, 11, 1), due_date=date(2025, 12, 1)
    )
    make_payment(customer, "1000.00", received_on=date(2026, 2, 1), allocate=[(bill, "1000.00")])
    found = behaviour(customer)
    assert (found.prev_avg_days_late, found.avg_days_late) == (31, 62)


def test_without_a_previous_window_the_trend_is_unknown(customer):
    paid(customer, date(2026, 3, 1), 3)
    ratings_recompute(as_of=AS_OF)
    assert CreditProfile.objects.get(customer=customer).trend == Trend.UNKNOWN


def test_on_time_means_settled_within_the_grace_days(customer):
    paid(customer, ago(200), 5)
    paid(customer, ago(150), -3)
    paid(customer, ago(100), 6)
    make_receivable(customer, amount="1000.00", issue_date=ago(60), due_date=ago(30))  # open
    found = behaviour(customer)
    assert (found.on_time_count, found.late_count) == (2, 1)
    set_policy(on_time_grace_days=10)
    found = behaviour(customer)
    assert (found.on_time_count, found.late_count) == (3, 0)


def test_the_last_settlement_decides_on_time(customer):
    bill = make_receivable(customer, amount="1000.00", issue_date=ago(130), due_date=ago(100))
    make_payment(customer, "500.00", received_on=ago(101), allocate=[(bill, "500.00")])
    make_payment(customer, "500.00", received_on=ago(80), allocate=[(bill, "500.00")])
    assert (behaviour(customer).on_time_count, behaviour(customer).late_count) == (0, 1)


def test_rating_bands_come_from_the_policy():
    policy = CreditPolicy(rating_a_max_days=0, rating_b_max_days=5, rating_c_max_days=10)
    assert [rating_for(days, policy) for days in (None, 0, 5, 10, 11)] == ["", "A", "B", "C", "D"]
    assert trend_for(10, None) == trend_for(None, 10) == ""


# --- Storing ratings ------------------------------------------------------------------------------


def test_a_rating_change_is_audited_and_a_rerun_changes_nothing(customer):
    paid(customer, ago(100), 30)
    assert ratings_recompute(as_of=AS_OF) == 1
    entry = AuditEntry.objects.get(action="rating_changed", object_id=str(customer.pk))
    assert entry.actor is None
    assert (entry.before["rating"], entry.after["rating"]) == ("", "B")

    assert ratings_recompute(as_of=AS_OF) == 0
    assert AuditEntry.objects.filter(action="rating_changed").count() == 1

    make_receivable(customer, amount="5000.00", issue_date=ago(150), due_date=ago(120))
    assert ratings_recompute(as_of=AS_OF) == 1
    customer.refresh_from_db()
    assert customer.rating == Rating.D
    latest = AuditEntry.objects.filter(action="rating_changed").order_by("-id").first()
    assert (latest.before["rating"], latest.after["rating"]) == ("B", "D")


def test_the_override_wins_over_the_computed_rating(customer):
    paid(customer, ago(100), 95)
    admin = make_user(Role.ADMIN)
    credit_profile_set(customer=customer, actor=admin, reason="老客户,担保", rating_override="A")
    ratings_recompute(as_of=AS_OF)
    customer.refresh_from_db()
    profile = CreditProfile.objects.get(customer=customer)
    assert (customer.rating, profile.computed_rating, profile.rating_override) == ("A", "D", "A")
    assert profile.override_reason == "老客户,担保"

    credit_profile_set(customer=customer, actor=admin, reason="担保到期", rating_override="")
    customer.refresh_from_db()
    assert customer.rating == Rating.D


def test_the_profile_keeps_the_figures(customer):
    paid(customer, date(2025, 9, 1), 2)
    paid(customer, date(2026, 3, 1), 9)
    ratings_recompute(as_of=AS_OF)
    profile = CreditProfile.objects.get(customer=customer)
    assert (
        profile.avg_days_late,
        profile.prev_avg_days_late,
        profile.on_time_count,
        profile.late_count,
        profile.computed_on,
    ) == (9, 2, 1, 1, AS_OF)


def test_only_the_given_customers_are_recomputed(customer):
    other = make_customer()
    paid(customer, ago(100), 30)
    paid(other, ago(100), 30)
    assert ratings_recompute(as_of=AS_OF, customer_ids=[customer.pk]) == 1
    other.refresh_from_db()
    assert other.rating == ""
    assert not CreditProfile.objects.filter(customer=other).exists()


def test_customers_without_data_or_profile_keep_their_rating():
    imported = make_customer(rating="B")
    assert ratings_recompute(as_of=AS_OF) == 0
    imported.refresh_from_db()
    assert imported.rating == "B"


def test_amounts_weigh_in_fen_even_for_large_sums(customer):
    paid(customer, ago(120), 1, amount="98765432.10")
    paid(customer, ago(100), 40, amount="0.01")
    assert behaviour(customer).avg_days_late == 1
