"""The risk part of the daily run: ratings and signals before collection work, once per date, and
what a rep and a manager then see — the class of the case, the worklist's order, the command's
report."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from huikuan.customers.models import ContactRole, Customer
from huikuan.dunning.models import Case, DailyRun
from huikuan.dunning.run import dunning_run
from huikuan.dunning.selectors import worklist
from huikuan.dunning.tests.factories import (
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
    make_user,
)
from huikuan.ledger.classes import DebtClass
from huikuan.org.models import Role
from huikuan.risk.daily import risk_daily_run, run_daily
from huikuan.risk.models import CreditProfile, RiskRun, Signal, SignalKind, SignalStatus
from huikuan.risk.signals import signal_handle, signal_record

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 7, 1)  # a Wednesday


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER)


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager)


@pytest.fixture
def customer(rep):
    return make_customer(owner=rep)


def off_season_spike(customer):
    for year in (2024, 2025):
        make_receivable(customer, amount="3000.00", issue_date=date(year, 1, 10))
        make_receivable(customer, amount="3000.00", issue_date=date(year, 6, 15))
    make_receivable(customer, amount="45000.00", issue_date=ago(5))


def test_the_risk_run_rates_customers_and_raises_signals_once_per_date(customer):
    make_receivable(customer, amount="2000.00", issue_date=ago(100), due_date=ago(70))
    make_payment(customer, "2000.00", received_on=ago(69))
    make_contact(customer, role=ContactRole.FINANCE, is_active=False, left_on=ago(3))
    off_season_spike(customer)

    first = risk_daily_run(as_of=AS_OF)

    assert first.already_done is False
    assert first.counts() == {"ratings_changed": 1, "signals_raised": 2}
    profile = CreditProfile.objects.get(customer=customer)
    assert profile.computed_on == AS_OF
    assert Customer.objects.get(pk=customer.pk).rating == profile.computed_rating != ""
    kinds = sorted(Signal.objects.filter(customer=customer).values_list("kind", flat=True))
    assert kinds == [SignalKind.CONTACT_LEFT, SignalKind.OFF_SEASON_BULK]
    assert Customer.objects.get(pk=customer.pk).risk_signals == 2
    assert RiskRun.objects.get(as_of=AS_OF).counts["signals_raised"] == 2

    again = risk_daily_run(as_of=AS_OF)

    assert again.already_done is True and again.counts() == dict.fromkeys(first.counts(), 0)
    assert Signal.objects.count() == 2


def test_the_next_days_do_not_raise_the_same_episode_again_even_when_dismissed(customer, manager):
    make_contact(customer, role=ContactRole.BOSS, is_active=False, left_on=ago(3))
    off_season_spike(customer)
    risk_daily_run(as_of=AS_OF)
    bulk = Signal.objects.get(kind=SignalKind.OFF_SEASON_BULK)
    signal_handle(signal=bulk, status=SignalStatus.DISMISSED, note="Pre-ordered.", actor=manager)

    for offset in (1, 2, 10):
        assert risk_daily_run(as_of=AS_OF + timedelta(days=offset)).signals_raised == 0

    assert Signal.objects.count() == 2
    assert Customer.objects.get(pk=customer.pk).risk_signals == 1


def test_the_risk_run_repairs_a_summary_that_disagrees_with_the_signals(customer, rep):
    signal_record(
        customer=customer, kind=SignalKind.LAWSUIT, evidence="诉讼", detected_on=ago(4), actor=rep
    )
    Customer.objects.filter(pk=customer.pk).update(risk_signals=0, doubtful_since=None)

    risk_daily_run(as_of=AS_OF)

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.risk_signals, stored.doubtful_since) == (1, ago(4))


def test_a_strong_signal_puts_todays_case_in_the_doubtful_class(customer, rep):
    make_receivable(customer, amount="8000.00", issue_date=ago(60), due_date=ago(30))
    signal_record(
        customer=customer,
        kind=SignalKind.FORCE_MAJEURE,
        evidence="Flooded warehouse.",
        detected_on=ago(1),
        actor=rep,
    )

    result = run_daily(as_of=AS_OF)

    assert result.already_done is False
    assert result.dunning.cases_opened == 1
    case = Case.objects.get(customer=customer)
    assert case.debt_class == DebtClass.DOUBTFUL
    assert DailyRun.objects.filter(as_of=AS_OF).exists()
    assert RiskRun.objects.filter(as_of=AS_OF).exists()
    assert run_daily(as_of=AS_OF).already_done is True


def test_without_a_signal_the_same_case_is_only_overdue(customer):
    make_receivable(customer, amount="8000.00", issue_date=ago(60), due_date=ago(30))

    run_daily(as_of=AS_OF)

    assert Case.objects.get(customer=customer).debt_class == DebtClass.OVERDUE


def test_a_live_signal_raises_the_task_in_the_worklist_with_a_visible_factor(customer, rep):
    calm = make_customer(owner=rep)
    for who in (customer, calm):
        make_receivable(who, amount="8000.00", issue_date=ago(60), due_date=ago(30))
    dunning_run(as_of=AS_OF)
    before = {item.customer.pk: item for item in worklist(user=rep, on=AS_OF)}
    assert before[customer.pk].priority.score == before[calm.pk].priority.score

    signal_record(
        customer=customer,
        kind=SignalKind.CROSS_REGION,
        evidence="Our goods in another region.",
        detected_on=AS_OF,
        actor=rep,
    )

    items = worklist(user=rep, on=AS_OF)
    assert items[0].customer == customer
    factors = {factor.key: factor for factor in items[0].priority.factors}
    assert factors["signals"].points == 6
    assert items[0].priority.score == before[customer.pk].priority.score + 6
    assert "signals" not in {factor.key for factor in items[1].priority.factors}


def test_the_signal_factor_stops_at_eighteen_points(customer, rep):
    make_receivable(customer, amount="8000.00", issue_date=ago(60), due_date=ago(30))
    dunning_run(as_of=AS_OF)
    for kind in (SignalKind.CROSS_REGION, SignalKind.OTHER, SignalKind.UNRELATED_BUSINESS) * 2:
        signal_record(customer=customer, kind=kind, evidence="x", detected_on=AS_OF, actor=rep)

    [item] = worklist(user=rep, on=AS_OF)

    factors = {factor.key: factor for factor in item.priority.factors}
    assert factors["signals"].points == 18


def test_the_daily_command_reports_ratings_and_signals_next_to_the_dunning_counts(customer):
    make_receivable(customer, amount="2000.00", issue_date=ago(100), due_date=ago(70))
    make_payment(customer, "2000.00", received_on=ago(60))
    make_receivable(customer, amount="5000.00", issue_date=ago(40), due_date=ago(10))
    make_contact(customer, role=ContactRole.CASHIER, is_active=False, left_on=ago(3))
    out = StringIO()

    call_command("daily", "--as-of", AS_OF.isoformat(), "--format", "json", stdout=out)

    payload = json.loads(out.getvalue())
    assert payload["as_of"] == AS_OF.isoformat() and payload["already_done"] is False
    assert payload["ratings_changed"] == 1 and payload["signals_raised"] == 1
    assert payload["cases_opened"] == 1 and "tasks_created" in payload

    again = StringIO()
    call_command("daily", "--as-of", AS_OF.isoformat(), "--format", "json", stdout=again)
    repeated = json.loads(again.getvalue())
    assert repeated["already_done"] is True
    assert repeated["signals_raised"] == 0 and repeated["cases_opened"] == 0


def test_the_daily_command_lists_the_risk_counts_in_its_text_report(customer):
    make_contact(customer, role=ContactRole.PAYMENT_RESPONSIBLE, is_active=False, left_on=ago(1))
    out = StringIO()

    with translation.override("en"):
        call_command("daily", "--as-of", AS_OF.isoformat(), stdout=out)

    lines = out.getvalue().splitlines()
    assert "  warning signals raised: 1" in lines
    assert "  customer ratings changed: 0" in lines
    assert "  tasks created: 0" in lines
