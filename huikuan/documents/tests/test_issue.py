"""Issuing letters (numbered, stored, audited) and marking them sent (a sent demand restarts the
limitation period)."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from huikuan.audit.models import AuditEntry
from huikuan.documents.models import BalanceConfirmation, ConfirmationStatus, Document
from huikuan.documents.services import document_issue, document_mark_sent
from huikuan.dunning.models import Activity, Channel, InterruptionKind, LimitationEvent
from huikuan.dunning.tests.factories import make_customer, make_receivable, make_user, refused
from huikuan.org.models import Role

from .helpers import pdf_text

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 22)


def documents_state():
    return {
        "documents": list(Document.objects.values_list("number", "sent_on", "sent_via")),
        "confirmations": list(BalanceConfirmation.objects.values_list("pk", "status")),
    }


@pytest.fixture
def customer():
    customer = make_customer(name="温州南方阀门有限公司")
    make_receivable(customer, "3000.00", issue_date=date(2026, 9, 1), number="R-1")  # due 10-01
    make_receivable(customer, "500.00", issue_date=date(2026, 11, 10), number="R-2")  # not due
    return customer


def test_issuing_stores_the_pdf_with_its_number_total_and_hash(customer):
    user = make_user()
    document = document_issue(kind="overdue-notice", customer=customer, as_of=AS_OF, actor=user)
    document.refresh_from_db()
    pdf = bytes(document.pdf)
    assert document.number == "YQ-20261122-000001"
    assert document.total == Decimal("3000.00")
    assert document.size == len(pdf)
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.template_version == 0
    assert document.created_by == user
    assert document.number in pdf_text(pdf)
    assert AuditEntry.objects.filter(action="document.issue", object_id=str(document.pk)).exists()


def test_numbers_count_per_prefix_and_day(customer):
    first = document_issue(kind="statement", customer=customer, as_of=AS_OF, actor=None)
    second = document_issue(kind="statement", customer=customer, as_of=AS_OF, actor=None)
    other_kind = document_issue(kind="confirmation", customer=customer, as_of=AS_OF, actor=None)
    next_day = document_issue(
        kind="statement", customer=customer, as_of=date(2026, 11, 23), actor=None
    )
    assert [first.number, second.number, other_kind.number, next_day.number] == [
        "DZ-20261122-000001",
        "DZ-20261122-000002",
        "QZ-20261122-000001",
        "DZ-20261123-000001",
    ]
    assert first.date_from == date(2026, 11, 1)  # a statement's default period: the month
    assert other_kind.date_from is None


def test_issuing_a_confirmation_opens_it_with_our_balance(customer):
    document = document_issue(kind="confirmation", customer=customer, as_of=AS_OF, actor=None)
    confirmation = BalanceConfirmation.objects.get(document=document)
    assert confirmation.status == ConfirmationStatus.ISSUED
    assert confirmation.our_balance == Decimal("3500.00") == document.total


def test_refused_issues_write_nothing(customer):
    paid_up = make_customer()
    make_receivable(paid_up, "100.00", issue_date=date(2026, 11, 20))
    before = documents_state()
    with refused("kind", match="Unknown kind"):
        document_issue(kind="invoice", customer=customer, as_of=AS_OF, actor=None)
    with refused("date_from"):
        document_issue(
            kind="statement",
            customer=customer,
            as_of=AS_OF,
            date_from=date(2026, 12, 1),
            actor=None,
        )
    for kind in ("overdue-notice", "lawyer-letter"):
        with refused("kind", match="nothing overdue"):
            document_issue(kind=kind, customer=paid_up, as_of=AS_OF, actor=None)
    with refused("language"):
        document_issue(kind="statement", customer=customer, as_of=AS_OF, actor=None, language="x")
    assert documents_state() == before


def test_only_a_manager_or_administrator_issues_a_lawyers_letter(customer):
    with pytest.raises(PermissionDenied):
        document_issue(kind="lawyer-letter", customer=customer, as_of=AS_OF, actor=make_user())
    assert not Document.objects.exists()
    for role in (Role.MANAGER, Role.ADMIN):
        issued = document_issue(
            kind="lawyer-letter", customer=customer, as_of=AS_OF, actor=make_user(role)
        )
        assert issued.kind == "lawyer-letter"


def test_sending_a_demand_by_post_logs_a_letter_and_restarts_the_limitation_period(customer):
    user = make_user(Role.MANAGER)
    document = document_issue(kind="lawyer-letter", customer=customer, as_of=AS_OF, actor=user)
    document_mark_sent(
        document=document, on=date(2026, 11, 24), via="post", actor=user, reference="SF123"
    )
    document.refresh_from_db()
    assert (document.sent_on, document.sent_via, document.sent_reference) == (
        date(2026, 11, 24),
        "post",
        "SF123",
    )
    activity = Activity.objects.get(customer=customer)
    assert activity.channel == Channel.LETTER and activity.is_written_demand
    assert document.number in activity.note
    event = LimitationEvent.objects.get(customer=customer)
    assert event.kind == InterruptionKind.WRITTEN_DEMAND
    assert event.happened_on == date(2026, 11, 24)


def test_sending_a_demand_by_email_logs_an_email(customer):
    document = document_issue(kind="overdue-notice", customer=customer, as_of=AS_OF, actor=None)
    document_mark_sent(document=document, on=AS_OF, via="email", actor=None)
    assert Activity.objects.get(customer=customer).channel == Channel.EMAIL
    assert LimitationEvent.objects.filter(customer=customer).count() == 1


def test_sending_a_confirmation_starts_the_wait_and_is_no_demand(customer):
    document = document_issue(kind="confirmation", customer=customer, as_of=AS_OF, actor=None)
    document_mark_sent(document=document, on=date(2026, 11, 23), via="hand", actor=None)
    confirmation = BalanceConfirmation.objects.get(document=document)
    assert confirmation.status == ConfirmationStatus.SENT
    assert confirmation.sent_on == date(2026, 11, 23)
    activity = Activity.objects.get(customer=customer)
    assert not activity.is_written_demand
    assert not LimitationEvent.objects.exists()


def test_sending_a_statement_records_only_the_facts(customer):
    document = document_issue(kind="statement", customer=customer, as_of=AS_OF, actor=None)
    document_mark_sent(document=document, on=AS_OF, via="fax", actor=None)
    assert Document.objects.get(pk=document.pk).sent_via == "fax"
    assert not Activity.objects.exists()


def test_a_document_is_marked_sent_once_and_a_refusal_changes_nothing(customer):
    document = document_issue(kind="overdue-notice", customer=customer, as_of=AS_OF, actor=None)
    with refused("via"):
        document_mark_sent(document=document, on=AS_OF, via="pigeon", actor=None)
    document_mark_sent(document=document, on=AS_OF, via="email", actor=None)
    before = documents_state()
    with refused("document", match="already marked as sent"):
        document_mark_sent(document=document, on=date(2026, 11, 25), via="post", actor=None)
    assert documents_state() == before
    assert Activity.objects.count() == 1


@pytest.mark.postgres
def test_concurrent_issuers_never_take_the_same_number(transactional_db):
    import threading

    from django.db import connection

    customer = make_customer()
    make_receivable(customer, "100.00", issue_date=date(2026, 11, 1))
    numbers, errors = [], []
    start = threading.Barrier(3)

    def issue():
        try:
            start.wait()
            for _ in range(2):
                document = document_issue(
                    kind="statement", customer=customer, as_of=AS_OF, actor=None
                )
                numbers.append(document.number)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"DZ-20261122-{n:06d}" for n in range(1, 7)]
