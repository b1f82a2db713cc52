"""Test data through the real services, so tests see what users would produce."""

import itertools
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from huikuan.customers.services import customer_create
from huikuan.ledger import services
from huikuan.org.models import Region, Role, Team, User

_seq = itertools.count(1)


def region(code: str = "") -> Region:
    code = code or f"R{next(_seq)}"
    return Region.objects.get_or_create(code=code, defaults={"name": f"区域{code}"})[0]


def user(role: str = Role.REP, **fields) -> User:
    n = next(_seq)
    fields.setdefault("username", f"{role}{n}")
    return User.objects.create_user(role=role, password="x", **fields)


def team(name: str = "", reg: Region | None = None) -> Team:
    return Team.objects.create(name=name or f"团队{next(_seq)}", region=reg or region())


def customer(code: str = "", **fields):
    code = code or f"C{next(_seq):05d}"
    fields.setdefault("name", f"客户{code}")
    return customer_create(code=code, **fields)


def receivable(cust=None, *, amount="100.00", issue: date = date(2026, 1, 1), due=None, **kw):
    cust = cust or customer()
    return services.receivable_create(
        customer=cust,
        number=kw.pop("number", f"INV{next(_seq):06d}"),
        issue_date=issue,
        due_date=due or issue + timedelta(days=30),
        amount=Decimal(amount),
        **kw,
    )


def payment(cust, *, amount="100.00", on: date = date(2026, 2, 1), allocate="auto", **kw):
    return services.payment_record(
        customer=cust,
        number=kw.pop("number", f"PAY{next(_seq):06d}"),
        received_on=on,
        amount=Decimal(amount),
        allocate=allocate,
        **kw,
    )


def credit_note(cust, *, amount="100.00", on: date = date(2026, 2, 1), allocate="none", **kw):
    return payment(cust, amount=amount, on=on, allocate=allocate, kind="credit_note", **kw)


# --- Checking that a refused call wrote nothing ---------------------------------------------------


def ledger_state() -> dict:
    """Everything a failed service call must leave untouched: how many ledger documents, contract
    rows and audit lines exist, and every stored balance."""
    from huikuan.audit.models import AuditEntry
    from huikuan.contracts.models import Contract, Delivery, InstallmentNode
    from huikuan.customers.models import Contact, Customer, PaymentProcess
    from huikuan.ledger.models import Allocation, Payment, Receivable, Reversal, WriteOff

    models = (
        Receivable,
        Payment,
        Allocation,
        WriteOff,
        Reversal,
        AuditEntry,
        Delivery,
        Contract,
        InstallmentNode,
        Customer,
        Contact,
        PaymentProcess,
    )
    return {
        "rows": {model.__name__: model.objects.count() for model in models},
        "outstanding": dict(Receivable.objects.values_list("pk", "outstanding")),
        "allocated": dict(Payment.objects.values_list("pk", "allocated")),
    }


@contextmanager
def refused(field: str, *, match: str = "", code: str = ""):
    """Expect a ``ValidationError`` that names ``field`` (and mentions ``match``) and leaves
    :func:`ledger_state` exactly as it was. Messages are checked in English."""
    before = ledger_state()
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            yield excinfo
        errors = excinfo.value.message_dict  # Django's own messages are lazy: render them here
    assert field in errors, f"expected an error on {field!r}, got {errors}"
    if match:
        assert any(match in message for message in errors[field]), errors[field]
    if code:
        codes = [e.code for e in excinfo.value.error_dict[field]]
        assert code in codes, codes
    assert ledger_state() == before
