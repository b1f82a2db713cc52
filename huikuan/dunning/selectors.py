"""Reads for collection work: a rep's day (the worklist), a customer's case file, the checklist,
the debtor's disposition, live promise states, playbook recommendations and the 14-day
technique report, and the queues of approvals, disputes and promises.

Every rule takes the day it is asked about (``on`` / ``as_of``); visibility is always
``customers_visible_to``.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from huikuan.contracts.models import Contract, Delivery, InstallmentNode
from huikuan.core.money import ZERO
from huikuan.customers.models import ContactRole, Customer
from huikuan.customers.selectors import SEES_ALL, customers_visible_to
from huikuan.ledger.classes import class_thresholds
from huikuan.ledger.models import Payment, PaymentKind, Receivable
from huikuan.ledger.selectors import customers_with_balances, days_past_due
from huikuan.org.models import Role

from . import playbook
from .models import (
    MALICIOUS_REASONS,
    Activity,
    ApprovalRequest,
    Case,
    CollectionProfile,
    Dispute,
    DunningLevel,
    DunningPolicy,
    Outcome,
    Promise,
    PromiseStatus,
    Reason,
    Segment,
    Task,
    TaskStatus,
)
from .moments import Moment, suggest
from .priority import Priority, PriorityFacts, score
from .workdays import WorkCalendar

BROKEN_WINDOW_DAYS = 180
NEW_RELATIONSHIP_DAYS = 365
DISPOSITION_WINDOW_DAYS = 365
REPEATED_REFUSALS = 3
PAID_WITHIN_DAYS = 14
NON_MALICIOUS_REASONS = tuple(
    r for r in Reason if r and r not in MALICIOUS_REASONS
)  # stock, season, margin, old problems, cash elsewhere, cash trouble, government reasons


# --- Live promise state -----------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseState:
    """A promise as the ledger shows it today: paid so far (payments received from the day it
    was made through ``as_of``), ``short`` when something but not all has come, ``kept`` when
    the amount was reached by the promised date, ``overdue`` when the date passed without it."""

    paid: Decimal
    short: bool
    kept: bool
    overdue: bool
    promise: Promise | None = None
    remaining: Decimal = ZERO


def _payments_query(customer_ids, *, start: date, end: date):
    return Payment.objects.filter(
        customer_id__in=list(customer_ids),
        kind=PaymentKind.PAYMENT,
        reversal__isnull=True,
        received_on__gte=start,
        received_on__lte=end,
    ).values_list("customer_id", "received_on", "amount")


def _state(promise: Promise, payments, as_of: date) -> PromiseState:
    paid = by_due = ZERO
    for received_on, amount in payments:
        if promise.made_on <= received_on <= as_of:
            paid += amount
            if received_on <= promise.due_on:
                by_due += amount
    kept = by_due >= promise.amount
    return PromiseState(
        paid=paid,
        short=ZERO < paid < promise.amount,
        kept=kept,
        overdue=as_of > promise.due_on and not kept,
        promise=promise,
        remaining=max(ZERO, promise.amount - paid),
    )


def promise_states(promises, *, as_of: date) -> dict[int, PromiseState]:
    """:func:`promise_state` for many promises with one query for the payments."""
    promises = list(promises)
    if not promises:
        return {}
    start = min(p.made_on for p in promises)
    payments = defaultdict(list)
    for customer_id, received_on, amount in _payments_query(
        {p.customer_id for p in promises}, start=start, end=as_of
    ):
        payments[customer_id].append((received_on, amount))
    return {p.pk: _state(p, payments[p.customer_id], as_of) for p in promises}


def promise_state(promise: Promise, *, as_of: date) -> PromiseState:
    """The live state of one promise on ``as_of`` (payments of kind payment, not reversed)."""
    return promise_states([promise], as_of=as_of)[promise.pk]


# --- The worklist ---------------------------------------------------------------------------------


@dataclass
class WorkItem:
    task: Task
    customer: Customer
    priority: Priority
    moment: Moment
    overdue_amount: Decimal
    days_overdue: int
    debt_class: str
    promise: PromiseState | None
    open_disputes: int = 0

    @property
    def is_disputed(self) -> bool:
        return self.open_disputes > 0


def _balances(customer_ids, on: date) -> dict[int, dict]:
    """Overdue amount, days overdue (of the oldest open receivable) and class per customer."""
    rows = customers_with_balances(
        customers=Customer.objects.filter(pk__in=list(customer_ids)),
        as_of=on,
        thresholds=class_thresholds(),
    ).values("pk", "overdue", "oldest_open_due", "debt_class")
    result = {}
    for row in rows:
        oldest = row["oldest_open_due"]
        days = (on - oldest).days if oldest and oldest < on else 0
        result[row["pk"]] = {
            "overdue": row["overdue"] or ZERO,
            "days": days,
            "debt_class": row["debt_class"],
        }
    return result


def _broken_promises(customer_ids, on: date) -> dict[int, int]:
    since = on - timedelta(days=BROKEN_WINDOW_DAYS)
    rows = (
        Promise.objects.filter(customer_id__in=list(customer_ids), status=PromiseStatus.BROKEN)
        .filter(
            Q(settled_on__gte=since, settled_on__lte=on)
            | Q(settled_on__isnull=True, due_on__gte=since, due_on__lte=on)
        )
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["customer_id"]: row["n"] for row in rows}


def _open_disputes(customer_ids, on: date) -> dict[int, int]:
    rows = (
        Dispute.objects.filter(
            customer_id__in=list(customer_ids), opened_on__lte=on, resolved_on__isnull=True
        )
        .values("customer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["customer_id"]: row["n"] for row in rows}


def _last_deliveries(customer_ids, on: date) -> dict[int, date]:
    rows = (
        Delivery.objects.filter(customer_id__in=list(customer_ids), delivered_on__lte=on)
        .values("customer_id")
        .annotate(last=Max("delivered_on"))
        .order_by()
    )
    return {row["customer_id"]: row["last"] for row in rows}


def _related(obj, name):
    """A reverse one-to-one that may not exist (payment process, collection profile)."""
    try:
        return getattr(obj, name)
    except Exception:  # RelatedObjectDoesNotExist subclasses differ per relation
        return None


def worklist(*, user, on: date, assignee=None) -> list[WorkItem]:
    """The open tasks due on or before ``on`` for the customers ``user`` may see, most urgent
    first (score, then task id), each with its priority factors, a suggested moment and the
    customer's overdue amount, days overdue, class and live promise on ``on``.

    A rep sees the tasks assigned to them (and unassigned ones of their customers); a manager,
    finance or an administrator sees every visible task, or one person's with ``assignee``.
    A constant number of queries whatever the number of tasks.
    """
    tasks = Task.objects.filter(
        status=TaskStatus.OPEN, due_on__lte=on, customer__in=customers_visible_to(user)
    )
    sees_others = user is not None and (
        user.is_superuser or getattr(user, "role", None) in {Role.MANAGER, *SEES_ALL}
    )
    if not sees_others:
        tasks = tasks.filter(Q(assignee=user) | Q(assignee__isnull=True))
    elif assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    tasks = list(
        tasks.select_related(
            "customer",
            "customer__payment_process",
            "customer__collection_profile",
            "customer__owner",
            "assignee",
            "case",
        ).order_by("pk")
    )
    if not tasks:
        return []
    ids = {task.customer_id for task in tasks}
    balances = _balances(ids, on)
    broken = _broken_promises(ids, on)
    disputes = _open_disputes(ids, on)
    deliveries = _last_deliveries(ids, on)
    open_promises = Promise.objects.filter(customer_id__in=list(ids), status=PromiseStatus.OPEN)
    states = promise_states(open_promises, as_of=on)
    state_by_customer = {s.promise.customer_id: s for s in states.values()}
    cal = WorkCalendar.load()

    items = []
    for task in tasks:
        customer = task.customer
        process = _related(customer, "payment_process")
        profile = _related(customer, "collection_profile")
        balance = balances.get(customer.pk, {"overdue": ZERO, "days": 0, "debt_class": ""})
        facts = PriorityFacts(
            overdue_amount=balance["overdue"],
            days_overdue=balance["days"],
            debt_class=balance["debt_class"],
            broken_promises=broken.get(customer.pk, 0),
            standing=profile.standing if profile else 0,
            open_disputes=disputes.get(customer.pk, 0),
            approval_steps=process.approval_steps if process else 1,
            needs_original_invoice=bool(process and process.needs_original_invoice),
            needs_delivery_proof=bool(process and process.needs_delivery_proof),
            distance_km=customer.distance_km,
            is_government=customer.is_government,
            action=task.action,
            risk_signals=customer.risk_signals,
        )
        items.append(
            WorkItem(
                task=task,
                customer=customer,
                priority=score(facts),
                moment=suggest(
                    task_day=task.due_on,
                    action=task.action,
                    settlement_day=process.settlement_day if process else None,
                    last_delivery_on=deliveries.get(customer.pk),
                    sell_through_days=profile.sell_through_days if profile else None,
                    calendar=cal,
                    on=on,
                ),
                overdue_amount=balance["overdue"],
                days_overdue=balance["days"],
                debt_class=balance["debt_class"],
                promise=state_by_customer.get(customer.pk),
                open_disputes=disputes.get(customer.pk, 0),
            )
        )
    items.sort(key=lambda item: (-item.priority.score, item.task.pk))
    return items


# --- Checklist ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    ok: bool
    detail: str
    fix: str


def checklist(*, customer) -> list[ChecklistItem]:
    """What a collectible claim needs on file, each item ok or with what to fix: the deal (a
    contract or a described delivery), the acceptance person and the acceptance criteria, the
    payment terms (day count or installment plan), the customer's pay day, and the person
    responsible for paying."""
    contracts = list(Contract.objects.filter(customer=customer).order_by("-signed_on", "pk"))
    contacts = list(customer.contacts.filter(is_active=True).order_by("name"))
    described = (
        Delivery.objects.filter(customer=customer).exclude(description="").exists()
        if not contracts
        else False
    )
    has_nodes = InstallmentNode.objects.filter(contract__customer=customer).exists()
    process = _related(customer, "payment_process")

    def people(role):
        return [c.name for c in contacts if c.role == role]

    items = []
    if contracts:
        deal = _("Contract %(number)s.") % {"number": contracts[0].number}
    elif described:
        deal = _("Deliveries are described, but there is no contract on file.")
    else:
        deal = _("No contract and no described delivery on file.")
    items.append(
        ChecklistItem(
            "deal",
            _("What was sold"),
            bool(contracts) or described,
            deal,
            _("Record the contract, or describe what each delivery contained."),
        )
    )
    names = people(ContactRole.ACCEPTANCE)
    items.append(
        ChecklistItem(
            "acceptance_person",
            _("Acceptance person"),
            bool(names),
            ", ".join(names) if names else _("Nobody is recorded as accepting the goods."),
            _("Add the contact who signs for the goods (acceptance person)."),
        )
    )
    criteria = next((c for c in contracts if c.acceptance_criteria.strip()), None)
    items.append(
        ChecklistItem(
            "acceptance_criteria",
            _("Acceptance criteria"),
            criteria is not None,
            _("Written in contract %(number)s.") % {"number": criteria.number}
            if criteria
            else _("No contract states how the goods are accepted."),
            _("Write the acceptance criteria into the contract."),
        )
    )
    terms = next((c for c in contracts if c.term_days is not None), None)
    if terms is not None:
        terms_detail = _("%(days)s days after delivery (contract %(number)s).") % {
            "days": terms.term_days,
            "number": terms.number,
        }
    elif has_nodes:
        terms_detail = _("An installment plan with fixed dates.")
    else:
        terms_detail = _("No fixed payment date or day count.")
    items.append(
        ChecklistItem(
            "payment_terms",
            _("Payment terms"),
            terms is not None or has_nodes,
            terms_detail,
            _("Agree a day count or an installment plan with dates in the contract."),
        )
    )
    pay_day = process.settlement_day if process else None
    items.append(
        ChecklistItem(
            "settlement_day",
            _("Customer's pay day"),
            pay_day is not None,
            _("Usually pays on day %(day)s of the month.") % {"day": pay_day}
            if pay_day
            else _("We do not know when in the month the customer pays."),
            _("Ask the customer's finance staff for their monthly pay day."),
        )
    )
    names = people(ContactRole.PAYMENT_RESPONSIBLE)
    items.append(
        ChecklistItem(
            "payment_responsible",
            _("Person responsible for paying"),
            bool(names),
            ", ".join(names) if names else _("Nobody is recorded as responsible for paying."),
            _("Add the contact who answers for the payment (payment-responsible person)."),
        )
    )
    return [ChecklistItem(i.key, str(i.label), i.ok, str(i.detail), str(i.fix)) for i in items]


# --- Disposition and recommendations ------------------------------------------------------------


@dataclass(frozen=True)
class Disposition:
    kind: str  # "malicious" | "non_malicious" | "unknown"
    evidence: list[str] = field(default_factory=list)


def disposition(*, customer, as_of: date) -> Disposition:
    """Can the debtor pay and chooses not to (malicious), or does it want to and cannot
    (non-malicious)? Judged from a year of recorded answers up to ``as_of``: each stated reason
    counts for its side (the latest one twice), and three or more refusals count once for
    malicious. The heavier side wins; with no evidence, or a tie, it is unknown."""
    since = as_of - timedelta(days=DISPOSITION_WINDOW_DAYS)
    activities = list(
        Activity.objects.filter(customer=customer, happened_on__gte=since, happened_on__lte=as_of)
        .order_by("-happened_on", "-pk")
        .values("happened_on", "reason", "outcome")
    )
    malicious = kind = 0
    evidence = []
    latest = next((a for a in activities if a["reason"]), None)
    for a in activities:
        if not a["reason"]:
            continue
        weight = 2 if a is latest else 1
        label = Reason(a["reason"]).label
        if a["reason"] in MALICIOUS_REASONS:
            malicious += weight
        else:
            kind += weight
        if len(evidence) < 5:
            evidence.append(
                _("%(date)s: the customer said: %(reason)s.")
                % {"date": a["happened_on"].isoformat(), "reason": label}
            )
    refusals = sum(1 for a in activities if a["outcome"] == Outcome.REFUSED)
    if refusals >= REPEATED_REFUSALS:
        malicious += 1
        evidence.append(_("Refused to pay %(count)s times in the last year.") % {"count": refusals})
    if malicious > kind:
        result = "malicious"
    elif kind > malicious:
        result = "non_malicious"
    else:
        result = "unknown"
    return Disposition(result, [str(e) for e in evidence])


@dataclass(frozen=True)
class Recommendation:
    technique: playbook.Technique
    score: int
    why: list[str]


def _relationship(customer, as_of: date) -> str:
    if customer.first_deal_on is None:
        return "unknown"
    if (as_of - customer.first_deal_on).days <= NEW_RELATIONSHIP_DAYS:
        return "new"
    return "established"


def recommendations(
    *, customer, as_of: date, limit: int = 3, _balance=None, _disposition=None
) -> list[Recommendation]:
    """The playbook's techniques that best fit the case on ``as_of``, with why in words:
    ranked by the latest stated reason, the debtor's disposition, the class of its money, how
    new the relationship is (first deal within a year), government buyer, and a short promise."""
    latest = (
        Activity.objects.filter(customer=customer, happened_on__lte=as_of)
        .exclude(reason="")
        .order_by("-happened_on", "-pk")
        .values_list("reason", flat=True)
        .first()
    )
    balance = _balance or _balances([customer.pk], as_of).get(customer.pk, {})
    kind = (_disposition or disposition(customer=customer, as_of=as_of)).kind
    open_promise = Promise.objects.filter(customer=customer, status=PromiseStatus.OPEN).first()
    short = bool(open_promise and promise_state(open_promise, as_of=as_of).short)
    facts = playbook.CaseFacts(
        reason=latest or "",
        disposition=kind,
        debt_class=balance.get("debt_class", ""),
        relationship=_relationship(customer, as_of),
        is_government=customer.is_government,
        promise_short=short,
    )
    return [Recommendation(t, points, why) for t, points, why in playbook.rank(facts)[:limit]]


# --- The case file ------------------------------------------------------------------------------


@dataclass
class ReceivableLine:
    receivable: Receivable
    level: int | None
    days_overdue: int
    disputed: bool
    limitation_expires_on: date | None


@dataclass
class CaseFile:
    customer: Customer
    case: Case | None
    receivables: list[ReceivableLine]
    overdue_amount: Decimal
    days_overdue: int
    debt_class: str
    checklist: list[ChecklistItem]
    recommendations: list[Recommendation]
    promises: list[PromiseState]
    disputes: list[Dispute]
    approvals: list[ApprovalRequest]
    activities: list[Activity]
    disposition: Disposition
    tasks: list[Task]


def case_file(*, customer, as_of: date) -> CaseFile:
    """Everything on a customer's case page on ``as_of``: the open case, its open receivables
    (dunning level, days overdue, disputed, limitation expiry), the checklist, the top three
    recommendations, promises with their live state, disputes, approvals, the latest 50
    activities, the disposition and the open tasks."""
    from .limitation import limitation_by_receivable

    open_dispute = Dispute.objects.filter(
        receivables=OuterRef("pk"), resolved_on__isnull=True, opened_on__lte=as_of
    )
    receivables = list(
        Receivable.objects.filter(customer=customer, outstanding__gt=0)
        .select_related("dunning")
        .annotate(days=days_past_due(as_of), disputed=Exists(open_dispute))
        .order_by("due_date", "issue_date", "pk")
    )
    expiry = limitation_by_receivable(
        receivables=Receivable.objects.filter(pk__in=[r.pk for r in receivables]), as_of=as_of
    )
    lines = [
        ReceivableLine(
            receivable=r,
            level=(_related(r, "dunning").level if _related(r, "dunning") else None),
            days_overdue=max(0, r.days.days),
            disputed=r.disputed,
            limitation_expires_on=expiry.get(r.pk),
        )
        for r in receivables
    ]
    balance = _balances([customer.pk], as_of).get(
        customer.pk, {"overdue": ZERO, "days": 0, "debt_class": ""}
    )
    found = disposition(customer=customer, as_of=as_of)
    promises = list(Promise.objects.filter(customer=customer).order_by("-made_on", "-pk")[:20])
    states = promise_states(promises, as_of=as_of)
    return CaseFile(
        customer=customer,
        case=Case.objects.filter(customer=customer, closed_on__isnull=True).first(),
        receivables=lines,
        overdue_amount=balance["overdue"],
        days_overdue=balance["days"],
        debt_class=balance["debt_class"],
        checklist=checklist(customer=customer),
        recommendations=recommendations(
            customer=customer, as_of=as_of, _balance=balance, _disposition=found
        ),
        promises=[states[p.pk] for p in promises],
        disputes=list(
            Dispute.objects.filter(customer=customer)
            .select_related("owner")
            .prefetch_related("receivables")
            .order_by("-opened_on", "-pk")
        ),
        approvals=list(
            ApprovalRequest.objects.filter(customer=customer)
            .select_related("requested_by", "decided_by", "receivable", "task", "write_off")
            .order_by("-requested_on", "-pk")
        ),
        activities=list(
            Activity.objects.filter(customer=customer)
            .select_related("contact", "created_by", "task")
            .order_by("-happened_on", "-pk")[:50]
        ),
        disposition=found,
        tasks=list(
            Task.objects.filter(customer=customer, status=TaskStatus.OPEN)
            .select_related("assignee")
            .order_by("due_on", "pk")
        ),
    )


# --- Which techniques work ----------------------------------------------------------------------


@dataclass(frozen=True)
class TechniqueRow:
    technique: playbook.Technique | None
    code: str
    uses: int
    paid_within_14_days: int
    rate: Decimal  # paid / uses, 0–1, four places

    @property
    def percent(self) -> int:
        return int((self.rate * 100).to_integral_value())


def technique_report(*, customers: QuerySet, since: date, until: date) -> list[TechniqueRow]:
    """Per technique, the activities of ``customers`` that used it between ``since`` and
    ``until`` (inclusive), and how many were followed by a payment (not reversed) from that
    customer received on the day or within the 14 days after. Counted in SQL; best rate first."""
    lag = ExpressionWrapper(
        F("received_on") - OuterRef("happened_on"), output_field=DurationField()
    )
    paid = (
        Payment.objects.filter(
            customer=OuterRef("customer"),
            kind=PaymentKind.PAYMENT,
            reversal__isnull=True,
            received_on__gte=OuterRef("happened_on"),
        )
        .annotate(lag=lag)
        .filter(lag__lte=timedelta(days=PAID_WITHIN_DAYS))
    )
    rows = (
        Activity.objects.filter(
            customer__in=customers, happened_on__gte=since, happened_on__lte=until
        )
        .exclude(technique="")
        .annotate(paid=Exists(paid))
        .values("technique")
        .annotate(uses=Count("pk"), paid_count=Count("pk", filter=Q(paid=True)))
        .order_by()
    )
    result = []
    for row in rows:
        uses, hits = row["uses"], row["paid_count"]
        rate = (Decimal(hits) / Decimal(uses)).quantize(Decimal("0.0001")) if uses else ZERO
        result.append(
            TechniqueRow(playbook.technique(row["technique"]), row["technique"], uses, hits, rate)
        )
    result.sort(key=lambda r: (-r.rate, -r.uses, r.code))
    return result


# --- Queues ------------------------------------------------------------------------------------


def approval_queue(*, user, status: str | None = "pending") -> QuerySet[ApprovalRequest]:
    """Approval requests of the customers ``user`` may see, oldest first; ``status=None`` for
    all of them."""
    queryset = ApprovalRequest.objects.filter(customer__in=customers_visible_to(user))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related(
        "customer", "requested_by", "decided_by", "receivable", "task", "write_off"
    ).order_by("requested_on", "pk")


def disputes_for(*, user, open_only: bool = True) -> QuerySet[Dispute]:
    """Disputes of the customers ``user`` may see (open ones only by default), oldest first."""
    queryset = Dispute.objects.filter(customer__in=customers_visible_to(user))
    if open_only:
        queryset = queryset.filter(resolved_on__isnull=True)
    return (
        queryset.select_related("customer", "owner")
        .prefetch_related(Prefetch("receivables", queryset=Receivable.objects.order_by("due_date")))
        .order_by("opened_on", "pk")
    )


def promises_for(*, user, status: str | None = None) -> QuerySet[Promise]:
    """Promises of the customers ``user`` may see, soonest due first; optionally one status."""
    queryset = Promise.objects.filter(customer__in=customers_visible_to(user))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.select_related("customer", "created_by").order_by("due_on", "pk")


# --- The ladder a customer is on ---------------------------------------------------------------


def policy_for(customer) -> DunningPolicy | None:
    """The ladder that applies to ``customer``: the one chosen on its collection profile, else
    the active ladder of its segment (government buyers have their own when one exists). The
    daily run applies the same rule to all customers at once (``run._Run.ladder_for``)."""
    profile = CollectionProfile.objects.filter(customer=customer, policy__isnull=False).first()
    if profile is not None and profile.policy.is_active:
        return profile.policy
    active = DunningPolicy.objects.filter(is_active=True)
    if customer.is_government:
        found = active.filter(segment=Segment.GOVERNMENT).first()
        if found is not None:
            return found
    return active.filter(segment=Segment.DEFAULT).first()


def current_level(customer) -> DunningLevel | None:
    """The rung of its ladder ``customer`` stands on: its open case's level, else the first rung
    (the friendly reminder); None when no ladder applies."""
    policy = policy_for(customer)
    if policy is None:
        return None
    levels = list(policy.levels.order_by("number"))
    if not levels:
        return None
    case = Case.objects.filter(customer=customer, closed_on__isnull=True).first()
    number = case.level if case is not None else levels[0].number
    reached = [level for level in levels if level.number <= number]
    return reached[-1] if reached else levels[0]
