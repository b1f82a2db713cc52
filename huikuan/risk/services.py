"""Every write a person makes in credit control: a customer's limit, terms and rating override,
credit holds and credit exceptions.

Who may do what (a refusal raises ``PermissionDenied`` and writes nothing):

* limit, payment terms and rating override — a manager (for the customers they can see),
  finance, an administrator;
* holds — a manager (for the customers they can see), finance, an administrator;
* exceptions — a manager (for the customers they can see) or an administrator.

Each service is atomic, first locks the customer row — the lock the credit check takes, so a
check never runs half before and half after one of these changes — then checks the role, then
validates (a bad field is ``invalid(field, …)``), and leaves an audit line with before and after.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.events import event_emit
from huikuan.core.models import EventKind
from huikuan.core.money import ZERO, MoneyError, to_decimal
from huikuan.customers.models import Customer
from huikuan.customers.selectors import customers_visible_to
from huikuan.org.models import Role

from .models import CreditException, CreditHold, CreditProfile, Rating

PROFILE_ROLES = {Role.MANAGER, Role.FINANCE, Role.ADMIN}
HOLD_ROLES = {Role.MANAGER, Role.FINANCE, Role.ADMIN}
EXCEPTION_ROLES = {Role.MANAGER, Role.ADMIN}


def _may(user, customer: Customer, roles) -> bool:
    """Whether ``user`` has one of ``roles`` (a superuser counts as an administrator) and, being
    a manager, can see ``customer``."""
    if user is None or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    if getattr(user, "role", None) not in roles:
        return False
    if user.role == Role.MANAGER:
        return customers_visible_to(user).filter(pk=customer.pk).exists()
    return True


def can_set_credit_profile(user, customer: Customer) -> bool:
    """Limit, payment terms and rating override: a manager who can see the customer, finance or
    an administrator."""
    return _may(user, customer, PROFILE_ROLES)


def can_hold(user, customer: Customer) -> bool:
    """Placing and releasing holds: a manager who can see the customer, finance or an
    administrator."""
    return _may(user, customer, HOLD_ROLES)


def can_grant_exception(user, customer: Customer) -> bool:
    """Granting and revoking exceptions: a manager who can see the customer or an
    administrator."""
    return _may(user, customer, EXCEPTION_ROLES)


def _lock(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def _text(value) -> str:
    return (value or "").strip()


def _money(field: str, value, *, allow_zero: bool) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise invalid(field, _("Not an amount: %(value)s.") % {"value": value}) from None
    if amount < ZERO or (amount == ZERO and not allow_zero):
        if allow_zero:
            raise invalid(field, _("The amount cannot be negative."))
        raise invalid(field, _("The amount must be greater than zero."))
    return amount


# --- Credit profile -------------------------------------------------------------------------------


@transaction.atomic
def credit_profile_set(
    *,
    customer: Customer,
    actor,
    reason: str,
    credit_limit=None,
    payment_terms_days=None,
    rating_override=None,
) -> CreditProfile:
    """Change a customer's credit limit, payment terms and/or rating override (``None`` leaves a
    value as it is; ``rating_override=""`` clears the override). The rating in force
    (``Customer.rating``) becomes the override, or the computed rating when there is none. A
    reason is required; the change is audited with before and after. Returns the profile
    (created on first use)."""
    customer = _lock(customer.pk)
    if not can_set_credit_profile(actor, customer):
        raise PermissionDenied(
            _("Only a manager of this customer, finance or an administrator may change its credit.")
        )
    reason = _text(reason)
    if not reason:
        raise invalid("reason", _("Say why the credit terms change."))
    limit = None
    if credit_limit is not None:
        limit = _money("credit_limit", credit_limit, allow_zero=True)
    terms = None
    if payment_terms_days is not None:
        if isinstance(payment_terms_days, bool):
            raise invalid("payment_terms_days", _("Enter a whole number of days."))
        try:
            terms = int(payment_terms_days)
        except (TypeError, ValueError):
            raise invalid("payment_terms_days", _("Enter a whole number of days.")) from None
        if terms < 0 or str(terms) != str(payment_terms_days).strip():
            raise invalid("payment_terms_days", _("Enter a whole number of days."))
    if rating_override is not None and rating_override not in ("", *Rating.values):
        raise invalid(
            "rating_override", _("Unknown rating: %(value)s.") % {"value": rating_override}
        )

    profile, _created = CreditProfile.objects.get_or_create(customer=customer)
    fields = ["credit_limit", "payment_terms_days", "rating"]
    before = {
        **snapshot(customer, fields),
        "rating_override": profile.rating_override,
    }
    if limit is not None:
        customer.credit_limit = limit
    if terms is not None:
        customer.payment_terms_days = terms
    if rating_override is not None:
        profile.rating_override = rating_override
        profile.override_reason = reason if rating_override else ""
        customer.rating = rating_override or profile.computed_rating
    customer.full_clean()
    profile.full_clean()
    after = {**snapshot(customer, fields), "rating_override": profile.rating_override}
    if after == before:
        return profile
    customer.save(update_fields=fields)
    profile.save(update_fields=["rating_override", "override_reason"])
    audit_record(
        actor=actor,
        action="credit_profile.set",
        obj=customer,
        before=before,
        after=after,
        note=reason,
    )
    return profile


# --- Holds ----------------------------------------------------------------------------------------


@transaction.atomic
def hold_place(*, customer: Customer, reason: str, actor) -> CreditHold:
    """Stop new credit sales to ``customer`` until the hold is released: every credit check
    blocks while it stands, exceptions notwithstanding. A reason is required. Other systems hear
    of it as a ``credit.blocked`` event."""
    customer = _lock(customer.pk)
    if not can_hold(actor, customer):
        raise PermissionDenied(
            _("Only a manager of this customer, finance or an administrator may place a hold.")
        )
    reason = _text(reason)
    if not reason:
        raise invalid("reason", _("Say why credit sales stop."))
    hold = CreditHold(customer=customer, reason=reason, placed_by=actor)
    hold.full_clean()
    hold.save()
    audit_record(
        actor=actor, action="credit_hold.place", obj=hold, before=None, after=snapshot(hold)
    )
    event_emit(
        kind=EventKind.CREDIT_BLOCKED,
        obj=hold,
        object_type="credit_hold",
        customer=customer,
        payload={
            "source": "credit_hold",
            "reason": hold.reason,
            "placed_by": actor.get_username() if actor else "",
        },
    )
    return hold


@transaction.atomic
def hold_release(*, hold: CreditHold, note: str, actor) -> CreditHold:
    """Lift a hold, saying why; a hold is released once."""
    customer = _lock(hold.customer_id)
    if not can_hold(actor, customer):
        raise PermissionDenied(
            _("Only a manager of this customer, finance or an administrator may release a hold.")
        )
    hold = CreditHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise invalid("hold", _("This hold has already been released."))
    note = _text(note)
    if not note:
        raise invalid("note", _("Say why the hold is released."))
    before = snapshot(hold, ["released_at", "released_by_id", "release_note"])
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.release_note = note
    hold.full_clean()
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    audit_record(
        actor=actor,
        action="credit_hold.release",
        obj=hold,
        before=before,
        after=snapshot(hold, ["released_at", "released_by_id", "release_note"]),
    )
    return hold


# --- Exceptions -----------------------------------------------------------------------------------


@transaction.atomic
def exception_grant(
    *,
    customer: Customer,
    amount,
    valid_from: date,
    valid_until: date,
    reason: str,
    actor,
) -> CreditException:
    """Let credit checks ship up to ``amount`` more than the rules allow (holds excepted) from
    ``valid_from`` to ``valid_until`` inclusive. A reason is required."""
    customer = _lock(customer.pk)
    if not can_grant_exception(actor, customer):
        raise PermissionDenied(
            _("Only a manager of this customer or an administrator may grant an exception.")
        )
    value = _money("amount", amount, allow_zero=False)
    if valid_from is None:
        raise invalid("valid_from", _("Say from when the exception is valid."))
    if valid_until is None:
        raise invalid("valid_until", _("Say until when the exception is valid."))
    if valid_until < valid_from:
        raise invalid("valid_until", _("The exception cannot end before it starts."))
    reason = _text(reason)
    if not reason:
        raise invalid("reason", _("Say why the exception is granted."))
    exception = CreditException(
        customer=customer,
        amount=value,
        valid_from=valid_from,
        valid_until=valid_until,
        reason=reason,
        granted_by=actor,
    )
    exception.full_clean()
    exception.save()
    audit_record(
        actor=actor,
        action="credit_exception.grant",
        obj=exception,
        before=None,
        after=snapshot(exception),
    )
    return exception


@transaction.atomic
def exception_revoke(*, exception: CreditException, actor) -> CreditException:
    """End an exception now: later checks no longer draw on it (what was used stays used)."""
    customer = _lock(exception.customer_id)
    if not can_grant_exception(actor, customer):
        raise PermissionDenied(
            _("Only a manager of this customer or an administrator may revoke an exception.")
        )
    exception = CreditException.objects.select_for_update().get(pk=exception.pk)
    if exception.revoked_at is not None:
        raise invalid("exception", _("This exception has already been revoked."))
    before = snapshot(exception, ["revoked_at", "revoked_by_id", "used"])
    exception.revoked_at = timezone.now()
    exception.revoked_by = actor
    exception.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="credit_exception.revoke",
        obj=exception,
        before=before,
        after=snapshot(exception, ["revoked_at", "revoked_by_id", "used"]),
    )
    return exception
