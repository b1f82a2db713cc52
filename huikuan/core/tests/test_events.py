"""The business event log: each source writes its event in its own transaction (one INSERT for a
payment), a rollback leaves none, bulk writes keep their payloads, and the log is append-only."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from huikuan.core.events import event_emit, events_emit_many
from huikuan.core.models import Event, EventKind
from huikuan.dunning.tests.factories import make_customer, make_payment, make_receivable, make_user
from huikuan.org.models import Role
from huikuan.risk.credit import credit_check
from huikuan.risk.models import Decision
from huikuan.risk.tests.factories import make_hold

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
D = Decimal


@pytest.fixture
def customer():
    return make_customer(code="EV-001", credit_limit=D("100000.00"), first_deal_on=date(2023, 1, 1))


def _event_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "core_event" in q["sql"]]


def test_a_payment_is_announced_with_one_insert_and_nothing_else(customer):
    make_receivable(customer, "1000.00", issue_date=date(2026, 5, 1), number="EV-INV-1")
    with CaptureQueriesContext(connection) as queries:
        payment = make_payment(
            customer,
            "1200.00",
            AS_OF,
            number="EV-PAY-1",
            reference="HZ-889",
            method="acceptance_bill",
        )
    statements = _event_statements(queries.captured_queries)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
    event = Event.objects.get()
    assert (event.kind, event.customer_id, event.customer_code) == (
        EventKind.PAYMENT_RECORDED,
        customer.pk,
        "EV-001",
    )
    assert (event.object_type, event.object_id) == ("payment", str(payment.pk))
    assert event.payload == {
        "number": "EV-PAY-1",
        "received_on": "2026-06-30",
        "amount": "1200.00",
        "currency": "CNY",
        "method": "acceptance_bill",
        "reference": "HZ-889",
        "allocated": "1000.00",
        "unapplied": "200.00",
    }
    assert event.dispatched_at is None


def test_a_credit_note_is_no_payment_event(customer):
    make_payment(customer, "50.00", AS_OF, kind="credit_note", allocate="none")
    assert not Event.objects.exists()


def test_a_rolled_back_payment_leaves_no_event(customer):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_payment(customer, "300.00", AS_OF)
        assert Event.objects.count() == 1  # written inside the transaction …
        raise RuntimeError("the caller gives up")
    assert not Event.objects.exists()  # … and gone with it


def test_a_refused_payment_leaves_no_event(customer):
    receivable = make_receivable(customer, "100.00", issue_date=date(2026, 5, 1))
    with pytest.raises(ValidationError):
        make_payment(customer, "300.00", AS_OF, allocate=[(receivable, D("250.00"))])
    assert not Event.objects.exists()


def test_a_blocked_order_is_announced_an_allowed_one_is_not(customer):
    allowed = credit_check(customer=customer, amount=D("5000.00"), as_of=AS_OF)
    assert allowed.decision == Decision.ALLOW
    assert not Event.objects.exists()
    make_receivable(
        customer, "9000.00", issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1), number="OLD-1"
    )
    blocked = credit_check(customer=customer, amount=D("5000.00"), order_ref="SO-77", as_of=AS_OF)
    assert blocked.decision == Decision.BLOCK
    event = Event.objects.get()
    assert (event.kind, event.object_type, event.object_id) == (
        EventKind.CREDIT_BLOCKED,
        "credit_decision",
        str(blocked.pk),
    )
    assert event.customer_code == "EV-001"
    data = event.payload
    assert (data["source"], data["order_ref"], data["amount"], data["allowed_amount"]) == (
        "credit_check",
        "SO-77",
        "5000.00",
        "0.00",
    )
    assert data["as_of"] == "2026-06-30"
    assert data["reasons"] == blocked.reasons
    assert "overdue_block" in [reason["code"] for reason in data["reasons"]]


def test_placing_a_hold_is_announced(customer):
    finance = make_user(Role.FINANCE, username="fin-ev")
    hold = make_hold(customer, reason="客户拖欠严重", actor=finance)
    event = Event.objects.get()
    assert (event.kind, event.object_type, event.object_id, event.customer_id) == (
        EventKind.CREDIT_BLOCKED,
        "credit_hold",
        str(hold.pk),
        customer.pk,
    )
    assert event.payload == {
        "source": "credit_hold",
        "reason": "客户拖欠严重",
        "placed_by": "fin-ev",
    }


def test_a_hold_refused_for_want_of_a_reason_is_not_announced(customer):
    with pytest.raises(ValidationError):
        make_hold(customer, reason="  ")
    assert not Event.objects.exists()


def test_events_emit_many_writes_every_row_with_its_payload(customer):
    written = events_emit_many(
        [
            {
                "kind": EventKind.PROMISE_BROKEN,
                "customer_id": customer.pk,
                "customer_code": customer.code,
                "object_type": "promise",
                "object_id": n,
                "payload": {"amount": f"{n}00.00", "note": "承诺未兑现", "nested": {"n": n}},
            }
            for n in range(1, 4)
        ]
    )
    assert written == 3
    rows = list(Event.objects.order_by("pk").values_list("object_id", "payload"))
    assert rows == [
        (str(n), {"amount": f"{n}00.00", "note": "承诺未兑现", "nested": {"n": n}})
        for n in range(1, 4)
    ]
    assert events_emit_many([]) == 0


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        event_emit(kind="payment.vanished", payload={})
    assert not Event.objects.exists()


def test_the_log_is_append_only_except_for_dispatching(customer):
    event = event_emit(kind=EventKind.PAYMENT_RECORDED, payload={"amount": "1.00"}, obj=customer)
    Event.objects.filter(pk=event.pk).update(dispatched_at=event.occurred_at)  # allowed
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(payload={"amount": "1000000.00"})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.payload == {"amount": "1.00"}
    assert event.dispatched_at is not None
