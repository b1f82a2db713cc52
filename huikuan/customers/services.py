"""Writes for customers, their contacts and their payment process."""

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO

from .models import Contact, Customer, PaymentProcess

CUSTOMER_AUDITED_FIELDS = ["owner_id", "status", "credit_limit", "payment_terms_days", "rating"]


def _set_fields(obj, fields: dict) -> None:
    """Assign ``fields`` to ``obj``; a name the model does not have is an error, not a no-op."""
    for name, value in fields.items():
        try:
            obj._meta.get_field(name)
        except FieldDoesNotExist:
            raise invalid(name, _("There is no such field.")) from None
        setattr(obj, name, value)


def _validate_customer(customer: Customer) -> None:
    # clean_fields() first so the credit limit is a Decimal and each bad field is named; the
    # database's CHECK would only say "constraint violated" without naming the field.
    customer.clean_fields()
    if customer.credit_limit < ZERO:
        raise invalid("credit_limit", _("The credit limit cannot be negative."))
    customer.full_clean()


@transaction.atomic
def customer_create(*, code: str, name: str, actor=None, **fields) -> Customer:
    """Create a customer; its code (the ERP's customer number) is unique."""
    code = (code or "").strip()
    if Customer.objects.filter(code=code).exists():
        raise invalid("code", _("%(value)s already exists.") % {"value": code}, "unique")
    customer = Customer(code=code, name=(name or "").strip())
    _set_fields(customer, fields)
    _validate_customer(customer)
    customer.save()
    PaymentProcess.objects.create(customer=customer)
    audit_record(actor=actor, action="customer.create", obj=customer, after=snapshot(customer))
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor=None, **fields) -> Customer:
    """Change a customer's fields; owner, status and credit terms changes are audited."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = snapshot(customer, CUSTOMER_AUDITED_FIELDS)
    _set_fields(customer, fields)
    _validate_customer(customer)
    customer.save()
    after = snapshot(customer, CUSTOMER_AUDITED_FIELDS)
    if before != after:
        audit_record(
            actor=actor, action="customer.update", obj=customer, before=before, after=after
        )
    return customer


@transaction.atomic
def contact_add(*, customer: Customer, name: str, role: str, **fields) -> Contact:
    """Add a contact with the role they play in getting us paid."""
    contact = Contact(customer=customer, name=name, role=role, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def payment_process_set(*, customer: Customer, actor=None, **fields) -> PaymentProcess:
    """Record how the customer pays: recipient, signer, approver, pay day and paperwork."""
    process, _created = PaymentProcess.objects.get_or_create(customer=customer)
    _set_fields(process, fields)
    for name in ("request_recipient", "signer", "approver"):
        contact = getattr(process, name)
        if contact is not None and contact.customer_id != customer.pk:
            raise invalid(name, _("The contact belongs to another customer."))
    process.clean_fields()
    if process.settlement_day is not None and not 1 <= process.settlement_day <= 31:
        raise invalid("settlement_day", _("The pay day must be a day of the month, 1 to 31."))
    process.full_clean()
    process.save()
    return process
