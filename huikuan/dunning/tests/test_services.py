from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.customers.models import ContactRole
from huikuan.dunning import services
from huikuan.dunning.models import (
    Action,
    Activity,
    ApprovalKind,
    ApprovalStatus,
    Case,
    Channel,
    CollectionProfile,
    DisputeReason,
    DunningPolicy,
    InterruptionKind,
    LimitationEvent,
    Outcome,
    Promise,
    PromiseStatus,
    Reason,
    Task,
    TaskSource,
    TaskStatus,
)
from huikuan.org.models import Role

from .factories import (
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
    make_user,
    refused,
)

pytestmark = pytest.mark.django_db

TUESDAY = date(2026, 3, 10)
SATURDAY = date(2026, 3, 14)
MONDAY = date(2026, 3, 16)


@pytest.fixture
def world():
    manager = make_user(Role.MANAGER)
    rep = make_user(Role.REP, manager=manager)
    customer = make_customer(owner=rep)
    late = make_receivable(
        customer, "3000.00", issue_date=date(2026, 1, 5), due_date=date(2026, 2, 4)
    )
    later = make_receivable(
        customer, "500.00", issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31)
    )
    return {"rep": rep, "manager": manager, "customer": customer, "late": late, "later": later}


def _task(customer, **kw):
    fields = {
        "key": f"t:{customer.pk}:{Task.objects.count()}",
        "customer": customer,
        "assignee": customer.owner,
        "due_on": TUESDAY,
        "source": TaskSource.DUNNING,
        "action": Action.CALL,
    }
    fields.update(kw)
    return Task.objects.create(**fields)


def _log(world, **kw):
    args = {
        "customer": world["customer"],
        "actor": world["rep"],
        "happened_on": TUESDAY,
        "channel": Channel.CALL,
        "outcome": Outcome.REACHED,
    }
    args.update(kw)
    return services.activity_log(**args)


# --- activity_log --------------------------------------------------------------------------------


def test_logged_activity_joins_the_open_case_and_leaves_an_audit_line(world):
    case = Case.objects.create(customer=world["customer"], opened_on=date(2026, 2, 5))
    activity = _log(world, reason=Reason.TOO_MUCH_STOCK, technique="sell_through_80", note="库存多")
    assert activity.case == case
    assert activity.created_by == world["rep"]
    assert activity.technique == "sell_through_80"
    assert AuditEntry.objects.filter(action="activity.log", object_id=str(activity.pk)).exists()


def test_a_promise_given_on_the_phone_is_recorded_with_the_activity(world):
    contact = make_contact(world["customer"], ContactRole.FINANCE, name="王会计")
    activity = _log(
        world,
        outcome=Outcome.PROMISED,
        contact=contact,
        promise_amount="2000.00",
        promise_due_on=date(2026, 3, 20),
    )
    promise = Promise.objects.get(activity=activity)
    assert promise.amount == Decimal("2000.00")
    assert promise.made_on == TUESDAY
    assert promise.due_on == date(2026, 3, 20)
    assert promise.promised_by == "王会计"
    assert promise.status == PromiseStatus.OPEN


def test_a_promise_without_amount_is_refused_and_nothing_is_written(world):
    with refused("promise_amount"):
        _log(world, outcome=Outcome.PROMISED, promise_due_on=date(2026, 3, 20))


def test_a_promise_without_date_is_refused(world):
    with refused("promise_due_on"):
        _log(world, outcome=Outcome.PROMISED, promise_amount="100")


def test_a_promise_dated_before_the_call_is_refused(world):
    with refused("promise_due_on"):
        _log(
            world,
            outcome=Outcome.PROMISED,
            promise_amount="100",
            promise_due_on=date(2026, 3, 9),
            promised_by="王",
        )


def test_an_unknown_technique_is_refused(world):
    with refused("technique"):
        _log(world, technique="shouting")


def test_an_unknown_channel_is_refused(world):
    with refused("channel"):
        _log(world, channel="pigeon")


def test_a_task_of_another_customer_is_refused(world):
    other = _task(make_customer())
    with refused("task"):
        _log(world, task=other)
    assert Task.objects.get(pk=other.pk).status == TaskStatus.OPEN


def test_a_contact_of_another_customer_is_refused(world):
    stranger = make_contact(make_customer(), ContactRole.FINANCE)
    with refused("contact"):
        _log(world, contact=stranger)


def test_logging_against_an_open_task_finishes_it(world):
    task = _task(world["customer"])
    _log(world, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.done_by == world["rep"]
    assert task.done_at is not None


def test_a_next_step_on_saturday_becomes_a_call_task_on_monday_for_the_owner(world):
    manager = world["manager"]
    activity = _log(world, actor=manager, next_step="再打电话", next_step_on=SATURDAY)
    follow = Task.objects.get(key=f"follow:{activity.pk}")
    assert follow.due_on == MONDAY
    assert follow.action == Action.CALL
    assert follow.source == TaskSource.FOLLOW_UP
    assert follow.assignee == world["rep"]
    assert follow.amount == Decimal("3000.00")  # the late invoice; the other is not yet due


def test_a_next_step_after_a_wechat_message_is_a_reminder(world):
    activity = _log(world, channel=Channel.WECHAT, next_step_on=date(2026, 3, 12))
    follow = Task.objects.get(key=f"follow:{activity.pk}")
    assert follow.action == Action.REMINDER
    assert follow.due_on == date(2026, 3, 12)


def test_a_next_step_before_the_contact_is_refused(world):
    with refused("next_step_on"):
        _log(world, next_step_on=date(2026, 3, 1))


def test_a_written_demand_by_letter_restarts_the_limitation_period(world):
    activity = _log(world, channel=Channel.LETTER, is_written_demand=True)
    event = LimitationEvent.objects.get(customer=world["customer"])
    assert event.kind == InterruptionKind.WRITTEN_DEMAND
    assert event.happened_on == TUESDAY
    assert event.activity == activity
    assert event.evidence == f"activity #{activity.pk}"


def test_a_phone_call_cannot_be_a_written_demand(world):
    with refused("is_written_demand"):
        _log(world, channel=Channel.CALL, is_written_demand=True)


# --- promise_record ----------------------------------------------------------------------------


def _promise(world, **kw):
    args = {
        "customer": world["customer"],
        "actor": world["rep"],
        "amount": "1000.00",
        "due_on": date(2026, 3, 20),
        "promised_by": "李老板",
        "made_on": TUESDAY,
    }
    args.update(kw)
    return services.promise_record(**args)


def test_a_new_promise_replaces_the_open_one(world):
    first = _promise(world)
    second = _promise(world, amount="1500.00", made_on=date(2026, 3, 12))
    first.refresh_from_db()
    assert first.status == PromiseStatus.REPLACED
    assert first.settled_on == date(2026, 3, 12)
    assert second.status == PromiseStatus.OPEN
    assert Promise.objects.filter(customer=world["customer"], status="open").count() == 1


def test_a_promise_of_nothing_is_refused(world):
    with refused("amount"):
        _promise(world, amount="0")


def test_a_promise_due_before_it_was_made_is_refused_and_the_old_one_stays_open(world):
    first = _promise(world)
    with refused("due_on"):
        _promise(world, due_on=date(2026, 3, 1))
    first.refresh_from_db()
    assert first.status == PromiseStatus.OPEN


def test_a_promise_needs_the_person_who_made_it(world):
    with refused("promised_by"):
        _promise(world, promised_by="  ")


# --- disputes ---------------------------------------------------------------------------------


def _dispute(world, **kw):
    args = {
        "customer": world["customer"],
        "actor": world["rep"],
        "receivables": [world["late"]],
        "reason": DisputeReason.QUALITY,
        "description": "包装破损",
        "owner": world["rep"],
        "opened_on": TUESDAY,
    }
    args.update(kw)
    return services.dispute_open(**args)


def test_a_dispute_is_opened_on_the_chosen_receivables(world):
    dispute = _dispute(world)
    assert list(dispute.receivables.all()) == [world["late"]]
    assert dispute.is_open
    assert AuditEntry.objects.filter(action="dispute.open").count() == 1


def test_a_dispute_needs_receivables(world):
    with refused("receivables"):
        _dispute(world, receivables=[])


def test_a_dispute_about_another_customers_receivable_is_refused(world):
    foreign = make_receivable(make_customer())
    with refused("receivables"):
        _dispute(world, receivables=[world["late"], foreign])


def test_a_dispute_about_a_paid_receivable_is_refused(world):
    make_payment(world["customer"], "3000.00", date(2026, 3, 5))
    with refused("receivables", match="Nothing is outstanding"):
        _dispute(world, receivables=[world["late"]])


def test_a_dispute_owner_must_see_the_customer(world):
    stranger = make_user(Role.REP)
    with refused("owner"):
        _dispute(world, owner=stranger)


def test_a_dispute_needs_a_description(world):
    with refused("description"):
        _dispute(world, description="")


def test_resolving_a_dispute_records_how(world):
    dispute = _dispute(world)
    services.dispute_resolve(
        dispute=dispute, actor=world["rep"], resolved_on=date(2026, 3, 15), resolution="补发"
    )
    dispute.refresh_from_db()
    assert dispute.resolved_on == date(2026, 3, 15)
    assert dispute.days_to_resolve == 5


def test_a_resolution_must_be_written(world):
    dispute = _dispute(world)
    with refused("resolution"):
        services.dispute_resolve(
            dispute=dispute, actor=world["rep"], resolved_on=TUESDAY, resolution=" "
        )


def test_a_dispute_cannot_be_resolved_before_it_was_opened(world):
    dispute = _dispute(world)
    with refused("resolved_on"):
        services.dispute_resolve(
            dispute=dispute, actor=world["rep"], resolved_on=date(2026, 3, 9), resolution="x"
        )


def test_a_resolved_dispute_cannot_be_resolved_again(world):
    dispute = _dispute(world)
    services.dispute_resolve(dispute=dispute, actor=None, resolved_on=TUESDAY, resolution="x")
    with refused("dispute"):
        services.dispute_resolve(dispute=dispute, actor=None, resolved_on=TUESDAY, resolution="y")


# --- approvals ----------------------------------------------------------------------------------


def _ask(world, **kw):
    args = {
        "customer": world["customer"],
        "actor": world["rep"],
        "kind": ApprovalKind.MEASURE,
        "action": Action.STOP_SUPPLY,
        "reason": "三次承诺未兑现",
        "requested_on": TUESDAY,
    }
    args.update(kw)
    return services.approval_request(**args)


def test_a_rep_asks_for_a_hard_measure(world):
    approval = _ask(world)
    assert approval.status == ApprovalStatus.PENDING
    assert approval.key.startswith("manual:")
    assert approval.requested_by == world["rep"]


def test_a_measure_needs_an_action(world):
    with refused("action"):
        _ask(world, action="")


def test_a_request_needs_a_reason(world):
    with refused("reason"):
        _ask(world, reason="")


def test_a_write_off_request_defaults_to_what_is_outstanding(world):
    make_payment(world["customer"], "1000.00", date(2026, 3, 1))
    approval = _ask(world, kind=ApprovalKind.WRITE_OFF, action="", receivable=world["late"])
    assert approval.amount == Decimal("2000.00")


def test_a_write_off_of_a_paid_receivable_is_refused(world):
    make_payment(world["customer"], "3000.00", date(2026, 3, 1))
    with refused("receivable"):
        _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=world["late"])


def test_a_write_off_of_another_customers_receivable_is_refused(world):
    foreign = make_receivable(make_customer())
    with refused("receivable"):
        _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=foreign)


def test_a_write_off_above_the_outstanding_is_refused(world):
    with refused("amount"):
        _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=world["late"], amount="3000.01")


def test_an_approved_measure_becomes_a_task_on_the_next_working_day(world):
    approval = _ask(world)
    services.approval_decide(
        approval=approval, actor=world["manager"], approve=True, note="", on=SATURDAY
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.decided_by == world["manager"]
    task = approval.task
    assert task.key == f"approved:{approval.pk}"
    assert task.due_on == MONDAY
    assert task.action == Action.STOP_SUPPLY
    assert task.assignee == world["rep"]
    assert task.amount == Decimal("3000.00")


def test_an_approved_write_off_makes_no_task(world):
    approval = _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=world["late"])
    services.approval_decide(
        approval=approval, actor=world["manager"], approve=True, note="", on=TUESDAY
    )
    approval.refresh_from_db()
    assert approval.task is None
    assert Task.objects.count() == 0


def test_a_rejection_needs_a_note(world):
    approval = _ask(world)
    with refused("note"):
        services.approval_decide(
            approval=approval, actor=world["manager"], approve=False, note="", on=TUESDAY
        )


def test_a_rejection_with_a_note_is_recorded(world):
    approval = _ask(world)
    services.approval_decide(
        approval=approval, actor=world["manager"], approve=False, note="再等一周", on=TUESDAY
    )
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED
    assert approval.decision_note == "再等一周"
    assert Task.objects.count() == 0


def test_a_rep_cannot_decide_approvals(world):
    approval = _ask(world)
    with refused("actor"):
        services.approval_decide(
            approval=approval, actor=world["rep"], approve=True, note="", on=TUESDAY
        )


def test_a_manager_who_cannot_see_the_customer_cannot_decide(world):
    approval = _ask(world)
    stranger = make_user(Role.MANAGER)
    with refused("actor"):
        services.approval_decide(
            approval=approval, actor=stranger, approve=True, note="", on=TUESDAY
        )


def test_a_decided_request_cannot_be_decided_again(world):
    approval = _ask(world)
    services.approval_decide(
        approval=approval, actor=world["manager"], approve=True, note="", on=TUESDAY
    )
    with refused("approval"):
        services.approval_decide(
            approval=approval, actor=world["manager"], approve=False, note="no", on=TUESDAY
        )


def _approved_write_off(world):
    approval = _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=world["late"])
    services.approval_decide(
        approval=approval, actor=world["manager"], approve=True, note="", on=TUESDAY
    )
    return approval


def test_finance_posts_an_approved_write_off(world):
    approval = _approved_write_off(world)
    write_off = services.approval_write_off_post(
        approval=approval, actor=make_user(Role.FINANCE), on=TUESDAY
    )
    world["late"].refresh_from_db()
    approval.refresh_from_db()
    assert world["late"].outstanding == Decimal("0.00")
    assert write_off.amount == Decimal("3000.00")
    assert approval.write_off == write_off
    assert write_off.reason == "三次承诺未兑现"


def test_a_manager_cannot_post_a_write_off(world):
    approval = _approved_write_off(world)
    with refused("actor"):
        services.approval_write_off_post(approval=approval, actor=world["manager"], on=TUESDAY)


def test_a_pending_write_off_cannot_be_posted(world):
    approval = _ask(world, kind=ApprovalKind.WRITE_OFF, receivable=world["late"])
    finance = make_user(Role.FINANCE)
    with refused("approval", match="not been approved"):
        services.approval_write_off_post(approval=approval, actor=finance, on=TUESDAY)


def test_a_write_off_is_posted_once(world):
    approval = _approved_write_off(world)
    finance = make_user(Role.FINANCE)
    services.approval_write_off_post(approval=approval, actor=finance, on=TUESDAY)
    with refused("approval", match="already been posted"):
        services.approval_write_off_post(approval=approval, actor=finance, on=TUESDAY)


# --- tasks --------------------------------------------------------------------------------------


def test_completing_a_task_marks_it_done_with_the_note(world):
    task = _task(world["customer"])
    services.task_complete(task=task, actor=world["rep"], on=TUESDAY, note="已通知")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "已通知" in task.note


def test_a_done_task_cannot_be_completed_again(world):
    task = _task(world["customer"], status=TaskStatus.DONE)
    with refused("task"):
        services.task_complete(task=task, actor=world["rep"], on=TUESDAY)


def test_cancelling_a_task_needs_a_reason(world):
    task = _task(world["customer"])
    with refused("note"):
        services.task_cancel(task=task, actor=world["rep"], note="")
    services.task_cancel(task=task, actor=world["rep"], note="客户已付款")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


# --- limitation events and the profile ---------------------------------------------------------


def test_a_signed_balance_confirmation_is_recorded(world):
    event = services.limitation_event_record(
        customer=world["customer"],
        actor=world["rep"],
        kind=InterruptionKind.CONFIRMATION,
        happened_on=TUESDAY,
        evidence="对账单 2026-03 盖章原件",
    )
    assert event.kind == InterruptionKind.CONFIRMATION
    assert AuditEntry.objects.filter(action="limitation.record").count() == 1


def test_a_limitation_event_needs_evidence(world):
    with refused("evidence"):
        services.limitation_event_record(
            customer=world["customer"],
            actor=world["rep"],
            kind=InterruptionKind.CONFIRMATION,
            happened_on=TUESDAY,
            evidence="",
        )


def test_a_limitation_event_of_an_unknown_kind_is_refused(world):
    with refused("kind"):
        services.limitation_event_record(
            customer=world["customer"],
            actor=world["rep"],
            kind="phone_call",
            happened_on=TUESDAY,
            evidence="x",
        )


def test_the_profile_is_created_on_first_update(world):
    policy = DunningPolicy.objects.filter(is_active=True).first()
    profile = services.profile_update(
        customer=world["customer"], actor=world["rep"], sell_through_days=40, policy=policy
    )
    assert profile.sell_through_days == 40
    assert profile.policy == policy
    assert CollectionProfile.objects.count() == 1


def test_a_sell_through_of_zero_days_is_refused(world):
    with refused("sell_through_days"):
        services.profile_update(customer=world["customer"], actor=None, sell_through_days=0)


def test_an_inactive_policy_is_refused(world):
    policy = DunningPolicy.objects.create(name="旧", is_active=False)
    with refused("policy"):
        services.profile_update(customer=world["customer"], actor=None, policy=policy)


def test_activity_rows_keep_the_answer_given(world):
    _log(world, outcome=Outcome.REFUSED, reason=Reason.MALICIOUS_DELAY)
    assert Activity.objects.get().get_reason_display() == Reason.MALICIOUS_DELAY.label
