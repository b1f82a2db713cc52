"""Early-warning signals: recorded by people, computed by the daily run, summed up on the customer.

A signal is *live* while it is open or confirmed. ``Customer.risk_signals`` (how many live signals
the customer has) and ``Customer.doubtful_since`` (the day the earliest live STRONG signal was
seen) are stored copies of the signals, kept in the same transaction as every signal change under
the customer's row lock — the lock the credit check takes first — so a check that starts after
the change commits sees it. :func:`signals_summary_recompute` proves they agree.

While ``doubtful_since`` is on or before the as-of date the customer's overdue money counts as at
least 准呆账 (see ``huikuan.ledger.classes``); each live signal also raises the worklist priority.

Computed signals (the daily run calls :func:`signals_detect`). Each is seen on the run's date and
keyed ``kind:customer:date`` (``contact_left:contact:left_on`` for a departure), so running the
same day again raises nothing; a customer who has a live signal of that kind, or one seen within
the detector's window, gets no new one, so one episode raises one signal. A computed signal that
no longer holds is left for a person to resolve.

* **off_season_bulk** — billed in the last :data:`OFF_SEASON_WINDOW_DAYS` days at least
  :data:`OFF_SEASON_FACTOR` times the seasonal baseline and at least :data:`OFF_SEASON_MIN_EXTRA`
  more. The baseline is the average billed in the same 30-day window of each of the last
  :data:`OFF_SEASON_YEARS` years in which the customer was already buying from us when that
  window began; with no such year there is no baseline and no signal. A customer's normal peak is
  therefore measured against its earlier peaks and stays quiet.
* **payment_drift** — the amount-weighted average days paid after due of the settlements in the
  last :data:`DRIFT_WINDOW_DAYS` days is at least :data:`DRIFT_MIN_DAYS` and at least
  :data:`DRIFT_RISE_DAYS` above that of the 90 days before (both periods need settlements).
  Settlements are effective allocations of payments and credit notes, not write-offs.
* **delay_requests** — at least :data:`DELAY_MIN_REQUESTS` requests to delay or split payment in
  the last :data:`DELAY_WINDOW_DAYS` days (contacts marked "asked to delay" and promises replaced
  by a new one; at most one a day) from a customer that used to pay on time: rating in
  :data:`PUNCTUAL_RATINGS` or a previous-period average of at most :data:`PUNCTUAL_PREV_DAYS`
  days late.
* **contact_left** — a contact in a role that matters for payment (:data:`KEY_ROLES`) marked as
  gone with a leaving date in the last :data:`CONTACT_LEFT_WINDOW_DAYS` days.

All computed signals are WATCH; people may record any kind, STRONG by default for
:data:`STRONG_KINDS`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO, quantize
from huikuan.customers.models import Contact, ContactRole, Customer
from huikuan.customers.selectors import customers_visible_to
from huikuan.dunning.models import Activity, Promise, PromiseStatus
from huikuan.ledger.models import Allocation, Receivable, ReceivableKind
from huikuan.org.models import Role

from .models import LIVE_STATUSES, Severity, Signal, SignalKind, SignalStatus

# --- Thresholds --------------------------------------------------------------------------------

OFF_SEASON_WINDOW_DAYS = 30
OFF_SEASON_YEARS = 3  # how many earlier years make the seasonal baseline
OFF_SEASON_FACTOR = Decimal("2.5")
OFF_SEASON_MIN_EXTRA = Decimal("10000.00")
DRIFT_WINDOW_DAYS = 90
DRIFT_RISE_DAYS = 15
DRIFT_MIN_DAYS = 10
DELAY_WINDOW_DAYS = 90
DELAY_MIN_REQUESTS = 3
PUNCTUAL_RATINGS = ("A", "B")
PUNCTUAL_PREV_DAYS = 15
CONTACT_LEFT_WINDOW_DAYS = 30
# People whose leaving puts the money at risk: a new boss, finance or cashier may not know (or
# may not accept) what their predecessor agreed.
KEY_ROLES = (
    ContactRole.BOSS,
    ContactRole.FINANCE,
    ContactRole.CASHIER,
    ContactRole.PAYMENT_RESPONSIBLE,
)
STRONG_KINDS = (
    SignalKind.DUMPING,
    SignalKind.LAWSUIT,
    SignalKind.RELOCATION,
    SignalKind.FORCE_MAJEURE,
)
# Receivables that are not sales (opening balances carried over) do not count as buying.
BILLED_KINDS = (ReceivableKind.DELIVERY, ReceivableKind.INVOICE, ReceivableKind.INSTALLMENT)
HANDLED_STATUSES = (SignalStatus.CONFIRMED, SignalStatus.DISMISSED, SignalStatus.RESOLVED)
HANDLERS = {Role.MANAGER, Role.FINANCE, Role.ADMIN}
BATCH = 2000
SMALLINT_MAX = 32767


def default_severity(kind: str) -> str:
    """STRONG for dumping, lawsuits, relocation and force majeure; WATCH for the rest."""
    return Severity.STRONG if kind in STRONG_KINDS else Severity.WATCH


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _can_see(user, customer_id: int) -> bool:
    return customers_visible_to(user).filter(pk=customer_id).exists()


# --- The stored summary on the customer ----------------------------------------------------------


def _computed_summary(customer_ids) -> dict[int, tuple[int, date | None]]:
    """Live signal count and earliest live STRONG signal date, per customer with any."""
    signals = Signal.objects.filter(status__in=LIVE_STATUSES)
    if customer_ids is not None:
        signals = signals.filter(customer_id__in=list(customer_ids))
    rows = (
        signals.order_by()
        .values("customer_id")
        .annotate(n=Count("pk"), since=Min("detected_on", filter=Q(severity=Severity.STRONG)))
    )
    return {row["customer_id"]: (min(row["n"], SMALLINT_MAX), row["since"]) for row in rows}


def _summarise(customer_ids) -> int:
    """Lock the customers' rows (in id order, as every writer does) and set their summary from
    their signals; the number of customers whose summary changed."""
    ids = sorted(set(customer_ids))
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        stored = {
            pk: (count, since)
            for pk, count, since in Customer.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "risk_signals", "doubtful_since")
        }
        computed = _computed_summary(chunk)
        # One UPDATE per distinct new summary: a day's run changes thousands of customers to a
        # handful of values, and bulk_update's CASE per row is far slower.
        updates: dict[tuple[int, date | None], list[int]] = defaultdict(list)
        for pk, old in stored.items():
            new = computed.get(pk, (0, None))
            if new != old:
                updates[new].append(pk)
        for (count, since), pks in updates.items():
            Customer.objects.filter(pk__in=pks).update(risk_signals=count, doubtful_since=since)
            changed += len(pks)
    return changed


def _refresh(customer: Customer) -> None:
    """Bring the caller's customer object up to date with the stored summary."""
    customer.risk_signals, customer.doubtful_since = Customer.objects.values_list(
        "risk_signals", "doubtful_since"
    ).get(pk=customer.pk)


@transaction.atomic
def signals_summary_recompute(*, customer_ids=None) -> int:
    """Set ``Customer.risk_signals`` and ``Customer.doubtful_since`` from the signals — for the
    given customers, or for all — and answer how many customers' summary was wrong.

    After every signal service they already agree; this is the proof and the repair.
    """
    if customer_ids is None:
        computed = _computed_summary(None)
        stored = Customer.objects.filter(
            Q(risk_signals__gt=0) | Q(doubtful_since__isnull=False)
        ).values_list("pk", "risk_signals", "doubtful_since")
        wrong = {pk for pk, count, since in stored if computed.get(pk) != (count, since)}
        wrong |= set(computed) - {pk for pk, _count, _since in stored}
        customer_ids = wrong
    return _summarise(customer_ids)


# --- People's signals ---------------------------------------------------------------------------


@transaction.atomic
def signal_record(
    *, customer: Customer, kind: str, evidence: str, detected_on: date, actor, severity=None
) -> Signal:
    """Record a warning sign someone saw about ``customer`` (anyone who may see the customer).

    The evidence is required; the severity defaults to :func:`default_severity`. The customer's
    live-signal count goes up at once, and a STRONG signal makes its overdue money 准呆账 from
    ``detected_on``. Audited.
    """
    if not _can_see(actor, customer.pk):
        raise PermissionDenied(_("You may not record signals about this customer."))
    if kind not in SignalKind.values:
        raise invalid("kind", _("Unknown value: %(value)s.") % {"value": kind})
    severity = severity or default_severity(kind)
    if severity not in Severity.values:
        raise invalid("severity", _("Unknown value: %(value)s.") % {"value": severity})
    evidence = (evidence or "").strip()
    if not evidence:
        raise invalid("evidence", _("Say what was seen, where and by whom."))
    if detected_on is None:
        raise invalid("detected_on", _("Say when it was seen."))
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    signal = Signal(
        customer=customer,
        kind=kind,
        severity=severity,
        detected_on=detected_on,
        evidence=evidence,
        recorded_by=_actor(actor),
    )
    signal.full_clean()
    signal.save()
    audit_record(actor=actor, action="signal.record", obj=signal, after=snapshot(signal))
    _summarise([customer.pk])
    _refresh(customer)
    return signal


@transaction.atomic
def signal_handle(*, signal: Signal, status: str, note: str, actor) -> Signal:
    """Confirm, dismiss or resolve a signal (a manager who sees the customer, finance or an
    administrator). A dismissed or resolved signal is closed and stays so; confirming keeps it
    live. The customer's summary (and with it its class) follows at once. Audited."""
    allowed = actor is not None and getattr(actor, "is_active", False)
    allowed = allowed and (actor.is_superuser or getattr(actor, "role", None) in HANDLERS)
    if not allowed or not _can_see(actor, signal.customer_id):
        raise PermissionDenied(_("Only a manager, finance or an administrator may handle signals."))
    if status not in HANDLED_STATUSES:
        raise invalid("status", _("Unknown value: %(value)s.") % {"value": status})
    Customer.objects.select_for_update().filter(pk=signal.customer_id).first()
    current = Signal.objects.select_for_update().get(pk=signal.pk)
    if current.status not in LIVE_STATUSES:
        raise invalid("status", _("This signal is closed already."))
    if current.status == status:
        raise invalid("status", _("This signal is confirmed already."))
    before = {"status": current.status}
    current.status = status
    current.handled_by = _actor(actor)
    current.handled_at = timezone.now()
    current.handled_note = (note or "").strip()
    current.full_clean()
    current.save(update_fields=["status", "handled_by", "handled_at", "handled_note"])
    audit_record(
        actor=actor,
        action="signal.handle",
        obj=current,
        before=before,
        after={"status": status, "note": current.handled_note},
    )
    _summarise([current.customer_id])
    for name in ("status", "handled_by", "handled_at", "handled_note"):
        setattr(signal, name, getattr(current, name))
    return signal


# --- Detectors ----------------------------------------------------------------------------------


@dataclass
class Finding:
    """A computed signal about to be raised."""

    customer_id: int
    kind: str
    key: str
    evidence: str
    data: dict = field(default_factory=dict)


def _days_sql(later: str, earlier: str) -> str:
    """SQL for the whole days from ``earlier`` to ``later`` (two date columns)."""
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(ROUND(julianday({later}) - julianday({earlier})) AS INTEGER)"


def _average(weighted: int, weight: int) -> int:
    """round(Σdays·fen / Σfen), halves away from zero."""
    return int((Decimal(weighted) / Decimal(weight)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _in_window(end: date, days: int) -> Q:
    return Q(issue_date__gt=end - timedelta(days=days), issue_date__lte=end)


def detect_off_season_bulk(*, as_of: date) -> list[Finding]:
    """Customers billed far above their seasonal baseline in the last 30 days (see the module
    docstring). Two aggregate queries, whatever the number of customers."""
    window = OFF_SEASON_WINDOW_DAYS
    ends = [_add_years(as_of, -years) for years in range(OFF_SEASON_YEARS + 1)]
    billed = Receivable.objects.filter(kind__in=BILLED_KINDS)
    any_window = Q()
    for end in ends:
        any_window |= _in_window(end, window)
    sums = {f"y{n}": Sum("amount", filter=_in_window(end, window)) for n, end in enumerate(ends)}
    rows = (
        billed.filter(any_window)
        .order_by()
        .values("customer_id")
        .annotate(**sums)
        .filter(y0__gte=OFF_SEASON_MIN_EXTRA)
    )
    rows = {row["customer_id"]: row for row in rows}
    if not rows:
        return []
    first_issued: dict[int, date] = {}
    ids = sorted(rows)
    for start in range(0, len(ids), BATCH):
        first_issued.update(
            billed.filter(customer_id__in=ids[start : start + BATCH])
            .order_by()
            .values("customer_id")
            .annotate(first=Min("issue_date"))
            .values_list("customer_id", "first")
        )
    findings = []
    for customer_id, row in rows.items():
        current = row["y0"]
        earlier = [
            row[f"y{n}"] or ZERO
            for n in range(1, OFF_SEASON_YEARS + 1)
            # The year counts when the customer was already buying when its window began.
            if first_issued[customer_id] <= ends[n] - timedelta(days=window)
        ]
        if not earlier:
            continue
        baseline = quantize(sum(earlier, ZERO) / len(earlier))
        if current < baseline * OFF_SEASON_FACTOR or current - baseline < OFF_SEASON_MIN_EXTRA:
            continue
        times = (current / baseline).quantize(Decimal("0.1")) if baseline else None
        if times is None:
            evidence = _(
                "Billed %(billed)s in the %(days)s days to %(day)s, when the same weeks of the "
                "last %(years)s years brought nothing: off-season bulk buying."
            )
        else:
            evidence = _(
                "Billed %(billed)s in the %(days)s days to %(day)s, %(times)s times the "
                "%(baseline)s of the same weeks in the last %(years)s years: off-season bulk "
                "buying."
            )
        findings.append(
            Finding(
                customer_id=customer_id,
                kind=SignalKind.OFF_SEASON_BULK,
                key=f"{SignalKind.OFF_SEASON_BULK}:{customer_id}:{as_of:%Y%m%d}",
                evidence=evidence
                % {
                    "billed": _yuan(current),
                    "days": window,
                    "day": as_of.isoformat(),
                    "times": times,
                    "baseline": _yuan(baseline),
                    "years": len(earlier),
                },
                data={
                    "billed": f"{current:.2f}",
                    "baseline": f"{baseline:.2f}",
                    "years": len(earlier),
                    "window_days": window,
                },
            )
        )
    return findings


def detect_payment_drift(*, as_of: date) -> list[Finding]:
    """Customers paying later and later: the settlements of the last 90 days are on average at
    least 15 days later (after due) than those of the 90 days before, and at least 10 days late.
    One aggregate query over the allocations of the last 180 days."""
    middle = as_of - timedelta(days=DRIFT_WINDOW_DAYS)
    start = middle - timedelta(days=DRIFT_WINDOW_DAYS)
    allocation = Allocation._meta.db_table
    receivable = Receivable._meta.db_table
    days = _days_sql("a.applied_on", "r.due_date")
    sql = f"""
        SELECT r.customer_id,
               SUM(CASE WHEN a.applied_on > %s THEN a.amount * {days} ELSE 0 END),
               SUM(CASE WHEN a.applied_on > %s THEN a.amount ELSE 0 END),
               SUM(CASE WHEN a.applied_on <= %s THEN a.amount * {days} ELSE 0 END),
               SUM(CASE WHEN a.applied_on <= %s THEN a.amount ELSE 0 END)
        FROM {allocation} a JOIN {receivable} r ON r.id = a.receivable_id
        WHERE a.applied_on > %s AND a.applied_on <= %s
          AND a.payment_id IS NOT NULL AND a.reverses_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM {allocation} x WHERE x.reverses_id = a.id)
        GROUP BY r.customer_id
    """
    findings = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [middle, middle, middle, middle, start, as_of])
        rows = cursor.fetchall()
    for customer_id, cur_days, cur_fen, prev_days, prev_fen in rows:
        if not cur_fen or not prev_fen:
            continue
        current = _average(int(cur_days), int(cur_fen))
        previous = _average(int(prev_days), int(prev_fen))
        if current < DRIFT_MIN_DAYS or current - previous < DRIFT_RISE_DAYS:
            continue
        findings.append(
            Finding(
                customer_id=customer_id,
                kind=SignalKind.PAYMENT_DRIFT,
                key=f"{SignalKind.PAYMENT_DRIFT}:{customer_id}:{as_of:%Y%m%d}",
                evidence=_(
                    "Paid on average %(now)s days after the due date in the last %(days)s days, "
                    "against %(before)s days in the %(days)s days before: paying later and later."
                )
                % {"now": current, "before": previous, "days": DRIFT_WINDOW_DAYS},
                data={"avg_days_late": current, "prev_avg_days_late": previous},
            )
        )
    return findings


def detect_delay_requests(*, as_of: date) -> list[Finding]:
    """Punctual customers asking again and again to delay or split payment: at least 3 days in
    the last 90 with a contact marked "asked to delay" or a promise replaced by a new one."""
    since = as_of - timedelta(days=DELAY_WINDOW_DAYS)
    activity = Activity._meta.db_table
    promise = Promise._meta.db_table
    sql = f"""
        SELECT customer_id, COUNT(*) FROM (
            SELECT customer_id, happened_on AS day FROM {activity}
            WHERE asked_to_delay = %s AND happened_on > %s AND happened_on <= %s
            UNION
            SELECT customer_id, settled_on AS day FROM {promise}
            WHERE status = %s AND settled_on > %s AND settled_on <= %s
        ) requests
        GROUP BY customer_id
        HAVING COUNT(*) >= %s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [True, since, as_of, PromiseStatus.REPLACED, since, as_of, DELAY_MIN_REQUESTS],
        )
        counts = dict(cursor.fetchall())
    findings = []
    ids = sorted(counts)
    for start in range(0, len(ids), BATCH):
        punctual = (
            Customer.objects.filter(pk__in=ids[start : start + BATCH])
            .filter(
                Q(rating__in=PUNCTUAL_RATINGS)
                | Q(credit_profile__prev_avg_days_late__lte=PUNCTUAL_PREV_DAYS)
            )
            .values_list("pk", "rating", "credit_profile__prev_avg_days_late")
        )
        for customer_id, rating, previous in punctual:
            findings.append(
                Finding(
                    customer_id=customer_id,
                    kind=SignalKind.DELAY_REQUESTS,
                    key=f"{SignalKind.DELAY_REQUESTS}:{customer_id}:{as_of:%Y%m%d}",
                    evidence=_(
                        "%(count)s requests to delay or split payment in the last %(days)s days "
                        "from a customer that used to pay on time (rating %(rating)s)."
                    )
                    % {
                        "count": counts[customer_id],
                        "days": DELAY_WINDOW_DAYS,
                        "rating": rating or "—",
                    },
                    data={
                        "requests": counts[customer_id],
                        "rating": rating,
                        "prev_avg_days_late": previous,
                    },
                )
            )
    return findings


def detect_contact_left(*, as_of: date) -> list[Finding]:
    """Boss, finance, cashier or payment-responsible contacts who left in the last 30 days."""
    left = (
        Contact.objects.filter(
            is_active=False,
            role__in=KEY_ROLES,
            left_on__gt=as_of - timedelta(days=CONTACT_LEFT_WINDOW_DAYS),
            left_on__lte=as_of,
        )
        .order_by("customer_id", "left_on", "pk")
        .values_list("pk", "customer_id", "name", "role", "left_on")
    )
    roles = dict(ContactRole.choices)
    return [
        Finding(
            customer_id=customer_id,
            kind=SignalKind.CONTACT_LEFT,
            key=f"{SignalKind.CONTACT_LEFT}:{pk}:{left_on:%Y%m%d}",
            evidence=_(
                "%(name)s (%(role)s) left on %(day)s: get a balance confirmation signed and "
                "stamped by the legal entity now, before the new people take over."
            )
            % {"name": name, "role": roles.get(role, role), "day": left_on.isoformat()},
            data={"contact": pk, "role": role, "left_on": left_on.isoformat()},
        )
        for pk, customer_id, name, role, left_on in left
    ]


DETECTORS = (
    (SignalKind.OFF_SEASON_BULK, detect_off_season_bulk, OFF_SEASON_WINDOW_DAYS),
    (SignalKind.PAYMENT_DRIFT, detect_payment_drift, DRIFT_WINDOW_DAYS),
    (SignalKind.DELAY_REQUESTS, detect_delay_requests, DELAY_WINDOW_DAYS),
    (SignalKind.CONTACT_LEFT, detect_contact_left, CONTACT_LEFT_WINDOW_DAYS),
)


def _already_known(kind: str, findings: list[Finding], as_of: date, window: int) -> set[str]:
    """Keys of the findings that would repeat a signal: the same key exists; for a departure, a
    person recorded it already (a contact_left signal seen on or after the leaving date); for
    the other kinds, the customer has a live signal of that kind or one seen within the window
    (one episode, one signal)."""
    keys = [f.key for f in findings]
    known = set()
    for start in range(0, len(keys), BATCH):
        known.update(
            Signal.objects.filter(key__in=keys[start : start + BATCH]).values_list("key", flat=True)
        )
    customers = sorted({f.customer_id for f in findings})
    earlier = Signal.objects.filter(kind=kind)
    if kind == SignalKind.CONTACT_LEFT:
        recorded: dict[int, date] = {}
        for start in range(0, len(customers), BATCH):
            recorded.update(
                earlier.filter(key__isnull=True, customer_id__in=customers[start : start + BATCH])
                .order_by()
                .values("customer_id")
                .annotate(last=Max("detected_on"))
                .values_list("customer_id", "last")
            )
        known.update(
            f.key
            for f in findings
            if f.customer_id in recorded
            and recorded[f.customer_id].isoformat() >= f.data["left_on"]
        )
        return known
    recent: set[int] = set()
    for start in range(0, len(customers), BATCH):
        recent.update(
            earlier.filter(customer_id__in=customers[start : start + BATCH])
            .filter(Q(status__in=LIVE_STATUSES) | Q(detected_on__gt=as_of - timedelta(days=window)))
            .values_list("customer_id", flat=True)
        )
    known.update(f.key for f in findings if f.customer_id in recent)
    return known


@transaction.atomic
def signals_detect(*, as_of: date) -> dict[str, int]:
    """Run every detector for ``as_of`` and raise the new signals (WATCH, seen on ``as_of``),
    updating the affected customers' summary under their row locks. Answers how many signals of
    each kind were raised; running it again for the same date raises none."""
    raised: dict[str, int] = {}
    new: list[Signal] = []
    for kind, detect, window in DETECTORS:
        findings = detect(as_of=as_of)
        known = _already_known(kind, findings, as_of, window)
        fresh = [f for f in findings if f.key not in known]
        raised[str(kind)] = len(fresh)
        new.extend(
            Signal(
                customer_id=f.customer_id,
                kind=f.kind,
                severity=default_severity(f.kind),
                detected_on=as_of,
                evidence=f.evidence,
                data=f.data,
                key=f.key,
            )
            for f in fresh
        )
    affected = sorted({signal.customer_id for signal in new})
    # Lock before writing, in the order every writer uses.
    for start in range(0, len(affected), BATCH):
        list(
            Customer.objects.select_for_update()
            .filter(pk__in=affected[start : start + BATCH])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    Signal.objects.bulk_create(new, batch_size=BATCH)
    _summarise(affected)
    return raised
