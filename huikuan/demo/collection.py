"""Six months of collection work for the demo, written after the ledger is seeded.

Every overdue spell of a customer in the months before the demo's "today" becomes a case, and
the owner rep works it: calls, WeChat messages, visits and letters at intervals that suit the
customer's behaviour, each with the customer's answer and the reason it gives — slow payers
have too much stock, a season that is over or cash in other suppliers' goods; bad actors want
concessions or stall on purpose; government buyers wait for approvals, acceptance or budget.
Promises are kept when the ledger shows the money arriving and broken when it does not; a few
are still open, one of them short. Disputed customers have open and resolved disputes, old debts
get written demands and signed balance confirmations, and a few hard measures and write-offs
wait for, or have had, a manager's decision.

What is written is what the services would have written (a follow-up task per "next step", the
task done by the next contact, a limitation event for every written demand, a broken-promise
task and a lowered standing for every broken promise), but in bulk: rows are built in memory,
with ids assigned here so they can point at each other, and inserted once — Activity and
LimitationEvent are append-only, so nothing is ever updated afterwards. The history is read
from the ledger already in the database, so promises agree with the payments to the fen.
"""

import json
import random
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from huikuan.customers.models import Contact, Customer
from huikuan.dunning.models import (
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
    DunningLevel,
    InterruptionKind,
    LimitationEvent,
    Outcome,
    Promise,
    PromiseStatus,
    Reason,
    Segment,
    Task,
    TaskSource,
    TaskStatus,
    Tone,
)
from huikuan.dunning.workdays import WorkCalendar
from huikuan.ledger.classes import DISTRESSED_STATUSES, DebtClass, class_thresholds
from huikuan.org.models import User

from .book import _Table
from .collection_script import (
    APPROVAL_TEXT,
    CHANNELS,
    CONFIRMATION,
    CONTACT_ROLES,
    DECISION_NOTE,
    DISPUTE_TEXT,
    DISPUTED,
    HONEST,
    LAWYER_LETTER,
    LETTER_DEMAND,
    NEXT_STEP,
    NO_ANSWER,
    OUTCOMES,
    PACE,
    PROMISED,
    REASONS,
    REFUSED,
    RESOLUTION,
    SAID,
    VANISHED_VISIT,
)
from .world import CustomerPlan

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 182
OLD_DEBT_DAYS = 365  # due over a year ago: worth a written demand or a confirmation
MAX_ACTIVITIES = 16  # per customer and spell


def _weighted(rng, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


def _moment(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _promised(who: str, due_on: date, fen: int) -> str:
    return PROMISED.format(who=who, day=f"{due_on.month}月{due_on.day}日", amount=_yuan_text(fen))


# --- the ledger as collection saw it ----------------------------------------------------------


@dataclass
class _Rec:
    id: int
    due: date
    amount: int
    outstanding: int
    moves: list = field(default_factory=list)  # (date, fen) allocations, sorted
    cumulative: list = field(default_factory=list)

    def open_on(self, day: date) -> int:
        """What was still owed at the end of ``day``."""
        at = bisect_right(self.moves, (day, float("inf")))
        return self.amount - (self.cumulative[at - 1] if at else 0)


@dataclass
class _Ledger:
    recs: dict[int, list[_Rec]]
    payments: dict[int, list[tuple[date, int]]]

    def overdue(self, customer_id: int, day: date) -> list[tuple[_Rec, int]]:
        return [
            (rec, left)
            for rec in self.recs.get(customer_id, ())
            if rec.due < day and (left := rec.open_on(day)) > 0
        ]

    def paid(self, customer_id: int, first: date, last: date) -> int:
        return sum(fen for on, fen in self.payments.get(customer_id, ()) if first <= on <= last)


def _load_ledger(*, since: date, as_of: date) -> _Ledger:
    """Receivables that were still open at some point since ``since`` (others cannot be overdue
    in the history), their allocations, and the payments since a little before ``since``."""
    relevant = (
        "SELECT r.id FROM ledger_receivable r WHERE r.due_date < %s AND (r.outstanding > 0 OR "
        "EXISTS (SELECT 1 FROM ledger_allocation a WHERE a.receivable_id = r.id "
        "AND a.applied_on >= %s))"
    )
    recs: dict[int, _Rec] = {}
    by_customer: dict[int, list[_Rec]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, customer_id, due_date, amount, outstanding FROM ledger_receivable "
            f"WHERE id IN ({relevant}) ORDER BY due_date, id",
            [as_of, since],
        )
        for pk, customer_id, due, amount, outstanding in cursor.fetchall():
            rec = _Rec(pk, due, amount, outstanding)
            recs[pk] = rec
            by_customer[customer_id].append(rec)
        cursor.execute(
            "SELECT receivable_id, applied_on, amount FROM ledger_allocation "
            f"WHERE receivable_id IN ({relevant}) ORDER BY applied_on, id",
            [as_of, since],
        )
        for pk, on, fen in cursor.fetchall():
            recs[pk].moves.append((on, fen))
        cursor.execute(
            "SELECT p.customer_id, p.received_on, p.amount FROM ledger_payment p "
            "WHERE p.kind = 'payment' AND p.received_on >= %s AND p.received_on <= %s AND NOT "
            "EXISTS (SELECT 1 FROM ledger_reversal v WHERE v.payment_id = p.id) "
            "ORDER BY p.received_on, p.id",
            [since - timedelta(days=30), as_of],
        )
        payments: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for customer_id, on, fen in cursor.fetchall():
            payments[customer_id].append((on, fen))
    for rec in recs.values():
        total = 0
        for _on, fen in rec.moves:
            total += fen
            rec.cumulative.append(total)
    return _Ledger(dict(by_customer), dict(payments))


def _spells(recs: list[_Rec], as_of: date) -> list[tuple[date, date | None]]:
    """The customer's overdue spells: (first overdue day, day it was cleared or None)."""
    events: dict[date, int] = defaultdict(int)
    for rec in recs:
        became = rec.due + timedelta(days=1)
        if became > as_of:
            continue
        events[became] += rec.open_on(rec.due)
        for on, fen in rec.moves:
            if rec.due < on <= as_of:
                events[on] -= fen
    spells, total, start = [], 0, None
    for day in sorted(events):
        total += events[day]
        if total > 0 and start is None:
            start = day
        elif total <= 0 and start is not None:
            spells.append((start, day))
            start = None
    if start is not None:
        spells.append((start, None))
    return spells


# --- the writer -------------------------------------------------------------------------------

_MODELS = (
    Case,
    Task,
    Activity,
    Promise,
    Dispute,
    Dispute.receivables.through,
    ApprovalRequest,
    LimitationEvent,
    CollectionProfile,
)


class _Rows:
    """Rows for the collection tables, with ids handed out here, written in one go."""

    def __init__(self):
        self.rows: dict[type, list[dict]] = {model: [] for model in _MODELS}
        self.next_id = {
            model: (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
            for model in _MODELS
            if model is not CollectionProfile
        }

    def add(self, model, **values) -> dict:
        if model in self.next_id and "id" not in values:
            values["id"] = self.next_id[model]
            self.next_id[model] += 1
        self.rows[model].append(values)
        return values

    def write(self) -> Counter:
        sqlite = connection.vendor != "postgresql"
        now = timezone.now()
        if sqlite:
            now = connection.ops.adapt_datetimefield_value(now)
        counts = Counter()
        for model in _MODELS:
            rows = self.rows[model]
            for row in rows:
                for key, value in row.items():
                    if isinstance(value, datetime) and sqlite:
                        row[key] = connection.ops.adapt_datetimefield_value(value)
                    elif isinstance(value, list):
                        row[key] = json.dumps(value)
            _Table(model, now).write(rows)
            counts[model._meta.model_name] = len(rows)
        statements = connection.ops.sequence_reset_sql(no_style(), list(_MODELS))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
        return counts


# --- the history ------------------------------------------------------------------------------


@dataclass
class _Customer:
    plan: CustomerPlan
    owner: User
    manager_id: int | None
    status: str
    contacts: dict[str, list[tuple[int, str]]]
    character: str  # the key into the tables above: the behaviour, or "government"
    activities: list[dict] = field(default_factory=list)
    open_case: dict | None = None
    open_task: dict | None = None  # the follow-up or broken-promise task the next contact does
    open_promise: dict | None = None
    planned: str = ""  # the channel the rep wrote down as the next step
    disputed_cases: set = field(default_factory=set)
    broken: int = 0


class CollectionHistory:
    """Builds the history for all demo customers; :meth:`write` stores it."""

    def __init__(self, *, plans: list[CustomerPlan], rng: random.Random, as_of: date):
        self.plans = plans
        self.rng = rng
        self.as_of = as_of
        self.since = as_of - timedelta(days=HISTORY_DAYS)
        self.calendar = WorkCalendar.load()
        self.last_workday = self.calendar.previous_workday(as_of)
        self.rows = _Rows()
        self.thresholds = class_thresholds()
        self.ladders = self._ladders()
        self.techniques = _techniques()
        self.counts: Counter = Counter()

    @staticmethod
    def _ladders() -> dict[str, list[tuple[int, int]]]:
        ladders: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for segment, days, number in DunningLevel.objects.filter(
            policy__is_active=True
        ).values_list("policy__segment", "days", "number"):
            ladders[segment].append((days, number))
        return {segment: sorted(levels) for segment, levels in ladders.items()}

    # --- helpers ------------------------------------------------------------------------------

    def workday(self, day: date) -> date:
        return self.calendar.next_workday(day)

    def _level(self, customer: _Customer, days_overdue: int) -> int:
        segment = Segment.GOVERNMENT if customer.plan.public else Segment.DEFAULT
        ladder = self.ladders.get(segment) or self.ladders.get(Segment.DEFAULT, [])
        return max((number for days, number in ladder if days <= days_overdue), default=0)

    def _class(self, customer: _Customer, days_overdue: int) -> str:
        t = self.thresholds
        if customer.status in DISTRESSED_STATUSES or days_overdue >= t.bad_from:
            return DebtClass.BAD
        if days_overdue >= t.doubtful_from:
            return DebtClass.DOUBTFUL
        return DebtClass.OVERDUE

    def _contact(self, customer: _Customer, channel: str) -> tuple[int, str] | tuple[None, str]:
        for role in CONTACT_ROLES[channel]:
            people = customer.contacts.get(role)
            if people:
                return people[0]
        return None, ""

    def _technique(self, customer: _Customer, reason: str, channel: str, days: int) -> str:
        """A playbook technique that fits what the customer said, or none (not every contact
        is a deliberate move)."""
        if not self.techniques or self.rng.random() < 0.25:
            return ""
        malicious = reason in (Reason.WANTS_CONCESSIONS, Reason.MALICIOUS_DELAY)
        debtor = "malicious" if malicious else "non_malicious"
        fitting = [t for t in self.techniques if reason and reason in t[1]]
        if not fitting:
            fitting = [t for t in self.techniques if t[2] in (debtor, "any")]
        if channel == Channel.LETTER or days > 90:
            fitting = [t for t in fitting if t[3] == "escalation"] or fitting
        elif not malicious:
            fitting = [t for t in fitting if t[3] != "escalation"] or fitting
        return self.rng.choice(fitting)[0] if fitting else ""

    # --- one customer -------------------------------------------------------------------------

    def customer_history(self, customer: _Customer, ledger: _Ledger) -> None:
        recs = ledger.recs.get(customer.plan.id, [])
        for start, end in _spells(recs, self.as_of):
            if end is not None and end <= self.since:
                continue
            self._spell(customer, ledger, start, end)

    def _spell(self, customer: _Customer, ledger: _Ledger, start: date, end: date | None) -> None:
        rng, plan = self.rng, customer.plan
        case = self.rows.add(
            Case,
            customer_id=plan.id,
            opened_on=start,
            closed_on=end,
            level=0,
            debt_class="",
        )
        customer.open_case = case
        pace = PACE[customer.character]
        first = max(start, self.since)
        day = self.workday(first + timedelta(days=rng.randint(0, 6)))
        done = 0
        worst = 0
        while day <= self.as_of and (end is None or day < end) and done < MAX_ACTIVITIES:
            owed = ledger.overdue(plan.id, day)
            if not owed:
                break
            days = (day - min(rec.due for rec, _left in owed)).days
            worst = max(worst, days)
            fen = sum(left for _rec, left in owed)
            next_day = self._contact_once(customer, ledger, day, days, fen, owed)
            done += 1
            if next_day is None:
                next_day = self.calendar.add_workdays(day, rng.randint(*pace))
            self._plan_next(customer, next_day)
            day = next_day
        case["level"] = self._level(customer, worst)
        case["debt_class"] = self._class(customer, worst) if end is not None else ""
        if end is not None:
            task = customer.open_task
            if task is not None:  # paid before the next contact: nothing left to do
                task.update(status=TaskStatus.CANCELLED, note="客户已付清，无需跟进。")
                customer.open_task = None
            customer.open_case = None

    def _plan_next(self, customer, next_day: date, *, force: bool = False) -> None:
        """The rep writes down the next step (most of the time): a follow-up task."""
        if not customer.activities or customer.open_task is not None:
            return
        if not force and self.rng.random() < 0.3:
            return
        last = customer.activities[-1]
        channel = customer.planned = self._channel(customer, 0)
        last["next_step"] = NEXT_STEP[channel]
        last["next_step_on"] = next_day
        customer.open_task = self.rows.add(
            Task,
            key=f"follow:{last['id']}",
            customer_id=customer.plan.id,
            case_id=customer.open_case["id"],
            assignee_id=customer.owner.pk,
            due_on=self.workday(next_day),
            source=TaskSource.FOLLOW_UP,
            action={Channel.CALL: Action.CALL, Channel.VISIT: Action.VISIT}.get(
                channel, Action.REMINDER
            ),
            receivables=[],
            note=NEXT_STEP[channel],
            created_at=last["created_at"],
        )

    def _channel(self, customer: _Customer, days: int) -> str:
        for limit, weights in CHANNELS:
            if limit is None or days < limit:
                table = dict(weights)
                break
        if customer.plan.public:
            table[Channel.EMAIL] = 8
            table.pop(Channel.WECHAT, None)
        return _weighted(self.rng, table)

    def _activity(self, customer: _Customer, day: date, channel: str, **values) -> dict:
        contact_id, _name = self._contact(customer, channel)
        task = customer.open_task
        at = _moment(day, 10 if channel == Channel.VISIT else 15, self.rng.randint(20, 59))
        if task is not None and task["due_on"] <= day:
            task.update(status=TaskStatus.DONE, done_at=at, done_by_id=customer.owner.pk)
            customer.open_task = None
        else:
            task = None
        row = self.rows.add(
            Activity,
            customer_id=customer.plan.id,
            case_id=customer.open_case["id"] if customer.open_case else None,
            task_id=task["id"] if task else None,
            contact_id=contact_id,
            happened_on=day,
            channel=channel,
            created_by_id=customer.owner.pk,
            created_at=at,
            **values,
        )
        customer.activities.append(row)
        self.counts[f"activity.{channel}"] += 1
        return row

    def _contact_once(self, customer, ledger, day, days, fen, owed) -> date | None:
        """One contact on ``day``; returns the day of the next one when the answer decides it
        (a promise: the day after it falls due)."""
        rng, plan = self.rng, customer.plan
        character = customer.character
        channel = customer.planned or self._channel(customer, days)
        customer.planned = ""
        if plan.stop and day > plan.stop:
            outcome = Outcome.NO_ANSWER
        else:
            outcome = _weighted(rng, OUTCOMES[character])
        reasons = REASONS["government" if plan.public else character]
        reason = "" if outcome == Outcome.NO_ANSWER else _weighted(rng, reasons)
        if outcome == Outcome.DISPUTED:
            reason = Reason.GOV_ACCEPTANCE if plan.public else Reason.OLD_PROBLEMS
        if outcome == Outcome.PROMISED and channel == Channel.LETTER:
            channel = Channel.CALL
        written = channel == Channel.LETTER and days > 30
        if written:
            outcome, reason = Outcome.NO_ANSWER, ""
        if outcome == Outcome.NO_ANSWER:
            note = VANISHED_VISIT if (plan.stop and channel == Channel.VISIT) else ""
            note = note or (LETTER_DEMAND if written else NO_ANSWER[channel])
        elif outcome == Outcome.REFUSED:
            note = REFUSED + SAID[reason]
        elif outcome == Outcome.DISPUTED:
            note = DISPUTED
        else:
            note = SAID[reason]
        values = dict(
            outcome=outcome,
            reason=reason,
            technique=self._technique(customer, reason, channel, days),
            is_written_demand=written,
            note=note,
        )
        if outcome != Outcome.PROMISED:
            row = self._activity(customer, day, channel, **values)
            if written:
                self._limitation(customer, row, InterruptionKind.WRITTEN_DEMAND, day)
            if outcome == Outcome.DISPUTED:
                self._dispute(customer, ledger, row, day, owed)
            return None
        return self._promise(customer, ledger, day, channel, fen, values)

    def _promise(self, customer, ledger, day, channel, fen, values) -> date | None:
        rng, plan = self.rng, customer.plan
        payments = [
            (on, paid)
            for on, paid in ledger.payments.get(plan.id, ())
            if day <= on <= day + timedelta(days=35)
        ]
        honest = rng.random() < HONEST[customer.character]
        if payments and honest:
            # The customer names the day its next payment goes out, and keeps its word.
            pay_day = payments[0][0]
            paid = ledger.paid(plan.id, day, pay_day)
            amount = min(fen, paid)
            if amount > 10_000:
                amount -= amount % 10_000
            due_on = min(pay_day + timedelta(days=rng.randint(0, 3)), day + timedelta(days=40))
        elif customer.character != "malicious" and rng.random() < 0.5:
            # Nothing coming soon: an honest customer says so instead of promising.
            values["outcome"] = Outcome.REACHED
            self._activity(customer, day, channel, **values)
            return None
        else:
            amount = fen if fen < 100_000 else fen - fen % 100_000
            due_on = day + timedelta(days=rng.randint(5, 14))
            so_far = ledger.paid(plan.id, day, self.as_of)
            if due_on >= self.as_of and 0 < so_far < amount:
                amount = so_far  # still open today would make it short: one short is planned
        _contact_id, who = self._contact(customer, channel)
        who = who or "对方"
        values["note"] += _promised(who, due_on, amount)
        row = self._activity(customer, day, channel, **values)
        self._replace_open_promise(customer, day)
        promise = self.rows.add(
            Promise,
            customer_id=plan.id,
            case_id=customer.open_case["id"],
            activity_id=row["id"],
            amount=amount,
            made_on=day,
            due_on=due_on,
            promised_by=who,
            status=PromiseStatus.OPEN,
            paid=0,
            settled_on=None,
            created_by_id=customer.owner.pk,
            created_at=row["created_at"],
        )
        return self._settle(customer, ledger, promise)

    def _replace_open_promise(self, customer, day: date) -> None:
        """A new promise replaces the one still open (promise_record's rule)."""
        if customer.open_promise is not None:
            customer.open_promise.update(status=PromiseStatus.REPLACED, settled_on=day)
            customer.open_promise = None
            self.counts["promise.open"] -= 1
            self.counts["promise.replaced"] += 1

    def _settle(self, customer, ledger, promise) -> date | None:
        """Kept on the day the payments reach the amount, broken the day after its date; still
        open if neither has happened by the demo's today. Returns the next contact day."""
        plan = customer.plan
        total = 0
        for on, fen in ledger.payments.get(plan.id, ()):
            if promise["made_on"] <= on <= min(promise["due_on"], self.as_of):
                total += fen
                if total >= promise["amount"]:
                    promise.update(status=PromiseStatus.KEPT, paid=total, settled_on=on)
                    self.counts["promise.kept"] += 1
                    pace = PACE[customer.character]
                    return self.calendar.add_workdays(on, self.rng.randint(*pace))
        broken_on = promise["due_on"] + timedelta(days=1)
        if broken_on > self.as_of:
            customer.open_promise = promise
            promise["paid"] = total
            self.counts["promise.open"] += 1
            return self.workday(broken_on)  # check on it the day after it falls due
        promise.update(status=PromiseStatus.BROKEN, paid=total, settled_on=broken_on)
        self.counts["promise.broken"] += 1
        customer.broken += 1
        if customer.open_task is not None:
            customer.open_task.update(
                status=TaskStatus.CANCELLED, note="承诺未兑现，改为强硬跟进。"
            )
        customer.open_task = self.rows.add(
            Task,
            key=f"broken:{promise['id']}",
            customer_id=plan.id,
            case_id=customer.open_case["id"],
            assignee_id=customer.owner.pk,
            due_on=self.workday(broken_on),
            source=TaskSource.PROMISE_BROKEN,
            action=Action.CALL,
            tone=Tone.FIRM,
            amount=promise["amount"] - total,
            receivables=[],
            note=(
                f"承诺 {promise['due_on']:%Y-%m-%d} 前付 {_yuan_text(promise['amount'])} 元未兑现"
                f"（已付 {_yuan_text(total)} 元）。"
            ),
            created_at=_moment(broken_on, 6, 0),
        )
        return self.workday(broken_on)

    def _limitation(self, customer, activity, kind, day, evidence: str = "") -> None:
        self.rows.add(
            LimitationEvent,
            customer_id=customer.plan.id,
            kind=kind,
            happened_on=day,
            evidence=evidence or f"activity #{activity['id']}",
            activity_id=activity["id"],
            created_by_id=customer.owner.pk,
            created_at=activity["created_at"],
        )
        self.counts[f"limitation.{kind}"] += 1

    def _dispute(self, customer, ledger, activity, day, owed) -> None:
        """The first quarrel of a spell becomes a dispute about its oldest items: resolved once
        they were paid, open while they are not."""
        if customer.open_case["id"] in customer.disputed_cases:
            return
        customer.disputed_cases.add(customer.open_case["id"])
        biggest = sorted(owed, key=lambda pair: (-pair[1], pair[0].id))
        items = sorted(
            (rec for rec, _left in biggest[: self.rng.randint(1, 2)]), key=lambda r: r.id
        )
        still_open = [rec for rec in items if rec.outstanding > 0]
        if still_open:
            items, resolved_on = still_open, None
        else:
            resolved_on = max(on for rec in items for on, _fen in rec.moves)
        plan = customer.plan
        reason = (
            DisputeReason.ACCEPTANCE
            if plan.public
            else self.rng.choice(
                [
                    DisputeReason.QUALITY,
                    DisputeReason.QUANTITY,
                    DisputeReason.RETURNS,
                    DisputeReason.PRICE,
                    DisputeReason.INVOICE,
                ]
            )
        )
        dispute = self.rows.add(
            Dispute,
            customer_id=plan.id,
            reason=reason,
            description=DISPUTE_TEXT[reason],
            owner_id=customer.owner.pk,
            opened_on=day,
            resolved_on=resolved_on,
            resolution=RESOLUTION if resolved_on else "",
            created_by_id=customer.owner.pk,
            created_at=activity["created_at"],
        )
        for rec in items:
            self.rows.add(
                Dispute.receivables.through, dispute_id=dispute["id"], receivable_id=rec.id
            )
        self.counts["dispute.resolved" if resolved_on else "dispute.open"] += 1

    # --- the whole demo -----------------------------------------------------------------------

    def build(self) -> None:
        ledger = _load_ledger(since=self.since, as_of=self.as_of)
        customers = self._customers()
        for customer in customers:
            self.customer_history(customer, ledger)
        self._old_debts(customers, ledger)
        self._short_promise(customers, ledger)
        self._approvals(customers, ledger)
        self._worklists(customers)
        self._profiles(customers)

    def _customers(self) -> list[_Customer]:
        users = {
            user.pk: user for user in User.objects.filter(pk__in={p.owner_id for p in self.plans})
        }
        statuses = dict(
            Customer.objects.filter(pk__in=[p.id for p in self.plans]).values_list("pk", "status")
        )
        contacts: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for pk, customer_id, role, name in (
            Contact.objects.filter(customer_id__in=[p.id for p in self.plans], is_active=True)
            .order_by("pk")
            .values_list("pk", "customer_id", "role", "name")
        ):
            contacts[customer_id][role].append((pk, name))
        result = []
        for plan in self.plans:
            owner = users[plan.owner_id]
            result.append(
                _Customer(
                    plan=plan,
                    owner=owner,
                    manager_id=owner.manager_id,
                    status=statuses[plan.id],
                    contacts=contacts[plan.id],
                    character=(
                        "government"
                        if plan.public and plan.behaviour != "disputed"
                        else plan.behaviour
                    ),
                )
            )
        return result

    def _old_debts(self, customers, ledger) -> None:
        """Debts in their third year: most get a written demand or a signed balance
        confirmation in the last months, which restarts the limitation period; the rest are
        left for the daily run to warn about."""
        cutoff = self.as_of - timedelta(days=OLD_DEBT_DAYS)
        for customer in customers:
            old = [
                rec
                for rec in ledger.recs.get(customer.plan.id, ())
                if rec.due < cutoff and rec.outstanding > 0
            ]
            if not old or customer.open_case is None:
                continue
            if self.rng.random() < 0.3:
                continue  # left for the daily run's warnings
            confirm = not customer.plan.stop and self.rng.random() < 0.6
            if not confirm and any(a["is_written_demand"] for a in customer.activities):
                continue
            last = customer.activities[-1]["happened_on"] if customer.activities else self.since
            if last >= self.last_workday:
                continue
            day = self.workday(
                last + timedelta(days=self.rng.randint(1, (self.last_workday - last).days))
            )
            if day > self.as_of:
                continue
            if not confirm:
                row = self._activity(
                    customer,
                    day,
                    Channel.LETTER,
                    outcome=Outcome.NO_ANSWER,
                    reason="",
                    technique=self._technique(customer, "", Channel.LETTER, 999),
                    is_written_demand=True,
                    note=LETTER_DEMAND,
                )
                self._limitation(customer, row, InterruptionKind.WRITTEN_DEMAND, day)
            else:
                row = self._activity(
                    customer,
                    day,
                    Channel.VISIT,
                    outcome=Outcome.REACHED,
                    reason=_weighted(self.rng, REASONS[customer.character]),
                    technique="",
                    note=CONFIRMATION,
                )
                self._limitation(
                    customer,
                    row,
                    InterruptionKind.CONFIRMATION,
                    day,
                    evidence=f"余额确认函（客户盖章）{day:%Y-%m-%d}",
                )

    def _short_promise(self, customers, ledger) -> None:
        """One open promise the customer has started to pay, but not in full: the rep must
        object at once."""
        for customer in sorted(customers, key=lambda c: c.plan.id):
            plan = customer.plan
            if customer.open_case is None or customer.open_promise is not None:
                continue
            last = customer.activities[-1]["happened_on"] if customer.activities else self.since
            recent = [
                on
                for on, _fen in ledger.payments.get(plan.id, ())
                if last < on < self.as_of and on >= self.as_of - timedelta(days=20)
            ]
            owed = ledger.overdue(plan.id, self.as_of)
            if not recent or not owed or plan.stop:
                continue
            day = self.calendar.previous_workday(recent[0])
            if day <= last:
                continue
            paid = ledger.paid(plan.id, day, self.as_of)
            rest = sum(left for _rec, left in owed)
            amount = paid + rest - rest % 10_000 + 10_000
            due_on = self.calendar.add_workdays(self.as_of, 3)
            _pk, who = self._contact(customer, Channel.CALL)
            who = who or "对方"
            reason = Reason.GOV_BUDGET if plan.public else Reason.CASH_ELSEWHERE
            row = self._activity(
                customer,
                day,
                Channel.CALL,
                outcome=Outcome.PROMISED,
                reason=reason,
                technique=self._technique(customer, reason, Channel.CALL, 30),
                note=SAID[reason] + _promised(who, due_on, amount),
            )
            customer.open_promise = self.rows.add(
                Promise,
                customer_id=plan.id,
                case_id=customer.open_case["id"],
                activity_id=row["id"],
                amount=amount,
                made_on=day,
                due_on=due_on,
                promised_by=who,
                status=PromiseStatus.OPEN,
                paid=paid,
                settled_on=None,
                created_by_id=customer.owner.pk,
                created_at=row["created_at"],
            )
            self.counts["promise.open"] += 1
            self.counts["promise.short"] += 1
            return

    def _approval(
        self,
        customer,
        kind,
        key,
        day,
        *,
        action="",
        receivable=None,
        amount=0,
        status=ApprovalStatus.PENDING,
        decided_on=None,
        note="",
    ) -> dict:
        decided = status != ApprovalStatus.PENDING
        row = self.rows.add(
            ApprovalRequest,
            key=f"manual:{self.rng.getrandbits(128):032x}",
            kind=kind,
            customer_id=customer.plan.id,
            case_id=customer.open_case["id"] if customer.open_case else None,
            action=action,
            level=None,
            receivable_id=receivable.id if receivable else None,
            amount=amount,
            reason=APPROVAL_TEXT[key],
            requested_on=day,
            requested_by_id=customer.owner.pk,
            status=status,
            decided_by_id=customer.manager_id if decided else None,
            decided_at=_moment(decided_on, 9, 40) if decided else None,
            decision_note=note,
            task_id=None,
            write_off_id=None,
        )
        self.counts[f"approval.{status}"] += 1
        return row

    def _approvals(self, customers, ledger) -> None:
        """A few hard measures and write-offs in front of the managers: decided ones in the
        past, pending ones from the last days."""
        by_kind = defaultdict(list)
        for customer in customers:
            if customer.manager_id:
                by_kind[customer.plan.behaviour].append(customer)
        recent = self.calendar.add_workdays(self.last_workday, -3)

        def owed(customer, day):
            return sum(left for _rec, left in ledger.overdue(customer.plan.id, day))

        working = {k: [c for c in v if c.open_case is not None] for k, v in by_kind.items()}
        # A bad actor: lawyer's letter approved, sent, written demand on file.
        lawyer = None
        for customer in working.get("malicious", []):
            last = customer.activities[-1]["happened_on"] if customer.activities else self.since
            day = self.workday(last + timedelta(days=1))
            decided = self.calendar.add_workdays(day, 1)
            sent = self.calendar.add_workdays(decided, 2)
            if sent < self.as_of:
                lawyer = customer
                self._lawyer_letter(customer, ledger, day, decided, sent)
                break
        # Pending: stop supply to another bad actor, halve a struggling customer's orders.
        for behaviour, key, action in (
            ("malicious", "stop", Action.STOP_SUPPLY),
            ("hardship", "reduce", Action.REDUCE_SUPPLY),
        ):
            for customer in [c for c in working.get(behaviour, []) if c is not lawyer][:1]:
                self._approval(
                    customer,
                    ApprovalKind.MEASURE,
                    key,
                    recent,
                    action=action,
                    amount=owed(customer, recent),
                )
        # Rejected: a slow but steady payer is not cut off.
        for customer in working.get("slow", [])[:1]:
            day = self.calendar.add_workdays(self.last_workday, -20)
            self._approval(
                customer,
                ApprovalKind.MEASURE,
                "stop_rejected",
                day,
                action=Action.STOP_SUPPLY,
                amount=owed(customer, day),
                status=ApprovalStatus.REJECTED,
                decided_on=self.calendar.add_workdays(day, 1),
                note=DECISION_NOTE["stop_rejected"],
            )
        # Write-offs for customers gone for good: one approved (finance still has to post it),
        # one pending.
        gone = [
            (customer, rec)
            for customer in by_kind.get("vanished", []) + by_kind.get("insolvent", [])
            for rec in ledger.recs.get(customer.plan.id, ())[:1]
            if rec.outstanding > 0
        ]
        for index, (customer, rec) in enumerate(gone[:2]):
            day = self.calendar.add_workdays(self.last_workday, -6 if index == 0 else -1)
            decided = {}
            if index == 0:
                decided = dict(
                    status=ApprovalStatus.APPROVED,
                    decided_on=self.calendar.add_workdays(day, 2),
                    note=DECISION_NOTE["write_off"],
                )
            self._approval(
                customer,
                ApprovalKind.WRITE_OFF,
                "write_off",
                day,
                receivable=rec,
                amount=rec.outstanding,
                **decided,
            )

    def _lawyer_letter(self, customer, ledger, day, decided, sent) -> None:
        owed = sum(left for _rec, left in ledger.overdue(customer.plan.id, decided))
        approval = self._approval(
            customer,
            ApprovalKind.MEASURE,
            "lawyer",
            day,
            action=Action.LAWYER_LETTER,
            amount=owed,
            status=ApprovalStatus.APPROVED,
            decided_on=decided,
            note=DECISION_NOTE["lawyer"],
        )
        if customer.open_task is not None:
            customer.open_task.update(status=TaskStatus.CANCELLED, note="改发律师函。")
        customer.open_task = self.rows.add(
            Task,
            key=f"approved:{approval['id']}",
            customer_id=customer.plan.id,
            case_id=customer.open_case["id"],
            assignee_id=customer.owner.pk,
            due_on=self.workday(decided),
            source=TaskSource.APPROVED,
            action=Action.LAWYER_LETTER,
            amount=owed,
            receivables=[],
            created_at=approval["decided_at"],
        )
        approval["task_id"] = customer.open_task["id"]
        row = self._activity(
            customer,
            sent,
            Channel.LETTER,
            outcome=Outcome.NO_ANSWER,
            reason="",
            technique=self._technique(customer, Reason.MALICIOUS_DELAY, Channel.LETTER, 999),
            is_written_demand=True,
            note=LAWYER_LETTER,
        )
        self._limitation(customer, row, InterruptionKind.WRITTEN_DEMAND, sent)

    def _worklists(self, customers) -> None:
        """Every rep with a case to work finds at least one follow-up on today's list: one of
        their open follow-ups (or a new one) falls due on the last working day."""
        due_today = {
            c.owner.pk
            for c in customers
            if c.open_task is not None and c.open_task["due_on"] <= self.as_of
        }
        for customer in sorted(customers, key=lambda c: (-len(c.activities), c.plan.id)):
            if customer.owner.pk in due_today or customer.open_case is None:
                continue
            if (
                not customer.activities
                or customer.activities[-1]["happened_on"] >= self.last_workday
            ):
                continue
            task = customer.open_task
            if task is None:
                self._plan_next(customer, self.last_workday, force=True)
            elif task["source"] == TaskSource.FOLLOW_UP:
                customer.activities[-1]["next_step_on"] = self.last_workday
                task["due_on"] = self.last_workday
            else:
                continue
            due_today.add(customer.owner.pk)

    def _profiles(self, customers) -> None:
        """Sell-through pace for resellers whose rep has watched it; standing lowered by each
        broken promise, as the daily run does."""
        for customer in customers:
            plan = customer.plan
            sell_through = None
            reseller = plan.kind in ("distributor", "chain", "pharmacy", "health_store")
            if reseller and self.rng.random() < 0.6:
                base = {"slow": 60, "seasonal": 90, "hardship": 75}.get(plan.behaviour, 40)
                sell_through = base + self.rng.randint(-10, 20)
            if sell_through is None and not customer.broken:
                continue
            self.rows.add(
                CollectionProfile,
                customer_id=plan.id,
                policy_id=None,
                sell_through_days=sell_through,
                standing=-customer.broken,
                broken_promises=customer.broken,
            )

    def write(self) -> Counter:
        counts = self.rows.write()
        return counts + self.counts


def _techniques() -> list[tuple[str, tuple, str, str]]:
    """(code, reasons it fits, debtor it fits, category) for every playbook technique."""
    from huikuan.dunning.playbook import TECHNIQUES

    return [
        (t.code, tuple(str(r) for r in t.fits_reasons), str(t.fits_debtor), str(t.category))
        for t in TECHNIQUES
    ]


def seed_collection(*, plans: list[CustomerPlan], seed: int, as_of: date) -> Counter:
    """Write the collection history of the demo customers up to ``as_of`` (see the module
    docstring); returns what was written, by kind. Call inside the seed's transaction."""
    history = CollectionHistory(plans=plans, rng=random.Random(f"{seed}:collection"), as_of=as_of)
    history.build()
    return history.write()
