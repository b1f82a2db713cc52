"""Warning signals: recorded by people, computed from constructed histories, and what they change
for the customer — its class in the lists and the class report, and its stored summary."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from huikuan.audit.models import AuditEntry
from huikuan.customers.models import ContactRole, Customer, CustomerStatus
from huikuan.dunning.models import Channel, Outcome
from huikuan.dunning.services import activity_log
from huikuan.dunning.tests.factories import (
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
    make_user,
)
from huikuan.ledger.classes import DebtClass, class_thresholds
from huikuan.ledger.selectors import customers_with_balances
from huikuan.org.models import Role
from huikuan.reports.selectors import class_report
from huikuan.risk.daily import risk_daily_run
from huikuan.risk.models import CreditProfile, Severity, Signal, SignalKind, SignalStatus
from huikuan.risk.signals import (
    signal_handle,
    signal_record,
    signals_detect,
    signals_summary_recompute,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 7, 1)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def raised(customer, kind=None) -> list[Signal]:
    signals = Signal.objects.filter(customer=customer)
    if kind:
        signals = signals.filter(kind=kind)
    return list(signals)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager)


@pytest.fixture
def finance():
    return make_user(Role.FINANCE)


@pytest.fixture
def customer(rep):
    return make_customer(owner=rep)


# --- Off-season bulk buying --------------------------------------------------------------------


def bill(customer, amount, on: date):
    make_receivable(customer, amount=amount, issue_date=on, due_date=on + timedelta(days=60))


def seasonal_history(customer, june_amount: str):
    """Buying since January 2024: a little each winter, ``june_amount`` each June."""
    for year in (2024, 2025):
        bill(customer, "2000.00", date(year, 1, 10))
        bill(customer, june_amount, date(year, 6, 15))


def test_a_seasonal_customers_normal_peak_raises_no_off_season_signal(customer):
    seasonal_history(customer, "50000.00")
    bill(customer, "60000.00", date(2026, 6, 15))  # 1.2 times the June of earlier years

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


def test_a_true_off_season_spike_raises_a_watch_signal_with_its_figures(customer):
    seasonal_history(customer, "4000.00")
    bill(customer, "25000.00", date(2026, 6, 10))
    bill(customer, "15000.00", date(2026, 6, 20))  # ¥40,000: ten times the earlier Junes

    counts = signals_detect(as_of=AS_OF)

    [signal] = raised(customer, SignalKind.OFF_SEASON_BULK)
    assert counts[SignalKind.OFF_SEASON_BULK] == 1
    assert signal.severity == Severity.WATCH
    assert signal.detected_on == AS_OF
    assert signal.data == {
        "billed": "40000.00",
        "baseline": "4000.00",
        "years": 2,
        "window_days": 30,
    }
    assert "¥40,000.00" in signal.evidence and "¥4,000.00" in signal.evidence


def test_no_off_season_signal_without_an_earlier_year_to_compare_with(customer):
    bill(customer, "1000.00", date(2026, 1, 5))  # a new customer this year
    bill(customer, "90000.00", date(2026, 6, 20))

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


def test_an_off_season_rise_below_ten_thousand_yuan_raises_nothing(customer):
    seasonal_history(customer, "2000.00")
    bill(customer, "9000.00", date(2026, 6, 20))  # 4.5 times, but only ¥7,000 more

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


# --- Payment drift ------------------------------------------------------------------------------


def paid_late(customer, due: date, days_late: int, amount="3000.00"):
    make_receivable(customer, amount=amount, issue_date=due - timedelta(days=30), due_date=due)
    make_payment(customer, amount, received_on=due + timedelta(days=days_late))


def test_rising_lateness_raises_payment_drift(customer):
    for due in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)):
        paid_late(customer, due, 3)
    for due in (date(2026, 4, 10), date(2026, 5, 10)):
        paid_late(customer, due, 25)

    signals_detect(as_of=AS_OF)

    [signal] = raised(customer, SignalKind.PAYMENT_DRIFT)
    assert signal.data == {"avg_days_late": 25, "prev_avg_days_late": 3}
    assert "25" in signal.evidence


def test_steady_lateness_raises_no_payment_drift(customer):
    for due in (date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 10)):
        paid_late(customer, due, 25)
    paid_late(customer, date(2026, 5, 10), 28)

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


def test_a_small_rise_that_is_still_nearly_on_time_is_no_drift(customer):
    paid_late(customer, date(2026, 2, 10), -10)  # paid early before
    paid_late(customer, date(2026, 5, 10), 8)  # 18 days later, but only 8 days late

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


# --- Repeated requests to delay ---------------------------------------------------------------


def punctual_history(customer, days_late: int):
    """Two years of monthly receivables, each paid ``days_late`` after its due date."""
    due = date(2024, 8, 10)
    while due + timedelta(days=days_late) < ago(1):
        paid_late(customer, due, days_late, amount="2000.00")
        due = date(due.year + (due.month == 12), due.month % 12 + 1, 10)


def ask_to_delay(customer, actor, on: date, **kw):
    kw.setdefault("outcome", Outcome.REACHED)
    return activity_log(
        customer=customer,
        actor=actor,
        happened_on=on,
        channel=kw.pop("channel", Channel.CALL),
        asked_to_delay=kw.pop("asked_to_delay", True),
        **kw,
    )


def test_the_third_request_of_a_punctual_payer_raises_delay_requests(customer, rep):
    punctual_history(customer, 0)
    ask_to_delay(customer, rep, ago(70))
    ask_to_delay(customer, rep, ago(40))
    risk_daily_run(as_of=ago(1))
    assert raised(customer) == []  # two requests: nothing yet
    assert Customer.objects.get(pk=customer.pk).rating == "A"

    ask_to_delay(customer, rep, ago(0))
    risk_daily_run(as_of=AS_OF)

    [signal] = raised(customer, SignalKind.DELAY_REQUESTS)
    assert signal.data["requests"] == 3 and signal.data["rating"] == "A"


def test_a_replaced_promise_counts_as_a_request_to_delay(customer, rep):
    punctual_history(customer, 0)
    ask_to_delay(customer, rep, ago(60))
    ask_to_delay(customer, rep, ago(40))
    promise = {"outcome": Outcome.PROMISED, "promised_by": "会计", "asked_to_delay": False}
    ask_to_delay(customer, rep, ago(30), promise_amount="1000", promise_due_on=ago(20), **promise)
    ask_to_delay(customer, rep, ago(5), promise_amount="1000", promise_due_on=ago(-10), **promise)

    risk_daily_run(as_of=AS_OF)

    [signal] = raised(customer, SignalKind.DELAY_REQUESTS)
    assert signal.data["requests"] == 3


def test_requests_on_the_same_day_count_once(customer, rep):
    punctual_history(customer, 0)
    ask_to_delay(customer, rep, ago(60))
    ask_to_delay(customer, rep, ago(5))
    ask_to_delay(customer, rep, ago(5), channel=Channel.WECHAT)

    risk_daily_run(as_of=AS_OF)

    assert raised(customer, SignalKind.DELAY_REQUESTS) == []


def test_a_habitual_late_payer_asking_to_delay_raises_nothing(customer, rep):
    punctual_history(customer, 60)
    for days in (80, 50, 20, 2):
        ask_to_delay(customer, rep, ago(days))

    risk_daily_run(as_of=AS_OF)

    assert Customer.objects.get(pk=customer.pk).rating in ("C", "D")  # often or very late
    assert CreditProfile.objects.get(customer=customer).prev_avg_days_late > 15
    assert raised(customer, SignalKind.DELAY_REQUESTS) == []


# --- A key contact leaving ----------------------------------------------------------------------


def test_a_finance_contact_who_left_ten_days_ago_raises_contact_left(customer):
    make_contact(
        customer, role=ContactRole.FINANCE, name="王会计", is_active=False, left_on=ago(10)
    )

    with translation.override("en"):  # the evidence is written in the run's language
        signals_detect(as_of=AS_OF)

    [signal] = raised(customer, SignalKind.CONTACT_LEFT)
    assert signal.severity == Severity.WATCH
    assert "王会计" in signal.evidence and "balance confirmation" in signal.evidence
    assert signal.data["left_on"] == ago(10).isoformat()


def test_a_purchasing_contact_or_one_who_left_long_ago_raises_nothing(customer):
    make_contact(customer, role=ContactRole.PURCHASING, is_active=False, left_on=ago(10))
    make_contact(customer, role=ContactRole.FINANCE, is_active=False, left_on=ago(60))
    make_contact(customer, role=ContactRole.CASHIER)  # still there

    signals_detect(as_of=AS_OF)

    assert raised(customer) == []


def test_a_departure_someone_recorded_already_is_not_raised_again(customer, rep):
    make_contact(customer, role=ContactRole.BOSS, is_active=False, left_on=ago(10))
    signal_record(
        customer=customer,
        kind=SignalKind.CONTACT_LEFT,
        evidence="老板换人了",
        detected_on=ago(8),
        actor=rep,
    )

    signals_detect(as_of=AS_OF)

    assert len(raised(customer, SignalKind.CONTACT_LEFT)) == 1


# --- Recording and handling -------------------------------------------------------------------


def test_recording_a_signal_counts_it_on_the_customer_and_audits_it(customer, rep):
    signal = signal_record(
        customer=customer,
        kind=SignalKind.LAWSUIT,
        evidence="Sued by its landlord, case 2026-123.",
        detected_on=ago(3),
        actor=rep,
    )

    assert signal.severity == Severity.STRONG and signal.recorded_by == rep
    assert customer.risk_signals == 1 and customer.doubtful_since == ago(3)
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.risk_signals, stored.doubtful_since) == (1, ago(3))
    assert AuditEntry.objects.filter(action="signal.record", object_id=str(signal.pk)).exists()


def test_a_watch_signal_counts_but_does_not_make_the_money_doubtful(customer, rep):
    signal_record(
        customer=customer,
        kind=SignalKind.CROSS_REGION,
        evidence="Our goods seen in another region.",
        detected_on=ago(3),
        actor=rep,
    )

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.risk_signals, stored.doubtful_since) == (1, None)


def test_only_people_who_see_the_customer_record_signals(customer):
    stranger = make_user(Role.REP)
    with pytest.raises(PermissionDenied):
        signal_record(
            customer=customer,
            kind=SignalKind.DUMPING,
            evidence="x",
            detected_on=AS_OF,
            actor=stranger,
        )
    assert Signal.objects.count() == 0


def test_a_signal_without_evidence_is_refused(customer, rep):
    with pytest.raises(ValidationError) as excinfo:
        signal_record(
            customer=customer, kind=SignalKind.DUMPING, evidence=" ", detected_on=AS_OF, actor=rep
        )
    assert "evidence" in excinfo.value.message_dict
    assert Signal.objects.count() == 0


def test_a_rep_may_not_handle_a_signal_but_finance_may(customer, rep, finance):
    signal = signal_record(
        customer=customer,
        kind=SignalKind.DUMPING,
        evidence="清仓甩卖",
        detected_on=AS_OF,
        actor=rep,
    )
    with pytest.raises(PermissionDenied):
        signal_handle(signal=signal, status=SignalStatus.DISMISSED, note="", actor=rep)

    signal_handle(signal=signal, status=SignalStatus.CONFIRMED, note="Seen it too.", actor=finance)
    assert Customer.objects.get(pk=customer.pk).risk_signals == 1  # confirmed stays live
    signal_handle(signal=signal, status=SignalStatus.RESOLVED, note="Stock cleared.", actor=finance)

    signal.refresh_from_db()
    assert signal.status == SignalStatus.RESOLVED and signal.handled_by == finance
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.risk_signals, stored.doubtful_since) == (0, None)
    with pytest.raises(ValidationError):
        signal_handle(signal=signal, status=SignalStatus.CONFIRMED, note="", actor=finance)


def test_a_manager_handles_only_the_signals_of_customers_they_see(customer, manager):
    other_manager = make_user(Role.MANAGER)
    signal = signal_record(
        customer=customer,
        kind=SignalKind.DUMPING,
        evidence="清仓",
        detected_on=AS_OF,
        actor=manager,
    )
    with pytest.raises(PermissionDenied):
        signal_handle(signal=signal, status=SignalStatus.DISMISSED, note="", actor=other_manager)
    signal_handle(signal=signal, status=SignalStatus.DISMISSED, note="Rumour.", actor=manager)
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.DISMISSED


# --- The class follows strong signals ----------------------------------------------------------


def debt_class(customer, as_of=AS_OF) -> str:
    row = customers_with_balances(
        customers=Customer.objects.filter(pk=customer.pk),
        as_of=as_of,
        thresholds=class_thresholds(),
    ).get()
    return row.debt_class


def report_amounts(customer, as_of=AS_OF) -> dict[str, Decimal]:
    report = class_report(as_of=as_of, customers=Customer.objects.filter(pk=customer.pk))
    return {row.key: row.amount for row in report.rows if row.amount}


def test_a_strong_signal_makes_overdue_money_doubtful_until_it_is_dismissed(customer, rep, manager):
    make_receivable(customer, amount="5000.00", issue_date=ago(50), due_date=ago(20))
    make_receivable(customer, amount="700.00", issue_date=ago(5), due_date=ago(-25))
    assert debt_class(customer) == DebtClass.OVERDUE
    assert report_amounts(customer) == {
        DebtClass.CURRENT: Decimal("700.00"),
        DebtClass.OVERDUE: Decimal("5000.00"),
    }

    signal = signal_record(
        customer=customer,
        kind=SignalKind.RELOCATION,
        evidence="The warehouse is being demolished.",
        detected_on=ago(2),
        actor=rep,
    )

    assert debt_class(customer) == DebtClass.DOUBTFUL
    assert report_amounts(customer) == {
        DebtClass.CURRENT: Decimal("700.00"),  # not yet due: stays 未收款
        DebtClass.DOUBTFUL: Decimal("5000.00"),
    }
    assert debt_class(customer, as_of=ago(3)) == DebtClass.OVERDUE  # before it was seen

    signal_handle(
        signal=signal, status=SignalStatus.DISMISSED, note="Wrong address.", actor=manager
    )

    assert debt_class(customer) == DebtClass.OVERDUE
    assert report_amounts(customer)[DebtClass.OVERDUE] == Decimal("5000.00")


def test_a_strong_signal_never_lowers_bad_debt(rep):
    customer = make_customer(owner=rep, status=CustomerStatus.INSOLVENT)
    make_receivable(customer, amount="800.00", issue_date=ago(50), due_date=ago(20))
    signal_record(
        customer=customer,
        kind=SignalKind.LAWSUIT,
        evidence="破产清算",
        detected_on=ago(2),
        actor=rep,
    )

    assert debt_class(customer) == DebtClass.BAD
    assert report_amounts(customer) == {DebtClass.BAD: Decimal("800.00")}


# --- The stored summary -------------------------------------------------------------------------


def test_the_summary_recompute_agrees_with_the_stored_summary_and_repairs_it(
    customer, rep, manager
):
    other = make_customer(owner=rep)
    first = signal_record(
        customer=customer, kind=SignalKind.LAWSUIT, evidence="诉讼", detected_on=ago(9), actor=rep
    )
    signal_record(
        customer=customer, kind=SignalKind.DUMPING, evidence="甩卖", detected_on=ago(4), actor=rep
    )
    signal_record(
        customer=other, kind=SignalKind.OTHER, evidence="传闻", detected_on=ago(1), actor=rep
    )
    make_contact(other, role=ContactRole.CASHIER, is_active=False, left_on=ago(3))
    signals_detect(as_of=AS_OF)
    signal_handle(signal=first, status=SignalStatus.RESOLVED, note="Settled.", actor=manager)

    assert signals_summary_recompute() == 0
    assert Customer.objects.get(pk=customer.pk).doubtful_since == ago(4)
    assert Customer.objects.get(pk=other.pk).risk_signals == 2

    Customer.objects.filter(pk=customer.pk).update(risk_signals=0, doubtful_since=None)
    Customer.objects.filter(pk=other.pk).update(risk_signals=7, doubtful_since=ago(30))
    quiet = make_customer(owner=rep)
    Customer.objects.filter(pk=quiet.pk).update(risk_signals=1)

    assert signals_summary_recompute() == 3
    summary = dict(
        (pk, (n, since))
        for pk, n, since in Customer.objects.values_list("pk", "risk_signals", "doubtful_since")
    )
    assert summary[customer.pk] == (1, ago(4))
    assert summary[other.pk] == (2, None)
    assert summary[quiet.pk] == (0, None)
    assert signals_summary_recompute(customer_ids=[customer.pk, other.pk]) == 0
