"""Writes for contracts and their installment plans."""

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record, snapshot
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO, MoneyError, to_decimal
from huikuan.customers.models import Customer

from .models import Contract, InstallmentNode


@transaction.atomic
def contract_create(
    *,
    customer: Customer,
    number: str,
    signed_on: date,
    amount=0,
    installments: Sequence[tuple[date, object]] = (),
    actor=None,
    **fields,
) -> Contract:
    """Create a contract with its installment plan (回款计划).

    Installment nodes are ``(due_date, amount)`` pairs; when the contract states an amount, the
    nodes must add up to it exactly.
    """
    number = (number or "").strip()
    if Contract.objects.filter(number=number).exists():
        raise invalid("number", _("%(value)s already exists.") % {"value": number}, "unique")
    try:
        amount = to_decimal(amount)
    except MoneyError:
        raise invalid("amount", _("Not an amount: %(value)s.") % {"value": amount}) from None
    if amount < ZERO:
        raise invalid("amount", _("The contract amount cannot be negative."))
    nodes = []
    for index, (due, value) in enumerate(installments, start=1):
        try:
            nodes.append((due, to_decimal(value)))
        except MoneyError:
            raise invalid(
                "installments",
                _("Installment %(n)s: not an amount: %(value)s.") % {"n": index, "value": value},
            ) from None
    if any(value <= ZERO for _due, value in nodes):
        raise invalid("installments", _("Every installment needs an amount greater than zero."))
    plan_total = sum((value for _due, value in nodes), ZERO)
    if nodes and amount and plan_total != amount:
        raise invalid(
            "installments",
            _("The installments add up to %(total)s, not the contract amount %(amount)s.")
            % {"total": plan_total, "amount": amount},
        )
    contract = Contract(
        customer=customer, number=number, signed_on=signed_on, amount=amount or plan_total, **fields
    )
    contract.full_clean()
    contract.save()
    for sequence, (due, value) in enumerate(sorted(nodes, key=lambda n: n[0]), start=1):
        node = InstallmentNode(contract=contract, sequence=sequence, due_date=due, amount=value)
        node.full_clean()
        node.save()
    audit_record(actor=actor, action="contract.create", obj=contract, after=snapshot(contract))
    return contract
