"""The credit-control and early-warning pages as their users meet them: the credit panel of the
customer page with its forms (check an order, grant an exception, place and release a hold, edit
the credit terms, record a warning sign), the signals inbox, the exceptions list and the log of
credit decisions — each open to the roles that may use it, and another team's records answering
404.

Today is 2026-06-10. 杭州康宁 (rep 王, team of manager 周) has a limit of ¥50,000.00 and owes
¥10,000.00 due 75 days ago, so an order is blocked (overdue 60+ days) until someone grants an
exception; 温州瓯海 belongs to another team.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from huikuan.customers import views as customer_views
from huikuan.dunning import views as dunning_views
from huikuan.dunning.tests.factories import make_customer, make_receivable, make_user
from huikuan.org.models import Role
from huikuan.risk import views
from huikuan.risk.credit import credit_check
from huikuan.risk.models import (
    CreditDecision,
    CreditException,
    CreditHold,
    Signal,
    SignalKind,
    SignalStatus,
)
from huikuan.risk.services import exception_grant, hold_place
from huikuan.risk.signals import signal_record
from huikuan.tests.leaks import build_world, client_as
from huikuan.web.tests.pages import without_tokens

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)
LONG_AGO = date(2023, 1, 1)  # first deal: no longer a new customer, no ramp


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    for module in (views, customer_views, dunning_views):
        monkeypatch.setattr(module, "business_today", lambda: TODAY)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, last_name="周", first_name="经理")


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager, last_name="王", first_name="业务")


@pytest.fixture
def finance():
    return make_user(Role.FINANCE)


@pytest.fixture
def admin():
    return make_user(Role.ADMIN)


@pytest.fixture
def users(rep, manager, finance, admin):
    return {"rep": rep, "manager": manager, "finance": finance, "admin": admin}


@pytest.fixture
def customer(rep):
    """¥50,000.00 limit; ¥10,000.00 due 75 days ago."""
    customer = make_customer(
        owner=rep,
        name="杭州康宁医药有限公司",
        credit_limit=Decimal("50000.00"),
        first_deal_on=LONG_AGO,
    )
    make_receivable(
        customer,
        amount="10000.00",
        issue_date=TODAY - timedelta(days=105),
        due_date=TODAY - timedelta(days=75),
        number="KN-INV-1",
    )
    return customer


@pytest.fixture
def stranger():
    """Another team's customer, with a signal, a hold, an exception and a decision."""
    other_manager = make_user(Role.MANAGER)
    other_rep = make_user(Role.REP, manager=other_manager)
    other = make_customer(
        owner=other_rep,
        name="温州瓯海秘密医院",
        credit_limit=Decimal("9000.00"),
        first_deal_on=LONG_AGO,
    )
    signal_record(
        customer=other,
        kind=SignalKind.LAWSUIT,
        evidence="ZQX被起诉",
        detected_on=TODAY,
        actor=other_rep,
    )
    hold_place(customer=other, reason="ZQX停货", actor=other_manager)
    exception_grant(
        customer=other,
        amount=Decimal("100.00"),
        valid_from=TODAY,
        valid_until=TODAY + timedelta(days=5),
        reason="ZQX例外",
        actor=other_manager,
    )
    credit_check(
        customer=other, amount=Decimal("50.00"), order_ref="ZQX-ORDER", actor=other_rep, as_of=TODAY
    )
    return other


def get(client, user, url, data=None, status=200):
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == status, response.status_code
    return without_tokens(response.content.decode())


def post(client, user, url, data, **headers):
    client.force_login(user)
    return client.post(url, data, **headers)


def customer_page(client, user, customer):
    return get(client, user, reverse("customers:detail", args=[customer.pk]))


# --- Who may open what --------------------------------------------------------------------------

CUSTOMER_PAGES = {
    # url name -> roles that may open it (everybody else: 403)
    "risk:check": ("rep", "manager", "finance", "admin"),
    "risk:signal_new": ("rep", "manager", "finance", "admin"),
    "risk:exception_new": ("manager", "admin"),
    "risk:hold_new": ("manager", "finance", "admin"),
    "risk:terms": ("manager", "finance", "admin"),
}


@pytest.mark.parametrize("role", ["rep", "manager", "finance", "admin"])
@pytest.mark.parametrize("name", list(CUSTOMER_PAGES))
def test_each_credit_form_opens_for_the_roles_that_may_use_it(client, users, customer, name, role):
    url = reverse(name, args=[customer.pk])
    if role in CUSTOMER_PAGES[name]:
        body = get(client, users[role], url)
        assert customer.name in body
    else:
        get(client, users[role], url, status=403)


@pytest.mark.parametrize("name", list(CUSTOMER_PAGES))
def test_another_teams_customer_answers_404_to_a_manager(client, manager, stranger, name):
    get(client, manager, reverse(name, args=[stranger.pk]), status=404)
    before = CreditDecision.objects.count(), CreditHold.objects.count(), Signal.objects.count()
    response = post(
        client,
        manager,
        reverse(name, args=[stranger.pk]),
        {"amount": "10.00", "reason": "x", "kind": "dumping", "evidence": "x"},
    )
    assert response.status_code == 404
    assert (CreditDecision.objects.count(), CreditHold.objects.count(), Signal.objects.count()) == (
        before
    )


@pytest.mark.parametrize("role", ["rep", "manager", "finance", "admin"])
@pytest.mark.parametrize("name", ["risk:signals", "risk:exceptions", "risk:decisions"])
def test_the_lists_open_for_every_role_without_another_teams_records(
    client, users, customer, stranger, name, role
):
    body = get(client, users[role], reverse(name), {"status": "all", "show": "all"})
    if role in ("rep", "manager"):
        assert "温州瓯海秘密医院" not in body and "ZQX" not in body
    else:
        assert "温州瓯海秘密医院" in body  # finance and administrators see everyone


def test_strangers_are_sent_to_sign_in(client, customer):
    for url in (
        reverse("risk:signals"),
        reverse("risk:exceptions"),
        reverse("risk:decisions"),
        reverse("risk:check", args=[customer.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_risk_section_opens_on_the_signals_inbox(client, rep):
    client.force_login(rep)
    response = client.get(reverse("risk:index"))
    assert response.status_code == 302 and response["Location"] == reverse("risk:signals")


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("risk:hold_release", "rep"),
        ("risk:signal_handle", "rep"),
        ("risk:exception_revoke", "rep"),
        ("risk:exception_revoke", "finance"),
    ],
)
def test_a_role_without_the_right_gets_403_on_object_actions(client, users, customer, name, role):
    hold = hold_place(customer=customer, reason="停货", actor=users["manager"])
    exception = exception_grant(
        customer=customer,
        amount=Decimal("100.00"),
        valid_from=TODAY,
        valid_until=TODAY,
        reason="例外",
        actor=users["manager"],
    )
    signal = signal_record(
        customer=customer,
        kind=SignalKind.DUMPING,
        evidence="甩货",
        detected_on=TODAY,
        actor=users["rep"],
    )
    pk = {"risk:hold_release": hold, "risk:signal_handle": signal}.get(name, exception).pk
    response = post(client, users[role], reverse(name, args=[pk]), {"note": "x"})
    assert response.status_code == 403
    hold.refresh_from_db(), exception.refresh_from_db(), signal.refresh_from_db()
    assert (hold.released_at, exception.revoked_at, signal.status) == (
        None,
        None,
        SignalStatus.OPEN,
    )


@pytest.mark.parametrize(
    "name", ["risk:hold_release", "risk:signal_handle", "risk:exception_revoke"]
)
def test_another_teams_holds_signals_and_exceptions_answer_404(client, manager, stranger, name):
    pk = (
        {
            "risk:hold_release": CreditHold,
            "risk:signal_handle": Signal,
            "risk:exception_revoke": CreditException,
        }[name]
        .objects.get(customer=stranger)
        .pk
    )
    response = post(client, manager, reverse(name, args=[pk]), {"note": "x", "s1-status": "x"})
    assert response.status_code == 404
    assert CreditHold.objects.get(customer=stranger).released_at is None
    assert CreditException.objects.get(customer=stranger).revoked_at is None
    assert Signal.objects.get(customer=stranger).status == SignalStatus.OPEN


# --- The credit panel ----------------------------------------------------------------------------


def test_the_customer_page_shows_limit_exposure_headroom_and_rating(client, rep, customer):
    body = customer_page(client, rep, customer)
    assert 'id="credit"' in body
    assert "¥50,000.00" in body  # limit in force
    assert "¥10,000.00" in body  # exposure: the open invoice
    assert "¥40,000.00" in body  # headroom
    assert 'data-figure="rating"' in body


def test_a_new_customer_shows_the_ramp_limit_in_force_below_the_granted_one(client, rep):
    newcomer = make_customer(owner=rep, name="新客户", credit_limit=Decimal("50000.00"))
    body = customer_page(client, rep, newcomer)
    limit = body[body.index('data-figure="limit"') : body.index('data-figure="exposure"')]
    assert "¥20,000.00" in limit  # the policy's first limit for a new customer
    assert "¥50,000.00" in limit  # and what was granted
    assert "¥20,000.00" in body[body.index('data-figure="headroom"') :]


@pytest.mark.parametrize(
    ("role", "buttons"),
    [
        ("rep", {"risk:signal_new"}),
        ("finance", {"risk:signal_new", "risk:hold_new", "risk:terms"}),
        ("manager", {"risk:signal_new", "risk:hold_new", "risk:terms", "risk:exception_new"}),
        ("admin", {"risk:signal_new", "risk:hold_new", "risk:terms", "risk:exception_new"}),
    ],
)
def test_the_credit_panel_offers_the_buttons_of_the_users_role(
    client, users, customer, role, buttons
):
    body = customer_page(client, users[role], customer)
    shown = {name for name in CUSTOMER_PAGES if reverse(name, args=[customer.pk]) in body}
    assert shown == buttons | {"risk:check"}  # everyone who sees the customer may check an order


def test_a_rep_checks_an_order_and_sees_it_blocked_with_the_overdue_item(client, rep, customer):
    response = post(
        client,
        rep,
        reverse("risk:check", args=[customer.pk]),
        {"amount": "5,000.00", "order_ref": "SO-1"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-decision="block"' in body
    assert 'data-reason="overdue_block"' in body
    assert "KN-INV-1" in body
    decision = CreditDecision.objects.get(customer=customer)
    assert (decision.amount, decision.allowed_amount, decision.asked_by) == (
        Decimal("5000.00"),
        Decimal("0.00"),
        rep,
    )
    # The customer page lists the decision with its reasons.
    page = customer_page(client, rep, customer)
    assert f'data-credit-decision="{decision.pk}"' in page
    assert "SO-1" in page and 'data-reason="overdue_block"' in page


def test_checking_with_htmx_swaps_the_answer_and_the_decision_list(client, rep, customer):
    response = post(
        client,
        rep,
        reverse("risk:check", args=[customer.pk]),
        {"amount": "800.00"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="credit-check">' in body and 'id="check-result"' in body
    assert 'id="credit-decisions" hx-swap-oob="true"' in body
    assert "<html" not in body


def test_a_check_without_a_sensible_amount_shows_the_error_and_decides_nothing(
    client, rep, customer
):
    for amount in ("", "12.345", "abc"):
        response = post(client, rep, reverse("risk:check", args=[customer.pk]), {"amount": amount})
        assert response.status_code == 200
        assert "errorlist" in response.content.decode()
    response = post(client, rep, reverse("risk:check", args=[customer.pk]), {"amount": "0"})
    assert "errorlist" in response.content.decode()
    assert not CreditDecision.objects.exists()


def test_a_manager_grants_an_exception_and_the_next_check_ships(client, manager, customer):
    url = reverse("risk:exception_new", args=[customer.pk])
    response = post(
        client,
        manager,
        url,
        {
            "amount": "8000.00",
            "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=14)).isoformat(),
            "reason": "老客户,月底前回款",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"{reverse('customers:detail', args=[customer.pk])}#credit"
    )
    exception = CreditException.objects.get(customer=customer)
    assert (exception.amount, exception.granted_by) == (Decimal("8000.00"), manager)
    assert "¥8,000.00" in customer_page(client, manager, customer)

    post(client, manager, reverse("risk:check", args=[customer.pk]), {"amount": "5000.00"})
    decision = CreditDecision.objects.get(customer=customer)
    assert (decision.decision, decision.allowed_amount) == ("allow", Decimal("5000.00"))
    page = customer_page(client, manager, customer)
    assert 'data-reason="exception_used"' in page
    assert "¥3,000.00" in page  # what is left of the exception


def test_an_exception_needs_a_reason_and_an_end_not_before_its_start(client, manager, customer):
    url = reverse("risk:exception_new", args=[customer.pk])
    response = post(
        client,
        manager,
        url,
        {
            "amount": "100.00",
            "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY - timedelta(days=1)).isoformat(),
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert response.content.decode().count("errorlist") >= 1
    assert not CreditException.objects.exists()
    response = post(
        client,
        manager,
        url,
        {
            "amount": "100.00",
            "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY - timedelta(days=1)).isoformat(),
            "reason": "试试",
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not CreditException.objects.exists()


def test_finance_places_a_hold_the_check_blocks_and_a_manager_releases_it(
    client, finance, manager, customer
):
    response = post(
        client, finance, reverse("risk:hold_new", args=[customer.pk]), {"reason": "对账不符"}
    )
    assert response.status_code == 302
    hold = CreditHold.objects.get(customer=customer)
    assert f'data-hold="{hold.pk}"' in customer_page(client, finance, customer)

    post(client, manager, reverse("risk:check", args=[customer.pk]), {"amount": "1.00"})
    decision = CreditDecision.objects.get(customer=customer)
    assert decision.decision == "block"
    assert "hold" in [reason["code"] for reason in decision.reasons]

    url = reverse("risk:hold_release", args=[hold.pk])
    assert "对账不符" in get(client, manager, url)
    response = post(client, manager, url, {"note": "已核对"})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.released_by, hold.release_note) == (manager, "已核对")
    assert f'data-hold="{hold.pk}"' not in customer_page(client, manager, customer)


def test_a_manager_edits_the_credit_terms_with_a_reason(client, manager, customer):
    url = reverse("risk:terms", args=[customer.pk])
    data = {"credit_limit": "80,000.00", "payment_terms_days": "45", "rating_override": "B"}
    response = post(client, manager, url, data)  # no reason
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    customer.refresh_from_db()
    assert customer.credit_limit == Decimal("50000.00")

    response = post(client, manager, url, {**data, "reason": "年度评审"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.credit_limit, customer.payment_terms_days, customer.rating) == (
        Decimal("80000.00"),
        45,
        "B",
    )
    page = customer_page(client, manager, customer)
    assert "¥80,000.00" in page and "¥70,000.00" in page  # limit and headroom
    assert 'data-rating="B"' in page


def test_a_rep_records_a_warning_sign_that_shows_on_the_page_and_in_the_inbox(
    client, rep, manager, customer
):
    response = post(
        client,
        rep,
        reverse("risk:signal_new", args=[customer.pk]),
        {
            "kind": SignalKind.DUMPING,
            "severity": "",
            "detected_on": TODAY.isoformat(),
            "evidence": "门店低价清货",
        },
    )
    assert response.status_code == 302
    signal = Signal.objects.get(customer=customer)
    assert (signal.recorded_by, signal.status) == (rep, SignalStatus.OPEN)
    page = customer_page(client, rep, customer)
    assert f'data-signal="{signal.pk}"' in page and "门店低价清货" in page
    inbox = get(client, manager, reverse("risk:signals"))
    assert f'data-signal="{signal.pk}"' in inbox and "门店低价清货" in inbox
    assert "2026-06-10" in inbox


def test_a_warning_sign_needs_evidence(client, rep, customer):
    response = post(
        client,
        rep,
        reverse("risk:signal_new", args=[customer.pk]),
        {"kind": SignalKind.DUMPING, "detected_on": TODAY.isoformat(), "evidence": "  "},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Signal.objects.exists()


# --- The signals inbox ---------------------------------------------------------------------------


def _signal(customer, actor, kind=SignalKind.CROSS_REGION, evidence="窜货"):
    return signal_record(
        customer=customer, kind=kind, evidence=evidence, detected_on=TODAY, actor=actor
    )


def test_a_rep_sees_only_the_signals_of_their_own_customers(client, rep, manager, customer):
    teammate = make_user(Role.REP, manager=manager)
    theirs = make_customer(owner=teammate, name="嘉兴南湖药店")
    mine = _signal(customer, rep, evidence="我的客户窜货")
    other = _signal(theirs, teammate, evidence="同事的客户窜货")

    as_rep = get(client, rep, reverse("risk:signals"))
    assert f'data-signal="{mine.pk}"' in as_rep
    assert f'data-signal="{other.pk}"' not in as_rep and "嘉兴南湖药店" not in as_rep
    assert "signal_handle" not in as_rep and "/handle/" not in as_rep  # a rep cannot handle

    as_manager = get(client, manager, reverse("risk:signals"))
    assert f'data-signal="{mine.pk}"' in as_manager and f'data-signal="{other.pk}"' in as_manager


def test_the_inbox_filters_by_status_and_kind(client, manager, rep, customer):
    dumping = _signal(customer, rep, kind=SignalKind.DUMPING, evidence="甩货")
    lawsuit = _signal(customer, rep, kind=SignalKind.LAWSUIT, evidence="被起诉")
    url = reverse("risk:signals")
    only = get(client, manager, url, {"kind": SignalKind.LAWSUIT})
    assert f'data-signal="{lawsuit.pk}"' in only and f'data-signal="{dumping.pk}"' not in only

    post(
        client,
        manager,
        reverse("risk:signal_handle", args=[dumping.pk]),
        {f"s{dumping.pk}-status": SignalStatus.DISMISSED, f"s{dumping.pk}-note": "误报"},
    )
    live = get(client, manager, url)
    assert f'data-signal="{dumping.pk}"' not in live
    dismissed = get(client, manager, url, {"status": SignalStatus.DISMISSED})
    assert f'data-signal="{dumping.pk}"' in dismissed and "误报" in dismissed


def test_a_manager_confirms_then_resolves_a_signal_with_a_note(client, manager, rep, customer):
    signal = _signal(customer, rep)
    url = reverse("risk:signal_handle", args=[signal.pk])
    prefix = f"s{signal.pk}"
    response = post(
        client,
        manager,
        url,
        {f"{prefix}-status": SignalStatus.CONFIRMED, f"{prefix}-note": "已核实", "next": "/risk/"},
    )
    assert response.status_code == 302
    signal.refresh_from_db()
    assert (signal.status, signal.handled_by, signal.handled_note) == (
        SignalStatus.CONFIRMED,
        manager,
        "已核实",
    )
    customer.refresh_from_db()
    assert customer.risk_signals == 1  # confirmed is still live

    # Confirming twice is refused and shown next to the signal.
    response = post(client, manager, url, {f"{prefix}-status": SignalStatus.CONFIRMED})
    assert response.status_code == 200 and "errorlist" in response.content.decode()

    post(
        client,
        manager,
        url,
        {f"{prefix}-status": SignalStatus.RESOLVED, f"{prefix}-note": "已搬回"},
    )
    signal.refresh_from_db()
    customer.refresh_from_db()
    assert (signal.status, customer.risk_signals) == (SignalStatus.RESOLVED, 0)


def test_the_worklist_points_to_live_warning_signs(client, rep, customer):
    assert 'id="signal-banner"' not in get(client, rep, reverse("dunning:worklist"))
    _signal(customer, rep)
    body = get(client, rep, reverse("dunning:worklist"))
    assert 'id="signal-banner"' in body and 'data-signals="1"' in body
    assert f"{reverse('risk:signals')}?status=live" in body


# --- Exceptions and decisions lists -------------------------------------------------------------


def test_a_manager_grants_from_the_exceptions_list_by_customer_code(
    client, manager, customer, stranger
):
    url = reverse("risk:exception_grant")
    data = {
        "amount": "2000.00",
        "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=7)).isoformat(),
        "reason": "展会订单",
    }
    response = post(client, manager, url, {**data, "customer": stranger.code})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not CreditException.objects.filter(customer=stranger, reason="展会订单").exists()

    response = post(client, manager, url, {**data, "customer": customer.code.lower()})
    assert response.status_code == 302
    exception = CreditException.objects.get(customer=customer)
    listed = get(client, manager, reverse("risk:exceptions"))
    assert f'data-exception="{exception.pk}"' in listed and 'data-state="active"' in listed
    assert "¥2,000.00" in listed and "展会订单" in listed


def test_the_exceptions_list_shows_used_remaining_and_revoked(client, manager, rep, customer):
    exception = exception_grant(
        customer=customer,
        amount=Decimal("8000.00"),
        valid_from=TODAY,
        valid_until=TODAY + timedelta(days=3),
        reason="季末",
        actor=manager,
    )
    credit_check(customer=customer, amount=Decimal("5000.00"), actor=rep, as_of=TODAY)
    listed = get(client, rep, reverse("risk:exceptions"))
    assert "¥5,000.00" in listed and "¥3,000.00" in listed  # used and remaining
    assert "/revoke/" not in listed  # a rep may not revoke
    assert 'id="grant-form"' not in listed

    response = post(
        client,
        manager,
        reverse("risk:exception_revoke", args=[exception.pk]),
        {"next": reverse("risk:exceptions")},
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.revoked_by == manager
    assert f'data-exception="{exception.pk}"' not in get(
        client, manager, reverse("risk:exceptions")
    )
    everything = get(client, manager, reverse("risk:exceptions"), {"show": "all"})
    assert 'data-state="revoked"' in everything


def test_the_decisions_log_filters_by_decision_and_customer(client, manager, rep, customer):
    other = make_customer(
        owner=rep, name="宁波海曙大药房", credit_limit=Decimal("5000.00"), first_deal_on=LONG_AGO
    )
    blocked = credit_check(
        customer=customer, amount=Decimal("100.00"), order_ref="SO-B", actor=rep, as_of=TODAY
    )
    allowed = credit_check(
        customer=other, amount=Decimal("100.00"), order_ref="SO-A", actor=rep, as_of=TODAY
    )
    url = reverse("risk:decisions")
    everything = get(client, manager, url)
    assert f'data-credit-decision="{blocked.pk}"' in everything
    assert f'data-credit-decision="{allowed.pk}"' in everything
    assert (
        'data-reason="overdue_block"' in everything and 'data-reason="within_limit"' in everything
    )

    only_blocks = get(client, manager, url, {"decision": "block"})
    assert f'data-credit-decision="{allowed.pk}"' not in only_blocks
    by_name = get(client, manager, url, {"q": "海曙"})
    assert f'data-credit-decision="{allowed.pk}"' in by_name
    assert f'data-credit-decision="{blocked.pk}"' not in by_name


# --- The authorization world: the foreign credit control is there to be hidden ------------------


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_read_the_credit_control_the_authorization_test_hides(role):
    """The authorization test checks that the markers of the foreign customer's signal, hold,
    exception and decision never reach other teams; those who see everyone do read them."""
    world = build_world()
    client = client_as(world, role)
    foreign = world.foreign.customer
    answers = [
        client.get(reverse("customers:detail", args=[foreign.pk])),
        client.get(reverse("risk:signals"), {"status": "all"}),
        client.get(reverse("risk:exceptions"), {"show": "all"}),
        client.get(reverse("risk:decisions")),
    ]
    assert [answer.status_code for answer in answers] == [200] * 4
    text = "\n".join(answer.content.decode() for answer in answers)
    assert [name for name, marker in world.foreign.risk.markers.items() if marker not in text] == []
