"""Random ledger histories keep every invariant, step after step.

A hypothesis state machine posts receivables (some booked late, with an earlier issue date),
payments and credit notes (allocated automatically, by hand or not at all), later allocations of
unapplied credit, write-offs and reversals of all three, while the business date moves forward. It
also tries what the services must refuse, and checks that such a try changes nothing.

Beside the database it keeps a deliberately simple replay model: every receivable and payment with
the dated movements on it. After each step the stored balances must match the model and the
allocation rows, and the portfolio aging as of every date seen so far must equal the model's
balance that day — the point-in-time rule: a past day's report never changes except through
documents dated on or before that day.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from huikuan.ledger import services
from huikuan.ledger.models import Allocation, Payment, Receivable, WriteOff
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import refused
from huikuan.reports.selectors import aging

START = date(2026, 1, 1)
EDGES = [30]  # buckets: not due, 1–30 and over 30 days past due
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

fen = st.integers(min_value=1, max_value=30000)
# Mostly the first customer, so that payments meet several open receivables; the second one
# checks that nothing leaks between customers.
CUSTOMER = st.sampled_from([0, 0, 0, 1])


def yuan(amount_in_fen: int) -> Decimal:
    return Decimal(amount_in_fen) * CENT


@dataclass
class Bill:
    """The model of a receivable: settlements are positive, reopenings negative, each dated."""

    pk: int
    number: str
    customer: int
    issue: date
    due: date
    amount: Decimal
    moves: list[tuple[date, Decimal]] = field(default_factory=list)

    def balance(self, on: date | None = None) -> Decimal:
        if on is not None and self.issue > on:
            return ZERO
        settled = sum((a for d, a in self.moves if on is None or d <= on), ZERO)
        return self.amount - settled

    def last_move(self) -> date | None:
        return max((d for d, _a in self.moves), default=None)


@dataclass
class Money:
    """The model of a payment or credit note and what it settles."""

    pk: int
    number: str
    customer: int
    received: date
    amount: Decimal
    reversed_on: date | None = None
    moves: list[tuple[date, Decimal]] = field(default_factory=list)
    live: list[tuple[int, Decimal]] = field(default_factory=list)  # (bill pk, amount)

    def allocated(self, on: date | None = None) -> Decimal:
        return sum((a for d, a in self.moves if on is None or d <= on), ZERO)

    def unapplied(self, on: date) -> Decimal:
        if self.received > on or (self.reversed_on and self.reversed_on <= on):
            return ZERO
        return self.amount - self.allocated(on)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint, rolled back in teardown().
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.customers = [f.customer(), f.customer()]
        self.today = START
        self.seen = {START}
        self.bills: dict[int, Bill] = {}
        self.moneys: dict[int, Money] = {}
        self.write_offs: dict[int, tuple[int, Decimal]] = {}  # live write-off pk -> (bill, amount)
        self.reversed_write_offs: list[int] = []
        self.reversed_allocations: list[int] = []
        self.count = 0
        # Days whose aging was checked since the last successful write. A refused call is proved
        # to change nothing (``refused`` compares row counts and balances) and moving the date
        # changes nothing either, so after those only the days not yet checked need a look.
        self.checked_days: set[date] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------------

    def _number(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count:04d}"

    def _open_bills(self, customer: int | None = None) -> list[Bill]:
        return [
            b
            for b in self.bills.values()
            if b.balance() > ZERO and (customer is None or b.customer == customer)
        ]

    def _live_moneys(self) -> list[Money]:
        return [m for m in self.moneys.values() if m.reversed_on is None]

    def _wrote(self) -> None:
        self.checked_days.clear()

    def _settle(self, money: Money, bill: Bill, amount: Decimal) -> None:
        bill.moves.append((self.today, amount))
        money.moves.append((self.today, amount))
        money.live.append((bill.pk, amount))

    def _auto(self, money: Money) -> None:
        """Oldest due first, as the service promises."""
        remaining = money.amount - money.allocated()
        for bill in sorted(self._open_bills(money.customer), key=lambda b: (b.due, b.issue, b.pk)):
            if remaining <= ZERO:
                break
            take = min(remaining, bill.balance())
            self._settle(money, bill, take)
            remaining -= take

    def _draw_lines(self, data, customer: int, budget: Decimal) -> list[tuple[Bill, Decimal]]:
        candidates = self._open_bills(customer)
        chosen = data.draw(
            st.lists(st.sampled_from(candidates), unique_by=lambda b: b.pk, max_size=3)
            if candidates
            else st.just([])
        )
        lines = []
        for bill in chosen:
            cap = min(bill.balance(), budget)
            if cap <= ZERO:
                break
            amount = yuan(data.draw(st.integers(1, int(cap / CENT)), label=f"line {bill.number}"))
            lines.append((bill, amount))
            budget -= amount
        return lines

    # --- operations the services accept -----------------------------------------------------------

    @rule(
        customer=CUSTOMER,
        amount=fen,
        booked_late_by=st.integers(0, 20),
        term=st.integers(0, 60),
    )
    def create_receivable(self, customer, amount, booked_late_by, term):
        self._wrote()
        issue = max(START, self.today - timedelta(days=booked_late_by))
        number = self._number("R")
        receivable = services.receivable_create(
            customer=self.customers[customer],
            number=number,
            issue_date=issue,
            due_date=issue + timedelta(days=term),
            amount=yuan(amount),
        )
        self.bills[receivable.pk] = Bill(
            receivable.pk, number, customer, issue, issue + timedelta(days=term), yuan(amount)
        )
        self.seen.add(issue)

    @rule(
        customer=CUSTOMER,
        amount=fen,
        mode=st.sampled_from(["auto", "none", "lines"]),
        kind=st.sampled_from(["payment", "credit_note"]),
        data=st.data(),
    )
    def receive(self, customer, amount, mode, kind, data):
        self._wrote()
        money = Money(0, self._number("P"), customer, self.today, yuan(amount))
        allocate = mode
        lines = []
        if mode == "lines":
            lines = self._draw_lines(data, customer, money.amount)
            allocate = [(bill.number, value) for bill, value in lines]
        payment = services.payment_record(
            customer=self.customers[customer],
            number=money.number,
            received_on=self.today,
            amount=money.amount,
            kind=kind,
            allocate=allocate,
        )
        money.pk = payment.pk
        self.moneys[payment.pk] = money
        if mode == "auto":
            self._auto(money)
        for bill, value in lines:
            self._settle(money, bill, value)

    @precondition(lambda self: any(m.unapplied(self.today) > ZERO for m in self._live_moneys()))
    @rule(data=st.data(), auto=st.booleans())
    def allocate_credit_later(self, data, auto):
        self._wrote()
        money = data.draw(
            st.sampled_from([m for m in self._live_moneys() if m.unapplied(self.today) > ZERO])
        )
        payment = Payment.objects.get(pk=money.pk)
        if auto:
            services.payment_allocate_auto(payment=payment, on=self.today)
            self._auto(money)
            return
        lines = self._draw_lines(data, money.customer, money.unapplied(self.today))
        services.payment_allocate(
            payment=payment, lines=[(b.number, v) for b, v in lines], on=self.today
        )
        for bill, value in lines:
            self._settle(money, bill, value)

    @precondition(lambda self: self._open_bills())
    @rule(data=st.data())
    def write_off(self, data):
        self._wrote()
        bill = data.draw(st.sampled_from(self._open_bills()))
        receivable = Receivable.objects.get(pk=bill.pk)
        write_off = services.receivable_write_off(
            receivable=receivable, on=self.today, reason="无法收回"
        )
        self.write_offs[write_off.pk] = (bill.pk, bill.balance())
        bill.moves.append((self.today, bill.balance()))

    @precondition(lambda self: self._live_moneys())
    @rule(data=st.data())
    def reverse_payment(self, data):
        self._wrote()
        money = data.draw(st.sampled_from(self._live_moneys()))
        services.payment_reverse(
            payment=Payment.objects.get(pk=money.pk), on=self.today, reason="退票"
        )
        for bill_pk, amount in money.live:
            self.bills[bill_pk].moves.append((self.today, -amount))
            money.moves.append((self.today, -amount))
        money.live.clear()
        money.reversed_on = self.today

    @precondition(lambda self: any(m.live for m in self._live_moneys()))
    @rule(data=st.data())
    def reverse_allocation(self, data):
        self._wrote()
        money = data.draw(st.sampled_from([m for m in self._live_moneys() if m.live]))
        bill_pk, amount = data.draw(st.sampled_from(money.live))
        row = Allocation.objects.filter(
            payment_id=money.pk,
            receivable_id=bill_pk,
            amount=amount,
            reverses__isnull=True,
            reversed_by__isnull=True,
        ).first()
        services.allocation_reverse(allocation=row, on=self.today, reason="错配")
        money.live.remove((bill_pk, amount))
        money.moves.append((self.today, -amount))
        self.bills[bill_pk].moves.append((self.today, -amount))
        self.reversed_allocations.append(row.pk)

    @precondition(lambda self: self.write_offs)
    @rule(data=st.data())
    def reverse_write_off(self, data):
        self._wrote()
        pk = data.draw(st.sampled_from(sorted(self.write_offs)))
        bill_pk, amount = self.write_offs.pop(pk)
        services.write_off_reverse(
            write_off=WriteOff.objects.get(pk=pk), on=self.today, reason="恢复"
        )
        self.bills[bill_pk].moves.append((self.today, -amount))
        self.reversed_write_offs.append(pk)

    @rule(days=st.integers(1, 45))
    def next_day(self, days):
        self.today += timedelta(days=days)
        self.seen.add(self.today)

    # --- operations the services must refuse, leaving everything as it was ------------------------

    def _refusals(self) -> list[str]:
        moneys = self.moneys.values()
        applicable = {
            "_refuse_settling_more_than_is_outstanding": self._open_bills(),
            "_refuse_allocating_more_than_the_credit": self._live_moneys() and self._open_bills(),
            "_refuse_using_a_reversed_payment": any(m.reversed_on for m in moneys),
            "_refuse_reversing_twice": self.reversed_allocations or self.reversed_write_offs,
            "_refuse_writing_off_a_settled_receivable": any(
                b.balance() == ZERO for b in self.bills.values()
            ),
            "_refuse_backdating_a_write_off": self._open_bills(),
            "_refuse_backdating_a_payment_reversal": self._live_moneys(),
            "_refuse_backdating_an_allocation_reversal": any(m.live for m in self._live_moneys()),
            "_refuse_backdating_a_write_off_reversal": self.write_offs,
        }
        return [name for name, ok in applicable.items() if ok]

    @precondition(lambda self: self._refusals())
    @rule(data=st.data())
    def try_what_must_be_refused(self, data):
        # One rule for every refusal, so that refusals take a fair share of the steps without
        # crowding out the histories that make them interesting.
        getattr(self, data.draw(st.sampled_from(self._refusals())))(data)

    def _refuse_settling_more_than_is_outstanding(self, data):
        extra = data.draw(st.integers(1, 500))
        bill = data.draw(st.sampled_from(self._open_bills()))
        too_much = bill.balance() + yuan(extra)
        with refused("allocate"):
            services.payment_record(
                customer=self.customers[bill.customer],
                number=self._number("X"),
                received_on=self.today,
                amount=too_much,
                allocate=[(bill.number, too_much)],
            )

    def _refuse_allocating_more_than_the_credit(self, data):
        money = data.draw(st.sampled_from(self._live_moneys()))
        bill = data.draw(st.sampled_from(self._open_bills()))
        line = money.unapplied(self.today) + CENT
        with refused("allocate"):
            services.payment_allocate(
                payment=Payment.objects.get(pk=money.pk), lines=[(bill.number, line)]
            )

    def _refuse_using_a_reversed_payment(self, data):
        later = data.draw(st.booleans())
        money = data.draw(st.sampled_from([m for m in self.moneys.values() if m.reversed_on]))
        payment = Payment.objects.get(pk=money.pk)
        with refused("payment"):
            if later:
                services.payment_allocate_auto(payment=payment, on=self.today)
            else:
                services.payment_reverse(payment=payment, on=self.today, reason="again")

    def _refuse_reversing_twice(self, data):
        choices = [("allocation", pk) for pk in self.reversed_allocations]
        choices += [("write_off", pk) for pk in self.reversed_write_offs]
        what, pk = data.draw(st.sampled_from(choices))
        if what == "allocation":
            row = Allocation.objects.get(pk=pk)
            # Its payment may have been reversed since: then that is the reason given.
            field_name = "payment" if self.moneys[row.payment_id].reversed_on else "allocation"
            with refused(field_name):
                services.allocation_reverse(allocation=row, on=self.today, reason="again")
        else:
            with refused("write_off"):
                services.write_off_reverse(
                    write_off=WriteOff.objects.get(pk=pk), on=self.today, reason="again"
                )

    def _refuse_writing_off_a_settled_receivable(self, data):
        bill = data.draw(st.sampled_from([b for b in self.bills.values() if b.balance() == ZERO]))
        with refused("receivable"):
            services.receivable_write_off(
                receivable=Receivable.objects.get(pk=bill.pk), on=self.today, reason="x"
            )

    def _refuse_backdating_a_write_off(self, data):
        bill = data.draw(st.sampled_from(self._open_bills()))
        floor = max(d for d in (bill.issue, bill.last_move()) if d)
        with refused("date"):
            services.receivable_write_off(
                receivable=Receivable.objects.get(pk=bill.pk),
                on=floor - timedelta(days=1),
                reason="x",
            )

    def _refuse_backdating_a_payment_reversal(self, data):
        money = data.draw(st.sampled_from(self._live_moneys()))
        floor = max(d for d, _a in [(money.received, 0), *money.moves])
        with refused("date"):
            services.payment_reverse(
                payment=Payment.objects.get(pk=money.pk),
                on=floor - timedelta(days=1),
                reason="x",
            )

    def _refuse_backdating_an_allocation_reversal(self, data):
        money = data.draw(st.sampled_from([m for m in self._live_moneys() if m.live]))
        bill_pk, amount = data.draw(st.sampled_from(money.live))
        row = Allocation.objects.filter(
            payment_id=money.pk, receivable_id=bill_pk, amount=amount, reverses__isnull=True
        ).first()
        floor = max(d for d, _a in money.moves)
        with refused("date"):
            services.allocation_reverse(allocation=row, on=floor - timedelta(days=1), reason="x")

    def _refuse_backdating_a_write_off_reversal(self, data):
        pk = data.draw(st.sampled_from(sorted(self.write_offs)))
        written_off_on = max(d for d, _a in self.bills[self.write_offs[pk][0]].moves)
        with refused("date"):
            services.write_off_reverse(
                write_off=WriteOff.objects.get(pk=pk),
                on=written_off_on - timedelta(days=1),
                reason="x",
            )

    # --- what must hold after every step ----------------------------------------------------------

    @invariant()
    def stored_balances_agree_with_the_allocation_rows(self):
        assert services.ledger_recompute() == []
        rows = Receivable.objects.annotate(settled=Sum("allocations__amount")).values_list(
            "pk", "amount", "outstanding", "settled"
        )
        for pk, amount, outstanding, settled in rows:
            settled = settled or ZERO
            assert ZERO <= outstanding <= amount
            assert amount == settled + outstanding
            assert outstanding == self.bills[pk].balance()
        for pk, amount, allocated in Payment.objects.values_list("pk", "amount", "allocated"):
            assert ZERO <= allocated <= amount
            assert allocated == self.moneys[pk].allocated()

    @invariant()
    def every_movement_takes_effect_on_the_day_it_was_made(self):
        stored: dict[int, list] = {pk: [] for pk in self.bills}
        for pk, applied_on, amount in Allocation.objects.values_list(
            "receivable_id", "applied_on", "amount"
        ):
            stored[pk].append((applied_on, amount))
        assert {pk: sorted(moves) for pk, moves in stored.items()} == {
            pk: sorted(bill.moves) for pk, bill in self.bills.items()
        }

    @invariant()
    def every_past_day_reports_what_the_model_replays(self):
        for day in sorted(self.seen - self.checked_days):
            (row,) = aging(as_of=day, by="portfolio", edges=EDGES)
            expected = dict.fromkeys(row.buckets, ZERO)
            for bill in self.bills.values():
                overdue = (day - bill.due).days
                key = "not_due" if overdue <= 0 else ("d1_30" if overdue <= 30 else "over_30")
                expected[key] += bill.balance(day)
            assert row.buckets == expected, day
            credit = sum((m.unapplied(day) for m in self.moneys.values()), ZERO)
            assert row.unapplied_credit == credit, day
            self.checked_days.add(day)


@pytest.mark.django_db
def test_random_ledger_histories_keep_every_invariant(tmp_path):
    # No example database, and hypothesis's other caches in a temporary directory, not the repo.
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        run_state_machine_as_test(
            LedgerMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        set_hypothesis_home_dir(None)
