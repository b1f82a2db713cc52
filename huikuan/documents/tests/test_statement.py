"""The figures of the letters: the statement's movements and balances, the confirmation's
balance, the overdue notice's items and pay-by date — checked against books built through the
ledger services, with the totals worked out independently here."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from huikuan.core.money import ZERO
from huikuan.customers.models import ContactRole
from huikuan.documents.models import BalanceConfirmation
from huikuan.documents.selectors import (
    confirmation_data,
    confirmations_for_list,
    overdue_data,
    statement_data,
)
from huikuan.dunning.models import CalendarDay, Promise, PromiseStatus
from huikuan.dunning.tests.factories import (
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
)
from huikuan.ledger import services as ledger
from huikuan.ledger.models import Allocation, PaymentKind, WriteOff

pytestmark = pytest.mark.django_db

D = Decimal


def test_statement_lists_bills_money_and_reversals_with_a_running_balance():
    customer = make_customer()
    make_receivable(customer, "1000.00", issue_date=date(2026, 1, 10), number="R-OLD")
    make_payment(customer, "400.00", date(2026, 1, 20), number="P-OLD")
    # In the period:
    bill = make_receivable(customer, "2500.00", issue_date=date(2026, 2, 3), number="R-FEB")
    paid = make_payment(customer, "1000.00", date(2026, 2, 10), number="P-FEB")
    make_payment(
        customer, "300.00", date(2026, 2, 12), number="CN-FEB", kind=PaymentKind.CREDIT_NOTE
    )
    write_off = ledger.receivable_write_off(
        receivable=bill, on=date(2026, 2, 20), reason="客户破产"
    )
    ledger.payment_reverse(payment=paid, on=date(2026, 2, 25), reason="退票")
    ledger.write_off_reverse(write_off=write_off, on=date(2026, 2, 26), reason="追回")
    # After the period: not on the statement.
    make_receivable(customer, "999.00", issue_date=date(2026, 3, 2))

    s = statement_data(customer=customer, date_from=date(2026, 2, 1), as_of=date(2026, 2, 28))

    assert s.opening_balance == D("600.00")
    rows = [(m.on, m.kind, m.debit, m.credit, m.balance) for m in s.movements]
    written_off = write_off.amount
    assert rows == [
        (date(2026, 2, 3), "receivable", D("2500.00"), ZERO, D("3100.00")),
        (date(2026, 2, 10), "payment", ZERO, D("1000.00"), D("2100.00")),
        (date(2026, 2, 12), "credit_note", ZERO, D("300.00"), D("1800.00")),
        (date(2026, 2, 20), "write_off", ZERO, written_off, D("1800.00") - written_off),
        (date(2026, 2, 25), "payment_reversal", D("1000.00"), ZERO, D("2800.00") - written_off),
        (date(2026, 2, 26), "write_off_reversal", written_off, ZERO, D("2800.00")),
    ]
    assert s.closing_balance == D("2800.00")
    assert s.total_debit == D("2500.00") + D("1000.00") + written_off
    assert s.closing_balance == s.open_total - s.unapplied_credit


def test_allocations_and_their_reversal_change_open_items_but_not_the_balance():
    customer = make_customer()
    make_receivable(customer, "800.00", issue_date=date(2026, 3, 1), number="R1")
    payment = make_payment(customer, "800.00", date(2026, 3, 5), number="P1")
    allocation = Allocation.objects.get(payment=payment)
    ledger.allocation_reverse(allocation=allocation, on=date(2026, 3, 8), reason="错配")

    s = statement_data(customer=customer, date_from=date(2026, 3, 1), as_of=date(2026, 3, 31))

    assert [m.kind for m in s.movements] == ["receivable", "payment"]
    assert s.closing_balance == ZERO
    assert [(i.number, i.balance) for i in s.open_items] == [("R1", D("800.00"))]
    assert s.unapplied_credit == D("800.00")


def test_open_items_carry_days_overdue_and_the_aging_bucket_and_buckets_add_up(settings):
    settings.HUIKUAN_AGING_EDGES = [30, 60, 90]
    customer = make_customer()
    as_of = date(2026, 6, 30)
    make_receivable(customer, "100.00", issue_date=date(2026, 6, 1), due_date=date(2026, 7, 15))
    make_receivable(customer, "200.00", issue_date=date(2026, 5, 1), due_date=date(2026, 6, 20))
    make_receivable(customer, "300.00", issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31))

    s = statement_data(customer=customer, date_from=date(2026, 6, 1), as_of=as_of)

    assert [(i.days_overdue, i.bucket_key) for i in s.open_items] == [
        (91, "over_90"),
        (10, "d1_30"),
        (-15, "not_due"),
    ]
    assert {b.key: b.amount for b in s.buckets} == {
        "not_due": D("100.00"),
        "d1_30": D("200.00"),
        "d31_60": ZERO,
        "d61_90": ZERO,
        "over_90": D("300.00"),
    }
    assert s.overdue_total == D("500.00")
    assert s.open_total == D("600.00") == s.closing_balance


def test_a_statement_period_must_not_start_after_its_end():
    with pytest.raises(ValueError):
        statement_data(customer=make_customer(), date_from=date(2026, 2, 2), as_of=date(2026, 2, 1))


def _random_book(rng: random.Random, customer) -> date:
    """Post a random history through the ledger services; returns its last day."""
    day = date(2026, 1, 1)
    for counter in range(1, rng.randint(11, 19)):
        day += timedelta(days=rng.randint(0, 6))
        action = rng.choice(["bill", "bill", "pay", "pay", "credit", "write_off", "reverse"])
        amount = D(rng.randint(1, 500_00)) / 100
        open_bills = list(customer.receivables.filter(outstanding__gt=0))
        if action == "bill" or not customer.receivables.exists():
            make_receivable(customer, amount, issue_date=day, number=f"RB{customer.pk}-{counter}")
        elif action == "pay":
            make_payment(
                customer,
                amount,
                day,
                number=f"PB{customer.pk}-{counter}",
                allocate=rng.choice(["auto", "none"]),
            )
        elif action == "credit":
            make_payment(
                customer,
                amount,
                day,
                number=f"CB{customer.pk}-{counter}",
                kind=PaymentKind.CREDIT_NOTE,
            )
        elif action == "write_off" and open_bills:
            # Days only move forward, so no movement is ever later than ``day``.
            ledger.receivable_write_off(receivable=rng.choice(open_bills), on=day, reason="测试")
        elif action == "reverse":
            target = rng.choice(["payment", "write_off", "allocation"])
            if target == "payment":
                payment = customer.payments.filter(reversal__isnull=True).first()
                if payment is not None:
                    ledger.payment_reverse(payment=payment, on=day, reason="测试")
            elif target == "write_off":
                write_off = WriteOff.objects.filter(
                    receivable__customer=customer, reversal__isnull=True
                ).first()
                if write_off is not None:
                    ledger.write_off_reverse(write_off=write_off, on=day, reason="测试")
            else:
                allocation = Allocation.objects.filter(
                    payment__customer=customer,
                    reverses__isnull=True,
                    reversed_by__isnull=True,
                    payment__reversal__isnull=True,
                ).first()
                if allocation is not None:
                    ledger.allocation_reverse(allocation=allocation, on=day, reason="测试")
    return day


@pytest.mark.parametrize("seed", range(6))
def test_closing_balance_is_open_items_less_unapplied_credit_on_random_books(seed):
    rng = random.Random(seed)
    customer = make_customer()
    last = _random_book(rng, customer)
    days = sorted(
        {
            date(2026, 1, 1) + timedelta(days=rng.randint(0, (last - date(2026, 1, 1)).days + 3))
            for _ in range(4)
        }
    )
    previous_close = None
    start = date(2025, 12, 31)
    for as_of in days:
        s = statement_data(customer=customer, date_from=start + timedelta(days=1), as_of=as_of)
        assert s.closing_balance == s.open_total - s.unapplied_credit, (seed, as_of)
        assert sum((b.amount for b in s.buckets), ZERO) == s.open_total
        if previous_close is not None:
            # Periods chain: one statement's closing balance is the next one's opening.
            assert s.opening_balance == previous_close
        assert s.opening_balance + s.total_debit - s.total_credit == s.closing_balance
        previous_close = s.closing_balance
        start = as_of


def test_confirmation_states_the_closing_balance_and_addresses_finance():
    customer = make_customer()
    make_contact(customer, role=ContactRole.PURCHASING, name="采购张")
    make_contact(customer, role=ContactRole.FINANCE, name="财务李")
    make_receivable(customer, "1234.56", issue_date=date(2026, 4, 1))
    make_payment(customer, "200.00", date(2026, 4, 9), allocate="none")

    c = confirmation_data(customer=customer, as_of=date(2026, 4, 30))

    assert c.our_balance == D("1034.56")
    assert c.unapplied_credit == D("200.00")
    assert c.finance_contact.name == "财务李"


def test_overdue_notice_lists_only_overdue_items_and_gives_a_working_pay_by_day():
    customer = make_customer()
    make_receivable(customer, "500.00", issue_date=date(2026, 9, 1), due_date=date(2026, 10, 1))
    make_receivable(customer, "700.00", issue_date=date(2026, 9, 1), due_date=date(2026, 11, 22))
    make_receivable(customer, "900.00", issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1))
    # 2026-11-22 is a Sunday: +7 days is Sunday 11-29, so pay by Monday 11-30; with the
    # Monday declared a holiday, Tuesday.
    o = overdue_data(customer=customer, as_of=date(2026, 11, 22))
    assert [(i.balance, i.days_overdue) for i in o.items] == [(D("500.00"), 52)]
    assert o.total == D("500.00")
    assert o.pay_by == date(2026, 11, 30)
    CalendarDay.objects.create(day=date(2026, 11, 30), is_workday=False, name="测试假日")
    assert overdue_data(customer=customer, as_of=date(2026, 11, 22)).pay_by == date(2026, 12, 1)


def test_overdue_notice_counts_the_promises_broken_by_its_date():
    customer = make_customer()
    make_receivable(customer, "500.00", issue_date=date(2026, 1, 1))
    Promise.objects.create(
        customer=customer,
        amount=D("100"),
        made_on=date(2026, 2, 1),
        due_on=date(2026, 2, 10),
        promised_by="王",
        status=PromiseStatus.BROKEN,
        settled_on=date(2026, 2, 11),
    )
    Promise.objects.create(
        customer=customer,
        amount=D("100"),
        made_on=date(2026, 3, 1),
        due_on=date(2026, 3, 10),
        promised_by="王",
        status=PromiseStatus.KEPT,
        settled_on=date(2026, 3, 9),
    )
    assert overdue_data(customer=customer, as_of=date(2026, 2, 10)).broken_promises == 0
    assert overdue_data(customer=customer, as_of=date(2026, 3, 31)).broken_promises == 1


def test_confirmation_list_shows_days_waiting_for_sent_ones(django_user_model):
    from huikuan.documents.services import document_issue, document_mark_sent

    customer = make_customer()
    make_receivable(customer, "100.00", issue_date=date(2026, 1, 1))
    sent = document_issue(
        kind="confirmation", customer=customer, as_of=date(2026, 1, 31), actor=None
    )
    document_mark_sent(document=sent, on=date(2026, 2, 2), via="post", actor=None)
    document_issue(kind="confirmation", customer=customer, as_of=date(2026, 2, 28), actor=None)
    rows = confirmations_for_list(customers=[customer.pk], as_of=date(2026, 2, 12))
    waiting = {row.document.number: row.days_waiting for row in rows}
    assert waiting[sent.number] == timedelta(days=10)
    assert sorted(waiting.values(), key=lambda v: v is None)[-1] is None
    only_sent = confirmations_for_list(customers=[customer.pk], status="sent")
    assert [row.pk for row in only_sent] == [BalanceConfirmation.objects.get(document=sent).pk]
