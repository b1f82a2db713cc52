from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huikuan.dunning import selectors
from huikuan.dunning.models import (
    Action,
    Activity,
    ApprovalKind,
    Channel,
    DisputeReason,
    Outcome,
    Promise,
    PromiseStatus,
    Reason,
    ReceivableDunning,
    Task,
    TaskSource,
    TaskStatus,
)
from huikuan.dunning.services import approval_request, dispute_open, promise_record
from huikuan.ledger.classes import DebtClass
from huikuan.ledger.services import delivery_record, payment_reverse
from huikuan.org.models import Role

from .factories import (
    make_customer,
    make_payment,
    make_receivable,
    make_user,
    set_payment_process,
)

pytestmark = pytest.mark.django_db

ON = date(2026, 6, 9)  # a Tuesday


def _task(customer, due_on=ON, **kw):
    fields = {
        "key": f"t:{customer.pk}:{Task.objects.count()}",
        "customer": customer,
        "assignee": customer.owner,
        "due_on": due_on,
        "source": TaskSource.DUNNING,
        "action": Action.CALL,
    }
    fields.update(kw)
    return Task.objects.create(**fields)


def _activity(customer, day, *, reason="", outcome=Outcome.REACHED, technique=""):
    return Activity.objects.create(
        customer=customer,
        happened_on=day,
        channel=Channel.CALL,
        outcome=outcome,
        reason=reason,
        technique=technique,
    )


def _late(customer, amount, days):
    """A receivable ``days`` overdue on ON."""
    due = ON - timedelta(days=days)
    return make_receivable(customer, amount, issue_date=due - timedelta(days=30), due_date=due)


# --- worklist ------------------------------------------------------------------------------------


@pytest.fixture
def rep():
    return make_user(Role.REP, username="zhang")


def test_the_worklist_puts_big_old_debts_first_and_explains_why(rep):
    big = make_customer(owner=rep, name="大客户")
    small = make_customer(owner=rep, name="小客户")
    _late(big, "120000.00", 95)
    _late(small, "800.00", 5)
    t_small = _task(small)
    t_big = _task(big)

    items = selectors.worklist(user=rep, on=ON)

    assert [item.task for item in items] == [t_big, t_small]
    top = items[0]
    assert top.overdue_amount == Decimal("120000.00")
    assert top.days_overdue == 95
    assert top.debt_class == DebtClass.DOUBTFUL
    reasons = {f.key: f for f in top.priority.factors}
    assert reasons["days"].points == 38 and "95" in reasons["days"].detail
    assert reasons["class"].points == 15
    assert top.priority.score == sum(f.points for f in top.priority.factors)


def test_a_disputed_customer_drops_below_a_smaller_one(rep):
    disputed = make_customer(owner=rep)
    calm = make_customer(owner=rep)
    invoice = _late(disputed, "20000.00", 40)
    _late(calm, "15000.00", 40)
    dispute_open(
        customer=disputed,
        actor=rep,
        receivables=[invoice],
        reason=DisputeReason.QUALITY,
        description="质量",
        owner=rep,
        opened_on=ON - timedelta(days=3),
    )
    _task(disputed)
    _task(calm)
    items = selectors.worklist(user=rep, on=ON)
    assert [i.customer for i in items] == [calm, disputed]
    assert items[1].is_disputed
    assert "dispute" in {f.key for f in items[1].priority.factors}


def test_equal_scores_keep_task_order(rep):
    a, b = make_customer(owner=rep), make_customer(owner=rep)
    first, second = _task(a), _task(b)
    assert [i.task for i in selectors.worklist(user=rep, on=ON)] == [first, second]


def test_a_rep_sees_only_their_own_open_tasks_due_by_the_day(rep):
    mine = make_customer(owner=rep)
    theirs = make_customer()
    due = _task(mine, due_on=ON - timedelta(days=2))
    _task(mine, due_on=ON + timedelta(days=1))
    _task(mine, status=TaskStatus.DONE)
    _task(theirs)
    assert [i.task for i in selectors.worklist(user=rep, on=ON)] == [due]


def test_a_manager_sees_the_team_and_can_pick_one_rep():
    manager = make_user(Role.MANAGER)
    rep_a = make_user(Role.REP, manager=manager)
    rep_b = make_user(Role.REP, manager=manager)
    outsider = make_customer()
    task_a = _task(make_customer(owner=rep_a))
    task_b = _task(make_customer(owner=rep_b))
    _task(outsider)
    assert {i.task for i in selectors.worklist(user=manager, on=ON)} == {task_a, task_b}
    assert [i.task for i in selectors.worklist(user=manager, on=ON, assignee=rep_b)] == [task_b]


def test_a_rep_passing_another_assignee_still_sees_only_their_own(rep):
    other = make_user(Role.REP)
    mine = _task(make_customer(owner=rep))
    _task(make_customer(owner=other))
    assert [i.task for i in selectors.worklist(user=rep, on=ON, assignee=other)] == [mine]


def _day_of_work(rep, n):
    for _ in range(n):
        customer = make_customer(owner=rep, distance_km=120)
        set_payment_process(customer, settlement_day=15, approval_steps=2)
        _late(customer, "5000.00", 30)
        promise_record(
            customer=customer,
            actor=rep,
            amount="1000.00",
            due_on=ON + timedelta(days=3),
            promised_by="王",
            made_on=ON - timedelta(days=5),
        )
        make_payment(customer, "300.00", ON - timedelta(days=1))
        _task(customer)


def test_the_worklist_costs_the_same_queries_for_two_tasks_or_ten(rep):
    _day_of_work(rep, 2)
    with CaptureQueriesContext(connection) as two:
        assert len(selectors.worklist(user=rep, on=ON)) == 2
    _day_of_work(rep, 8)
    with CaptureQueriesContext(connection) as ten:
        assert len(selectors.worklist(user=rep, on=ON)) == 10
    assert len(ten) == len(two) <= 10


def test_the_worklist_shows_a_short_promise(rep):
    customer = make_customer(owner=rep)
    _late(customer, "5000.00", 10)
    promise_record(
        customer=customer,
        actor=rep,
        amount="1000.00",
        due_on=ON + timedelta(days=3),
        promised_by="王",
        made_on=ON - timedelta(days=5),
    )
    make_payment(customer, "400.00", ON - timedelta(days=1))
    _task(customer)
    (item,) = selectors.worklist(user=rep, on=ON)
    assert item.promise.short
    assert item.promise.paid == Decimal("400.00")
    assert item.promise.remaining == Decimal("600.00")


def test_the_moment_uses_the_customers_pay_day(rep):
    customer = make_customer(owner=rep)
    set_payment_process(customer, settlement_day=15)  # Monday 2026-06-15
    _task(customer)
    (item,) = selectors.worklist(user=rep, on=ON)
    assert item.moment.rule == "first_bus"
    assert item.moment.at.date() == date(2026, 6, 12)


# --- promise_state -------------------------------------------------------------------------------


@pytest.fixture
def promise(rep):
    customer = make_customer(owner=rep)
    _late(customer, "5000.00", 20)
    return promise_record(
        customer=customer,
        actor=rep,
        amount="1000.00",
        due_on=date(2026, 6, 20),
        promised_by="王",
        made_on=date(2026, 6, 1),
    )


def test_a_partial_payment_shows_the_promise_short_before_its_date(promise):
    make_payment(promise.customer, "600.00", date(2026, 6, 5))
    state = selectors.promise_state(promise, as_of=date(2026, 6, 6))
    assert (state.paid, state.short, state.kept, state.overdue) == (
        Decimal("600.00"),
        True,
        False,
        False,
    )


def test_payments_reaching_the_amount_by_the_date_keep_the_promise(promise):
    make_payment(promise.customer, "600.00", date(2026, 6, 5))
    make_payment(promise.customer, "400.00", date(2026, 6, 20))
    state = selectors.promise_state(promise, as_of=date(2026, 6, 25))
    assert state.kept and not state.short and not state.overdue


def test_money_after_the_date_does_not_keep_the_promise(promise):
    make_payment(promise.customer, "1000.00", date(2026, 6, 21))
    state = selectors.promise_state(promise, as_of=date(2026, 6, 22))
    assert not state.kept and state.overdue


def test_payments_before_the_promise_reversed_ones_and_credit_notes_do_not_count(promise):
    make_payment(promise.customer, "500.00", date(2026, 5, 30))
    reversed_one = make_payment(promise.customer, "500.00", date(2026, 6, 2))
    payment_reverse(payment=reversed_one, on=date(2026, 6, 3), reason="退票")
    make_payment(promise.customer, "500.00", date(2026, 6, 4), kind="credit_note", allocate="none")
    state = selectors.promise_state(promise, as_of=date(2026, 6, 10))
    assert state.paid == Decimal("0.00") and not state.short


# --- disposition ---------------------------------------------------------------------------------


def test_stated_malicious_reasons_make_a_malicious_debtor():
    customer = make_customer()
    _activity(customer, date(2026, 5, 1), reason=Reason.WANTS_CONCESSIONS)
    _activity(customer, date(2026, 5, 20), reason=Reason.MALICIOUS_DELAY)
    found = selectors.disposition(customer=customer, as_of=ON)
    assert found.kind == "malicious"
    assert len(found.evidence) == 2 and "2026-05-20" in found.evidence[0]


def test_stock_and_season_reasons_make_a_non_malicious_debtor():
    customer = make_customer()
    _activity(customer, date(2026, 5, 1), reason=Reason.TOO_MUCH_STOCK)
    _activity(customer, date(2026, 5, 2), reason=Reason.GOV_BUDGET)
    assert selectors.disposition(customer=customer, as_of=ON).kind == "non_malicious"


def test_repeated_refusals_count_as_malicious():
    customer = make_customer()
    for day in (1, 8, 15):
        _activity(customer, date(2026, 5, day), outcome=Outcome.REFUSED)
    found = selectors.disposition(customer=customer, as_of=ON)
    assert found.kind == "malicious" and "3" in found.evidence[-1]


def test_the_latest_reason_weighs_double():
    customer = make_customer()
    _activity(customer, date(2026, 5, 1), reason=Reason.MALICIOUS_DELAY)
    _activity(customer, date(2026, 5, 9), reason=Reason.CASH_TROUBLE)
    assert selectors.disposition(customer=customer, as_of=ON).kind == "non_malicious"


def test_without_reasons_the_disposition_is_unknown_and_later_answers_are_ignored():
    customer = make_customer()
    _activity(customer, ON + timedelta(days=1), reason=Reason.MALICIOUS_DELAY)
    _activity(customer, ON)
    assert selectors.disposition(customer=customer, as_of=ON).kind == "unknown"


# --- recommendations -----------------------------------------------------------------------------


def test_recommendations_follow_the_latest_reason_with_reasons_in_words():
    customer = make_customer(first_deal_on=date(2020, 1, 1))
    _late(customer, "9000.00", 20)
    _activity(customer, date(2026, 6, 1), reason=Reason.TOO_MUCH_STOCK)
    found = selectors.recommendations(customer=customer, as_of=ON)
    assert len(found) == 3
    assert found[0].technique.code in {"sell_through_80", "help_sell"}
    assert all(r.why for r in found)
    assert found == sorted(found, key=lambda r: -r.score)


def test_a_new_customer_gets_new_customer_advice():
    customer = make_customer(first_deal_on=ON - timedelta(days=100))
    _late(customer, "9000.00", 20)
    _activity(customer, date(2026, 6, 1), reason=Reason.CASH_TROUBLE)
    codes = [r.technique.code for r in selectors.recommendations(customer=customer, as_of=ON)]
    assert "start_small" in codes


# --- technique report ----------------------------------------------------------------------------


def test_a_technique_counts_as_paid_when_money_comes_within_fourteen_days():
    customer = make_customer()
    other = make_customer()
    _late(customer, "9000.00", 60)
    _late(other, "9000.00", 60)
    day = date(2026, 5, 4)
    _activity(customer, day, technique="first_bus")
    _activity(other, day, technique="first_bus")
    _activity(other, day, technique="firm_call")
    _activity(customer, date(2026, 3, 1), technique="firm_call")  # before the period
    make_payment(customer, "100.00", day + timedelta(days=14))
    make_payment(other, "100.00", day + timedelta(days=15))
    reversed_one = make_payment(other, "100.00", day + timedelta(days=2), allocate="none")
    payment_reverse(payment=reversed_one, on=day + timedelta(days=3), reason="退票")

    rows = selectors.technique_report(
        customers=selectors.Customer.objects.all(), since=date(2026, 5, 1), until=date(2026, 5, 31)
    )

    by_code = {row.code: row for row in rows}
    assert (by_code["first_bus"].uses, by_code["first_bus"].paid_within_14_days) == (2, 1)
    assert by_code["first_bus"].rate == Decimal("0.5000")
    assert by_code["first_bus"].percent == 50
    assert (by_code["firm_call"].uses, by_code["firm_call"].paid_within_14_days) == (1, 0)
    assert [row.code for row in rows] == ["first_bus", "firm_call"]


def test_the_technique_report_covers_only_the_given_customers():
    mine = make_customer()
    _activity(mine, date(2026, 5, 4), technique="first_bus")
    _activity(make_customer(), date(2026, 5, 4), technique="firm_call")
    rows = selectors.technique_report(
        customers=selectors.Customer.objects.filter(pk=mine.pk),
        since=date(2026, 5, 1),
        until=date(2026, 5, 31),
    )
    assert [row.code for row in rows] == ["first_bus"]


# --- case file and queues ------------------------------------------------------------------------


def test_the_case_file_shows_each_open_receivable_with_level_dispute_and_limitation(rep):
    customer = make_customer(owner=rep)
    first = _late(customer, "3000.00", 50)
    second = _late(customer, "2000.00", 10)
    ReceivableDunning.objects.create(
        receivable=first, customer=customer, level=2, level_on=ON - timedelta(days=5)
    )
    dispute_open(
        customer=customer,
        actor=rep,
        receivables=[second],
        reason=DisputeReason.PRICE,
        description="价格",
        owner=rep,
        opened_on=ON,
    )
    _activity(customer, ON - timedelta(days=1), reason=Reason.OLD_PROBLEMS)
    task = _task(customer)

    found = selectors.case_file(customer=customer, as_of=ON)

    lines = {line.receivable: line for line in found.receivables}
    assert lines[first].level == 2 and not lines[first].disputed
    assert lines[first].days_overdue == 50
    assert lines[first].limitation_expires_on == first.due_date.replace(year=2029)
    assert lines[second].level is None and lines[second].disputed
    assert found.overdue_amount == Decimal("5000.00")
    assert found.days_overdue == 50
    assert found.tasks == [task]
    assert len(found.activities) == 1
    assert len(found.recommendations) <= 3
    assert found.disposition.kind == "non_malicious"
    assert found.checklist[0].key == "deal"


def test_the_case_file_lists_promises_with_their_live_state(rep):
    customer = make_customer(owner=rep)
    _late(customer, "3000.00", 20)
    promise_record(
        customer=customer,
        actor=rep,
        amount="1000.00",
        due_on=ON + timedelta(days=5),
        promised_by="王",
        made_on=ON - timedelta(days=2),
    )
    make_payment(customer, "200.00", ON)
    found = selectors.case_file(customer=customer, as_of=ON)
    assert [(s.paid, s.short) for s in found.promises] == [(Decimal("200.00"), True)]


def test_queues_show_only_what_the_user_may_see(rep):
    mine = make_customer(owner=rep)
    theirs = make_customer()
    for customer in (mine, theirs):
        invoice = _late(customer, "1000.00", 10)
        approval_request(
            customer=customer,
            actor=None,
            kind=ApprovalKind.MEASURE,
            action=Action.STOP_SUPPLY,
            reason="x",
            requested_on=ON,
        )
        dispute_open(
            customer=customer,
            actor=None,
            receivables=[invoice],
            reason=DisputeReason.OTHER,
            description="x",
            owner=customer.owner,
            opened_on=ON,
        )
        promise_record(
            customer=customer, actor=None, amount="1", due_on=ON, promised_by="x", made_on=ON
        )
    assert [a.customer for a in selectors.approval_queue(user=rep)] == [mine]
    assert [d.customer for d in selectors.disputes_for(user=rep)] == [mine]
    assert [p.customer for p in selectors.promises_for(user=rep)] == [mine]
    assert selectors.promises_for(user=rep, status=PromiseStatus.KEPT).count() == 0
    assert selectors.approval_queue(user=make_user(Role.FINANCE)).count() == 2
    assert Promise.objects.count() == 2


def test_last_delivery_feeds_the_sell_through_moment(rep):
    customer = make_customer(owner=rep)
    from huikuan.dunning.services import profile_update

    profile_update(customer=customer, actor=rep, sell_through_days=20)
    delivery_record(
        customer=customer,
        number="D-1",
        delivered_on=date(2026, 5, 27),
        amount="1000.00",
        description="货",
    )
    _task(customer)
    (item,) = selectors.worklist(user=rep, on=ON)
    assert item.moment.rule == "sell_through"
    assert item.moment.at.date() == date(2026, 6, 12)  # 27 May + 16 days
