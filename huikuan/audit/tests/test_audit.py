"""The audit trail: one append-only line per change, that nobody can edit or delete afterwards —
not through the ORM, not with raw SQL."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from huikuan.audit.models import AuditEntry
from huikuan.audit.services import audit_record, snapshot
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    clerk = f.user(Role.FINANCE)
    cust = f.customer()
    return audit_record(
        actor=clerk,
        action="customer.update",
        obj=cust,
        before={"credit_limit": Decimal("1000"), "since": date(2026, 1, 1)},
        after={"credit_limit": Decimal("2500.5"), "owner": clerk},
        note="额度调整",
    )


def test_an_audit_line_records_who_what_before_and_after_as_plain_json(entry):
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor.role == Role.FINANCE
    assert stored.action == "customer.update"
    assert stored.object_type == "customers.customer"
    assert stored.before == {"credit_limit": "1000.00", "since": "2026-01-01"}
    assert stored.after == {"credit_limit": "2500.50", "owner": stored.actor.pk}
    assert stored.note == "额度调整"
    assert stored.at is not None


def test_an_anonymous_change_is_recorded_without_an_actor():
    cust = f.customer()
    entry = audit_record(actor=None, action="x.y", obj=cust)
    assert entry.actor is None
    assert (entry.before, entry.after) == (None, None)


def test_a_snapshot_holds_money_as_two_place_strings_and_foreign_keys_as_ids():
    receivable = f.receivable(amount="12.5")
    data = snapshot(receivable)
    assert data["amount"] == "12.50"
    assert data["customer_id"] == receivable.customer_id
    assert data["issue_date"] == "2026-01-01"
    assert snapshot(receivable, ["amount", "number"]) == {
        "amount": "12.50",
        "number": receivable.number,
    }


def test_the_orm_cannot_edit_or_delete_an_audit_line(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing.happened")
    entry.after = {"credit_limit": "0.00"}
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.after["credit_limit"]) == ("customer.update", "2500.50")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'nothing.happened' WHERE id = %s",
        "UPDATE audit_auditentry SET actor_id = NULL WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_raw_sql_cannot_edit_or_delete_an_audit_line(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.actor_id) == ("customer.update", entry.actor_id)
