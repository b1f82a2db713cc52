"""Every posting, write-off and reversal leaves a line in the audit trail: who, what, before and
after — the record a finance clerk shows in a dispute."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from huikuan.audit.models import AuditEntry
from huikuan.ledger import services
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

pytestmark = pytest.mark.django_db


def test_a_whole_story_is_in_the_audit_trail_with_actor_before_and_after():
    clerk = f.user(Role.FINANCE)
    cust = f.customer()
    start = AuditEntry.objects.count()
    bill = f.receivable(cust, number="R1", amount="100", actor=clerk)
    other = f.receivable(cust, number="R2", amount="100", actor=clerk)
    payment = f.payment(cust, number="P1", amount="150", actor=clerk)
    services.allocation_reverse(
        allocation=payment.allocations.get(receivable=other),
        on=date(2026, 2, 2),
        reason="错配",
        actor=clerk,
    )
    write_off = services.receivable_write_off(
        receivable=other, on=date(2026, 3, 1), reason="破产", actor=clerk
    )
    services.write_off_reverse(write_off=write_off, on=date(2026, 3, 2), reason="恢复", actor=clerk)
    services.payment_reverse(payment=payment, on=date(2026, 3, 3), reason="退票", actor=clerk)
    trail = list(AuditEntry.objects.order_by("pk")[start:])
    assert [(e.action, e.object_repr) for e in trail] == [
        ("receivable.create", "R1"),
        ("receivable.create", "R2"),
        ("payment.record", "P1"),
        ("allocation.create", f"P1 → R1 {bill.amount}"),
        ("allocation.create", "P1 → R2 50.00"),
        ("allocation.reverse", "P1 → R2 50.00"),
        ("write_off.create", write_off.number),
        ("allocation.reverse", f"{write_off.number} → R2 100.00"),
        ("write_off.reverse", write_off.number),
        ("allocation.reverse", f"P1 → R1 {bill.amount}"),
        ("payment.reverse", "P1"),
    ]
    assert {e.actor for e in trail} == {clerk}
    for entry in trail:
        assert entry.after, entry.action
        if entry.action in ("receivable.create", "payment.record"):
            assert entry.before is None  # nothing existed before
        else:
            assert "outstanding" in entry.before or "allocated" in entry.before, entry.action
    assert trail[-1].after["reason"] == "退票"


def test_a_refused_posting_leaves_no_audit_line():
    cust = f.customer()
    start = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        f.payment(cust, allocate=[("NOPE", "1")])
    assert AuditEntry.objects.count() == start
