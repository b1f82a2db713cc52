"""Every write a person makes in collection work: logging a contact, recording a promise, opening
and resolving a dispute, asking for and deciding an approval, posting an approved write-off,
finishing a task, recording a limitation-period event and editing a collection profile.

Each service is atomic, checks everything before it writes (a refusal is ``invalid(field, …)``
and leaves the database as it was), runs ``full_clean()`` before saving and writes an audit line
for each change of status, money or decision. The daily run lives in ``run.py``.
"""

from datetime import date
from decimal import Decimal
from uuid import uuid4

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO, MoneyError, to_decimal
from huikuan.customers.models import Contact, Customer
from huikuan.customers.selectors import customers_visible_to
from huikuan.ledger.models import Receivable, WriteOff
from huikuan.org.models import Role

from . import playbook
from .models import (
    Action,
    Activity,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Case,
    Channel,
    CollectionProfile,
    Dispute,
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
from .workdays import WorkCalendar

DECIDERS = {Role.MANAGER, Role.ADMIN}
POSTERS = {Role.FINANCE, Role.ADMIN}
# The task a follow-up becomes, by the channel of the contact that planned it.
FOLLOW_UP_ACTION = {Channel.CALL: Action.CALL, Channel.VISIT: Action.VISIT}
WRITTEN_CHANNELS = (Channel.LETTER, Channel.EMAIL)


# --- Small shared rules ---------------------------------------------------------------------------


def _actor(actor):
    """The user to store as creator: ``None`` for the system or an unsaved object."""
    return actor if getattr(actor, "pk", None) else None


def _money(field: str, value) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise invalid(field, _("Not an amount: %(value)s.") % {"value": value}) from None
    if amount <= ZERO:
        raise invalid(field, _("The amount must be greater than zero."))
    return amount


def _text(value) -> str:
    return (value or "").strip()


def _choice(field: str, value: str, choices) -> str:
    if value not in choices.values:
        raise invalid(field, _("Unknown value: %(value)s.") % {"value": value})
    return value


def _open_case(customer) -> Case | None:
    return Case.objects.filter(customer=customer, closed_on__isnull=True).first()


def _has_role(user, roles) -> bool:
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in roles)


def _can_see(user, customer) -> bool:
    return customers_visible_to(user).filter(pk=customer.pk).exists()


def overdue_outstanding(customer, on: date) -> Decimal:
    """What ``customer`` owes that fell due before ``on`` (as posted)."""
    total = Receivable.objects.filter(
        customer=customer, outstanding__gt=0, due_date__lt=on
    ).aggregate(s=Sum("outstanding"))["s"]
    return total if total is not None else ZERO


def _overdue_receivable_ids(customer, on: date) -> list[int]:
    return list(
        Receivable.objects.filter(customer=customer, outstanding__gt=0, due_date__lt=on)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)
    )


def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def _close_task(task: Task, *, actor, status: str, note: str, action: str) -> Task:
    """Lock an open task and mark it done or cancelled; refuse one that is not open."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise invalid("task", _("This task is no longer open."))
    before = {"status": task.status}
    task.status = status
    task.done_at = timezone.now()
    task.done_by = _actor(actor)
    if note:
        task.note = (f"{task.note} / {note}" if task.note else note)[:255]
    _save(task)
    audit_record(
        actor=actor,
        action=action,
        obj=task,
        before=before,
        after={"status": task.status, "note": task.note},
    )
    return task


# --- Activities -------------------------------------------------------------------------------


@transaction.atomic
def activity_log(
    *,
    customer: Customer,
    actor,
    happened_on: date,
    channel: str,
    outcome: str,
    reason: str = "",
    technique: str = "",
    note: str = "",
    next_step: str = "",
    next_step_on: date | None = None,
    contact: Contact | None = None,
    task: Task | None = None,
    is_written_demand: bool = False,
    promise_amount=None,
    promise_due_on: date | None = None,
    promised_by: str = "",
    asked_to_delay: bool = False,
) -> Activity:
    """Record a contact with the customer and its answer (the paper trail), and what follows:

    * outcome "promised" needs an amount and a date and records the promise (replacing an open
      one); a promise date before the contact is refused;
    * an open task of this customer passed along becomes done;
    * a next-step date creates a follow-up task on the next working day on or after it, for the
      customer's owner rep;
    * a letter or email marked as a written demand restarts the limitation period;
    * ``asked_to_delay`` marks a request to delay or split the payment (an early-warning sign
      when a punctual payer keeps asking).
    """
    _choice("channel", channel, Channel)
    _choice("outcome", outcome, Outcome)
    reason = reason or ""
    _choice("reason", reason, Reason)
    technique = technique or ""
    if technique and playbook.technique(technique) is None:
        raise invalid("technique", _("Unknown technique: %(value)s.") % {"value": technique})
    if contact is not None and contact.customer_id != customer.pk:
        raise invalid("contact", _("This person works for another customer."))
    if task is not None and task.customer_id != customer.pk:
        raise invalid("task", _("This task belongs to another customer."))
    if next_step_on is not None and next_step_on < happened_on:
        raise invalid("next_step_on", _("The next step cannot be before the contact."))
    if is_written_demand and channel not in WRITTEN_CHANNELS:
        raise invalid("is_written_demand", _("Only a letter or an email can be a written demand."))
    amount = None
    if outcome == Outcome.PROMISED:
        if promise_amount in (None, ""):
            raise invalid("promise_amount", _("Say how much the customer promised to pay."))
        amount = _money("promise_amount", promise_amount)
        if promise_due_on is None:
            raise invalid("promise_due_on", _("Say by when the customer promised to pay."))
        if promise_due_on < happened_on:
            raise invalid("promise_due_on", _("The promised date cannot be before the contact."))

    case = _open_case(customer)
    activity = _save(
        Activity(
            customer=customer,
            case=case,
            task=task,
            contact=contact,
            happened_on=happened_on,
            channel=channel,
            outcome=outcome,
            reason=reason,
            technique=technique,
            is_written_demand=bool(is_written_demand),
            asked_to_delay=bool(asked_to_delay),
            note=_text(note),
            next_step=_text(next_step)[:255],
            next_step_on=next_step_on,
            created_by=_actor(actor),
        )
    )
    audit_record(actor=actor, action="activity.log", obj=activity, after=snapshot(activity))

    if amount is not None:
        promise_record(
            customer=customer,
            actor=actor,
            amount=amount,
            due_on=promise_due_on,
            promised_by=_text(promised_by) or (contact.name if contact else ""),
            made_on=happened_on,
            activity=activity,
        )
    if task is not None and task.status == TaskStatus.OPEN:
        _close_task(task, actor=actor, status=TaskStatus.DONE, note="", action="task.complete")
    if next_step_on is not None:
        follow_up = _save(
            Task(
                key=f"follow:{activity.pk}",
                customer=customer,
                case=case,
                assignee=customer.owner or _actor(actor),
                due_on=WorkCalendar.load().next_workday(next_step_on),
                source=TaskSource.FOLLOW_UP,
                action=FOLLOW_UP_ACTION.get(channel, Action.REMINDER),
                amount=overdue_outstanding(customer, next_step_on),
                note=activity.next_step,
            )
        )
        audit_record(actor=actor, action="task.create", obj=follow_up, after=snapshot(follow_up))
    if is_written_demand:
        limitation_event_record(
            customer=customer,
            actor=actor,
            kind=InterruptionKind.WRITTEN_DEMAND,
            happened_on=happened_on,
            evidence=f"activity #{activity.pk}",
            activity=activity,
        )
    return activity


# --- Promises ----------------------------------------------------------------------------------


@transaction.atomic
def promise_record(
    *,
    customer: Customer,
    actor,
    amount,
    due_on: date,
    promised_by: str,
    made_on: date,
    activity: Activity | None = None,
) -> Promise:
    """Record a promise to pay ``amount`` by ``due_on``. The customer's open promise, if any, is
    replaced by it (one open promise per customer). The amount must be positive and the date
    not before the day the promise was made."""
    amount = _money("amount", amount)
    if due_on is None:
        raise invalid("due_on", _("Say by when the customer promised to pay."))
    if due_on < made_on:
        raise invalid("due_on", _("The promised date cannot be before the day it was made."))
    promised_by = _text(promised_by)
    if not promised_by:
        raise invalid("promised_by", _("Say who made the promise."))
    if activity is not None and activity.customer_id != customer.pk:
        raise invalid("activity", _("This activity belongs to another customer."))
    promise = Promise(
        customer=customer,
        case=_open_case(customer),
        activity=activity,
        amount=amount,
        made_on=made_on,
        due_on=due_on,
        promised_by=promised_by[:64],
        created_by=_actor(actor),
    )
    promise.full_clean(exclude=["customer"])  # the open promise is replaced below

    previous = (
        Promise.objects.select_for_update()
        .filter(customer=customer, status=PromiseStatus.OPEN)
        .first()
    )
    if previous is not None:
        previous.status = PromiseStatus.REPLACED
        previous.settled_on = made_on
        previous.save(update_fields=["status", "settled_on"])
        audit_record(
            actor=actor,
            action="promise.replace",
            obj=previous,
            before={"status": PromiseStatus.OPEN},
            after={"status": PromiseStatus.REPLACED, "settled_on": made_on},
        )
    promise.save()
    audit_record(actor=actor, action="promise.record", obj=promise, after=snapshot(promise))
    return promise


# --- Disputes -------------------------------------------------------------------------------------


@transaction.atomic
def dispute_open(
    *,
    customer: Customer,
    actor,
    receivables,
    reason: str,
    description: str,
    owner,
    opened_on: date,
) -> Dispute:
    """Open a dispute about some of the customer's open receivables; dunning pauses for them
    until it is resolved. The owner who is to resolve it must be able to see the customer."""
    receivables = list(receivables or [])
    if not receivables:
        raise invalid("receivables", _("Choose the receivables the dispute is about."))
    ids = {getattr(r, "pk", r) for r in receivables}
    rows = list(Receivable.objects.filter(pk__in=ids))
    if len(rows) != len(ids) or any(r.customer_id != customer.pk for r in rows):
        raise invalid("receivables", _("Every receivable must be one of this customer's."))
    closed = [r.number for r in rows if r.outstanding <= ZERO]
    if closed:
        raise invalid(
            "receivables",
            _("Nothing is outstanding on %(numbers)s.") % {"numbers": ", ".join(sorted(closed))},
        )
    _choice("reason", reason, DisputeReason)
    description = _text(description)
    if not description:
        raise invalid("description", _("Describe what the customer disagrees with."))
    if owner is None:
        raise invalid("owner", _("Choose who is to resolve the dispute."))
    if not _can_see(owner, customer):
        raise invalid("owner", _("%(user)s cannot see this customer.") % {"user": owner})
    dispute = _save(
        Dispute(
            customer=customer,
            reason=reason,
            description=description,
            owner=owner,
            opened_on=opened_on,
            created_by=_actor(actor),
        )
    )
    dispute.receivables.set(rows)
    audit_record(
        actor=actor,
        action="dispute.open",
        obj=dispute,
        after={**snapshot(dispute), "receivables": sorted(ids)},
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute: Dispute, actor, resolved_on: date, resolution: str) -> Dispute:
    """Resolve an open dispute with a written resolution, on or after the day it was opened;
    dunning resumes for its receivables."""
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if not dispute.is_open:
        raise invalid("dispute", _("This dispute is already resolved."))
    resolution = _text(resolution)
    if not resolution:
        raise invalid("resolution", _("Say how the dispute was resolved."))
    if resolved_on is None or resolved_on < dispute.opened_on:
        raise invalid(
            "resolved_on",
            _("The dispute cannot be resolved before it was opened on %(date)s.")
            % {"date": dispute.opened_on.isoformat()},
        )
    dispute.resolved_on = resolved_on
    dispute.resolution = resolution
    _save(dispute)
    audit_record(
        actor=actor,
        action="dispute.resolve",
        obj=dispute,
        before={"resolved_on": None},
        after={"resolved_on": resolved_on, "resolution": resolution},
    )
    return dispute


# --- Approvals ------------------------------------------------------------------------------------


@transaction.atomic
def approval_request(
    *,
    customer: Customer,
    actor,
    kind: str,
    reason: str,
    requested_on: date,
    action: str = "",
    receivable: Receivable | None = None,
    amount=None,
) -> ApprovalRequest:
    """Ask a manager, by hand, for a hard measure (an action of the ladder) or for a write-off.

    A write-off names one of the customer's receivables with something outstanding; its amount
    defaults to that outstanding and may not exceed it.
    """
    _choice("kind", kind, ApprovalKind)
    reason = _text(reason)
    if not reason:
        raise invalid("reason", _("Say why this is needed."))
    value = ZERO
    if kind == ApprovalKind.MEASURE:
        if not action:
            raise invalid("action", _("Choose the measure to take."))
        _choice("action", action, Action)
        receivable = None
    else:
        action = ""
        if receivable is None:
            raise invalid("receivable", _("Choose the receivable to write off."))
        if receivable.customer_id != customer.pk:
            raise invalid("receivable", _("The receivable belongs to another customer."))
        receivable = Receivable.objects.get(pk=receivable.pk)
        if receivable.outstanding <= ZERO:
            raise invalid(
                "receivable",
                _("%(number)s has nothing outstanding.") % {"number": receivable.number},
            )
        value = receivable.outstanding
        if amount not in (None, ""):
            value = _money("amount", amount)
            if value > receivable.outstanding:
                raise invalid(
                    "amount",
                    _("Only %(amount)s is outstanding on %(number)s.")
                    % {"amount": receivable.outstanding, "number": receivable.number},
                )
    case = _open_case(customer)
    approval = _save(
        ApprovalRequest(
            key=f"manual:{uuid4().hex}",
            kind=kind,
            customer=customer,
            case=case,
            action=action,
            receivable=receivable,
            amount=value,
            reason=reason,
            requested_on=requested_on,
            requested_by=_actor(actor),
        )
    )
    audit_record(actor=actor, action="approval.request", obj=approval, after=snapshot(approval))
    return approval


@transaction.atomic
def approval_decide(
    *, approval: ApprovalRequest, actor, approve: bool, note: str, on: date
) -> ApprovalRequest:
    """A manager (or an administrator) who can see the customer approves or rejects a pending
    request; a rejection must say why. An approved measure becomes a task for the customer's
    owner rep on the next working day on or after ``on``, at the overdue amount of that day."""
    approval = (
        ApprovalRequest.objects.select_for_update().select_related("customer").get(pk=approval.pk)
    )
    if not _has_role(actor, DECIDERS):
        raise invalid("actor", _("Only a manager or an administrator may decide approvals."))
    if not _can_see(actor, approval.customer):
        raise invalid("actor", _("You cannot see this customer."))
    if approval.status != ApprovalStatus.PENDING:
        raise invalid("approval", _("This request has already been decided."))
    note = _text(note)
    if not approve and not note:
        raise invalid("note", _("Say why the request is rejected."))
    before = {"status": approval.status}
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by = actor
    approval.decided_at = timezone.now()
    approval.decision_note = note
    if approve and approval.kind == ApprovalKind.MEASURE:
        customer = approval.customer
        task = _save(
            Task(
                key=f"approved:{approval.pk}",
                customer=customer,
                case=_open_case(customer),
                assignee=customer.owner,
                due_on=WorkCalendar.load().next_workday(on),
                source=TaskSource.APPROVED,
                action=approval.action,
                level=approval.level,
                amount=overdue_outstanding(customer, on),
                receivables=_overdue_receivable_ids(customer, on),
                note=approval.reason[:255],
            )
        )
        audit_record(actor=actor, action="task.create", obj=task, after=snapshot(task))
        approval.task = task
    _save(approval)
    audit_record(
        actor=actor,
        action="approval.approve" if approve else "approval.reject",
        obj=approval,
        before=before,
        after={"status": approval.status, "note": note, "task": approval.task_id},
    )
    return approval


@transaction.atomic
def approval_write_off_post(*, approval: ApprovalRequest, actor, on: date) -> WriteOff:
    """Finance (or an administrator) posts an approved write-off, once: the receivable's
    outstanding balance is written off on ``on`` with the request's reason."""
    approval = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
    if not _has_role(actor, POSTERS):
        raise invalid("actor", _("Only finance or an administrator may post a write-off."))
    if approval.kind != ApprovalKind.WRITE_OFF:
        raise invalid("approval", _("This request is not a write-off."))
    if approval.status != ApprovalStatus.APPROVED:
        raise invalid("approval", _("This write-off has not been approved."))
    if approval.write_off_id is not None:
        raise invalid("approval", _("This write-off has already been posted."))
    from huikuan.ledger.services import receivable_write_off

    write_off = receivable_write_off(
        receivable=approval.receivable, on=on, reason=approval.reason, actor=actor
    )
    approval.write_off = write_off
    approval.save(update_fields=["write_off"])
    audit_record(
        actor=actor,
        action="approval.post",
        obj=approval,
        before={"write_off": None},
        after={"write_off": write_off.pk, "amount": write_off.amount},
    )
    return write_off


# --- Tasks -------------------------------------------------------------------------------------


@transaction.atomic
def task_complete(*, task: Task, actor, on: date, note: str = "") -> Task:
    """Mark an open task done (by ``actor``, on ``on``); a task that is done or cancelled is
    refused."""
    note = _text(note)
    if note:
        note = _("%(date)s: %(note)s") % {"date": on.isoformat(), "note": note}
    return _close_task(task, actor=actor, status=TaskStatus.DONE, note=note, action="task.complete")


@transaction.atomic
def task_cancel(*, task: Task, actor, note: str) -> Task:
    """Cancel an open task, saying why."""
    note = _text(note)
    if not note:
        raise invalid("note", _("Say why the task is cancelled."))
    return _close_task(
        task, actor=actor, status=TaskStatus.CANCELLED, note=note, action="task.cancel"
    )


# --- Limitation period and profile --------------------------------------------------------------


@transaction.atomic
def limitation_event_record(
    *,
    customer: Customer,
    actor,
    kind: str,
    happened_on: date,
    evidence: str,
    activity: Activity | None = None,
) -> LimitationEvent:
    """Record a written demand or a signed balance confirmation: the three-year limitation period
    of the customer's receivables due by that day starts again from it. Evidence is required."""
    _choice("kind", kind, InterruptionKind)
    evidence = _text(evidence)
    if not evidence:
        raise invalid("evidence", _("Say where the proof is kept."))
    if happened_on is None:
        raise invalid("happened_on", _("Give the date."))
    if activity is not None and activity.customer_id != customer.pk:
        raise invalid("activity", _("This activity belongs to another customer."))
    event = _save(
        LimitationEvent(
            customer=customer,
            kind=kind,
            happened_on=happened_on,
            evidence=evidence[:255],
            activity=activity,
            created_by=_actor(actor),
        )
    )
    audit_record(actor=actor, action="limitation.record", obj=event, after=snapshot(event))
    return event


@transaction.atomic
def profile_update(
    *, customer: Customer, actor, sell_through_days=None, policy: DunningPolicy | None = None
) -> CollectionProfile:
    """Set the customer's sell-through pace and the ladder chosen by hand (``None`` clears
    either: the segment's ladder and no estimate). A policy must be active."""
    if sell_through_days is not None:
        try:
            sell_through_days = int(sell_through_days)
        except (TypeError, ValueError):
            raise invalid("sell_through_days", _("Give a whole number of days.")) from None
        if sell_through_days < 1:
            raise invalid("sell_through_days", _("Give at least one day."))
    if policy is not None and not policy.is_active:
        raise invalid("policy", _("This dunning policy is not active."))
    profile, _created = CollectionProfile.objects.select_for_update().get_or_create(
        customer=customer
    )
    before = {"policy": profile.policy_id, "sell_through_days": profile.sell_through_days}
    profile.sell_through_days = sell_through_days
    profile.policy = policy
    _save(profile)
    after = {"policy": profile.policy_id, "sell_through_days": profile.sell_through_days}
    if before != after:
        audit_record(
            actor=actor, action="collection_profile.update", obj=profile, before=before, after=after
        )
    return profile
