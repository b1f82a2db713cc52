"""Writing off what is left of a receivable (核销坏账), and undoing it."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.audit.models import AuditEntry
from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Receivable, WriteOff
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.org.models import Role

D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def bill():
    """A receivable of 100 issued on 1 January, 40 of it paid on 1 February."""
    receivable = f.receivable(amount="100", issue=date(2026, 1, 1))
    f.payment(receivable.customer, amount="40", on=date(2026, 2, 1))
    return receivable


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_a_write_off_takes_what_is_left_with_its_reason_and_audit(bill):
    clerk = f.user(Role.FINANCE)
    write_off = services.receivable_write_off(
        receivable=bill, on=date(2026, 6, 30), reason="  客户破产 ", actor=clerk
    )
    assert (write_off.amount, write_off.reason, write_off.written_off_on) == (
        D("60.00"),
        "客户破产",
        date(2026, 6, 30),
    )
    assert fresh(bill).outstanding == D("0.00")
    row = Allocation.objects.get(write_off=write_off)
    assert (row.amount, row.applied_on, row.payment) == (D("60.00"), date(2026, 6, 30), None)
    entry = AuditEntry.objects.get(action="write_off.create")
    assert entry.actor == clerk
    assert entry.before == {"outstanding": "60.00"}
    assert entry.after["outstanding"] == "0.00"
    assert entry.after["reason"] == "客户破产"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_write_off_needs_a_reason(bill, reason):
    with refused("reason"):
        services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason=reason)


def test_a_settled_receivable_cannot_be_written_off(bill):
    f.payment(bill.customer, amount="60", on=date(2026, 3, 1))
    with refused("receivable", match=bill.number):
        services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")


def test_a_receivable_is_written_off_only_once(bill):
    services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    with refused("receivable"):
        services.receivable_write_off(receivable=bill, on=date(2026, 7, 1), reason="x")


def test_a_write_off_cannot_be_dated_before_the_issue_date():
    receivable = f.receivable(issue=date(2026, 1, 1))
    with refused("date", match="2026-01-01"):
        services.receivable_write_off(receivable=receivable, on=date(2025, 12, 31), reason="x")


def test_a_write_off_cannot_be_dated_before_the_last_payment_on_the_receivable(bill):
    with refused("date", match="2026-02-01"):
        services.receivable_write_off(receivable=bill, on=date(2026, 1, 31), reason="x")
    # On the day of the payment itself it is fine.
    services.receivable_write_off(receivable=bill, on=date(2026, 2, 1), reason="x")


def test_reversing_a_write_off_makes_the_amount_outstanding_again(bill):
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    reversal = services.write_off_reverse(
        write_off=write_off, on=date(2026, 8, 1), reason="客户恢复经营"
    )
    assert reversal.write_off == write_off
    assert fresh(bill).outstanding == D("60.00")
    undo = Allocation.objects.get(reverses__write_off=write_off)
    assert (undo.amount, undo.applied_on, undo.reversal) == (
        D("-60.00"),
        date(2026, 8, 1),
        reversal,
    )
    assert services.ledger_recompute() == []
    # The receivable can be collected (or written off) again afterwards.
    f.payment(bill.customer, amount="60", on=date(2026, 8, 2))
    assert fresh(bill).outstanding == D("0.00")


def test_a_write_off_reversal_is_in_the_write_offs_audit_history(bill):
    clerk = f.user(Role.FINANCE)
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    services.write_off_reverse(write_off=write_off, on=date(2026, 8, 1), reason="y", actor=clerk)
    history = AuditEntry.objects.filter(object_type="ledger.writeoff", object_id=str(write_off.pk))
    entry = history.get(action="write_off.reverse")
    assert entry.actor == clerk
    assert entry.before["outstanding"] == "0.00"
    assert entry.after["outstanding"] == "60.00"


def test_a_write_off_is_reversed_only_once(bill):
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    services.write_off_reverse(write_off=write_off, on=date(2026, 8, 1), reason="y")
    with refused("write_off", match=write_off.number):
        services.write_off_reverse(write_off=write_off, on=date(2026, 8, 2), reason="y")


def test_a_write_off_reversal_cannot_be_dated_before_the_write_off(bill):
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    with refused("date", match="2026-06-30"):
        services.write_off_reverse(write_off=write_off, on=date(2026, 6, 29), reason="y")


def test_a_write_off_reversal_needs_a_reason(bill):
    write_off = services.receivable_write_off(receivable=bill, on=date(2026, 6, 30), reason="x")
    with refused("reason"):
        services.write_off_reverse(write_off=write_off, on=date(2026, 7, 1), reason=" ")
    assert WriteOff.objects.get(pk=write_off.pk).amount == D("60.00")
    assert Receivable.objects.get(pk=bill.pk).outstanding == D("0.00")
