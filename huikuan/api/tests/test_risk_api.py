"""The credit-control endpoints: the credit check and its stored decisions, credit profiles,
holds, exceptions and warning signals — each normal case, each kind of refusal (which writes
nothing), what a rep of another team cannot see, and what only some roles may do; and the
credit-check benchmark command."""

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from huikuan.audit.models import AuditEntry
from huikuan.core.dates import business_today
from huikuan.customers.models import Customer
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.risk.models import (
    CreditDecision,
    CreditException,
    CreditHold,
    CreditProfile,
    Signal,
)
from huikuan.risk.tests.factories import make_exception, make_hold, make_signal, set_credit
from huikuan.tests.leaks import answer_text, build_world

from .conftest import ApiClient, fields, token_for

TODAY = business_today()


@pytest.fixture
def books(people):
    """OWN (the rep's, in the manager's team): limit 10,000.00, owes R-OWN 3,000.00 not yet due,
    dealing for two years. FAR (a rep of another team): the same."""
    own = f.customer("OWN", owner=people["rep"], region=people["region"])
    far = f.customer("FAR", owner=people["other_rep"])
    for customer, number in ((own, "R-OWN"), (far, "R-FAR")):
        set_credit(
            customer,
            credit_limit=Decimal("10000.00"),
            first_deal_on=TODAY - timedelta(days=730),
        )
        f.receivable(
            customer,
            number=number,
            amount="3000.00",
            issue=TODAY - timedelta(days=10),
            due=TODAY + timedelta(days=20),
        )
    return {"own": own, "far": far}


@pytest.fixture
def admin_api(people):
    return ApiClient(token_for(f.user(Role.ADMIN, username="admin")))


@pytest.fixture
def other_api(people):
    return ApiClient(token_for(people["other_rep"]))


def risk_state() -> dict:
    """Every row of what the credit-control endpoints write (and the audit trail)."""
    models = (CreditDecision, CreditHold, CreditException, Signal, CreditProfile, AuditEntry)
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    state["Customer"] = list(
        Customer.objects.order_by("pk").values(
            "pk", "credit_limit", "payment_terms_days", "rating", "risk_signals", "doubtful_since"
        )
    )
    return state


def refused(response, status: int, field: str, before: dict):
    """The answer is the expected refusal on ``field``, and nothing was written."""
    assert response.status_code == status, response.json()
    assert field in fields(response)
    assert risk_state() == before


def check(api, customer="OWN", amount="2500.00", **extra):
    return api.post("credit-check", {"customer": customer, "amount": amount, **extra})


def stored_reasons(decision_id: int) -> list[tuple]:
    reasons = CreditDecision.objects.get(pk=decision_id).reasons
    return [(reason["code"], reason["params"]) for reason in reasons]


def answered_reasons(body: dict) -> list[tuple]:
    return [(reason["code"], reason["params"]) for reason in body["reasons"]]


# --- The credit check ---------------------------------------------------------------------------


def test_a_rep_is_allowed_an_order_within_the_limit_and_the_answer_is_stored(
    books, people, rep_api
):
    response = check(rep_api, amount="2500.00", order_ref="SO-1")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["customer"], body["order_ref"], body["decision"]) == ("OWN", "SO-1", "allow")
    assert (body["amount"], body["allowed_amount"]) == ("2500.00", "2500.00")
    assert (body["exposure"], body["credit_limit"]) == ("3000.00", "10000.00")
    assert body["reserved_until"] == (TODAY + timedelta(days=7)).isoformat()
    assert body["asked_by"] == "rep" and body["asked_at"]
    [reason] = body["reasons"]
    assert reason["code"] == "within_limit" and "¥10,000.00" in reason["message"]
    decision = CreditDecision.objects.get(pk=body["id"])
    assert decision.asked_by == people["rep"] and decision.customer == books["own"]
    assert answered_reasons(body) == stored_reasons(body["id"])


def test_an_order_over_the_limit_may_ship_the_headroom_and_says_by_how_much(books, rep_api):
    body = check(rep_api, amount="9000").json()
    assert body["decision"] == "partial"
    assert (body["amount"], body["allowed_amount"]) == ("9000.00", "7000.00")
    [reason] = body["reasons"]
    assert reason["code"] == "over_limit" and reason["params"]["over_by"] == "2000.00"
    assert reason["message"].startswith("Over the limit by ¥2,000.00")
    assert answered_reasons(body) == stored_reasons(body["id"])


def test_a_watch_signal_ships_half_rounded_to_the_fen_as_a_two_place_string(books, rep_api):
    make_signal(books["own"], kind="cross_region", severity="watch", detected_on=TODAY)
    body = check(rep_api, amount="1000.01").json()
    assert body["decision"] == "partial"
    assert body["allowed_amount"] == "500.01"
    assert [reason["code"] for reason in body["reasons"]] == ["signal_watch"]
    assert answered_reasons(body) == stored_reasons(body["id"])


def test_a_hold_blocks_the_check_with_its_reason(books, people, rep_api):
    make_hold(books["own"], reason="老板跑路传闻", actor=people["manager"])
    body = check(rep_api, amount="100.00").json()
    assert (body["decision"], body["allowed_amount"], body["reserved_until"]) == (
        "block",
        "0.00",
        None,
    )
    assert body["reasons"][0]["code"] == "hold"
    assert "老板跑路传闻" in body["reasons"][0]["message"]
    assert answered_reasons(body) == stored_reasons(body["id"])


def test_asking_again_for_the_same_order_releases_the_earlier_answer(books, rep_api):
    first = check(rep_api, amount="5000.00", order_ref="SO-9").json()
    second = check(rep_api, amount="6000.00", order_ref="SO-9").json()
    assert second["exposure"] == "3000.00"  # the first answer no longer counts
    assert CreditDecision.objects.get(pk=first["id"]).released_at is not None
    assert rep_api.get(f"credit-decisions/{first['id']}").json()["released_at"] is not None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"customer": "FAR", "amount": "10.00"}, 404, "customer"),
        ({"customer": "NOBODY", "amount": "10.00"}, 404, "customer"),
        ({"customer": "OWN", "amount": 12.5}, 422, "amount"),
        ({"customer": "OWN", "amount": "12.345"}, 422, "amount"),
        ({"customer": "OWN", "amount": "0"}, 422, "amount"),
        ({"customer": "OWN", "amount": "-5.00"}, 422, "amount"),
        ({"customer": "OWN", "amount": "abc"}, 422, "amount"),
        ({"amount": "10.00"}, 422, "customer"),
        ({"customer": "OWN"}, 422, "amount"),
        ({"customer": "OWN", "amount": "10.00", "order_ref": "X" * 65}, 422, "order_ref"),
        ({"customer": "OWN", "amount": "10.00", "ammount": "1"}, 422, "ammount"),
    ],
)
def test_a_refused_credit_check_writes_nothing(books, rep_api, body, status, field):
    before = risk_state()
    refused(rep_api.post("credit-check", body), status, field, before)


def test_a_credit_check_needs_a_token_and_a_json_body(books, rep_api):
    before = risk_state()
    refused(
        ApiClient(None).post("credit-check", {"customer": "OWN", "amount": "1"}),
        401,
        "Authorization",
        before,
    )
    refused(rep_api.post("credit-check", raw="{not json"), 400, "body", before)


# --- Credit decisions ---------------------------------------------------------------------------


def test_decisions_list_what_the_user_may_see_filtered_and_paged(books, rep_api, finance_api):
    check(rep_api, amount="100.00")
    check(rep_api, amount="9000.00")
    check(finance_api, customer="FAR", amount="50.00")
    everything = finance_api.get("credit-decisions").json()
    assert everything["count"] == 3
    mine = rep_api.get("credit-decisions").json()
    assert mine["count"] == 2 and {item["customer"] for item in mine["items"]} == {"OWN"}
    assert [item["amount"] for item in mine["items"]] == ["9000.00", "100.00"]  # newest first
    partial = rep_api.get("credit-decisions", decision="partial").json()
    assert [item["decision"] for item in partial["items"]] == ["partial"]
    assert rep_api.get("credit-decisions", customer="FAR").json() == {"items": [], "count": 0}
    page = rep_api.get("credit-decisions", limit=1, offset=1).json()
    assert page["count"] == 2 and [item["amount"] for item in page["items"]] == ["100.00"]
    assert rep_api.get("credit-decisions", decision="maybe").status_code == 422


def test_a_decision_is_read_by_id_with_its_reasons(books, rep_api, other_api):
    asked = check(rep_api, amount="9000.00").json()
    response = rep_api.get(f"credit-decisions/{asked['id']}")
    assert response.status_code == 200 and response.json() == asked
    for api, pk in ((other_api, asked["id"]), (rep_api, asked["id"] + 1000)):
        answer = api.get(f"credit-decisions/{pk}")
        assert answer.status_code == 404 and fields(answer) == ["id"]


def test_releasing_a_decision_frees_its_amount_for_the_next_order(books, rep_api):
    first = check(rep_api, amount="7000.00").json()
    assert check(rep_api, amount="1.00").json()["decision"] == "block"  # limit used up
    response = rep_api.post(f"credit-decisions/{first['id']}/release")
    assert response.status_code == 200 and response.json()["released_at"]
    assert check(rep_api, amount="1.00").json()["exposure"] == "3000.00"
    again = rep_api.post(f"credit-decisions/{first['id']}/release")
    assert again.json()["released_at"] == response.json()["released_at"]


def test_another_teams_rep_cannot_release_a_decision(books, rep_api, other_api):
    asked = check(rep_api, amount="7000.00").json()
    before = risk_state()
    refused(other_api.post(f"credit-decisions/{asked['id']}/release"), 404, "id", before)


# --- Credit profiles ----------------------------------------------------------------------------


def test_the_credit_profile_shows_limit_exposure_headroom_and_live_counts(books, people, rep_api):
    check(rep_api, amount="1000.00")
    make_hold(books["own"], actor=people["manager"])
    make_signal(books["own"], kind="lawsuit", detected_on=TODAY)
    make_exception(
        books["own"],
        valid_from=TODAY,
        valid_until=TODAY + timedelta(days=5),
        actor=people["manager"],
    )
    response = rep_api.get("customers/OWN/credit-profile")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["customer"], body["as_of"]) == ("OWN", TODAY.isoformat())
    assert (body["credit_limit"], body["limit_in_force"]) == ("10000.00", "10000.00")
    assert body["ramp"]["in_ramp"] is False
    assert (body["exposure"], body["headroom"]) == ("4000.00", "6000.00")
    assert (body["live_holds"], body["active_exceptions"], body["live_signals"]) == (1, 1, 1)
    assert body["payment_terms_days"] == 30 and body["rating"] == ""


def test_a_new_customers_profile_shows_the_ramp_limit(people, rep_api):
    customer = f.customer("NEW/1", owner=people["rep"])  # a code with a slash, too
    set_credit(customer, credit_limit=Decimal("500000.00"), first_deal_on=TODAY)
    body = rep_api.get("customers/NEW/1/credit-profile").json()
    assert body["customer"] == "NEW/1" and body["credit_limit"] == "500000.00"
    assert body["limit_in_force"] == "20000.00" and body["ramp"]["in_ramp"] is True
    assert rep_api.get("customers/NEW/1").json()["code"] == "NEW/1"  # the customer still answers


def test_a_foreign_or_unknown_customers_profile_is_not_found(books, rep_api):
    for code in ("FAR", "NOBODY"):
        response = rep_api.get(f"customers/{code}/credit-profile")
        assert response.status_code == 404 and fields(response) == ["code"]


def test_a_manager_sets_limit_terms_and_rating_with_a_reason(books, people, manager_api):
    response = manager_api.post(
        "customers/OWN/credit-profile",
        {
            "credit_limit": "50000.00",
            "payment_terms_days": 45,
            "rating_override": "B",
            "reason": "年度授信评审",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["credit_limit"], body["payment_terms_days"]) == ("50000.00", 45)
    assert (body["rating"], body["rating_override"]) == ("B", "B")
    assert body["override_reason"] == "年度授信评审"
    entry = AuditEntry.objects.get(action="credit_profile.set")
    assert entry.actor == people["manager"] and entry.note == "年度授信评审"
    cleared = manager_api.post(
        "customers/OWN/credit-profile", {"rating_override": "", "reason": "恢复计算评级"}
    ).json()
    assert (cleared["rating"], cleared["rating_override"], cleared["credit_limit"]) == (
        "",
        "",
        "50000.00",
    )


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("rep", {"credit_limit": "99999.00", "reason": "自己提额"}, 403, "__all__"),
        ("manager", {"credit_limit": "99999.00"}, 422, "reason"),
        ("manager", {"credit_limit": "99999.00", "reason": "  "}, 422, "reason"),
        ("manager", {"credit_limit": 99999.5, "reason": "提额"}, 422, "credit_limit"),
        ("manager", {"credit_limit": "-1.00", "reason": "提额"}, 422, "credit_limit"),
        ("manager", {"payment_terms_days": -1, "reason": "账期"}, 422, "payment_terms_days"),
        ("manager", {"rating_override": "E", "reason": "评级"}, 422, "rating_override"),
    ],
)
def test_a_refused_profile_change_writes_nothing(
    books, rep_api, manager_api, who, body, status, field
):
    api = {"rep": rep_api, "manager": manager_api}[who]
    before = risk_state()
    refused(api.post("customers/OWN/credit-profile", body), status, field, before)


def test_a_manager_cannot_change_another_teams_customer(books, manager_api):
    before = risk_state()
    response = manager_api.post(
        "customers/FAR/credit-profile", {"credit_limit": "1.00", "reason": "试试"}
    )
    refused(response, 404, "code", before)


# --- Holds --------------------------------------------------------------------------------------


def test_a_manager_places_a_hold_and_every_check_then_blocks(books, people, manager_api, rep_api):
    response = manager_api.post("credit-holds", {"customer": "OWN", "reason": "三个月未回款"})
    assert response.status_code == 201, response.json()
    hold = response.json()
    assert (hold["customer"], hold["reason"], hold["active"]) == ("OWN", "三个月未回款", True)
    assert hold["placed_by"] == "manager" and hold["released_at"] is None
    assert check(rep_api, amount="1.00").json()["decision"] == "block"
    listed = rep_api.get("credit-holds", active="true").json()
    assert [item["id"] for item in listed["items"]] == [hold["id"]]


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("rep", {"customer": "OWN", "reason": "我想停"}, 403, "__all__"),
        ("manager", {"customer": "FAR", "reason": "别的组"}, 404, "customer"),
        ("manager", {"customer": "OWN", "reason": ""}, 422, "reason"),
        ("manager", {"customer": "OWN"}, 422, "reason"),
    ],
)
def test_a_refused_hold_writes_nothing(books, rep_api, manager_api, who, body, status, field):
    api = {"rep": rep_api, "manager": manager_api}[who]
    before = risk_state()
    refused(api.post("credit-holds", body), status, field, before)


def test_releasing_a_hold_says_why_and_checks_pass_again(books, people, manager_api, rep_api):
    hold = make_hold(books["own"], actor=people["manager"])
    response = manager_api.post(f"credit-holds/{hold.pk}/release", {"note": "已结清"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["active"], body["released_by"], body["release_note"]) == (
        False,
        "manager",
        "已结清",
    )
    assert check(rep_api, amount="1.00").json()["decision"] == "allow"
    assert rep_api.get("credit-holds", active="true").json()["count"] == 0
    assert rep_api.get("credit-holds").json()["count"] == 1
    before = risk_state()
    again = manager_api.post(f"credit-holds/{hold.pk}/release", {"note": "再放一次"})
    refused(again, 422, "hold", before)


def test_a_refused_hold_release_writes_nothing(books, people, rep_api, manager_api, other_api):
    hold = make_hold(books["own"], actor=people["manager"])
    before = risk_state()
    refused(rep_api.post(f"credit-holds/{hold.pk}/release", {"note": "放"}), 403, "__all__", before)
    refused(manager_api.post(f"credit-holds/{hold.pk}/release", {"note": ""}), 422, "note", before)
    refused(manager_api.post(f"credit-holds/{hold.pk}/release", {}), 422, "note", before)
    refused(other_api.post(f"credit-holds/{hold.pk}/release", {"note": "放"}), 404, "id", before)


# --- Exceptions ---------------------------------------------------------------------------------


def grant(api, **overrides):
    body = {
        "customer": "OWN",
        "amount": "5000.00",
        "valid_until": (TODAY + timedelta(days=10)).isoformat(),
        "reason": "年底备货特批",
        **overrides,
    }
    return api.post("credit-exceptions", body)


def test_a_manager_grants_an_exception_and_the_next_check_shows_it(books, manager_api, rep_api):
    response = grant(manager_api)
    assert response.status_code == 201, response.json()
    granted = response.json()
    assert (granted["amount"], granted["used"], granted["remaining"]) == (
        "5000.00",
        "0.00",
        "5000.00",
    )
    assert (granted["state"], granted["valid_from"]) == ("active", TODAY.isoformat())
    assert granted["granted_by"] == "manager"
    body = check(rep_api, amount="9000.00").json()
    assert (body["decision"], body["allowed_amount"], body["exception_used"]) == (
        "allow",
        "9000.00",
        "2000.00",
    )
    assert [reason["code"] for reason in body["reasons"]] == ["over_limit", "exception_used"]
    [listed] = rep_api.get("credit-exceptions", active="true").json()["items"]
    assert (listed["id"], listed["used"], listed["remaining"]) == (
        granted["id"],
        "2000.00",
        "3000.00",
    )


@pytest.mark.parametrize(
    ("who", "overrides", "status", "field"),
    [
        ("rep", {}, 403, "__all__"),
        ("finance", {}, 403, "__all__"),
        ("manager", {"customer": "FAR"}, 404, "customer"),
        ("manager", {"amount": "0"}, 422, "amount"),
        ("manager", {"amount": 10.5}, 422, "amount"),
        ("manager", {"valid_from": (TODAY + timedelta(days=20)).isoformat()}, 422, "valid_until"),
        ("manager", {"valid_until": "2026-02-30"}, 422, "valid_until"),
        ("manager", {"reason": ""}, 422, "reason"),
    ],
)
def test_a_refused_exception_writes_nothing(
    books, rep_api, finance_api, manager_api, who, overrides, status, field
):
    api = {"rep": rep_api, "finance": finance_api, "manager": manager_api}[who]
    before = risk_state()
    refused(grant(api, **overrides), status, field, before)


def test_revoking_an_exception_stops_later_checks_drawing_on_it(
    books, manager_api, rep_api, other_api
):
    granted = grant(manager_api).json()
    before = risk_state()
    refused(rep_api.post(f"credit-exceptions/{granted['id']}/revoke"), 403, "__all__", before)
    refused(other_api.post(f"credit-exceptions/{granted['id']}/revoke"), 404, "id", before)
    response = manager_api.post(f"credit-exceptions/{granted['id']}/revoke")
    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["revoked_by"]) == ("revoked", "manager")
    assert check(rep_api, amount="9000.00").json()["decision"] == "partial"
    before = risk_state()
    refused(manager_api.post(f"credit-exceptions/{granted['id']}/revoke"), 422, "exception", before)
    assert rep_api.get("credit-exceptions", active="true").json()["count"] == 0
    assert rep_api.get("credit-exceptions").json()["count"] == 1


# --- Warning signals ----------------------------------------------------------------------------


def record(api, **overrides):
    body = {"customer": "OWN", "kind": "dumping", "evidence": "门店清仓甩卖我司产品", **overrides}
    return api.post("signals", body)


def test_a_rep_records_a_signal_and_the_check_then_blocks(books, rep_api):
    response = record(rep_api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["customer"], body["kind"], body["severity"], body["status"]) == (
        "OWN",
        "dumping",
        "strong",
        "open",
    )
    assert (body["detected_on"], body["recorded_by"], body["computed"]) == (
        TODAY.isoformat(),
        "rep",
        False,
    )
    assert Customer.objects.get(code="OWN").risk_signals == 1
    decided = check(rep_api, amount="1.00").json()
    assert decided["decision"] == "block"
    assert "signal_strong" in [reason["code"] for reason in decided["reasons"]]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"customer": "FAR"}, 404, "customer"),
        ({"kind": "payment_drift"}, 422, "kind"),  # computed by the daily run, not recorded
        ({"kind": "gossip"}, 422, "kind"),
        ({"severity": "panic"}, 422, "severity"),
        ({"evidence": "   "}, 422, "evidence"),
        ({"detected_on": "yesterday"}, 422, "detected_on"),
    ],
)
def test_a_refused_signal_writes_nothing(books, rep_api, overrides, status, field):
    before = risk_state()
    refused(record(rep_api, **overrides), status, field, before)


def test_signals_list_live_ones_of_visible_customers_by_default(books, rep_api, finance_api):
    live = make_signal(books["own"], kind="relocation", detected_on=TODAY)
    make_signal(books["own"], kind="other", status="dismissed", detected_on=TODAY)
    make_signal(books["far"], kind="lawsuit", detected_on=TODAY)
    default = rep_api.get("signals").json()
    assert [item["id"] for item in default["items"]] == [live.pk]
    assert rep_api.get("signals", status="all").json()["count"] == 2
    assert rep_api.get("signals", status="dismissed").json()["items"][0]["kind"] == "other"
    assert rep_api.get("signals", kind="lawsuit").json()["count"] == 0
    assert finance_api.get("signals", kind="lawsuit").json()["count"] == 1
    assert finance_api.get("signals", customer="FAR").json()["items"][0]["customer"] == "FAR"


def test_a_manager_handles_a_signal_and_the_customer_summary_follows(books, manager_api):
    signal = make_signal(books["own"], kind="lawsuit", detected_on=TODAY)
    response = manager_api.post(
        f"signals/{signal.pk}/handle", {"status": "resolved", "note": "已和解"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["handled_by"], body["handled_note"]) == (
        "resolved",
        "manager",
        "已和解",
    )
    assert Customer.objects.get(code="OWN").risk_signals == 0
    before = risk_state()
    again = manager_api.post(f"signals/{signal.pk}/handle", {"status": "dismissed"})
    refused(again, 422, "status", before)


def test_a_refused_signal_handling_writes_nothing(books, rep_api, manager_api, other_api):
    signal = make_signal(books["own"], kind="lawsuit", detected_on=TODAY)
    path = f"signals/{signal.pk}/handle"
    before = risk_state()
    refused(rep_api.post(path, {"status": "dismissed"}), 403, "__all__", before)
    refused(other_api.post(path, {"status": "dismissed"}), 404, "id", before)
    refused(manager_api.post(path, {"status": "open"}), 422, "status", before)
    refused(manager_api.post(path, {}), 422, "status", before)


# --- What the authorization test's probe looks for is there to find ----------------------------


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_whoever_sees_the_foreign_customer_gets_its_credit_control_from_the_api(role, db):
    """The no-leak test of every endpoint (huikuan/tests/test_authorization.py) looks for these
    markers in the answers of those who may not see the customer; here, those who may see it
    do get them, so that check can fail."""
    world = build_world()
    api = ApiClient(token_for(world.users[role]))
    code = world.foreign.customer.code
    answers = [
        api.get("signals", customer=code, status="all"),
        api.get("credit-holds", customer=code),
        api.get("credit-exceptions", customer=code),
        api.get("credit-decisions", customer=code),
    ]
    assert [answer.status_code for answer in answers] == [200] * 4
    text = "\n".join(answer_text(answer) for answer in answers)
    markers = world.foreign.risk.markers
    assert [name for name, marker in markers.items() if marker not in text] == []


# --- The benchmark command ----------------------------------------------------------------------


def test_the_credit_check_bench_times_requests_and_reuses_its_data(db):
    args = ["bench", "credit-check", "--receivables=300", "--customers=30", "--checks=20"]
    out = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out)
    text = out.getvalue()
    assert "Gave 30 customers a credit limit" in text
    row = re.search(r"^ +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)$", text, re.M)
    assert row is not None, text
    count, p50, p95, p99, top = int(row[1]), *(float(value) for value in row.groups()[1:])
    assert count == 20 and 0 < p50 <= p95 <= p99 <= top
    assert re.search(r"p99 [\d.]+ ms; target 20 ms: (met|missed)\.", text)
    # 20 warm-up requests and 20 timed ones, each stored as the decision it answered.
    assert CreditDecision.objects.count() == 40
    assert not Customer.objects.filter(code__startswith="BENCH", credit_limit=0).exists()
    again = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=again)
    assert "Reusing the benchmark data" in again.getvalue()
    assert "Reusing the credit limits" in again.getvalue()
    assert CreditDecision.objects.count() == 80
