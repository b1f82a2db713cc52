"""Shared test builders for credit control: holds, exceptions and warning signals made through
the real services (so the customer lock, the audit lines and the customer's signal summary are
what users would produce), plus small helpers to set the policy and the customer's credit data.

Other apps' tests (web, API, demo) import these too; keep the signatures stable. People,
customers, receivables and payments come from ``huikuan.dunning.tests.factories``.
"""

from datetime import date, timedelta
from decimal import Decimal

from huikuan.customers.models import Customer
from huikuan.dunning.tests.factories import make_user
from huikuan.org.models import Role
from huikuan.risk.models import CreditException, CreditHold, CreditPolicy, CreditProfile, Signal
from huikuan.risk.policy import credit_policy
from huikuan.risk.services import exception_grant, hold_place
from huikuan.risk.signals import signal_handle, signal_record

AS_OF = date(2026, 6, 30)


def _admin():
    return make_user(Role.ADMIN)


def make_hold(customer, reason: str = "停止发货,待结清逾期货款", actor=None) -> CreditHold:
    """A live credit hold on ``customer``, placed by ``actor`` (a new administrator when
    omitted)."""
    return hold_place(customer=customer, reason=reason, actor=actor or _admin())


def make_exception(
    customer,
    amount="10000.00",
    valid_from: date = AS_OF - timedelta(days=1),
    valid_until: date = AS_OF + timedelta(days=14),
    reason: str = "年底备货特批",
    actor=None,
) -> CreditException:
    """A credit exception for ``customer`` of ``amount``, valid around ``AS_OF`` by default,
    granted by ``actor`` (a new administrator when omitted)."""
    return exception_grant(
        customer=customer,
        amount=Decimal(str(amount)),
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason,
        actor=actor or _admin(),
    )


def make_signal(
    customer,
    kind: str = "dumping",
    severity: str | None = None,
    status: str = "open",
    detected_on: date = AS_OF - timedelta(days=3),
    evidence: str = "经销商在清仓甩卖我方产品",
    actor=None,
) -> Signal:
    """A warning signal recorded about ``customer`` (severity from the kind unless given), then
    confirmed, dismissed or resolved when ``status`` says so. The customer's ``risk_signals`` and
    ``doubtful_since`` follow, as with the real services."""
    actor = actor or _admin()
    signal = signal_record(
        customer=customer,
        kind=kind,
        evidence=evidence,
        detected_on=detected_on,
        actor=actor,
        severity=severity,
    )
    if status != "open":
        signal = signal_handle(signal=signal, status=status, note="已核实", actor=actor)
    customer.refresh_from_db()
    return signal


def set_policy(**fields) -> CreditPolicy:
    """Change the one credit policy row (``set_policy(block_overdue_days=0)`` switches that rule
    off)."""
    policy = credit_policy()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    return policy


def set_credit(customer, **fields) -> Customer:
    """Set the customer's credit fields directly (credit_limit, first_deal_on, rating,
    doubtful_since, status …) — setup for a test, not the audited service."""
    Customer.objects.filter(pk=customer.pk).update(**fields)
    customer.refresh_from_db()
    return customer


def set_counts(customer, on_time: int = 0, late: int = 0) -> CreditProfile:
    """The on-time and late counts the daily run would have stored for ``customer``."""
    profile, _ = CreditProfile.objects.update_or_create(
        customer=customer, defaults={"on_time_count": on_time, "late_count": late}
    )
    return profile
