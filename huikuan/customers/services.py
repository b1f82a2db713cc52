"""Writes for customers, their contacts and their payment process."""

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid

from .models import Contact, Customer, PaymentProcess

CUSTOMER_AUDITED_FIELDS = ["owner_id", "status", "credit_limit", "payment_terms_days", "rating"]


@transaction.atomic
def customer_create(*, code: str, name: str, actor=None, **fields) -> Customer:
    """Create a customer; its code (the ERP's customer number) is unique."""
    code = (code or "").strip()
    if Customer.objects.filter(code=code).exists():
        raise invalid("code", _("%(value)s already exists.") % {"value": code}, "unique")
    customer = Customer(code=code, name=(name or "").strip(), **fields)
    customer.full_clean()
    customer.save()
    PaymentProcess.objects.create(customer=customer)
    audit_record(actor=actor, action="customer.create", obj=customer, after=snapshot(customer))
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor=None, **fields) -> Customer:
    """Change a customer's fields; owner, status and credit terms changes are audited."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = snapshot(customer, CUSTOMER_AUDITED_FIELDS)
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
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
    for name, value in fields.items():
        setattr(process, name, value)
    for name in ("request_recipient", "signer", "approver"):
        contact = getattr(process, name)
        if contact is not None and contact.customer_id != customer.pk:
            raise invalid(name, _("The contact belongs to another customer."))
    process.full_clean()
    process.save()
    return process
