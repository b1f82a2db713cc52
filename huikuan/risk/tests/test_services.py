"""Who may change a customer's credit, place holds and grant exceptions; a refusal writes nothing,
and every change leaves an audit line with before and after."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from huikuan.audit.models import AuditEntry
from huikuan.customers.models import Customer
from huikuan.dunning.tests.factories import make_customer, make_user
from huikuan.org.models import Role
from huikuan.risk.credit import credit_check, decision_release
from huikuan.risk.models import CreditDecision, CreditException, CreditHold, CreditProfile
from huikuan.risk.services import (
    credit_profile_set,
    exception_grant,
    exception_revoke,
    hold_place,
    hold_release,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
D = Decimal


@pytest.fixture
def people():
    manager = make_user(Role.MANAGER)
    rep = make_user(Role.REP, manager=manager)
    return {
        "manager": manager,
        "rep": rep,
        "other_manager": make_user(Role.MANAGER),
        "finance": make_user(Role.FINANCE),
        "admin": make_user(Role.ADMIN),
        "superuser": make_user(Role.REP, is_superuser=True),
        "inactive_admin": make_user(Role.ADMIN, is_active=False),
    }


@pytest.fixture
def customer(people):
    return make_customer(owner=people["rep"], credit_limit=D("50000.00"))


def state() -> dict:
    """Everything a refused call must leave as it was."""
    return {
        "audit": AuditEntry.objects.count(),
        "holds": list(CreditHold.objects.values_list("pk", "released_at", "release_note")),
        "exceptions": list(CreditException.objects.values_list("pk", "revoked_at", "used")),
        "profiles": list(CreditProfile.objects.values_list("pk", "rating_override")),
        "customers": list(
            Customer.objects.values_list("pk", "credit_limit", "payment_terms_days", "rating")
        ),
    }


def refused(call, error=PermissionDenied):
    before = state()
    with pytest.raises(error) as raised:
        call()
    assert state() == before
    return raised


def grant(customer, actor, **kw):
    kw.setdefault("amount", D("10000.00"))
    kw.setdefault("valid_from", AS_OF)
    kw.setdefault("valid_until", AS_OF + timedelta(days=14))
    kw.setdefault("reason", "年底备货")
    return exception_grant(customer=customer, actor=actor, **kw)


# --- Roles ----------------------------------------------------------------------------------------

PROFILE_AND_HOLD = [
    ("manager", True),
    ("finance", True),
    ("admin", True),
    ("superuser", True),
    ("rep", False),
    ("other_manager", False),
    ("inactive_admin", False),
]
EXCEPTIONS = [
    ("manager", True),
    ("admin", True),
    ("superuser", True),
    ("finance", False),
    ("rep", False),
    ("other_manager", False),
    ("inactive_admin", False),
]


@pytest.mark.parametrize(("who", "allowed"), PROFILE_AND_HOLD)
def test_who_may_change_a_customers_credit(people, customer, who, allowed):
    def call():
        return credit_profile_set(
            customer=customer, actor=people[who], reason="年度评审", credit_limit="80000"
        )

    if allowed:
        call()
        customer.refresh_from_db()
        assert customer.credit_limit == D("80000.00")
    else:
        refused(call)


@pytest.mark.parametrize(("who", "allowed"), PROFILE_AND_HOLD)
def test_who_may_place_and_release_holds(people, customer, who, allowed):
    if allowed:
        hold = hold_place(customer=customer, reason="停货", actor=people[who])
        released = hold_release(hold=hold, note="已结清", actor=people[who])
        assert released.released_by == people[who]
    else:
        refused(lambda: hold_place(customer=customer, reason="停货", actor=people[who]))
        hold = hold_place(customer=customer, reason="停货", actor=people["admin"])
        refused(lambda: hold_release(hold=hold, note="已结清", actor=people[who]))


@pytest.mark.parametrize(("who", "allowed"), EXCEPTIONS)
def test_who_may_grant_and_revoke_exceptions(people, customer, who, allowed):
    if allowed:
        exception = grant(customer, people[who])
        revoked = exception_revoke(exception=exception, actor=people[who])
        assert revoked.revoked_by == people[who]
    else:
        refused(lambda: grant(customer, people[who]))
        exception = grant(customer, people["admin"])
        refused(lambda: exception_revoke(exception=exception, actor=people[who]))


def test_nobody_acts_without_a_user(customer):
    refused(lambda: hold_place(customer=customer, reason="停货", actor=None))
    refused(lambda: grant(customer, None))
    refused(
        lambda: credit_profile_set(customer=customer, actor=None, reason="x", rating_override="A")
    )


# --- The credit profile ---------------------------------------------------------------------------


def test_changing_the_credit_terms_is_audited_with_before_and_after(people, customer):
    profile = credit_profile_set(
        customer=customer,
        actor=people["finance"],
        reason="合同续签",
        credit_limit=D("120000.00"),
        payment_terms_days=45,
    )
    assert profile.customer == customer
    customer.refresh_from_db()
    assert (customer.credit_limit, customer.payment_terms_days) == (D("120000.00"), 45)
    entry = AuditEntry.objects.get(action="credit_profile.set")
    assert entry.actor == people["finance"]
    assert entry.note == "合同续签"
    assert entry.before["credit_limit"] == "50000.00"
    assert entry.after["credit_limit"] == "120000.00"
    assert (entry.before["payment_terms_days"], entry.after["payment_terms_days"]) == (30, 45)


def test_a_rating_override_sets_the_rating_and_clearing_it_restores_the_computed_one(
    people, customer
):
    CreditProfile.objects.create(customer=customer, computed_rating="C")
    credit_profile_set(
        customer=customer, actor=people["manager"], reason="大股东担保", rating_override="A"
    )
    customer.refresh_from_db()
    assert customer.rating == "A"
    credit_profile_set(
        customer=customer, actor=people["manager"], reason="担保撤销", rating_override=""
    )
    customer.refresh_from_db()
    assert customer.rating == "C"
    entries = list(AuditEntry.objects.filter(action="credit_profile.set").order_by("id"))
    assert [(e.before["rating"], e.after["rating"]) for e in entries] == [("", "A"), ("A", "C")]
    assert [e.after["rating_override"] for e in entries] == ["A", ""]


def test_a_change_to_nothing_writes_nothing(people, customer):
    credit_profile_set(
        customer=customer, actor=people["admin"], reason="复核", credit_limit=D("50000.00")
    )
    assert not AuditEntry.objects.filter(action="credit_profile.set").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"credit_limit": "-1"}, "credit_limit"),
        ({"credit_limit": "lots"}, "credit_limit"),
        ({"payment_terms_days": -5}, "payment_terms_days"),
        ({"payment_terms_days": "30 days"}, "payment_terms_days"),
        ({"rating_override": "E"}, "rating_override"),
    ],
)
def test_bad_credit_terms_are_refused_and_write_nothing(people, customer, fields, field):
    kwargs = {"reason": "调整", "credit_limit": "60000", **fields}
    raised = refused(
        lambda: credit_profile_set(customer=customer, actor=people["admin"], **kwargs),
        ValidationError,
    )
    assert field in raised.value.message_dict


# --- Holds ----------------------------------------------------------------------------------------


def test_a_hold_and_its_release_are_audited(people, customer):
    hold = hold_place(customer=customer, reason="拒接电话", actor=people["manager"])
    placed = AuditEntry.objects.get(action="credit_hold.place")
    assert placed.before is None
    assert (placed.after["reason"], placed.after["placed_by_id"]) == (
        "拒接电话",
        people["manager"].pk,
    )

    hold_release(hold=hold, note="已付清", actor=people["finance"])
    released = AuditEntry.objects.get(action="credit_hold.release")
    assert released.before == {"released_at": None, "released_by_id": None, "release_note": ""}
    assert released.after["release_note"] == "已付清"
    assert released.after["released_by_id"] == people["finance"].pk


def test_a_hold_needs_a_reason_and_its_release_a_note(people, customer):
    refused(
        lambda: hold_place(customer=customer, reason=" ", actor=people["admin"]), ValidationError
    )
    hold = hold_place(customer=customer, reason="停货", actor=people["admin"])
    refused(lambda: hold_release(hold=hold, note="", actor=people["admin"]), ValidationError)


def test_a_hold_is_released_once(people, customer):
    hold = hold_place(customer=customer, reason="停货", actor=people["admin"])
    hold_release(hold=hold, note="已结清", actor=people["admin"])
    raised = refused(
        lambda: hold_release(hold=hold, note="再次", actor=people["admin"]), ValidationError
    )
    assert "hold" in raised.value.message_dict


# --- Exceptions -----------------------------------------------------------------------------------


def test_an_exception_and_its_revocation_are_audited(people, customer):
    exception = grant(customer, people["manager"], amount="8000")
    assert (exception.amount, exception.used, exception.granted_by) == (
        D("8000.00"),
        D("0.00"),
        people["manager"],
    )
    granted = AuditEntry.objects.get(action="credit_exception.grant")
    assert granted.after["amount"] == "8000.00"

    exception_revoke(exception=exception, actor=people["admin"])
    revoked = AuditEntry.objects.get(action="credit_exception.revoke")
    assert revoked.before["revoked_at"] is None
    assert revoked.after["revoked_by_id"] == people["admin"].pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-100"}, "amount"),
        ({"valid_until": AS_OF - timedelta(days=1)}, "valid_until"),
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_exceptions_are_refused_and_write_nothing(people, customer, fields, field):
    raised = refused(lambda: grant(customer, people["admin"], **fields), ValidationError)
    assert field in raised.value.message_dict


def test_an_exception_is_revoked_once(people, customer):
    exception = grant(customer, people["admin"])
    exception_revoke(exception=exception, actor=people["admin"])
    raised = refused(
        lambda: exception_revoke(exception=exception, actor=people["admin"]), ValidationError
    )
    assert "exception" in raised.value.message_dict


# --- Decisions ------------------------------------------------------------------------------------


def test_releasing_a_decision_is_audited(people, customer):
    decision = credit_check(
        customer=customer, amount=D("1000.00"), actor=people["rep"], as_of=AS_OF
    )
    assert not AuditEntry.objects.filter(object_type="risk.creditdecision").exists()
    decision_release(decision=decision, actor=people["rep"])
    entry = AuditEntry.objects.get(action="credit_decision.release")
    assert entry.before == {"released_at": None}
    assert entry.after["released_at"]
    assert CreditDecision.objects.get(pk=decision.pk).released_at is not None
