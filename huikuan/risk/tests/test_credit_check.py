"""The order-stage credit check: each rule alone, the rules combined, exceptions, reservations and
the stored decision with its reasons."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from huikuan.customers.models import CustomerStatus
from huikuan.dunning.models import Action, ApprovalKind, Case, Promise, PromiseStatus
from huikuan.dunning.services import approval_decide, approval_request
from huikuan.dunning.tests.factories import (
    make_customer,
    make_payment,
    make_receivable,
    make_user,
)
from huikuan.org.models import Role
from huikuan.risk.credit import credit_check, decision_release, exposure, reason_text
from huikuan.risk.models import CreditDecision, Decision
from huikuan.risk.services import exception_revoke
from huikuan.risk.tests.factories import (
    make_exception,
    make_hold,
    make_signal,
    set_credit,
    set_policy,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
D = Decimal


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager)


@pytest.fixture
def customer(rep):
    """An established customer (first deal long ago, so no ramp) with a ¥100,000 limit."""
    return make_customer(owner=rep, credit_limit=D("100000.00"), first_deal_on=date(2023, 1, 1))


def check(customer, amount, **kw):
    kw.setdefault("as_of", AS_OF)
    return credit_check(customer=customer, amount=D(str(amount)), **kw)


def codes(decision) -> list[str]:
    return [reason["code"] for reason in decision.reasons]


def reason(decision, code: str) -> dict:
    return next(r for r in decision.reasons if r["code"] == code)


def text(decision, code: str) -> str:
    with translation.override("en"):
        return reason_text(reason(decision, code))


def overdue_item(customer, days: int, amount="5000.00", number=None):
    due = ago(days)
    return make_receivable(
        customer,
        amount=amount,
        issue_date=due - timedelta(days=30),
        due_date=due,
        **({"number": number} if number else {}),
    )


def not_due_item(customer, amount):
    return make_receivable(customer, amount=amount, issue_date=ago(5), due_date=ago(-25))


# --- The limit ---------------------------------------------------------------------------------


def test_an_order_within_the_limit_is_allowed_reserved_and_stored(customer, rep):
    not_due_item(customer, "30000.00")
    decision = check(customer, "20000.00", order_ref="SO-1", actor=rep)

    assert decision.decision == Decision.ALLOW
    assert decision.allowed_amount == D("20000.00")
    assert codes(decision) == ["within_limit"]
    assert decision.reserved_until == AS_OF + timedelta(days=7)
    stored = CreditDecision.objects.get(pk=decision.pk)
    assert (stored.exposure, stored.credit_limit, stored.asked_by) == (
        D("30000.00"),
        D("100000.00"),
        rep,
    )
    assert stored.reasons == decision.reasons
    assert text(decision, "within_limit") == (
        "Within the limit: exposure ¥30,000.00 plus this order ¥20,000.00 stays within the "
        "limit ¥100,000.00."
    )


def test_over_the_limit_ships_only_the_headroom(customer):
    not_due_item(customer, "70000.00")
    decision = check(customer, "50000.00")

    assert decision.decision == Decision.PARTIAL
    assert decision.allowed_amount == D("30000.00")
    assert codes(decision) == ["over_limit"]
    assert reason(decision, "over_limit")["params"]["over_by"] == "20000.00"
    assert text(decision, "over_limit") == (
        "Over the limit by ¥20,000.00: exposure ¥70,000.00 plus this order ¥50,000.00 exceeds "
        "the limit ¥100,000.00."
    )


def test_no_headroom_left_blocks(customer):
    not_due_item(customer, "100000.00")
    decision = check(customer, "1.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.BLOCK, D("0.00"))
    assert codes(decision) == ["over_limit"]


def test_unapplied_credit_lowers_the_exposure(customer):
    not_due_item(customer, "90000.00")
    make_payment(customer, "20000.00", received_on=ago(1), allocate="none")
    assert exposure(customer_id=customer.pk, as_of=AS_OF) == D("70000.00")
    assert check(customer, "30000.00").decision == Decision.ALLOW


def test_a_customer_without_a_limit_gets_nothing_on_credit(customer):
    set_credit(customer, credit_limit=D("0.00"))
    decision = check(customer, "100.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.BLOCK, D("0.00"))
    assert codes(decision) == ["no_limit"]
    with translation.override("en"):
        assert "no credit limit" in reason_text(decision.reasons[0])


# --- Overdue items, promises, class, rating ---------------------------------------------------


def test_an_item_overdue_past_the_block_days_blocks_and_is_named(customer):
    overdue_item(customer, 75, amount="5000.00", number="R-OLD")
    overdue_item(customer, 40, amount="1000.00")
    decision = check(customer, "1000.00")

    assert (decision.decision, decision.allowed_amount) == (Decision.BLOCK, D("0.00"))
    assert codes(decision) == ["overdue_block"]
    params = reason(decision, "overdue_block")["params"]
    assert (params["number"], params["days"], params["outstanding"]) == ("R-OLD", 75, "5000.00")
    assert text(decision, "overdue_block") == "Receivable R-OLD is 75 days overdue (¥5,000.00)."


def test_an_item_overdue_past_the_partial_days_ships_the_share(customer):
    overdue_item(customer, 40, number="R-40")
    decision = check(customer, "10000.00")

    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("5000.00"))
    assert codes(decision) == ["overdue_partial"]
    assert reason(decision, "overdue_partial")["params"]["share"] == 50
    assert "only 50% of the order may ship" in text(decision, "overdue_partial")


def test_a_little_overdue_is_not_yet_a_reason(customer):
    overdue_item(customer, 30)
    assert check(customer, "10000.00").decision == Decision.ALLOW


def test_the_share_is_rounded_to_the_fen(customer):
    overdue_item(customer, 40)
    assert check(customer, "0.03").allowed_amount == D("0.02")  # 0.015 rounds half up


def broken_promise(customer, broken_on: date, amount="8000.00"):
    return Promise.objects.create(
        customer=customer,
        amount=D(amount),
        made_on=broken_on - timedelta(days=20),
        due_on=broken_on - timedelta(days=1),
        promised_by="王会计",
        status=PromiseStatus.BROKEN,
        settled_on=broken_on,
    )


def test_a_promise_broken_within_the_window_blocks(customer):
    broken_promise(customer, ago(90))
    decision = check(customer, "1000.00")
    assert decision.decision == Decision.BLOCK
    assert codes(decision) == ["promise_broken"]
    assert reason(decision, "promise_broken")["params"]["date"] == ago(90).isoformat()
    assert text(decision, "promise_broken") == (
        f"The promise to pay ¥8,000.00 by {ago(91).isoformat()} was broken on "
        f"{ago(90).isoformat()}."
    )


def test_an_older_broken_promise_no_longer_blocks(customer):
    broken_promise(customer, ago(91))
    assert check(customer, "1000.00").decision == Decision.ALLOW


def test_a_kept_promise_never_blocks(customer):
    promise = broken_promise(customer, ago(10))
    Promise.objects.filter(pk=promise.pk).update(status=PromiseStatus.KEPT)
    assert check(customer, "1000.00").decision == Decision.ALLOW


def test_a_strong_signal_makes_overdue_money_doubtful_and_blocks_by_class(customer):
    set_policy(block_on_strong_signal=False, partial_overdue_days=0)
    overdue_item(customer, 10)
    set_credit(customer, doubtful_since=ago(3))
    decision = check(customer, "1000.00")

    assert decision.decision == Decision.BLOCK
    assert codes(decision) == ["class_block"]
    assert reason(decision, "class_block")["params"]["class"] == "doubtful"
    assert "准呆账" in text(decision, "class_block")


def test_the_class_comes_from_the_oldest_overdue_item(customer):
    set_policy(block_overdue_days=0, partial_overdue_days=0)
    overdue_item(customer, 90)
    assert check(customer, "1000.00").decision == Decision.ALLOW  # 催收款
    overdue_item(customer, 91)
    decision = check(customer, "1000.00")
    assert codes(decision) == ["class_block"]  # 准呆账 from 91 days


@pytest.mark.parametrize(
    ("block_from", "blocked"),
    [("overdue", True), ("doubtful", True), ("bad", False), ("", False), ("current", False)],
)
def test_the_class_rule_blocks_from_the_chosen_class_on(customer, block_from, blocked):
    set_policy(block_overdue_days=0, partial_overdue_days=0, block_from_class=block_from)
    overdue_item(customer, 100)  # 准呆账
    decision = check(customer, "1000.00")
    assert (decision.decision == Decision.BLOCK) is blocked


def test_overdue_money_of_an_insolvent_customer_is_bad_debt(customer):
    set_policy(partial_overdue_days=0)
    overdue_item(customer, 5)
    set_credit(customer, status=CustomerStatus.INSOLVENT)
    decision = check(customer, "1000.00")
    assert reason(decision, "class_block")["params"]["class"] == "bad"


def test_doubtful_since_without_overdue_money_does_not_block(customer):
    set_policy(block_on_strong_signal=False)
    not_due_item(customer, "1000.00")
    set_credit(customer, doubtful_since=ago(3))
    assert check(customer, "1000.00").decision == Decision.ALLOW


@pytest.mark.parametrize(
    ("rating", "expected", "allowed"),
    [
        ("D", Decision.BLOCK, "0.00"),
        ("C", Decision.PARTIAL, "5000.00"),
        ("B", Decision.ALLOW, "10000.00"),
        ("", Decision.ALLOW, "10000.00"),
    ],
)
def test_the_rating_blocks_or_limits(customer, rating, expected, allowed):
    set_credit(customer, rating=rating)
    decision = check(customer, "10000.00")
    assert (decision.decision, decision.allowed_amount) == (expected, D(allowed))
    if rating in ("C", "D"):
        code = "rating_block" if rating == "D" else "rating_partial"
        assert codes(decision) == [code]
        assert text(decision, code).startswith(f"Rating {rating}:")


# --- Signals, holds, supply measures ----------------------------------------------------------


def test_a_live_strong_signal_blocks(customer):
    make_signal(customer, kind="lawsuit", detected_on=ago(4))
    decision = check(customer, "1000.00")
    assert decision.decision == Decision.BLOCK
    assert codes(decision) == ["signal_strong"]
    assert reason(decision, "signal_strong")["params"]["kind"] == "lawsuit"
    assert text(decision, "signal_strong") == (
        f"Strong warning signal: Lawsuit against the customer, seen on {ago(4).isoformat()}."
    )


def test_a_live_watch_signal_ships_part(customer):
    make_signal(customer, kind="cross_region", severity="watch")
    decision = check(customer, "1000.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("500.00"))
    assert codes(decision) == ["signal_watch"]


def test_dismissed_and_resolved_signals_count_for_nothing(customer):
    make_signal(customer, kind="lawsuit", status="dismissed")
    make_signal(customer, kind="cross_region", severity="watch", status="resolved")
    assert check(customer, "1000.00").decision == Decision.ALLOW


def test_a_hold_blocks_even_with_an_exception(customer, manager):
    exception = make_exception(customer, amount="50000.00", actor=manager)
    make_hold(customer, reason="拒接电话", actor=manager)
    decision = check(customer, "1000.00")

    assert (decision.decision, decision.allowed_amount) == (Decision.BLOCK, D("0.00"))
    assert codes(decision) == ["hold"]
    params = reason(decision, "hold")["params"]
    assert (params["reason"], params["by"]) == ("拒接电话", str(manager))
    exception.refresh_from_db()
    assert exception.used == D("0.00")
    assert decision.exception is None


def test_a_released_hold_no_longer_blocks(customer, manager):
    from huikuan.risk.services import hold_release

    hold = make_hold(customer, actor=manager)
    assert check(customer, "1000.00").decision == Decision.BLOCK
    hold_release(hold=hold, note="已结清", actor=manager)
    assert check(customer, "1000.00").decision == Decision.ALLOW


def approved_measure(customer, action, rep, manager):
    approval = approval_request(
        customer=customer,
        actor=rep,
        kind=ApprovalKind.MEASURE,
        reason="逾期超过60天",
        requested_on=ago(5),
        action=action,
    )
    return approval_decide(approval=approval, actor=manager, approve=True, note="同意", on=ago(4))


def test_an_approved_stop_supply_on_the_open_case_blocks(customer, rep, manager):
    Case.objects.create(customer=customer, opened_on=ago(30))
    approved_measure(customer, Action.STOP_SUPPLY, rep, manager)
    decision = check(customer, "1000.00")
    assert decision.decision == Decision.BLOCK
    assert codes(decision) == ["supply_stopped"]


def test_an_approved_reduce_supply_ships_part(customer, rep, manager):
    Case.objects.create(customer=customer, opened_on=ago(30))
    approved_measure(customer, Action.REDUCE_SUPPLY, rep, manager)
    decision = check(customer, "1000.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("500.00"))
    assert codes(decision) == ["supply_reduced"]


def test_a_supply_measure_ends_with_its_case(customer, rep, manager):
    case = Case.objects.create(customer=customer, opened_on=ago(30))
    approved_measure(customer, Action.STOP_SUPPLY, rep, manager)
    Case.objects.filter(pk=case.pk).update(closed_on=ago(1))
    assert check(customer, "1000.00").decision == Decision.ALLOW


def test_a_pending_or_other_measure_does_not_count(customer, rep, manager):
    Case.objects.create(customer=customer, opened_on=ago(30))
    approval_request(
        customer=customer,
        actor=rep,
        kind=ApprovalKind.MEASURE,
        reason="逾期",
        requested_on=ago(5),
        action=Action.STOP_SUPPLY,
    )
    approved_measure(customer, Action.LAWYER_LETTER, rep, manager)
    assert check(customer, "1000.00").decision == Decision.ALLOW


# --- Exceptions --------------------------------------------------------------------------------


def test_an_exception_lifts_a_block_up_to_what_remains_of_it(customer, manager):
    overdue_item(customer, 75)
    exception = make_exception(customer, amount="20000.00", actor=manager)

    first = check(customer, "30000.00")
    assert (first.decision, first.allowed_amount) == (Decision.PARTIAL, D("20000.00"))
    assert codes(first) == ["overdue_block", "exception_used"]
    assert (first.exception, first.exception_used) == (exception, D("20000.00"))
    exception.refresh_from_db()
    assert exception.used == D("20000.00")
    params = reason(first, "exception_used")["params"]
    assert (params["amount"], params["used"], params["remaining"]) == (
        "20000.00",
        "20000.00",
        "0.00",
    )
    assert text(first, "exception_used") == (
        f"Exception granted by {manager} until {exception.valid_until.isoformat()}: ¥20,000.00 "
        "taken from it, ¥20,000.00 used in all, ¥0.00 left."
    )

    # Used up: the block stands again.
    second = check(customer, "1000.00")
    assert second.decision == Decision.BLOCK
    assert "exception_used" not in codes(second)


def test_an_exception_tops_up_a_partial_and_its_use_grows(customer, manager):
    overdue_item(customer, 40)
    exception = make_exception(customer, amount="4000.00", actor=manager)

    decision = check(customer, "10000.00")  # 50 % = 5,000, plus all 4,000 of the exception
    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("9000.00"))
    exception.refresh_from_db()
    assert exception.used == D("4000.00")

    make_exception(customer, amount="1000.00", actor=manager)
    assert check(customer, "2000.00").allowed_amount == D("2000.00")  # 1,000 + 1,000


def test_an_exception_that_covers_the_whole_order_allows_it(customer, manager):
    set_credit(customer, rating="D")
    make_exception(customer, amount="50000.00", actor=manager)
    decision = check(customer, "10000.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.ALLOW, D("10000.00"))
    assert codes(decision) == ["rating_block", "exception_used"]


def test_the_exception_ending_first_is_used_first(customer, manager):
    set_credit(customer, rating="D")
    later = make_exception(customer, amount="5000.00", valid_until=AS_OF + timedelta(days=30))
    sooner = make_exception(customer, amount="5000.00", valid_until=AS_OF + timedelta(days=2))
    assert check(customer, "1000.00").exception == sooner
    later.refresh_from_db()
    assert later.used == D("0.00")


def test_expired_future_and_revoked_exceptions_are_ignored(customer, manager):
    set_credit(customer, rating="D")
    make_exception(customer, valid_from=ago(30), valid_until=ago(1), actor=manager)
    make_exception(customer, valid_from=AS_OF + timedelta(days=1), actor=manager)
    revoked = make_exception(customer, actor=manager)
    exception_revoke(exception=revoked, actor=manager)

    decision = check(customer, "1000.00")
    assert decision.decision == Decision.BLOCK
    assert decision.exception is None
    revoked.refresh_from_db()
    assert revoked.used == D("0.00")


def test_an_exception_lifts_the_limit_too(customer, manager):
    not_due_item(customer, "95000.00")
    make_exception(customer, amount="10000.00", actor=manager)
    decision = check(customer, "10000.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.ALLOW, D("10000.00"))
    assert codes(decision) == ["over_limit", "exception_used"]
    assert decision.exception_used == D("5000.00")


# --- Reservations ------------------------------------------------------------------------------


def test_allowed_orders_count_against_the_limit_while_reserved(customer):
    check(customer, "60000.00", order_ref="SO-1")
    second = check(customer, "60000.00", order_ref="SO-2")
    assert (second.decision, second.allowed_amount) == (Decision.PARTIAL, D("40000.00"))
    assert second.exposure == D("60000.00")
    # Seven days later the reservations have run out.
    later = check(customer, "60000.00", order_ref="SO-3", as_of=AS_OF + timedelta(days=8))
    assert later.decision == Decision.ALLOW


def test_checking_the_same_order_again_replaces_its_reservation(customer):
    first = check(customer, "60000.00", order_ref="SO-1")
    again = check(customer, "70000.00", order_ref="SO-1")

    assert (again.decision, again.allowed_amount) == (Decision.ALLOW, D("70000.00"))
    assert again.exposure == D("0.00")
    first.refresh_from_db()
    assert first.released_at is not None
    assert exposure(customer_id=customer.pk, as_of=AS_OF) == D("70000.00")


def test_checks_without_an_order_reference_never_replace_each_other(customer):
    check(customer, "60000.00")
    assert check(customer, "60000.00").allowed_amount == D("40000.00")


def test_rechecking_an_order_gives_back_what_it_took_from_an_exception(customer, manager):
    set_credit(customer, rating="D")
    exception = make_exception(customer, amount="10000.00", actor=manager)
    check(customer, "8000.00", order_ref="SO-9")
    again = check(customer, "9000.00", order_ref="SO-9")
    assert (again.decision, again.allowed_amount) == (Decision.ALLOW, D("9000.00"))
    exception.refresh_from_db()
    assert exception.used == D("9000.00")


def test_a_released_decision_no_longer_counts(customer, rep):
    first = check(customer, "80000.00", order_ref="SO-1")
    assert check(customer, "80000.00", order_ref="SO-2").allowed_amount == D("20000.00")

    released = decision_release(decision=first, actor=rep)
    assert released.released_at is not None
    assert check(customer, "50000.00", order_ref="SO-3").allowed_amount == D("50000.00")
    assert decision_release(decision=first, actor=rep).released_at == released.released_at


def test_blocked_decisions_reserve_nothing(customer):
    set_credit(customer, rating="D")
    decision = check(customer, "10000.00")
    assert decision.reserved_until is None
    set_credit(customer, rating="A")
    assert check(customer, "100000.00").decision == Decision.ALLOW


def test_reservation_days_zero_reserves_nothing(customer):
    set_policy(reservation_days=0)
    assert check(customer, "80000.00").reserved_until is None
    assert check(customer, "80000.00").decision == Decision.ALLOW


# --- Rules switched off, rules combined ---------------------------------------------------------


def test_a_rule_switched_off_stops_firing(customer):
    overdue_item(customer, 75)
    broken_promise(customer, ago(10))
    set_credit(customer, rating="D")
    assert codes(check(customer, "1000.00")) == ["overdue_block", "promise_broken", "rating_block"]

    set_policy(block_overdue_days=0, block_broken_promise_days=0, block_ratings="")
    decision = check(customer, "1000.00")
    assert codes(decision) == ["overdue_partial"]  # the partial-overdue rule still applies
    assert decision.allowed_amount == D("500.00")

    set_policy(partial_overdue_days=0)
    assert codes(check(customer, "1000.00")) == ["within_limit"]


def test_a_share_of_zero_switches_the_partial_rules_off(customer):
    overdue_item(customer, 40)
    set_credit(customer, rating="C")
    set_policy(partial_share_pct=0)
    assert check(customer, "1000.00").decision == Decision.ALLOW


def test_signal_and_supply_switches(customer, rep, manager):
    make_signal(customer, kind="lawsuit")
    Case.objects.create(customer=customer, opened_on=ago(30))
    approved_measure(customer, Action.REDUCE_SUPPLY, rep, manager)
    assert codes(check(customer, "1000.00")) == ["signal_strong", "supply_reduced"]
    set_policy(block_on_strong_signal=False, honour_supply_measures=False)
    assert codes(check(customer, "1000.00")) == ["within_limit"]


def test_a_partial_rule_and_the_limit_together_ship_the_smaller(customer):
    not_due_item(customer, "90000.00")
    overdue_item(customer, 40, amount="5000.00")  # exposure 95,000: headroom 5,000
    decision = check(customer, "20000.00")  # 50 % would be 10,000
    assert (decision.decision, decision.allowed_amount) == (Decision.PARTIAL, D("5000.00"))
    assert codes(decision) == ["overdue_partial", "over_limit"]


def test_a_partial_rule_under_the_limit_ships_the_share(customer):
    overdue_item(customer, 40, amount="5000.00")
    decision = check(customer, "20000.00")
    assert decision.allowed_amount == D("10000.00")
    assert codes(decision) == ["overdue_partial"]


def test_every_rule_that_fires_is_given_as_a_reason(customer, rep, manager):
    not_due_item(customer, "99000.00")
    overdue_item(customer, 120, amount="2000.00", number="R-120")
    broken_promise(customer, ago(5))
    set_credit(customer, rating="C", doubtful_since=ago(20))
    make_signal(customer, kind="dumping")
    make_signal(customer, kind="unrelated_business", severity="watch")
    make_hold(customer, actor=manager)

    decision = check(customer, "5000.00")
    assert (decision.decision, decision.allowed_amount) == (Decision.BLOCK, D("0.00"))
    assert codes(decision) == [
        "hold",
        "overdue_block",
        "class_block",
        "promise_broken",
        "signal_strong",
        "rating_partial",
        "signal_watch",
        "over_limit",
    ]
    # Stored as plain JSON and every reason reads as a sentence.
    stored = CreditDecision.objects.get(pk=decision.pk)
    assert json.loads(json.dumps(stored.reasons)) == decision.reasons
    with translation.override("en"):
        sentences = [reason_text(r) for r in stored.reasons]
    assert all(s and "%(" not in s and s[0].isupper() for s in sentences), sentences


def test_reasons_render_in_chinese_too(customer):
    overdue_item(customer, 75, number="R-CN")
    decision = check(customer, "1000.00")
    with translation.override("zh-hans"):
        assert "R-CN" in reason_text(decision.reasons[0])


# --- Input and cost ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "-5", "abc"])
def test_a_bad_amount_is_refused_and_nothing_is_stored(customer, amount):
    with pytest.raises(ValidationError) as error:
        credit_check(customer=customer, amount=amount, as_of=AS_OF)
    assert "amount" in error.value.message_dict
    assert not CreditDecision.objects.exists()


def test_a_check_is_a_handful_of_queries_whatever_the_history(
    customer, manager, django_assert_max_num_queries
):
    for days in range(1, 40):
        overdue_item(customer, days, amount="100.00")
    make_payment(customer, "50.00", received_on=ago(1), allocate="none")
    make_signal(customer, kind="cross_region", severity="watch")
    make_exception(customer, amount="1000.00", actor=manager)
    check(customer, "500.00", order_ref="SO-1")
    # The worst case: an earlier decision of the order to release, an exception to give back
    # and draw on again: about 8 statements plus the savepoint around them; none per receivable.
    with django_assert_max_num_queries(10):
        check(customer, "5000.00", order_ref="SO-1")
