"""Posted money documents are append-only: the database itself refuses to change or delete them,
whether asked through the ORM or by raw SQL, on SQLite and PostgreSQL alike. The stored running
totals (outstanding, allocated) are not part of the document and stay writable."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, Receivable, Reversal, WriteOff
from huikuan.ledger.tests import factories as f

D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs():
    """One posted document of each kind; each can be deleted by the ORM without a PROTECT
    reference stopping it first (except the write-off, which always has its allocation)."""
    cust = f.customer()
    other = f.customer()
    lone = f.receivable(cust, number="LONE", amount="100")
    paid = f.receivable(cust, number="PAID", amount="100", due=date(2026, 1, 10))
    payment = f.payment(cust, number="P1", amount="40", allocate=[("PAID", "40")])
    spare = f.payment(cust, number="P2", amount="10", allocate="none")
    reversal = services.payment_reverse(payment=spare, on=date(2026, 2, 2), reason="退票")
    write_off = services.receivable_write_off(receivable=lone, on=date(2026, 3, 1), reason="破产")
    return {
        "receivable": f.receivable(cust, number="FREE", amount="100"),
        "paid_receivable": paid,
        "payment": f.payment(cust, number="P3", amount="5", allocate="none"),
        "allocation": payment.allocations.get(),
        "write_off": write_off,
        "reversal": reversal,
        "other_customer": other,
        "other_receivable": lone,
    }


def refused_by_database():
    return pytest.raises(DatabaseError, match="append-only")


def run_sql(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


FROZEN = [
    # (document, model, column, new value for the ORM, new raw value for SQL)
    ("receivable", Receivable, "amount", D("500.00"), 50000),
    ("receivable", Receivable, "number", "CHANGED", "CHANGED"),
    ("receivable", Receivable, "issue_date", date(2025, 12, 1), date(2025, 12, 1)),
    ("receivable", Receivable, "currency", "USD", "USD"),
    ("receivable", Receivable, "customer", "other_customer", "other_customer"),
    ("payment", Payment, "amount", D("500.00"), 50000),
    ("payment", Payment, "number", "CHANGED", "CHANGED"),
    ("payment", Payment, "kind", "credit_note", "credit_note"),
    ("payment", Payment, "received_on", date(2026, 1, 1), date(2026, 1, 1)),
    ("payment", Payment, "currency", "USD", "USD"),
    ("payment", Payment, "customer", "other_customer", "other_customer"),
    ("allocation", Allocation, "amount", D("1.00"), 100),
    ("allocation", Allocation, "applied_on", date(2026, 5, 1), date(2026, 5, 1)),
    ("allocation", Allocation, "receivable", "other_receivable", "other_receivable"),
    ("write_off", WriteOff, "amount", D("1.00"), 100),
    ("write_off", WriteOff, "reason", "改了", "改了"),
    ("write_off", WriteOff, "written_off_on", date(2026, 4, 1), date(2026, 4, 1)),
    ("reversal", Reversal, "reason", "改了", "改了"),
    ("reversal", Reversal, "reversed_on", date(2026, 4, 1), date(2026, 4, 1)),
]


def _value(docs, value, raw=False):
    if isinstance(value, str) and value in docs:
        return docs[value].pk if raw else docs[value]
    return value


@pytest.mark.parametrize(("doc", "model", "column", "new", "_raw"), FROZEN)
def test_the_orm_cannot_change_a_posted_document(docs, doc, model, column, new, _raw):
    obj = docs[doc]
    before = model.objects.filter(pk=obj.pk).values().get()
    with refused_by_database(), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**{column: _value(docs, new)})
    setattr(obj, column, _value(docs, new))
    with refused_by_database(), transaction.atomic():
        obj.save()
    assert model.objects.filter(pk=obj.pk).values().get() == before


@pytest.mark.parametrize(("doc", "model", "column", "_new", "raw"), FROZEN)
def test_raw_sql_cannot_change_a_posted_document(docs, doc, model, column, _new, raw):
    obj = docs[doc]
    field = model._meta.get_field(column)
    before = model.objects.filter(pk=obj.pk).values().get()
    with refused_by_database(), transaction.atomic():
        run_sql(
            f"UPDATE {model._meta.db_table} SET {field.column} = %s WHERE id = %s",
            [_value(docs, raw, raw=True), obj.pk],
        )
    assert model.objects.filter(pk=obj.pk).values().get() == before


DOCUMENTS = [
    ("receivable", Receivable),
    ("paid_receivable", Receivable),
    ("payment", Payment),
    ("allocation", Allocation),
    ("write_off", WriteOff),
    ("reversal", Reversal),
]


@pytest.mark.parametrize(("doc", "model"), DOCUMENTS)
def test_raw_sql_cannot_delete_a_posted_document(docs, doc, model):
    obj = docs[doc]
    with refused_by_database(), transaction.atomic():
        run_sql(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [obj.pk])
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize(("doc", "model"), [d for d in DOCUMENTS if d[0] != "write_off"])
def test_the_orm_cannot_delete_a_posted_document(docs, doc, model):
    obj = docs[doc]
    if doc == "paid_receivable":
        # Django's PROTECT stops this one before the database is asked.
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    else:
        with refused_by_database(), transaction.atomic():
            obj.delete()
        with refused_by_database(), transaction.atomic():
            model.objects.filter(pk=obj.pk).delete()
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_write_off_cannot_be_deleted_through_the_orm_either(docs):
    write_off = docs["write_off"]
    with pytest.raises((ProtectedError, DatabaseError)), transaction.atomic():
        write_off.delete()
    assert WriteOff.objects.filter(pk=write_off.pk).exists()


def test_stored_balances_and_working_fields_stay_writable(docs):
    receivable = docs["receivable"]
    Receivable.objects.filter(pk=receivable.pk).update(
        outstanding=D("99.99"), due_date=date(2026, 6, 30), description="延期"
    )
    stored = Receivable.objects.get(pk=receivable.pk)
    assert (stored.outstanding, stored.due_date) == (D("99.99"), date(2026, 6, 30))
    payment = docs["payment"]
    Payment.objects.filter(pk=payment.pk).update(allocated=D("1.00"), note="备注")
    assert Payment.objects.get(pk=payment.pk).allocated == D("1.00")
    run_sql("UPDATE ledger_receivable SET outstanding = 1 WHERE id = %s", [receivable.pk])
    assert Receivable.objects.get(pk=receivable.pk).outstanding == D("0.01")


def test_saving_a_whole_document_with_only_its_balance_changed_is_allowed(docs):
    # The admin and ``save()`` without update_fields write every column, frozen ones included,
    # with the same values: the triggers must let that through.
    receivable = Receivable.objects.get(pk=docs["receivable"].pk)
    receivable.outstanding = D("50.00")
    receivable.save()
    assert Receivable.objects.get(pk=receivable.pk).outstanding == D("50.00")
