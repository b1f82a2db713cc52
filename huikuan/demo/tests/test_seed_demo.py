"""The demo data: repeatable, consistent to the fen, realistic enough to cover every case, and
safe to run on every `make demo`."""

import hashlib
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import translation

from huikuan.audit.models import AuditEntry
from huikuan.contracts.models import Contract, InstallmentNode, SealKind
from huikuan.core.money import ZERO
from huikuan.customers.models import Customer, CustomerStatus
from huikuan.customers.selectors import customers_visible_to
from huikuan.demo.seed import seed_demo
from huikuan.demo.world import BEHAVIOURS
from huikuan.imports.models import ImportBatch
from huikuan.ledger.models import (
    Allocation,
    Payment,
    PaymentKind,
    PaymentMethod,
    Receivable,
    ReceivableKind,
    Reversal,
    WriteOff,
)
from huikuan.ledger.services import ledger_recompute
from huikuan.org.models import Role, User
from huikuan.reports.selectors import aging

AS_OF = date(2026, 6, 30)
SMALL = {"customers": 14, "receivables": 560}


@pytest.fixture(autouse=True)
def fast_passwords_and_english(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


@pytest.fixture
def seeded(db):
    return seed_demo(seed=11, as_of=AS_OF, **SMALL)


def digest() -> str:
    """Every number, amount and date of the seeded documents (not ids or timestamps)."""
    parts = [
        Customer.objects.order_by("code").values_list(
            "code", "name", "owner__username", "region__code", "status", "credit_limit"
        ),
        Customer.objects.order_by("code", "contacts__role", "contacts__name").values_list(
            "code", "contacts__name", "contacts__role", "contacts__phone"
        ),
        Contract.objects.order_by("number").values_list(
            "number", "signed_on", "payment_terms", "term_days", "seal_kind", "amount"
        ),
        Receivable.objects.order_by("number").values_list(
            "number", "kind", "issue_date", "due_date", "amount", "outstanding"
        ),
        Payment.objects.order_by("number").values_list(
            "number", "kind", "method", "received_on", "amount", "allocated", "reference"
        ),
        Allocation.objects.order_by("receivable__number", "applied_on", "amount").values_list(
            "receivable__number", "payment__number", "write_off__number", "amount", "applied_on"
        ),
        WriteOff.objects.order_by("number").values_list("number", "written_off_on", "amount"),
        Reversal.objects.order_by("number").values_list("number", "reversed_on", "reason"),
    ]
    text = repr([list(rows) for rows in parts])
    return hashlib.sha256(text.encode()).hexdigest()


def seed_and_roll_back(seed: int) -> str:
    with transaction.atomic():
        seed_demo(seed=seed, as_of=AS_OF, **SMALL)
        result = digest()
        transaction.set_rollback(True)
    return result


def test_same_seed_and_date_give_the_same_documents(db):
    first = seed_and_roll_back(3)
    assert not Receivable.objects.exists()  # rolled back: the second run starts empty too
    assert seed_and_roll_back(3) == first
    assert seed_and_roll_back(4) != first


def test_seeding_writes_exactly_the_asked_sizes_and_one_audit_line(seeded):
    # Besides the asked sizes, the demo's import from "Kingdee" adds three customers and nine
    # invoices (huikuan/demo/imports.py).
    imported = ImportBatch.objects.get(status="committed")
    assert Customer.objects.count() == SMALL["customers"] + imported.summary["customers_created"]
    assert Receivable.objects.count() == SMALL["receivables"] + imported.to_create
    assert (imported.to_create, imported.summary["customers_created"]) == (9, 3)
    assert ImportBatch.objects.get(status="previewed").error_count == 2
    (line,) = AuditEntry.objects.filter(action="demo.seed")
    assert line.after["receivables"] == SMALL["receivables"]
    assert line.after["as_of"] == AS_OF.isoformat()


def test_stored_balances_agree_with_the_allocation_rows(seeded):
    assert ledger_recompute() == []
    totals = Receivable.objects.aggregate(amount=Sum("amount"), open=Sum("outstanding"))
    applied = Allocation.objects.aggregate(s=Sum("amount"))["s"]
    assert totals["amount"] - applied == totals["open"]
    assert not Receivable.objects.filter(issue_date__gt=AS_OF).exists()
    assert not Payment.objects.filter(received_on__gt=AS_OF).exists()


def test_no_movement_is_dated_before_an_earlier_one(seeded):
    rows = Allocation.objects.values_list(
        "pk",
        "receivable_id",
        "payment_id",
        "applied_on",
        "receivable__issue_date",
        "payment__received_on",
    ).order_by("pk")
    last_on_receivable, last_on_payment = {}, {}
    for _pk, receivable, payment, on, issued, received in rows:
        assert on >= issued
        assert received is None or on >= received
        assert on >= last_on_receivable.get(receivable, on)
        assert payment is None or on >= last_on_payment.get(payment, on)
        last_on_receivable[receivable] = on
        if payment is not None:
            last_on_payment[payment] = on


def replay(as_of: date):
    """Balances on ``as_of`` the slow, obvious way: each row counted if dated by then."""
    applied = defaultdict(int)
    for receivable, amount, on in Allocation.objects.values_list(
        "receivable_id", "amount", "applied_on"
    ):
        if on <= as_of:
            applied[receivable] += amount
    open_total = sum(
        (
            amount - applied[pk]
            for pk, amount in Receivable.objects.filter(issue_date__lte=as_of).values_list(
                "pk", "amount"
            )
        ),
        ZERO,
    )
    used = defaultdict(int)
    for payment, amount, on in Allocation.objects.filter(payment__isnull=False).values_list(
        "payment_id", "amount", "applied_on"
    ):
        if on <= as_of:
            used[payment] += amount
    credit = ZERO
    for pk, amount, reversed_on in Payment.objects.filter(received_on__lte=as_of).values_list(
        "pk", "amount", "reversal__reversed_on"
    ):
        if reversed_on is None or reversed_on > as_of:
            credit += amount - used[pk]
    return open_total, credit


def test_aging_as_of_past_dates_matches_a_replay_of_the_ledger(seeded):
    for as_of in (
        AS_OF - timedelta(days=600),
        AS_OF - timedelta(days=365),
        AS_OF - timedelta(days=123),
        AS_OF - timedelta(days=30),
        AS_OF,
    ):
        (row,) = aging(as_of=as_of, by="portfolio")
        open_total, credit = replay(as_of)
        assert row.total == open_total, as_of
        assert row.unapplied_credit == credit, as_of
    assert open_total > ZERO


def test_every_behaviour_document_kind_and_method_occurs(seeded):
    assert set(seeded.behaviours) == set(BEHAVIOURS)
    assert set(Receivable.objects.values_list("kind", flat=True)) == set(ReceivableKind.values)
    payments = Payment.objects.filter(kind=PaymentKind.PAYMENT)
    assert set(payments.values_list("method", flat=True)) == set(PaymentMethod.values)
    credit_notes = Payment.objects.filter(kind=PaymentKind.CREDIT_NOTE)
    notes = set(credit_notes.values_list("note", flat=True))
    assert any("退货" in n for n in notes) and any("返利" in n for n in notes)
    assert any("质量折让" in n for n in notes)
    assert Reversal.objects.filter(payment__method=PaymentMethod.ACCEPTANCE_BILL).exists()
    assert Reversal.objects.filter(allocation__isnull=False).exists()
    assert Reversal.objects.filter(write_off__isnull=False).exists()
    assert WriteOff.objects.exclude(reason="").exists()
    statuses = set(Customer.objects.values_list("status", flat=True))
    assert {CustomerStatus.VANISHED, CustomerStatus.INSOLVENT} <= statuses
    # Partial payments, unapplied prepayments, vague terms, personal stamps, installment plans.
    assert Receivable.objects.filter(outstanding__gt=0, outstanding__lt=F("amount")).exists()
    assert payments.filter(allocated__lt=F("amount"), reversal__isnull=True).exists()
    assert Contract.objects.filter(term_days__isnull=True, nodes__isnull=True).exists()
    assert Contract.objects.filter(seal_kind=SealKind.PERSONAL_STAMP).exists()
    assert InstallmentNode.objects.filter(contract__customer__is_government=True).exists()
    roles = Customer.objects.annotate(n=Count("contacts__role", distinct=True))
    assert roles.filter(n=6).exists()  # boss, finance, cashier, purchasing, acceptance, payer


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [
        ("admin", "huikuan-admin", Role.ADMIN),
        ("finance", "huikuan-finance", Role.FINANCE),
        ("manager1", "huikuan-manager", Role.MANAGER),
        ("manager2", "huikuan-manager", Role.MANAGER),
        ("rep1", "huikuan-rep", Role.REP),
        ("rep6", "huikuan-rep", Role.REP),
    ],
)
def test_demo_logins_work_with_the_documented_passwords(seeded, username, password, role):
    user = authenticate(username=username, password=password)
    assert user is not None and user.role == role
    assert authenticate(username=username, password=password + "x") is None


def test_admin_is_a_superuser_and_rep1_reports_to_manager1(seeded):
    assert User.objects.get(username="admin").is_superuser
    rep1 = User.objects.get(username="rep1")
    assert rep1.manager.username == "manager1"
    assert User.objects.filter(manager__username="manager1").count() >= 3


def test_rep1_sees_only_a_realistic_book_of_own_customers(seeded):
    rep1 = User.objects.get(username="rep1")
    visible = customers_visible_to(rep1)
    assert visible.count() >= 4
    assert not visible.exclude(owner=rep1).exists()
    assert visible.filter(is_government=True, contracts__nodes__isnull=False).exists()
    assert visible.filter(rating="D").exists()  # the one that looks broken
    (row,) = aging(as_of=AS_OF, by="portfolio", customers=visible)
    overdue = sum(value for key, value in row.buckets.items() if key != "not_due")
    assert overdue > ZERO
    manager1 = User.objects.get(username="manager1")
    team = customers_visible_to(manager1)
    assert set(visible) < set(team)
    assert not team.filter(owner__username="rep4").exists()


def test_if_empty_leaves_a_database_with_customers_unchanged(seeded):
    before = (Customer.objects.count(), Receivable.objects.count(), AuditEntry.objects.count())
    out = StringIO()
    call_command("seed-demo", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    with pytest.raises(CommandError, match="already has customers"):
        call_command("seed_demo", stdout=StringIO())
    after = (Customer.objects.count(), Receivable.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_command_loads_and_prints_counts_and_the_demo_logins(db):
    out = StringIO()
    call_command(
        "seed_demo", "--customers=10", "--receivables=300", "--as-of=2026-03-31", stdout=out
    )
    text = out.getvalue()
    assert Receivable.objects.exclude(kind="invoice", number__startswith="AR").count() == 300
    assert "Ledger check" in text
    assert "rep1" in text and "huikuan-rep" in text and "huikuan-admin" in text


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--customers=0"], "--customers"),
        (["--receivables=-5"], "--receivables"),
        (["--as-of=2026-13-01"], "--as-of"),
    ],
)
def test_bad_options_are_refused_by_name_and_write_nothing(db, args, field):
    with pytest.raises(CommandError, match=field):
        call_command("seed_demo", *args, stdout=StringIO())
    assert not Customer.objects.exists() and not User.objects.exists()
