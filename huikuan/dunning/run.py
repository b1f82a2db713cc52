"""The daily run: from the ledger's state on a date to the day's actions.

``dunning_run(as_of=D)`` does, in one transaction:

1. **Promises** — an open promise is kept once the customer's payments since it was made reach
   its amount; on the day after its date, if they have not, it is broken: flagged, the customer's
   standing lowered, a firm follow-up task created and the customer's overdue items pushed one
   level up the ladder at once (escalation); a ``promise.broken`` event tells other systems.
2. **Ladder** — each open receivable climbs to the highest level of its customer's policy whose
   day has come (levels are days from the due date; negative days are reminders before it).
   Receivables in an open dispute stay where they are. One task per customer per working day
   covers all its items, at the highest level reached; a level that needs a manager raises an
   approval request instead (one per case and level).
3. **Cases and classes** — a customer with overdue money has an open case carrying its highest
   level and its class (货款五类); a case whose overdue money is gone is closed and its open
   dunning tasks cancelled.
4. **Limitation period** — warnings 180, 90 and 30 days before a receivable's claim expires.

Tasks are due on ``D`` or, when ``D`` is not a working day in the Chinese calendar, the next one.
The run writes a ``DailyRun`` row in the same transaction: a rerun for the same date finds it and
changes nothing, and a run killed half-way left nothing behind, so its rerun does the whole job.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from huikuan.core.bulk import insert_rows, insert_values
from huikuan.core.events import events_emit_many
from huikuan.core.models import EventKind
from huikuan.core.money import from_fen, money_str
from huikuan.customers.models import Customer
from huikuan.ledger.classes import class_thresholds, debt_class_for
from huikuan.ledger.models import Payment, PaymentKind, Receivable

from . import defaults
from .limitation import (
    PERIOD_YEARS,
    WARNING_DAYS,
    add_years,
    expires_on,
    interruptions_by_customer,
    warning_threshold,
)
from .models import (
    Action,
    ApprovalKind,
    ApprovalRequest,
    CalendarDay,
    Case,
    CollectionProfile,
    DailyRun,
    Dispute,
    DunningLevel,
    DunningPolicy,
    Promise,
    PromiseStatus,
    ReceivableDunning,
    Segment,
    Task,
    TaskSource,
    TaskStatus,
    Tone,
)
from .workdays import WorkCalendar

# The longest lead of any reminder we look ahead for (a level of -30 days is the most we expect).
MAX_LEAD_DAYS = 60
BATCH = 2000
NO_LEVEL = -1
# Tasks about overdue money: moot once it is paid.
CHASING = (TaskSource.DUNNING, TaskSource.PROMISE_BROKEN, TaskSource.APPROVED)


@dataclass
class RunResult:
    as_of: date
    already_done: bool = False
    cases_opened: int = 0
    cases_closed: int = 0
    classes_changed: int = 0
    levels_advanced: int = 0
    reminders_created: int = 0
    tasks_created: int = 0
    approvals_raised: int = 0
    promises_kept: int = 0
    promises_broken: int = 0
    limitation_warnings: int = 0
    tasks_cancelled: int = 0

    def counts(self) -> dict[str, int]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("as_of", "already_done")
        }


@dataclass
class _Item:
    """One open receivable as the run sees it."""

    pk: int
    customer_id: int
    due_date: date
    outstanding_fen: int
    level: int
    disputed: bool


@dataclass
class _Decision:
    """What the ladder decided for one customer today."""

    customer_id: int
    owner_id: int | None
    reminded: list = field(default_factory=list)
    advanced: list = field(default_factory=list)  # (item, level) pairs
    overdue: list = field(default_factory=list)
    level: int = 0
    debt_class: str = ""
    reminder_level: object = None


@dataclass
class _Ladder:
    policy_id: int
    levels: list  # DunningLevel rows ordered by days

    def reached(self, days_from_due: int) -> DunningLevel | None:
        best = None
        for level in self.levels:
            if level.days <= days_from_due:
                best = level
        return best

    def by_number(self, number: int) -> DunningLevel | None:
        return next((level for level in self.levels if level.number == number), None)

    def after(self, number: int) -> DunningLevel | None:
        """The next level up from ``number`` that is not a reminder before the due date."""
        return next((lv for lv in self.levels if lv.number > number and lv.days > 0), None)


def _ensure_setup() -> None:
    """The shipped ladders and the holiday table exist (a data migration seeds them; a database
    emptied since — by tests or an admin — gets them back)."""
    if not DunningPolicy.objects.filter(is_active=True, segment=Segment.DEFAULT).exists():
        defaults.policies_ensure(DunningPolicy, DunningLevel)
    if not CalendarDay.objects.exists():
        defaults.calendar_ensure(CalendarDay)


def _lock() -> None:
    """Serialise daily runs. SQLite's IMMEDIATE transactions already do; PostgreSQL takes a
    transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x48554B55])  # "HUKU"


def _ladders() -> tuple[dict[str, _Ladder], dict[int, _Ladder]]:
    by_policy: dict[int, _Ladder] = {}
    for level in DunningLevel.objects.filter(policy__is_active=True).order_by("days"):
        by_policy.setdefault(level.policy_id, _Ladder(level.policy_id, [])).levels.append(level)
    by_segment = {
        segment: by_policy[pk]
        for pk, segment in DunningPolicy.objects.filter(is_active=True).values_list("pk", "segment")
        if pk in by_policy
    }
    return by_segment, by_policy


class _Run:
    def __init__(self, as_of: date, progress: Callable[[str], None] | None):
        self.as_of = as_of
        self.result = RunResult(as_of=as_of)
        self.progress = progress or (lambda step: None)
        self.calendar = WorkCalendar.load()
        self.task_day = self.calendar.next_workday(as_of)
        self.by_segment, self.by_policy = _ladders()
        self.overrides = dict(
            CollectionProfile.objects.filter(policy__isnull=False).values_list(
                "customer_id", "policy_id"
            )
        )
        self.escalate: set[int] = set()  # customers whose promise broke today
        self.new_tasks: list[Task] = []

    # --- helpers ------------------------------------------------------------------------------

    def ladder_for(self, customer_id: int, is_government: bool) -> _Ladder | None:
        override = self.overrides.get(customer_id)
        if override in self.by_policy:
            return self.by_policy[override]
        if is_government and Segment.GOVERNMENT in self.by_segment:
            return self.by_segment[Segment.GOVERNMENT]
        return self.by_segment.get(Segment.DEFAULT)

    def add_task(self, **kwargs) -> None:
        self.new_tasks.append(Task(due_on=self.task_day, **kwargs))

    # --- steps --------------------------------------------------------------------------------

    def load_items(self) -> None:
        """Open receivables due by the furthest reminder horizon, with their level so far."""
        horizon = self.as_of + timedelta(days=MAX_LEAD_DAYS)
        disputed = set(
            Dispute.receivables.through.objects.filter(dispute__opened_on__lte=self.as_of)
            .filter(Q(dispute__resolved_on__isnull=True) | Q(dispute__resolved_on__gt=self.as_of))
            .values_list("receivable_id", flat=True)
        )
        query = (
            Receivable.objects.filter(
                outstanding__gt=0, due_date__lte=horizon, issue_date__lte=self.as_of
            )
            .order_by()
            .values_list("pk", "customer_id", "due_date", "outstanding", "dunning__level")
        )
        # Read straight from the cursor: outstanding stays integer fen, and a million rows skip
        # the ORM's per-value conversions.
        sql, params = query.query.sql_with_params()
        self.items_by_customer: dict[int, list[_Item]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(10_000):
                for pk, customer_id, due, fen, level in rows:
                    self.items_by_customer[customer_id].append(
                        _Item(
                            pk,
                            customer_id,
                            due,
                            fen,
                            NO_LEVEL if level is None else level,
                            pk in disputed,
                        )
                    )
        self.customers = {
            pk: (owner_id, is_government, status, doubtful_since)
            for pk, owner_id, is_government, status, doubtful_since in Customer.objects.order_by()
            .values_list("pk", "owner_id", "is_government", "status", "doubtful_since")
            .iterator(chunk_size=10_000)
            if pk in self.items_by_customer
        }
        self.progress("load")

    def promises(self) -> None:
        """Settle open promises: kept when paid in full, broken the day after their date."""
        open_promises = list(
            Promise.objects.filter(status=PromiseStatus.OPEN, made_on__lte=self.as_of)
            .select_related("customer")
            .order_by("pk")
        )
        profiles = []
        broken_events = []
        for promise in open_promises:
            paid = (
                Payment.objects.filter(
                    customer_id=promise.customer_id,
                    kind=PaymentKind.PAYMENT,
                    reversal__isnull=True,
                    received_on__gte=promise.made_on,
                    received_on__lte=min(self.as_of, promise.due_on),
                ).aggregate(total=Sum("amount"))["total"]
                or 0
            )
            promise.paid = paid
            if paid >= promise.amount:
                promise.status = PromiseStatus.KEPT
                promise.settled_on = self.as_of
                self.result.promises_kept += 1
            elif self.as_of > promise.due_on:
                promise.status = PromiseStatus.BROKEN
                promise.settled_on = self.as_of
                self.result.promises_broken += 1
                self.escalate.add(promise.customer_id)
                profiles.append(promise.customer_id)
                broken_events.append(_broken_event(promise, self.as_of))
                self.add_task(
                    key=f"broken:{promise.pk}",
                    customer_id=promise.customer_id,
                    assignee_id=promise.customer.owner_id,
                    source=TaskSource.PROMISE_BROKEN,
                    action=Action.CALL,
                    tone=Tone.FIRM,
                    amount=promise.amount - paid,
                    note=_("Promise of %(amount)s by %(day)s was broken (paid %(paid)s).")
                    % {
                        "amount": promise.amount,
                        "day": promise.due_on.isoformat(),
                        "paid": paid,
                    },
                )
            else:
                continue
            promise.save(update_fields=["paid", "status", "settled_on"])
        for customer_id in profiles:
            profile, _created = CollectionProfile.objects.get_or_create(customer_id=customer_id)
            profile.standing -= 1
            profile.broken_promises += 1
            profile.save(update_fields=["standing", "broken_promises"])
        events_emit_many(broken_events)  # for other systems (webhooks): one statement
        self.progress("promises")

    def ladder(self) -> None:
        """Climb the ladder and decide, per customer, the day's one contact (or approval)."""
        thresholds = class_thresholds()
        states: list[ReceivableDunning] = []  # receivables that had a level: updated
        first_levels: list[tuple] = []  # receivables getting their first level: plain inserts
        self.decisions: list[_Decision] = []
        for customer_id, items in self.items_by_customer.items():
            owner_id, is_government, status, doubtful_since = self.customers[customer_id]
            ladder = self.ladder_for(customer_id, is_government)
            if ladder is None:
                continue
            decision = _Decision(customer_id, owner_id)
            for item in items:
                if item.disputed:
                    continue
                target = ladder.reached((self.as_of - item.due_date).days)
                if customer_id in self.escalate and item.due_date < self.as_of:
                    bumped = ladder.after(max(item.level, target.number if target else NO_LEVEL))
                    if bumped is not None:
                        target = bumped
                if target is None or target.number <= item.level:
                    continue
                if item.level == NO_LEVEL:
                    first_levels.append((item.pk, customer_id, target.number, self.as_of))
                else:
                    states.append(
                        ReceivableDunning(
                            receivable_id=item.pk,
                            customer_id=customer_id,
                            level=target.number,
                            level_on=self.as_of,
                        )
                    )
                item.level = target.number
                if target.days < 0:
                    decision.reminded.append(item)
                else:
                    decision.advanced.append((item, target))
            decision.overdue = [item for item in items if item.due_date < self.as_of]
            decision.level = max((item.level for item in decision.overdue), default=0)
            decision.debt_class = _debt_class(
                decision.overdue, status, self.as_of, thresholds, doubtful_since
            )
            if decision.reminded and not decision.advanced:
                decision.reminder_level = ladder.by_number(decision.reminded[0].level)
            self.decisions.append(decision)
        insert_rows(
            ReceivableDunning, states, conflict="receivable_id", update=("level", "level_on")
        )
        insert_values(
            ReceivableDunning, ("receivable", "customer", "level", "level_on"), first_levels
        )
        self.progress("ladder")

    def cases(self) -> None:
        """A customer with overdue money has an open case carrying its level and class."""
        self.open_cases = {
            case.customer_id: case for case in Case.objects.filter(closed_on__isnull=True)
        }
        new, changed = [], []
        for decision in self.decisions:
            if not decision.overdue:
                continue
            level = max(decision.level, 0)
            case = self.open_cases.get(decision.customer_id)
            if case is None:
                new.append(
                    Case(
                        customer_id=decision.customer_id,
                        opened_on=self.as_of,
                        level=level,
                        debt_class=decision.debt_class,
                    )
                )
            elif case.level != level or case.debt_class != decision.debt_class:
                if case.debt_class != decision.debt_class:
                    self.result.classes_changed += 1
                case.level, case.debt_class = level, decision.debt_class
                changed.append(case)
        Case.objects.bulk_create(new, batch_size=BATCH)
        Case.objects.bulk_update(changed, ["level", "debt_class"], batch_size=BATCH)
        self.result.cases_opened = len(new)
        if new:
            self.open_cases = {
                case.customer_id: case for case in Case.objects.filter(closed_on__isnull=True)
            }
        self.overdue_customers = {d.customer_id for d in self.decisions if d.overdue}
        self.progress("cases")

    def contacts(self) -> None:
        """One task per customer per working day at its highest new level — or, when that level
        needs a manager, one approval request per case and level."""
        approvals: list[ApprovalRequest] = []
        for decision in self.decisions:
            customer_id, case = decision.customer_id, self.open_cases.get(decision.customer_id)
            overdue_fen = sum(item.outstanding_fen for item in decision.overdue)
            if decision.advanced:
                self.result.levels_advanced += len(decision.advanced)
                top = max((level for _item, level in decision.advanced), key=lambda lv: lv.days)
                if top.needs_approval:
                    approvals.append(self.approval(decision, top, case, overdue_fen))
                else:
                    self.add_task(
                        key=f"dun:{customer_id}:{self.task_day.isoformat()}",
                        customer_id=customer_id,
                        case=case,
                        assignee_id=decision.owner_id,
                        source=TaskSource.DUNNING,
                        action=top.action,
                        level=top.number,
                        tone=top.tone,
                        amount=from_fen(overdue_fen),
                        receivables=[item.pk for item in decision.overdue if not item.disputed],
                    )
            elif decision.reminder_level is not None:
                level = decision.reminder_level
                self.add_task(
                    key=f"rem:{customer_id}:{self.task_day.isoformat()}",
                    customer_id=customer_id,
                    assignee_id=decision.owner_id,
                    source=TaskSource.REMINDER,
                    action=level.action,
                    level=level.number,
                    tone=level.tone,
                    amount=from_fen(sum(item.outstanding_fen for item in decision.reminded)),
                    receivables=[item.pk for item in decision.reminded],
                )
        existing = _existing(ApprovalRequest, [a.key for a in approvals])
        fresh = [a for a in approvals if a.key not in existing]
        insert_rows(ApprovalRequest, fresh)
        self.result.approvals_raised = len(fresh)
        self.progress("contacts")

    def approval(self, decision, level, case, overdue_fen: int) -> ApprovalRequest:
        oldest = max((self.as_of - item.due_date).days for item in decision.overdue)
        amount = from_fen(overdue_fen)
        opened = case.opened_on if case else self.as_of
        return ApprovalRequest(
            # Customer and opening date name the case without its id, which a rolled-back run
            # may have consumed on PostgreSQL: a rerun then writes exactly what a clean run would.
            key=f"level:{decision.customer_id}:{opened:%Y%m%d}:{level.number}",
            kind=ApprovalKind.MEASURE,
            customer_id=decision.customer_id,
            case=case,
            action=level.action,
            level=level.number,
            amount=amount,
            reason=_(
                "Dunning level %(level)s (%(action)s): %(count)s overdue items, %(amount)s, "
                "the oldest %(days)s days past due."
            )
            % {
                "level": level.number,
                "action": level.get_action_display(),
                "count": len(decision.overdue),
                "amount": amount,
                "days": oldest,
            },
            requested_on=self.as_of,
        )

    def close_cases(self) -> None:
        """Close the cases whose overdue money is gone; cancel what they still had to do."""
        closing = [
            case
            for customer_id, case in self.open_cases.items()
            if customer_id not in self.overdue_customers
        ]
        for case in closing:
            case.closed_on = self.as_of
        Case.objects.bulk_update(closing, ["closed_on"], batch_size=BATCH)
        self.result.cases_closed = len(closing)
        if closing:
            closed = [case.customer_id for case in closing]
            stale = Task.objects.filter(customer_id__in=closed, status=TaskStatus.OPEN)
            cancel = set(stale.filter(source__in=CHASING).values_list("pk", flat=True))
            # A reminder goes too once everything it was about is paid.
            for pk, receivables in stale.filter(source=TaskSource.REMINDER).values_list(
                "pk", "receivables"
            ):
                if not Receivable.objects.filter(pk__in=receivables, outstanding__gt=0).exists():
                    cancel.add(pk)
            self.result.tasks_cancelled += Task.objects.filter(pk__in=cancel).update(
                status=TaskStatus.CANCELLED
            )
        self.progress("cases_closed")

    def limitation(self) -> None:
        """Warn 180, 90 and 30 days before an open receivable's claim expires."""
        # A claim expires no sooner than three years after its due date.
        oldest = add_years(self.as_of + timedelta(days=max(WARNING_DAYS)), -PERIOD_YEARS)
        rows = list(
            Receivable.objects.filter(outstanding__gt=0, due_date__lte=oldest)
            .order_by()
            .values_list("pk", "customer_id", "due_date", "outstanding")
        )
        events = interruptions_by_customer({row[1] for row in rows}, self.as_of)
        warn: dict[tuple[int, int], list] = defaultdict(list)
        for pk, customer_id, due, outstanding in rows:
            expiry = expires_on(due, events.get(customer_id, ()))
            threshold = warning_threshold(expiry, self.as_of)
            if threshold is not None:
                warn[(customer_id, threshold)].append((pk, expiry, outstanding))
        owners = dict(
            Customer.objects.filter(pk__in={c for c, _t in warn}).values_list("pk", "owner_id")
        )
        for (customer_id, threshold), found in sorted(warn.items()):
            first = min(expiry for _pk, expiry, _amount in found)
            self.add_task(
                key=f"limit:{customer_id}:{threshold}:{first.isoformat()}",
                customer_id=customer_id,
                case=self.open_cases.get(customer_id),
                assignee_id=owners.get(customer_id),
                source=TaskSource.LIMITATION,
                action=Action.WRITTEN_NOTICE,
                tone=Tone.FORMAL,
                amount=sum((amount for _pk, _expiry, amount in found), Decimal(0)),
                receivables=[pk for pk, _expiry, _amount in found],
                note=_(
                    "The limitation period of %(count)s items ends on %(day)s: send a written "
                    "demand or get a signed balance confirmation before then."
                )
                % {"count": len(found), "day": first.isoformat()},
            )
        self.progress("limitation")

    def save_tasks(self) -> None:
        """Insert the day's tasks; one that exists already (same cause, same working day) is
        kept, raised to the new level when the ladder went further."""
        existing = _existing(Task, [task.key for task in self.new_tasks])
        fresh, raised = [], []
        for task in self.new_tasks:
            old = existing.get(task.key)
            if old is None:
                fresh.append(task)
                if task.source == TaskSource.REMINDER:
                    self.result.reminders_created += 1
                elif task.source == TaskSource.LIMITATION:
                    self.result.limitation_warnings += 1
            elif old.status == TaskStatus.OPEN and (task.level or 0) > (old.level or 0):
                old.level, old.action, old.tone = task.level, task.action, task.tone
                old.amount, old.receivables = task.amount, task.receivables
                raised.append(old)
        # A new rung of the ladder replaces the customer's earlier, still open one.
        climbed = [t.customer_id for t in fresh if t.source == TaskSource.DUNNING]
        for start in range(0, len(climbed), BATCH):
            self.result.tasks_cancelled += Task.objects.filter(
                customer_id__in=climbed[start : start + BATCH],
                source=TaskSource.DUNNING,
                status=TaskStatus.OPEN,
                due_on__lt=self.task_day,
            ).update(status=TaskStatus.CANCELLED)
        Task.objects.bulk_create(fresh, batch_size=BATCH)
        Task.objects.bulk_update(
            raised, ["level", "action", "tone", "amount", "receivables"], batch_size=BATCH
        )
        self.result.tasks_created = len(fresh)
        self.progress("tasks")


def _broken_event(promise: Promise, as_of: date) -> dict:
    """The ``promise.broken`` event of a promise the run just marked broken."""
    return {
        "kind": EventKind.PROMISE_BROKEN,
        "customer_id": promise.customer_id,
        "customer_code": promise.customer.code,
        "object_type": "promise",
        "object_id": promise.pk,
        "payload": {
            "amount": money_str(promise.amount),
            "paid": money_str(promise.paid),
            "short": money_str(promise.amount - promise.paid),
            "made_on": promise.made_on.isoformat(),
            "due_on": promise.due_on.isoformat(),
            "promised_by": promise.promised_by,
            "broken_on": as_of.isoformat(),
        },
    }


def _existing(model, keys: list[str]) -> dict[str, object]:
    """The rows of ``model`` whose ``key`` is among ``keys``, by key."""
    found = {}
    for start in range(0, len(keys), BATCH):
        for row in model.objects.filter(key__in=keys[start : start + BATCH]):
            found[row.key] = row
    return found


def _debt_class(
    overdue: list[_Item], status: str, as_of: date, thresholds, doubtful_since: date | None = None
) -> str:
    """The customer's class by its oldest overdue item (``ledger.classes.debt_class_for``)."""
    return debt_class_for(
        days_overdue=max(((as_of - item.due_date).days for item in overdue), default=None),
        status=status,
        doubtful_since=doubtful_since,
        as_of=as_of,
        thresholds=thresholds,
    )


def dunning_run(*, as_of: date, progress: Callable[[str], None] | None = None) -> RunResult:
    """Run the day's collection work for ``as_of`` (see the module docstring). Idempotent per
    date and all-or-nothing; concurrent runs queue behind each other."""
    with transaction.atomic():
        _lock()
        if DailyRun.objects.filter(as_of=as_of).exists():
            return RunResult(as_of=as_of, already_done=True)
        _ensure_setup()
        run = _Run(as_of, progress)
        for step in (
            run.load_items,
            run.promises,
            run.ladder,
            run.cases,
            run.contacts,
            run.close_cases,
            run.limitation,
            run.save_tasks,
        ):
            step()
        DailyRun.objects.create(as_of=as_of, counts=run.result.counts())
        run.progress("saved")
    return run.result


def last_run() -> DailyRun | None:
    return DailyRun.objects.order_by("-as_of").first()
