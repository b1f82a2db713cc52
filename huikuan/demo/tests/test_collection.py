"""The demo's collection history: every rep has work today, what customers say fits how they
behave, promises agree with the ledger to the fen, and it all comes in one transaction."""

import hashlib
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import translation

from huikuan.customers.models import Customer
from huikuan.demo import seed as seed_module
from huikuan.demo.seed import seed_demo
from huikuan.demo.tests.test_seed_demo import SMALL
from huikuan.dunning.models import (
    MALICIOUS_REASONS,
    Activity,
    ApprovalRequest,
    ApprovalStatus,
    Case,
    CollectionProfile,
    DailyRun,
    Dispute,
    InterruptionKind,
    LimitationEvent,
    Promise,
    PromiseStatus,
    Reason,
    Task,
    TaskSource,
    TaskStatus,
)
from huikuan.dunning.playbook import TECHNIQUES
from huikuan.dunning.run import dunning_run
from huikuan.dunning.workdays import WorkCalendar
from huikuan.ledger.models import Payment, PaymentKind
from huikuan.org.models import Role, User

AS_OF = date(2026, 6, 30)
GOVERNMENT = {Reason.GOV_APPROVAL, Reason.GOV_ACCEPTANCE, Reason.GOV_BUDGET}
SLOW = {Reason.TOO_MUCH_STOCK, Reason.SEASON_OVER, Reason.CASH_ELSEWHERE, Reason.LOW_MARGIN}


@pytest.fixture(autouse=True)
def fast_passwords_and_english(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def seeded(db):
    return seed_demo(seed=11, as_of=AS_OF, customers=40, receivables=1600)


def paid(customer_id: int, first: date, last: date):
    return (
        Payment.objects.filter(
            customer_id=customer_id,
            kind=PaymentKind.PAYMENT,
            reversal__isnull=True,
            received_on__gte=first,
            received_on__lte=last,
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )


def test_every_rep_with_a_case_has_work_on_todays_list(seeded):
    reps = User.objects.filter(
        role=Role.REP, customers__cases__closed_on__isnull=True, customers__activities__isnull=False
    ).distinct()
    assert reps.count() >= 6
    for rep in reps:
        today = Task.objects.filter(assignee=rep, status=TaskStatus.OPEN, due_on__lte=AS_OF)
        assert today.exists(), rep.username
    assert DailyRun.objects.filter(as_of=AS_OF).exists()
    assert dunning_run(as_of=AS_OF).already_done


def test_what_customers_say_fits_how_they_behave(seeded):
    behaviour = {plan.id: (plan.behaviour, plan.public) for plan in seeded.plans}
    said: dict[str, set] = {}
    for customer_id, reason in Activity.objects.values_list("customer_id", "reason"):
        kind, public = behaviour[customer_id]
        key = "government" if public and kind != "disputed" else kind
        said.setdefault(key, set()).add(reason)
    assert said["malicious"] - {""} <= set(MALICIOUS_REASONS)
    assert said["malicious"] & set(MALICIOUS_REASONS)
    assert said["slow"] - {""} <= SLOW
    assert said["government"] - {""} <= GOVERNMENT
    assert said["hardship"] - {""} <= {Reason.CASH_TROUBLE, Reason.CASH_ELSEWHERE}
    channels = set(Activity.objects.values_list("channel", flat=True))
    assert {"call", "visit", "wechat", "letter"} <= channels


def test_techniques_come_from_the_playbook(seeded):
    codes = {t.code for t in TECHNIQUES}
    used = Counter(Activity.objects.exclude(technique="").values_list("technique", flat=True))
    assert len(used) >= 5
    assert set(used) <= codes


def test_promises_agree_with_the_payments_in_the_ledger(seeded):
    statuses = Counter(Promise.objects.values_list("status", flat=True))
    assert statuses[PromiseStatus.KEPT] and statuses[PromiseStatus.BROKEN]
    assert statuses[PromiseStatus.OPEN] >= 2
    for promise in Promise.objects.filter(status=PromiseStatus.KEPT):
        assert promise.settled_on <= promise.due_on
        assert paid(promise.customer_id, promise.made_on, promise.settled_on) >= promise.amount
    for promise in Promise.objects.filter(status=PromiseStatus.BROKEN):
        assert promise.settled_on == promise.due_on + timedelta(days=1)
        assert paid(promise.customer_id, promise.made_on, promise.due_on) < promise.amount
        assert Task.objects.filter(key=f"broken:{promise.pk}", customer=promise.customer).exists()
    short = []
    for promise in Promise.objects.filter(status=PromiseStatus.OPEN):
        assert promise.due_on >= AS_OF
        so_far = paid(promise.customer_id, promise.made_on, AS_OF)
        assert so_far < promise.amount
        if so_far:
            short.append(promise)
    assert len(short) == 1


def test_broken_promises_lower_the_customers_standing(seeded):
    broken = Counter(
        Promise.objects.filter(status=PromiseStatus.BROKEN).values_list("customer_id", flat=True)
    )
    assert broken
    for customer_id, count in broken.items():
        profile = CollectionProfile.objects.get(customer_id=customer_id)
        assert (profile.broken_promises, profile.standing) == (count, -count)
    assert CollectionProfile.objects.filter(sell_through_days__gt=0).exists()


def test_disputes_open_and_resolved_point_at_the_customers_own_items(seeded):
    open_ = Dispute.objects.filter(resolved_on__isnull=True)
    resolved = Dispute.objects.filter(resolved_on__isnull=False)
    assert open_.exists() and resolved.exists()
    for dispute in Dispute.objects.all():
        items = list(dispute.receivables.all())
        assert items and all(r.customer_id == dispute.customer_id for r in items)
        assert dispute.owner_id == dispute.customer.owner_id
    for dispute in open_:
        assert all(r.outstanding > 0 for r in dispute.receivables.all())
    for dispute in resolved:
        assert dispute.resolution and dispute.resolved_on >= dispute.opened_on


def test_managers_have_decided_some_requests_and_others_wait(seeded):
    by_hand = ApprovalRequest.objects.filter(key__startswith="manual:")
    assert by_hand.filter(status=ApprovalStatus.PENDING).exists()
    decided = by_hand.exclude(status=ApprovalStatus.PENDING)
    assert decided.filter(status=ApprovalStatus.APPROVED).exists()
    assert decided.filter(status=ApprovalStatus.REJECTED).exists()
    for approval in decided:
        assert approval.decided_by == approval.customer.owner.manager
        assert approval.decided_by.role == Role.MANAGER
    measure = decided.get(status=ApprovalStatus.APPROVED, kind="measure")
    assert measure.task.status == TaskStatus.DONE
    assert measure.task.activities.get().is_written_demand


def test_written_demands_and_confirmations_restart_the_limitation_clock(seeded):
    demands = Activity.objects.filter(is_written_demand=True)
    assert demands.exists()
    for activity in demands:
        assert activity.channel == "letter"
        event = LimitationEvent.objects.get(activity=activity)
        assert event.kind == InterruptionKind.WRITTEN_DEMAND
        assert event.happened_on == activity.happened_on
    assert LimitationEvent.objects.filter(kind=InterruptionKind.CONFIRMATION).exists()


def test_follow_ups_are_the_tasks_activity_log_would_have_made(seeded):
    calendar = WorkCalendar.load()
    follow_ups = Task.objects.filter(source=TaskSource.FOLLOW_UP)
    assert follow_ups.filter(status=TaskStatus.DONE).exists()
    for task in follow_ups:
        activity = Activity.objects.get(pk=int(task.key.removeprefix("follow:")))
        assert activity.customer_id == task.customer_id and activity.next_step
        assert task.due_on == calendar.next_workday(activity.next_step_on)
        assert task.assignee_id == task.customer.owner_id
        if task.status == TaskStatus.DONE:
            done_by = task.activities.get()
            assert done_by.happened_on >= task.due_on > activity.happened_on


def test_activities_belong_to_the_case_open_on_their_day(seeded):
    for activity in Activity.objects.select_related("case"):
        case = activity.case
        assert case.customer_id == activity.customer_id
        assert case.opened_on <= activity.happened_on <= AS_OF
        assert case.closed_on is None or activity.happened_on < case.closed_on
    assert Case.objects.filter(closed_on__isnull=False).exists()


def digest() -> str:
    rows = list(
        Activity.objects.order_by("customer__code", "happened_on", "channel", "note").values_list(
            "customer__code", "happened_on", "channel", "outcome", "reason", "technique", "note"
        )
    ) + list(
        Promise.objects.order_by("customer__code", "made_on").values_list(
            "customer__code", "made_on", "due_on", "amount", "status"
        )
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_same_seed_gives_the_same_collection_history(db):
    results = []
    for _attempt in range(2):
        with transaction.atomic():
            seed_demo(seed=5, as_of=AS_OF, **SMALL)
            results.append(digest())
            transaction.set_rollback(True)
    assert results[0] == results[1]
    assert Activity.objects.count() == 0


def test_a_failing_daily_run_leaves_nothing_behind(db, monkeypatch):
    def broken_run(**kwargs):
        raise RuntimeError("daily run failed")

    monkeypatch.setattr(seed_module, "run_daily", broken_run)
    with pytest.raises(RuntimeError, match="daily run failed"):
        seed_demo(seed=5, as_of=AS_OF, **SMALL)
    assert not Customer.objects.exists()
    assert not Activity.objects.exists() and not Promise.objects.exists()
