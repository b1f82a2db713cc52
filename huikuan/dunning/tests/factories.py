"""Shared test builders for collection work: people, customers, receivables and payments made
through the real services, so tests see the data users would produce.

Other apps' tests (web, API, demo) import these too; keep the signatures stable.
"""

import itertools
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from huikuan.customers.models import Contact, ContactRole, PaymentProcess
from huikuan.customers.services import customer_create
from huikuan.ledger import services as ledger
from huikuan.org.models import Region, Role, Team, User

_seq = itertools.count(1)


def make_region(code: str = "") -> Region:
    code = code or f"DR{next(_seq)}"
    return Region.objects.get_or_create(code=code, defaults={"name": f"区域{code}"})[0]


def make_team(name: str = "", region: Region | None = None) -> Team:
    return Team.objects.create(name=name or f"团队{next(_seq)}", region=region or make_region())


def make_user(role: str = Role.REP, username: str | None = None, **kw) -> User:
    """A user with a role (Role.REP, MANAGER, FINANCE, ADMIN); password "x"."""
    username = username or f"{role}-{next(_seq)}"
    kw.setdefault("password", "x")
    return User.objects.create_user(username=username, role=role, **kw)


def make_customer(owner: User | None = None, **kw):
    """A customer (with its payment process) owned by ``owner`` (a new rep when omitted) in a
    region. Any Customer field may be passed: is_government, distance_km, first_deal_on …"""
    n = next(_seq)
    code = kw.pop("code", f"DC{n:05d}")
    kw.setdefault("name", f"客户{code}")
    kw.setdefault("region", owner.region if owner and owner.region_id else make_region())
    if owner is None:
        owner = make_user(Role.REP)
    return customer_create(code=code, owner=owner, **kw)


def make_receivable(
    customer,
    amount="1000.00",
    issue_date: date = date(2026, 1, 5),
    due_date: date | None = None,
    **kw,
):
    """A receivable of ``customer``, due 30 days after issue unless ``due_date`` is given."""
    return ledger.receivable_create(
        customer=customer,
        number=kw.pop("number", f"DINV{next(_seq):06d}"),
        issue_date=issue_date,
        due_date=due_date or issue_date + timedelta(days=30),
        amount=Decimal(str(amount)),
        **kw,
    )


def make_payment(customer, amount, received_on: date, allocate="auto", **kw):
    """A payment received from ``customer``, allocated oldest-first by default."""
    return ledger.payment_record(
        customer=customer,
        number=kw.pop("number", f"DPAY{next(_seq):06d}"),
        received_on=received_on,
        amount=Decimal(str(amount)),
        allocate=allocate,
        **kw,
    )


def make_contact(customer, role: str = ContactRole.FINANCE, name: str = "", **kw) -> Contact:
    return Contact.objects.create(
        customer=customer, role=role, name=name or f"联系人{next(_seq)}", **kw
    )


def set_payment_process(customer, **fields) -> PaymentProcess:
    """Update the customer's payment process (settlement_day, approval_steps …)."""
    process, _ = PaymentProcess.objects.get_or_create(customer=customer)
    for name, value in fields.items():
        setattr(process, name, value)
    process.save()
    customer.payment_process = process  # the customer object may hold the old row
    return process


# --- Checking that a refused call wrote nothing -------------------------------------------------


def dunning_state() -> dict:
    """How many rows of every dunning, ledger and audit table exist, plus the statuses that
    services change: what a refused service call must leave exactly as it was."""
    from huikuan.audit.models import AuditEntry
    from huikuan.dunning import models as m
    from huikuan.ledger.models import Allocation, Payment, Receivable, WriteOff

    counted = (
        m.Activity,
        m.Promise,
        m.Dispute,
        m.ApprovalRequest,
        m.Task,
        m.LimitationEvent,
        m.CollectionProfile,
        AuditEntry,
        Receivable,
        Payment,
        Allocation,
        WriteOff,
    )
    return {
        "rows": {model.__name__: model.objects.count() for model in counted},
        "tasks": dict(m.Task.objects.values_list("pk", "status")),
        "promises": dict(m.Promise.objects.values_list("pk", "status")),
        "approvals": dict(m.ApprovalRequest.objects.values_list("pk", "status")),
        "disputes": dict(m.Dispute.objects.values_list("pk", "resolved_on")),
        "profiles": list(
            m.CollectionProfile.objects.values_list("pk", "policy_id", "sell_through_days")
        ),
        "outstanding": dict(Receivable.objects.values_list("pk", "outstanding")),
    }


@contextmanager
def refused(field: str, *, match: str = ""):
    """Expect a ``ValidationError`` on ``field`` (mentioning ``match``, in English) that leaves
    :func:`dunning_state` untouched."""
    before = dunning_state()
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            yield excinfo
        errors = excinfo.value.message_dict
    assert field in errors, f"expected an error on {field!r}, got {errors}"
    if match:
        assert any(match in message for message in errors[field]), errors[field]
    assert dunning_state() == before
