"""The daily run, day by day: what a rep and a manager find after each morning's run."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.dunning.models import (
    ApprovalRequest,
    ApprovalStatus,
    CalendarDay,
    Case,
    CollectionProfile,
    DailyRun,
    Dispute,
    DisputeReason,
    InterruptionKind,
    LimitationEvent,
    PromiseStatus,
    ReceivableDunning,
    Task,
    TaskSource,
    TaskStatus,
)
from huikuan.dunning.run import dunning_run
from huikuan.dunning.services import approval_decide, promise_record
from huikuan.org.models import Role

from .factories import make_customer, make_payment, make_receivable, make_user

pytestmark = pytest.mark.django_db

# Monday 2026-06-01: a plain working week around it (Dragon Boat Festival is 2026-06-19).
DUE = date(2026, 6, 1)


def day(offset: int) -> date:
    return DUE + timedelta(days=offset)


def open_tasks(customer):
    return list(Task.objects.filter(customer=customer, status=TaskStatus.OPEN).order_by("id"))


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager)


@pytest.fixture
def customer(rep):
    return make_customer(owner=rep)


@pytest.fixture
def invoice(customer):
    return make_receivable(customer, amount="12000.00", issue_date=day(-30), due_date=DUE)


def test_a_receivable_climbs_the_ladder_until_it_is_paid(customer, invoice, manager, rep):
    # day -8: too early for anything.
    result = dunning_run(as_of=day(-8))
    assert result.tasks_created == 0
    assert open_tasks(customer) == []

    # day -7: a friendly reminder a week before the due date.
    result = dunning_run(as_of=day(-7))
    assert (result.reminders_created, result.tasks_created) == (1, 1)
    [reminder] = open_tasks(customer)
    assert (reminder.source, reminder.action, reminder.due_on) == ("reminder", "reminder", day(-7))
    assert reminder.assignee == rep
    assert reminder.amount == Decimal("12000.00")
    assert reminder.receivables == [invoice.pk]

    # due date: nothing new, and no case yet — nothing is overdue.
    assert dunning_run(as_of=DUE).tasks_created == 0
    assert not Case.objects.filter(customer=customer).exists()

    # day 1: level 1, a call; a case is open.
    result = dunning_run(as_of=day(1))
    assert (result.levels_advanced, result.cases_opened) == (1, 1)
    call = open_tasks(customer)[-1]
    assert (call.source, call.action, call.level, call.tone) == ("dunning", "call", 1, "friendly")
    case = Case.objects.get(customer=customer, closed_on__isnull=True)
    assert (case.level, case.debt_class) == (1, "overdue")

    # days 2-14: the ladder waits.
    for offset in range(2, 15):
        assert dunning_run(as_of=day(offset)).tasks_created == 0

    # day 15: level 2, a visit, which replaces the call nobody made.
    assert dunning_run(as_of=day(15)).tasks_cancelled == 1
    assert [t.action for t in open_tasks(customer)] == ["reminder", "visit"]

    # day 31: the written notice is a hard measure: it waits for the manager, no task yet.
    tasks_before = Task.objects.count()
    result = dunning_run(as_of=day(31))
    assert (result.approvals_raised, result.tasks_created) == (1, 0)
    assert Task.objects.count() == tasks_before
    request = ApprovalRequest.objects.get(customer=customer)
    assert (request.status, request.action, request.level) == ("pending", "written_notice", 3)
    assert request.amount == Decimal("12000.00")

    # the manager approves: the notice becomes the rep's task.
    approval_decide(approval=request, actor=manager, approve=True, note="发函", on=day(31))
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert (request.task.action, request.task.assignee) == ("written_notice", rep)

    # the customer promises half by day 40.
    promise = promise_record(
        customer=customer,
        actor=rep,
        amount=Decimal("6000.00"),
        due_on=day(40),
        promised_by="王会计",
        made_on=day(33),
    )
    for offset in range(32, 41):
        assert dunning_run(as_of=day(offset)).promises_broken == 0

    # day 41: the promise date passed unpaid — broken, standing lowered, escalated at once to
    # the next level (reduce supply, which needs approval again).
    result = dunning_run(as_of=day(41))
    assert result.promises_broken == 1
    promise.refresh_from_db()
    assert (promise.status, promise.settled_on) == (PromiseStatus.BROKEN, day(41))
    assert CollectionProfile.objects.get(customer=customer).standing == -1
    broken = Task.objects.get(customer=customer, source=TaskSource.PROMISE_BROKEN)
    # day 41 is a Sunday: the follow-up is for Monday.
    assert (broken.tone, broken.due_on, broken.amount) == ("firm", day(42), Decimal("6000.00"))
    escalation = ApprovalRequest.objects.get(customer=customer, level=4)
    assert escalation.action == "reduce_supply"
    assert ReceivableDunning.objects.get(receivable=invoice).level == 4

    # paid in full: the next run closes the case and cancels what was still to do.
    make_payment(customer, "12000.00", received_on=day(42))
    result = dunning_run(as_of=day(43))
    # cancelled: the visit, the approved notice, the broken-promise call and the old reminder.
    assert (result.cases_closed, result.tasks_cancelled) == (1, 4)
    case.refresh_from_db()
    assert case.closed_on == day(43)
    assert open_tasks(customer) == []


def test_a_promise_paid_in_time_is_kept_and_nothing_escalates(customer, invoice, rep):
    dunning_run(as_of=day(1))
    promise = promise_record(
        customer=customer,
        actor=rep,
        amount=Decimal("5000.00"),
        due_on=day(5),
        promised_by="王会计",
        made_on=day(2),
    )
    make_payment(customer, "5000.00", received_on=day(4))
    assert dunning_run(as_of=day(4)).promises_kept == 1
    promise.refresh_from_db()
    assert (promise.status, promise.paid) == (PromiseStatus.KEPT, Decimal("5000.00"))
    assert dunning_run(as_of=day(6)).promises_broken == 0
    assert not Task.objects.filter(source=TaskSource.PROMISE_BROKEN).exists()


def test_one_task_per_customer_covers_all_its_overdue_items(customer, invoice):
    second = make_receivable(customer, amount="800.00", issue_date=day(-40), due_date=day(-10))
    other = make_customer()
    make_receivable(other, amount="50.00", issue_date=day(-30), due_date=DUE)
    result = dunning_run(as_of=day(1))
    assert result.levels_advanced == 3
    [task] = open_tasks(customer)
    assert sorted(task.receivables) == sorted([invoice.pk, second.pk])
    assert task.amount == Decimal("12800.00")
    assert len(open_tasks(other)) == 1


def test_a_disputed_receivable_does_not_climb(customer, invoice, rep):
    dunning_run(as_of=day(1))
    dispute = Dispute.objects.create(
        customer=customer,
        reason=DisputeReason.QUALITY,
        description="批次 A 破损",
        owner=rep,
        opened_on=day(2),
    )
    dispute.receivables.add(invoice)
    assert dunning_run(as_of=day(15)).levels_advanced == 0
    assert ReceivableDunning.objects.get(receivable=invoice).level == 1
    dispute.resolved_on, dispute.resolution = day(20), "补发货物"
    dispute.save()
    assert dunning_run(as_of=day(21)).levels_advanced == 1
    assert ReceivableDunning.objects.get(receivable=invoice).level == 2


def test_government_buyers_follow_their_own_slower_ladder(rep):
    bureau = make_customer(owner=rep, is_government=True)
    make_receivable(bureau, amount="90000.00", issue_date=day(-60), due_date=DUE)
    assert dunning_run(as_of=day(-10)).reminders_created == 1
    dunning_run(as_of=day(15))
    assert [t.action for t in open_tasks(bureau)] == ["reminder", "call"]
    assert dunning_run(as_of=day(31)).approvals_raised == 0
    assert open_tasks(bureau)[-1].action == "visit"


def test_the_same_date_twice_changes_nothing(customer, invoice):
    first = dunning_run(as_of=day(31))
    assert first.approvals_raised == 1
    tables = (Task, ApprovalRequest, Case, ReceivableDunning, DailyRun)
    before = {model: list(model.objects.order_by("pk").values()) for model in tables}
    second = dunning_run(as_of=day(31))
    assert second.already_done
    assert set(second.counts().values()) == {0}
    assert {model: list(model.objects.order_by("pk").values()) for model in tables} == before


def test_a_skipped_day_is_caught_up_without_doubling_tasks(customer, invoice):
    dunning_run(as_of=day(1))
    # nobody ran days 2..20: day 21 still brings the customer to level 2, once.
    result = dunning_run(as_of=day(21))
    assert result.levels_advanced == 1
    assert [t.level for t in open_tasks(customer)] == [2]


# --- The Chinese working calendar -----------------------------------------------------------


def test_a_reminder_that_falls_in_the_national_day_holiday_moves_to_the_next_working_day(
    customer,
):
    # Due 2026-10-08: the reminder day, 2026-10-01, is National Day; the holiday runs to 10-07.
    make_receivable(
        customer, amount="300.00", issue_date=date(2026, 9, 1), due_date=date(2026, 10, 8)
    )
    dunning_run(as_of=date(2026, 10, 1))
    [task] = open_tasks(customer)
    assert task.due_on == date(2026, 10, 8)


def test_a_make_up_saturday_is_a_working_day(customer):
    # Saturday 2026-10-10 is a 调休 working day; Sunday 2026-10-11 is not.
    make_receivable(
        customer, amount="300.00", issue_date=date(2026, 9, 1), due_date=date(2026, 10, 9)
    )
    dunning_run(as_of=date(2026, 10, 10))
    assert open_tasks(customer)[-1].due_on == date(2026, 10, 10)
    make_receivable(
        customer, amount="300.00", issue_date=date(2026, 9, 1), due_date=date(2026, 10, 18)
    )
    dunning_run(as_of=date(2026, 10, 11))
    assert open_tasks(customer)[-1].due_on == date(2026, 10, 12)


def test_an_admin_added_holiday_beyond_the_package_years_is_honoured(customer):
    # chinesecalendar knows up to 2026; an admin enters 2027's New Year holiday by hand.
    make_receivable(
        customer, amount="300.00", issue_date=date(2026, 12, 1), due_date=date(2027, 1, 8)
    )
    CalendarDay.objects.create(day=date(2027, 1, 1), is_workday=False, name="元旦")
    dunning_run(as_of=date(2027, 1, 1))
    assert open_tasks(customer)[-1].due_on == date(2027, 1, 4)


# --- The limitation period ------------------------------------------------------------------


def test_limitation_warnings_at_180_90_and_30_days_and_a_written_demand_restarts_the_clock(
    customer, rep
):
    old = make_receivable(
        customer, amount="4000.00", issue_date=date(2023, 5, 1), due_date=DUE.replace(year=2023)
    )
    expiry = date(2026, 6, 1)
    warned = []
    for before in (181, 180, 179, 91, 90, 31, 30, 29):
        result = dunning_run(as_of=expiry - timedelta(days=before))
        warned.append(result.limitation_warnings)
    assert warned == [0, 1, 0, 0, 1, 0, 1, 0]
    notes = Task.objects.filter(source=TaskSource.LIMITATION).values_list("note", flat=True)
    assert all("2026-06-01" in note for note in notes)
    assert all(t.receivables == [old.pk] for t in Task.objects.filter(source=TaskSource.LIMITATION))

    LimitationEvent.objects.create(
        customer=customer,
        kind=InterruptionKind.WRITTEN_DEMAND,
        happened_on=expiry - timedelta(days=20),
        evidence="律师函 EMS 1234",
        created_by=rep,
    )
    # three new years from the demand (2026-05-12): quiet until 180 days before 2029-05-12.
    assert dunning_run(as_of=expiry - timedelta(days=10)).limitation_warnings == 0
    assert dunning_run(as_of=date(2028, 11, 12)).limitation_warnings == 0
    assert dunning_run(as_of=date(2028, 11, 13)).limitation_warnings == 1
