"""Test data through the real services, so tests see what users would produce."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

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
