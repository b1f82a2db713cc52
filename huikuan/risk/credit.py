"""The order-stage credit check (前款不结,后货不送): may this customer take goods on credit for
this amount, how much of it, and why not.

The check answers ``allow``, ``partial`` (ship part: 限量发货) or ``block``, always with reasons,
and stores the answer as a ``CreditDecision``. The rules (thresholds from ``CreditPolicy``; a day
count or percentage of 0 switches a rule off):

* **Holds** block, whatever else is true; an exception does not lift a hold.
* **Blocks** (nothing may ship): no credit limit (limit in force 0); an open receivable
  overdue ``block_overdue_days`` or more; a promise to pay broken within
  ``block_broken_promise_days``; the customer's overdue money in ``block_from_class`` or worse; a
  rating in ``block_ratings``; a live strong warning signal; an approved stop-supply measure on
  the customer's open collection case.
* **Partial** (``partial_share_pct`` of the order may ship): an open receivable overdue
  ``partial_overdue_days`` or more; a rating in ``partial_ratings``; a live watch signal; an
  approved reduce-supply measure on the open case.
* **Limit**: exposure (open receivables − unapplied credit + orders allowed and still reserved)
  plus the order may not exceed the limit in force (a new customer's ramp limit, see
  ``rating.ramp_limit``). What may ship is at most the headroom ``limit − exposure``.
* **Exceptions**: an active exception (not revoked, valid on ``as_of``, something left; the one
  ending first) then lifts any result but a hold, by at most what is left of it.

An allowed amount is reserved against the limit for ``reservation_days`` (0: not reserved) unless
released earlier; a new check of the same non-empty ``order_ref`` replaces the earlier ones.

Race safety: the check starts by locking the customer row, and every writer that changes what it
reads (holds, exceptions, signals, the credit profile) takes the same lock first, so a hold
committed before a check starts is always seen by it, and concurrent checks of one customer
count each other's reservations.
"""

import re
from collections import defaultdict
from datetime import UTC, date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from huikuan.audit.services import audit_record
from huikuan.core.errors import invalid
from huikuan.core.events import event_emit
from huikuan.core.models import EventKind
from huikuan.core.money import (
    ZERO,
    MoneyError,
    MoneyField,
    from_fen,
    money_str,
    quantize,
    to_decimal,
    to_fen,
)
from huikuan.customers.models import Customer
from huikuan.dunning.models import (
    Action,
    ApprovalKind,
    ApprovalStatus,
    PromiseStatus,
)
from huikuan.ledger.classes import ClassThresholds, DebtClass, class_thresholds, debt_class_for
from huikuan.ledger.selectors import customer_balance

from .models import (
    LIVE_STATUSES,
    CreditDecision,
    CreditPolicy,
    Decision,
    Severity,
    SignalKind,
)
from .policy import credit_policy
from .rating import ramp_limit

# Classes ``CreditPolicy.block_from_class`` may name; anything else (blank) switches the rule off.
BLOCKABLE_CLASSES = (DebtClass.OVERDUE, DebtClass.DOUBTFUL, DebtClass.BAD)
# The longest order reference, and the largest amount a money column holds (fen in a BIGINT).
ORDER_REF_MAX = CreditDecision._meta.get_field("order_ref").max_length
MAX_FEN = 2**63 - 1
SUPPLY_MEASURES = (Action.STOP_SUPPLY, Action.REDUCE_SUPPLY)


def exposure(*, customer_id: int, as_of: date) -> Decimal:
    """What the customer owes or has been promised on credit: its open receivables' outstanding
    (as posted), less its unapplied credit (unallocated money of payments and credit notes not
    reversed — the rule of ``ledger.selectors.customer_balance``), plus the allowed amounts of
    credit decisions not released and reserved until ``as_of`` or later. May be negative."""
    balance = customer_balance(customer=customer_id)
    reserved = CreditDecision.objects.filter(
        customer_id=customer_id,
        released_at__isnull=True,
        allowed_amount__gt=0,
        reserved_until__gte=as_of,
    ).aggregate(total=Sum("allowed_amount"))["total"]
    return balance.outstanding - balance.unapplied_credit + (reserved or ZERO)


def customer_debt_class(
    *,
    status: str,
    doubtful_since: date | None,
    oldest_overdue_due: date | None,
    as_of: date,
    thresholds: ClassThresholds,
) -> str:
    """The class (货款五类) of one customer's overdue money on ``as_of``, from the due date of its
    oldest open overdue receivable (``ledger.classes.debt_class_for``)."""
    return debt_class_for(
        days_overdue=None if oldest_overdue_due is None else (as_of - oldest_overdue_due).days,
        status=status,
        doubtful_since=doubtful_since,
        as_of=as_of,
        thresholds=thresholds,
    )


def _reason(code: str, **params) -> dict:
    return {"code": code, "params": params}


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def _amount(value) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise invalid("amount", _("Not an amount: %(value)s.") % {"value": value}) from None
    if amount <= ZERO:
        raise invalid("amount", _("The amount must be greater than zero."))
    if to_fen(amount) > MAX_FEN:
        raise invalid("amount", _("Not an amount: %(value)s.") % {"value": value})
    return amount


class _Rules:
    """What the rules found for one check: block and partial reasons, in the order shown."""

    def __init__(self):
        self.blocks: list[dict] = []
        self.partials: list[dict] = []
        self.hold = False


# --- The statements of one check ----------------------------------------------------------------
#
# A check runs on every order, so it reads with few, precompiled statements instead of one ORM
# query per rule: (1) the customer row lock, (2) when ``order_ref`` is set, one UPDATE releasing
# that order's earlier decisions, (3) ONE read of everything the rules need (scalar subqueries
# and one-row derived tables), (4) only when an exception may lift the result, that exception
# row locked, (5) the decision inserted. The read must be a statement of its own AFTER the lock:
# on PostgreSQL (READ COMMITTED) each statement reads a fresh snapshot, so it sees a hold
# committed while the check was waiting for the lock. The SQL is portable (SQLite and
# PostgreSQL), dates travel as parameters, and it is built once per database vendor.

_LOCK_SQL = (
    "SELECT credit_limit, first_deal_on, rating, status, doubtful_since, code "
    "FROM customers_customer WHERE id = %(c)s"
)
_RELEASE_SQL = (
    "UPDATE risk_creditdecision SET released_at = %(now)s "
    "WHERE customer_id = %(c)s AND order_ref = %(ref)s AND released_at IS NULL "
    "RETURNING exception_id, exception_used"
)
_GIVE_BACK_SQL = "UPDATE risk_creditexception SET used = used - %(fen)s WHERE id = %(e)s"
_EXCEPTION_SQL = (
    "SELECT e.amount, e.used, e.valid_until, "
    "(SELECT u.first_name FROM org_user u WHERE u.id = e.granted_by_id), "
    "(SELECT u.last_name FROM org_user u WHERE u.id = e.granted_by_id), "
    "(SELECT u.username FROM org_user u WHERE u.id = e.granted_by_id) "
    "FROM risk_creditexception e WHERE e.id = %(e)s"
)
_EXCEPTION_TAKE_SQL = "UPDATE risk_creditexception SET used = used + %(fen)s WHERE id = %(e)s"

# Policy fields the check reads (all but the edit time).
_POLICY_FIELDS = [f for f in CreditPolicy._meta.concrete_fields if f.attname != "updated_at"]
# Fixed values of the read statement (codes, not user input).
_READ_CONSTANTS = {
    "broken": PromiseStatus.BROKEN,
    "live1": LIVE_STATUSES[0],
    "live2": LIVE_STATUSES[1],
    "strong": Severity.STRONG,
    "measure": ApprovalKind.MEASURE,
    "approved": ApprovalStatus.APPROVED,
    "stop": Action.STOP_SUPPLY,
    "reduce": Action.REDUCE_SUPPLY,
}
assert len(LIVE_STATUSES) == 2


def _signal_sql(alias: str, severity_test: str) -> str:
    return (
        "LEFT JOIN (SELECT s.id, s.kind, s.detected_on FROM risk_signal s "
        "WHERE s.customer_id = %(c)s AND s.status IN (%(live1)s, %(live2)s) "
        f"AND s.severity {severity_test} %(strong)s "
        f"ORDER BY s.detected_on DESC, s.id DESC LIMIT 1) {alias} ON 1 = 1 "
    )


def _measure_sql(alias: str, action: str) -> str:
    # DESC sorts unknown decision times as the ORM's order_by("-decided_at") does on each vendor.
    return (
        "LEFT JOIN (SELECT a.id, a.decided_at FROM dunning_approvalrequest a "
        "INNER JOIN dunning_case k ON k.id = a.case_id "
        "WHERE a.customer_id = %(c)s AND a.kind = %(measure)s AND a.status = %(approved)s "
        f"AND a.action = %({action})s AND k.closed_on IS NULL "
        f"ORDER BY a.decided_at DESC, a.id DESC LIMIT 1) {alias} ON 1 = 1 "
    )


def _build_read_sql() -> str:
    policy_columns = ", ".join(f.column for f in _POLICY_FIELDS)
    policy_select = ", ".join(f"p.{f.column} AS p_{f.attname}" for f in _POLICY_FIELDS)
    return (
        f"SELECT {policy_select}, "
        "(SELECT pr.on_time_count FROM risk_creditprofile pr WHERE pr.customer_id = %(c)s) "
        "AS on_time_count, "
        "(SELECT pr.late_count FROM risk_creditprofile pr WHERE pr.customer_id = %(c)s) "
        "AS late_count, "
        # Open receivables' outstanding and unapplied credit: ledger.selectors.customer_balance.
        "(SELECT SUM(r.outstanding) FROM ledger_receivable r "
        "WHERE r.customer_id = %(c)s AND r.outstanding > 0) AS outstanding, "
        "(SELECT SUM(py.amount - py.allocated) FROM ledger_payment py "
        "WHERE py.customer_id = %(c)s AND py.allocated < py.amount AND NOT EXISTS "
        "(SELECT 1 FROM ledger_reversal rv WHERE rv.payment_id = py.id)) AS unapplied, "
        "(SELECT SUM(cd.allowed_amount) FROM risk_creditdecision cd "
        "WHERE cd.customer_id = %(c)s AND cd.released_at IS NULL AND cd.allowed_amount > 0 "
        "AND cd.reserved_until >= %(d)s) AS reserved, "
        "h.id AS hold_id, h.reason AS hold_reason, h.placed_at AS hold_at, "
        "h.first_name AS hold_first, h.last_name AS hold_last, h.username AS hold_username, "
        "od.number AS od_number, od.due_date AS od_due, od.outstanding AS od_outstanding, "
        "ps.amount AS ps_amount, ps.due_on AS ps_due, ps.settled_on AS ps_settled, "
        "pu.amount AS pu_amount, pu.due_on AS pu_due, "
        "ss.id AS strong_id, ss.kind AS strong_kind, ss.detected_on AS strong_on, "
        "sw.id AS watch_id, sw.kind AS watch_kind, sw.detected_on AS watch_on, "
        "ms.id AS stop_id, ms.decided_at AS stop_at, "
        "mr.id AS reduce_id, mr.decided_at AS reduce_at, "
        "(SELECT e.id FROM risk_creditexception e WHERE e.customer_id = %(c)s "
        "AND e.revoked_at IS NULL AND e.valid_from <= %(d)s AND e.valid_until >= %(d)s "
        "AND e.used < e.amount ORDER BY e.valid_until, e.id LIMIT 1) AS exception_id "
        "FROM (SELECT 1 AS one) base "
        f"LEFT JOIN (SELECT {policy_columns} FROM risk_creditpolicy ORDER BY id LIMIT 1) p "
        "ON 1 = 1 "
        # The oldest live hold, with who placed it.
        "LEFT JOIN (SELECT h.id, h.reason, h.placed_at, u.first_name, u.last_name, u.username "
        "FROM risk_credithold h LEFT JOIN org_user u ON u.id = h.placed_by_id "
        "WHERE h.customer_id = %(c)s AND h.released_at IS NULL "
        "ORDER BY h.placed_at, h.id LIMIT 1) h ON 1 = 1 "
        # The oldest open overdue receivable (worst days overdue).
        "LEFT JOIN (SELECT r.number, r.due_date, r.outstanding FROM ledger_receivable r "
        "WHERE r.customer_id = %(c)s AND r.outstanding > 0 AND r.due_date < %(d)s "
        "ORDER BY r.due_date, r.id LIMIT 1) od ON 1 = 1 "
        # The latest broken promise settled by as_of, and the latest unsettled one due by then;
        # the window is applied in Python (it depends on the policy read here).
        "LEFT JOIN (SELECT pm.amount, pm.due_on, pm.settled_on FROM dunning_promise pm "
        "WHERE pm.customer_id = %(c)s AND pm.status = %(broken)s AND pm.settled_on <= %(d)s "
        "ORDER BY pm.settled_on DESC, pm.due_on DESC, pm.id DESC LIMIT 1) ps ON 1 = 1 "
        "LEFT JOIN (SELECT pm.amount, pm.due_on FROM dunning_promise pm "
        "WHERE pm.customer_id = %(c)s AND pm.status = %(broken)s AND pm.settled_on IS NULL "
        "AND pm.due_on <= %(d)s ORDER BY pm.due_on DESC, pm.id DESC LIMIT 1) pu ON 1 = 1 "
        # The newest live strong signal and the newest live other one.
        + _signal_sql("ss", "=")
        + _signal_sql("sw", "<>")
        # The latest approved stop- and reduce-supply measures on the open case.
        + _measure_sql("ms", "stop")
        + _measure_sql("mr", "reduce")
    )


_READ_SQL: dict[str, tuple[str, list[str]]] = {}
# On PostgreSQL the read is a prepared statement of the session (planning it costs more than
# running it): prepared once per database connection, under this name.
_PREPARED = "huikuan_credit_check_read"


def _read_statement(cursor) -> tuple[str, list[str]]:
    """The read statement for this connection, and the column names it answers (filled in by
    the first execution)."""
    vendor = connection.vendor
    if vendor == "postgresql" and not settings.HUIKUAN_CREDIT_CHECK_PREPARE:
        vendor = "postgresql-unprepared"  # e.g. behind a transaction-pooling PgBouncer
    if vendor not in _READ_SQL:
        sql = _build_read_sql()
        if vendor == "postgresql":
            order: list[str] = []

            def number(match) -> str:
                if match.group(1) not in order:
                    order.append(match.group(1))
                return f"${order.index(match.group(1)) + 1}"

            prepare = f"PREPARE {_PREPARED} AS " + re.sub(r"%\((\w+)\)s", number, sql)
            execute = f"EXECUTE {_PREPARED}({', '.join(f'%({name})s' for name in order)})"
            _READ_SQL[vendor + ":prepare"] = (prepare, [])
            sql = execute
        _READ_SQL[vendor] = (sql, [])
    if vendor == "postgresql" and getattr(connection, "_huikuan_credit_prepared", None) is not (
        connection.connection
    ):
        # A prepared statement lives as long as the session and survives a rollback.
        cursor.execute(_READ_SQL[vendor + ":prepare"][0])
        connection._huikuan_credit_prepared = connection.connection
    return _READ_SQL[vendor]


def _read(cursor, customer_id: int, as_of: date) -> dict:
    sql, names = _read_statement(cursor)
    cursor.execute(
        sql, {"c": customer_id, "d": connection.ops.adapt_datefield_value(as_of), **_READ_CONSTANTS}
    )
    row = cursor.fetchone()
    if not names:
        names[:] = [column[0] for column in cursor.description]  # whole, so threads agree
    return dict(zip(names, row, strict=True))


def _date(value) -> date | None:
    """A date column read by raw SQL (SQLite may hand back its text)."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _moment(value):
    """A timestamp column read by raw SQL, as an aware datetime (SQLite stores naive UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _person(first, last, username) -> str:
    """``str(user)`` of ``huikuan.org.models.User`` from its columns."""
    if username is None:
        return ""
    return f"{last or ''}{first or ''}".strip() or username


def _policy(row: dict) -> CreditPolicy | None:
    if row["p_id"] is None:
        return None
    values = {}
    for field in _POLICY_FIELDS:
        value = row[f"p_{field.attname}"]
        if isinstance(field, MoneyField):
            value = from_fen(value)
        elif isinstance(field, BooleanField):
            value = bool(value)
        values[field.attname] = value
    return CreditPolicy(**values)


def _rules(row: dict, customer: dict, policy, as_of: date, limit: Decimal) -> _Rules:
    """Apply the block and partial rules to what the read statement found."""
    rules = _Rules()
    share = policy.partial_share_pct
    if row["hold_id"] is not None:
        rules.hold = True
        rules.blocks.append(
            _reason(
                "hold",
                hold=row["hold_id"],
                reason=row["hold_reason"],
                by=_person(row["hold_first"], row["hold_last"], row["hold_username"]),
                date=_day(_moment(row["hold_at"])),
            )
        )
    if limit <= ZERO:
        rules.blocks.append(_reason("no_limit", limit=money_str(limit)))

    # Overdue items and the class, both from the oldest open overdue receivable.
    due = _date(row["od_due"])
    if due is not None:
        days = (as_of - due).days
        params = {
            "number": row["od_number"],
            "days": days,
            "outstanding": money_str(from_fen(row["od_outstanding"])),
            "due_date": due.isoformat(),
        }
        if policy.block_overdue_days and days >= policy.block_overdue_days:
            rules.blocks.append(_reason("overdue_block", **params))
        elif policy.partial_overdue_days and days >= policy.partial_overdue_days:
            rules.partials.append(_reason("overdue_partial", share=share, **params))
    block_from = policy.block_from_class
    if block_from in BLOCKABLE_CLASSES:
        debt_class = customer_debt_class(
            status=customer["status"],
            doubtful_since=customer["doubtful_since"],
            oldest_overdue_due=due,
            as_of=as_of,
            thresholds=class_thresholds(),
        )
        if DebtClass.ORDER.index(debt_class) >= DebtClass.ORDER.index(block_from):
            rules.blocks.append(_reason("class_block", **{"class": debt_class}))

    # A promise broken within the window: the latest settled one, else the latest unsettled.
    if policy.block_broken_promise_days:
        since = as_of - timedelta(days=policy.block_broken_promise_days)
        broken = None
        settled = _date(row["ps_settled"])
        if settled is not None and settled >= since:
            broken = (settled, row["ps_amount"], _date(row["ps_due"]))
        else:
            due_on = _date(row["pu_due"])
            if due_on is not None and due_on >= since:
                broken = (due_on, row["pu_amount"], due_on)
        if broken is not None:
            rules.blocks.append(
                _reason(
                    "promise_broken",
                    date=broken[0].isoformat(),
                    amount=money_str(from_fen(broken[1])),
                    due_on=broken[2].isoformat(),
                )
            )

    rating = customer["rating"]
    if rating:
        if rating in policy.block_ratings:
            rules.blocks.append(_reason("rating_block", rating=rating))
        elif rating in policy.partial_ratings:
            rules.partials.append(_reason("rating_partial", rating=rating, share=share))

    if row["strong_id"] is not None and policy.block_on_strong_signal:
        rules.blocks.append(
            _reason(
                "signal_strong",
                signal=row["strong_id"],
                kind=row["strong_kind"],
                date=_date(row["strong_on"]).isoformat(),
            )
        )
    if row["watch_id"] is not None and policy.partial_on_watch_signal:
        rules.partials.append(
            _reason(
                "signal_watch",
                signal=row["watch_id"],
                kind=row["watch_kind"],
                date=_date(row["watch_on"]).isoformat(),
                share=share,
            )
        )

    # Reduce- and stop-supply measures a manager approved on the customer's open case.
    if policy.honour_supply_measures:
        for key, target, code in (
            ("stop", rules.blocks, "supply_stopped"),
            ("reduce", rules.partials, "supply_reduced"),
        ):
            if row[f"{key}_id"] is None:
                continue
            decided_at = _moment(row[f"{key}_at"])
            params = {"approval": row[f"{key}_id"], "date": _day(decided_at) if decided_at else ""}
            if code == "supply_reduced":
                params = {"share": share, **params}
            target.append(_reason(code, **params))
    if not share:
        rules.partials = []  # a share of 0 % switches the partial rules off
    return rules


# Columns of the stored decision (all but the id), and its INSERT, built once.
_DECISION_FIELDS = [f for f in CreditDecision._meta.concrete_fields if not f.primary_key]
_INSERT_SQL = "INSERT INTO {table} ({columns}) VALUES ({values}) RETURNING id".format(
    table=CreditDecision._meta.db_table,
    columns=", ".join(f.column for f in _DECISION_FIELDS),
    values=", ".join(["%s"] * len(_DECISION_FIELDS)),
)


def _insert(cursor, decision: CreditDecision) -> None:
    """Store ``decision`` with one INSERT, each value prepared by its model field."""
    cursor.execute(
        _INSERT_SQL,
        [f.get_db_prep_save(f.pre_save(decision, True), connection) for f in _DECISION_FIELDS],
    )
    decision.pk = cursor.fetchone()[0]
    decision._state.adding = False
    decision._state.db = connection.alias


@transaction.atomic
def credit_check(
    *, customer, amount: Decimal, order_ref: str = "", actor=None, as_of: date
) -> CreditDecision:
    """Decide how much of an order of ``amount`` may go to ``customer`` on credit on ``as_of``
    (the rules in the module docstring) and store the decision with its reasons.

    Reasons are ``{"code": …, "params": {…}}`` with JSON-safe figures (amounts as ``"1234.56"``,
    dates ISO) and there is always at least one: ``within_limit`` when nothing stood in the way.
    Five statements at most, besides giving back to exceptions (see "The statements of one
    check" above) and, for a blocked order, the ``credit.blocked`` event for other systems.
    """
    amount = _amount(amount)
    order_ref = (order_ref or "").strip()
    if len(order_ref) > ORDER_REF_MAX:
        raise invalid("order_ref", _("The order reference is too long."))
    ops = connection.ops
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        # Every writer of what this check reads takes this lock first (see the module docstring).
        cursor.execute(_LOCK_SQL + for_update, {"c": customer.pk})
        found = cursor.fetchone()
        if found is None:
            raise Customer.DoesNotExist("Customer matching query does not exist.")
        locked = {
            "credit_limit": from_fen(found[0]),
            "first_deal_on": _date(found[1]),
            "rating": found[2],
            "status": found[3],
            "doubtful_since": _date(found[4]),
            "code": found[5],
        }
        now = timezone.now()
        if order_ref:
            # The order's earlier decisions are released; what they took from an exception goes
            # back to it, since the order is being decided again.
            cursor.execute(
                _RELEASE_SQL,
                {"now": ops.adapt_datetimefield_value(now), "c": customer.pk, "ref": order_ref},
            )
            for exception_id, fen in cursor.fetchall():
                if exception_id and fen and fen > 0:
                    cursor.execute(_GIVE_BACK_SQL, {"fen": fen, "e": exception_id})

        row = _read(cursor, customer.pk, as_of)
        policy = _policy(row)
        if policy is None:  # the policy row is missing: create it and read again
            credit_policy()
            row = _read(cursor, customer.pk, as_of)
            policy = _policy(row)

        ramp = ramp_limit(
            granted=locked["credit_limit"],
            first_deal_on=locked["first_deal_on"],
            on_time_count=row["on_time_count"] or 0,
            late_count=row["late_count"] or 0,
            as_of=as_of,
            policy=policy,
        )
        limit = ramp.limit
        owed = (
            (from_fen(row["outstanding"]) or ZERO)
            - (from_fen(row["unapplied"]) or ZERO)
            + (from_fen(row["reserved"]) or ZERO)
        )
        rules = _rules(row, locked, policy, as_of, limit)

        headroom = max(ZERO, limit - owed)
        limit_reasons = []
        figures = {
            "exposure": money_str(owed),
            "amount": money_str(amount),
            "limit": money_str(limit),
            "headroom": money_str(headroom),
        }
        if limit > ZERO and owed + amount > limit:
            limit_reasons.append(
                _reason("over_limit", over_by=money_str(owed + amount - limit), **figures)
            )
            granted = locked["credit_limit"] or ZERO
            if ramp.in_ramp and limit < granted:
                limit_reasons.append(
                    _reason(
                        "ramp_limit",
                        limit=money_str(limit),
                        granted=money_str(granted),
                        step=ramp.step,
                        paid_to_next_step=ramp.paid_to_next_step,
                    )
                )

        if rules.blocks:
            allowed = ZERO
        elif rules.partials:
            allowed = min(quantize(amount * policy.partial_share_pct / Decimal(100)), headroom)
        else:
            allowed = min(amount, headroom)
        reasons = rules.blocks + rules.partials + limit_reasons
        if not reasons:
            reasons.append(_reason("within_limit", **figures))

        exception_id, taken = None, ZERO
        if allowed < amount and not rules.hold and row["exception_id"] is not None:
            # Something is left for the exception to lift: lock it, then take from it.
            exception_id = row["exception_id"]
            cursor.execute(_EXCEPTION_SQL + for_update, {"e": exception_id})
            fen_amount, fen_used, until, first, last, username = cursor.fetchone()
            exc_amount, exc_used = from_fen(fen_amount), from_fen(fen_used)
            taken = min(amount - allowed, exc_amount - exc_used)
            if taken > ZERO:
                cursor.execute(_EXCEPTION_TAKE_SQL, {"e": exception_id, "fen": to_fen(taken)})
                exc_used += taken
                allowed += taken
                reasons.append(
                    _reason(
                        "exception_used",
                        exception=exception_id,
                        granted_by=_person(first, last, username),
                        until=_date(until).isoformat(),
                        amount=money_str(taken),
                        used=money_str(exc_used),
                        remaining=money_str(exc_amount - exc_used),
                    )
                )
            else:
                exception_id, taken = None, ZERO

        if allowed == amount:
            outcome = Decision.ALLOW
        elif allowed > ZERO:
            outcome = Decision.PARTIAL
        else:
            outcome = Decision.BLOCK
        reserved_until = None
        if allowed > ZERO and policy.reservation_days:
            reserved_until = as_of + timedelta(days=policy.reservation_days)
        decision = CreditDecision(
            customer_id=customer.pk,
            order_ref=order_ref,
            amount=amount,
            decision=outcome,
            allowed_amount=allowed,
            reasons=reasons,
            exposure=owed,
            credit_limit=limit,
            exception_id=exception_id,
            exception_used=taken,
            as_of=as_of,
            asked_by=actor if getattr(actor, "pk", None) else None,
            reserved_until=reserved_until,
        )
        # The customer, the exception and the amounts were checked above; the CHECK
        # constraints guard the stored amounts.
        _insert(cursor, decision)
    if outcome == Decision.BLOCK:
        # For other systems (webhooks): one INSERT, only when the order is blocked.
        event_emit(
            kind=EventKind.CREDIT_BLOCKED,
            obj=decision,
            object_type="credit_decision",
            customer=SimpleNamespace(pk=customer.pk, code=locked["code"]),
            payload={
                "source": "credit_check",
                "order_ref": order_ref,
                "amount": money_str(amount),
                "allowed_amount": money_str(allowed),
                "exposure": money_str(owed),
                "credit_limit": money_str(limit),
                "as_of": as_of.isoformat(),
                "reasons": reasons,
            },
        )
    if isinstance(customer, Customer):
        decision.customer = customer
    return decision


@transaction.atomic
def decision_release(*, decision: CreditDecision, actor) -> CreditDecision:
    """Stop an allowed amount counting against the limit (the order was cancelled or invoiced —
    once invoiced, its receivable counts instead). Releasing twice changes nothing. What the
    decision took from an exception stays used. Audited."""
    Customer.objects.select_for_update().get(pk=decision.customer_id)
    decision = CreditDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.released_at is not None:
        return decision
    decision.released_at = timezone.now()
    decision.save(update_fields=["released_at"])
    audit_record(
        actor=actor,
        action="credit_decision.release",
        obj=decision,
        before={"released_at": None},
        after={"released_at": decision.released_at},
    )
    return decision


# --- Reasons as sentences -----------------------------------------------------------------------


def _money(value) -> str:
    """``"-1234.5"`` -> ``-¥1,234.50`` (the web's ``money`` filter)."""
    try:
        amount = to_decimal(value)
    except MoneyError:
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


# Each reason code's sentence; the figures come from the stored params (amounts formatted).
REASON_TEXTS = {
    "within_limit": _lazy(
        "Within the limit: exposure %(exposure)s plus this order %(amount)s stays within the "
        "limit %(limit)s."
    ),
    "over_limit": _lazy(
        "Over the limit by %(over_by)s: exposure %(exposure)s plus this order %(amount)s "
        "exceeds the limit %(limit)s."
    ),
    "ramp_limit": _lazy(
        "New customer: the limit in force is %(limit)s of the %(granted)s granted; it doubles "
        "after %(paid_to_next_step)s more receivables paid on time."
    ),
    "no_limit": _lazy("The customer has no credit limit: nothing may ship on credit."),
    "overdue_block": _lazy("Receivable %(number)s is %(days)s days overdue (%(outstanding)s)."),
    "overdue_partial": _lazy(
        "Receivable %(number)s is %(days)s days overdue (%(outstanding)s): only %(share)s%% of "
        "the order may ship."
    ),
    "promise_broken": _lazy("The promise to pay %(amount)s by %(due_on)s was broken on %(date)s."),
    "class_block": _lazy("The customer's overdue money is in class %(class)s."),
    "rating_block": _lazy("Rating %(rating)s: no goods on credit."),
    "rating_partial": _lazy("Rating %(rating)s: only %(share)s%% of the order may ship."),
    "signal_strong": _lazy("Strong warning signal: %(kind)s, seen on %(date)s."),
    "signal_watch": _lazy(
        "Warning signal: %(kind)s, seen on %(date)s: only %(share)s%% of the order may ship."
    ),
    "hold": _lazy("Credit hold placed by %(by)s on %(date)s: %(reason)s"),
    "supply_stopped": _lazy(
        "Stopping supply was approved on %(date)s for the open collection case."
    ),
    "supply_reduced": _lazy(
        "Reducing supply was approved on %(date)s: only %(share)s%% of the order may ship."
    ),
    "exception_used": _lazy(
        "Exception granted by %(granted_by)s until %(until)s: %(amount)s taken from it, "
        "%(used)s used in all, %(remaining)s left."
    ),
}
MONEY_PARAMS = (
    "exposure",
    "amount",
    "limit",
    "headroom",
    "over_by",
    "outstanding",
    "granted",
    "used",
    "remaining",
)


def reason_text(reason: dict) -> str:
    """One stored reason as a sentence in the active language, with its figures (amounts as
    ``¥1,234.00``, the class and signal kind by their names); an unknown code as itself."""
    code = reason.get("code", "")
    template = REASON_TEXTS.get(code)
    if template is None:
        return code
    params = defaultdict(str, reason.get("params") or {})
    for key in MONEY_PARAMS:
        if key in params:
            params[key] = _money(params[key])
    if "kind" in params:
        kind = params["kind"]
        params["kind"] = str(SignalKind(kind).label) if kind in SignalKind.values else kind
    if "class" in params:
        params["class"] = str(DebtClass.LABELS.get(params["class"], params["class"]))
    return str(template) % params
