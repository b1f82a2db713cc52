"""Writing a plan (see ``plan.py``) — only ever inside the commit's transaction, so a failure or a
killed process anywhere leaves the database as it was.

Big files go in bulk (``core.bulk``: COPY on PostgreSQL), with the same audit lines the services
write one by one; the few records that change go through the domain services or a checked
UPDATE. Money stays consistent the way the ledger keeps it: a receivable's settled part is an
allocation of a payment, never a bare lower balance.
"""

import json
from collections import defaultdict
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.models import AuditEntry
from huikuan.audit.services import _jsonable, audit_record, snapshot
from huikuan.contracts.models import Contract, Delivery
from huikuan.contracts.services import contract_create
from huikuan.core.bulk import insert_prepared, insert_rows
from huikuan.core.errors import invalid
from huikuan.core.money import FEN_PER_YUAN, ZERO, to_fen
from huikuan.customers.models import Contact, Customer, PaymentProcess
from huikuan.customers.services import CUSTOMER_AUDITED_FIELDS, customer_update
from huikuan.ledger.models import Allocation, Payment, PaymentKind, Receivable, ReceivableKind
from huikuan.ledger.services import AUTO, payment_allocate, payment_record

from .models import ImportKind
from .plan import Plan, _chunks

Progress = Callable[[str], None]
RECEIVABLE_COLUMNS = (
    "customer",
    "number",
    "kind",
    "contract",
    "delivery",
    "issue_date",
    "due_date",
    "amount",
    "outstanding",
    "currency",
    "description",
    "created_by",
    "created_at",
)
AUDIT_COLUMNS = (
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "after",
    "note",
)


def _actor_id(actor):
    return actor.pk if getattr(actor, "pk", None) else None


def _audit_many(actor, action: str, model, rows: list[tuple[int, str, dict]], note: str):
    """One audit line per (object id, repr, after) — what ``audit_record`` writes, in bulk."""
    now = timezone.now()
    entries = [
        AuditEntry(
            at=now,
            actor_id=_actor_id(actor),
            action=action,
            object_type=model._meta.label_lower,
            object_id=str(pk),
            object_repr=str(text)[:200],
            after=_jsonable(after),
            note=note,
        )
        for pk, text, after in rows
    ]
    for chunk in _chunks(entries, 20_000):
        AuditEntry.objects.bulk_create(chunk, batch_size=2000)


def _new_ids(model, field: str, after_id: int, at) -> dict:
    """``field`` -> id of the rows this commit has just inserted: those past the largest id
    before the insert that carry its moment (a concurrent writer's rows never do)."""
    return dict(model.objects.filter(pk__gt=after_id, created_at=at).values_list(field, "id"))


def _last_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _ids_by(model, field: str, values, **filters) -> dict:
    found = {}
    for chunk in _chunks(sorted(set(values))):
        found.update(
            model.objects.filter(**{f"{field}__in": chunk}, **filters).values_list(field, "id")
        )
    return found


def apply_plan(plan: Plan, *, actor, note: str, progress: Progress) -> None:
    APPLIERS[plan.kind](plan, actor=actor, note=note, progress=progress)


# --- Customers ----------------------------------------------------------------------------------


def _create_customers(items: list[dict], *, actor, note: str) -> dict[str, int]:
    """Insert new customers (each with its empty payment process) and return code -> id."""
    if not items:
        return {}
    customers = []
    for item in items:
        customer = Customer(
            code=item["code"], **{k: v for k, v in item.items() if k not in ("code", "row", "id")}
        )
        customer.clean_fields()
        customers.append(customer)
    insert_rows(Customer, customers)
    ids = _ids_by(Customer, "code", [c.code for c in customers])
    insert_rows(PaymentProcess, [PaymentProcess(customer_id=ids[c.code]) for c in customers])
    _audit_many(
        actor,
        "customer.create",
        Customer,
        [(ids[c.code], c.name, {**snapshot(c), "id": ids[c.code]}) for c in customers],
        note,
    )
    return ids


def _new_customers_for_ledger(plan: Plan, *, actor, note: str) -> None:
    items = [
        {
            "code": c["code"],
            "name": c["name"],
            "owner_id": c["owner_id"],
            "payment_terms_days": c["payment_terms_days"],
        }
        for c in plan.new_customers.values()
    ]
    ids = _create_customers(items, actor=actor, note=note)
    for code, customer in plan.new_customers.items():
        customer["id"] = ids[code]


def apply_customers(plan: Plan, *, actor, note: str, progress: Progress) -> None:
    _create_customers(
        [{k: v for k, v in item.items() if k != "row"} for item in plan.creates],
        actor=actor,
        note=note,
    )
    progress("customers")
    for update in plan.updates:
        customer_update(customer=update["object"], actor=actor, **update["changes"])
        # customer_update audits only its credit-relevant fields; the rest is audited here.
        other = {k: v for k, v in update["changes"].items() if k not in CUSTOMER_AUDITED_FIELDS}
        if other:
            audit_record(
                actor=actor,
                action="customer.update",
                obj=update["object"],
                before={k: getattr(update["object"], k) for k in other},
                after=other,
                note=note,
            )


# --- Contacts and contracts ---------------------------------------------------------------------


def apply_contacts(plan: Plan, *, actor, note: str, progress: Progress) -> None:
    contacts = []
    for item in plan.creates:
        contact = Contact(**{k: v for k, v in item.items() if k != "row"})
        contact.full_clean()
        contacts.append(contact)
    Contact.objects.bulk_create(contacts, batch_size=2000)
    for update in plan.updates:
        contact = update["object"]
        for key, value in update["changes"].items():
            setattr(contact, key, value)
        contact.full_clean()
        contact.save(update_fields=list(update["changes"]))


def apply_contracts(plan: Plan, *, actor, note: str, progress: Progress) -> None:
    _new_customers_for_ledger(plan, actor=actor, note=note)
    for item in plan.creates:
        fields = {k: v for k, v in item.items() if k not in ("row", "number", "customer")}
        contract_create(
            customer=Customer.objects.get(pk=item["customer"]["id"]),
            number=item["number"],
            actor=actor,
            **fields,
        )
    for update in plan.updates:
        contract = Contract.objects.select_for_update().get(pk=update["object"].pk)
        before = {k: getattr(contract, k) for k in update["changes"]}
        for key, value in update["changes"].items():
            setattr(contract, key, value)
        contract.full_clean()
        contract.save(update_fields=list(update["changes"]))
        audit_record(
            actor=actor,
            action="contract.update",
            obj=contract,
            before=before,
            after=update["changes"],
            note=note,
        )


# --- Receivables, deliveries, opening balances --------------------------------------------------


def _apply_ledger(plan: Plan, *, actor, note: str, progress: Progress, kind: str) -> None:
    _new_customers_for_ledger(plan, actor=actor, note=note)
    progress("customers")
    actor_id = _actor_id(actor)
    now = timezone.now()
    delivery_ids = {}
    if kind == ReceivableKind.DELIVERY and plan.creates:
        insert_rows(
            Delivery,
            [
                Delivery(
                    customer_id=item["customer"]["id"],
                    contract_id=item["contract_id"],
                    number=item["number"],
                    delivered_on=item["issue_date"],
                    amount=item["amount"],
                    due_date=item["due_date"],
                    description=item["description"],
                )
                for item in plan.creates
            ],
        )
        delivery_ids = _ids_by(Delivery, "number", [i["number"] for i in plan.creates])
        progress("deliveries")
    fen = FEN_PER_YUAN
    receivable_rows = [
        (
            item["customer"]["id"],
            item["number"],
            kind,
            item["contract_id"],
            delivery_ids.get(item["number"]),
            item["issue_date"],
            item["due_date"],
            int(item["amount"] * fen),
            int((item["amount"] - item["settled"]) * fen),
            "CNY",
            item["description"],
            actor_id,
            now,
        )
        for item in plan.creates
    ]
    last = _last_id(Receivable)
    insert_prepared(Receivable, RECEIVABLE_COLUMNS, receivable_rows)
    del receivable_rows
    progress("receivables")
    ids = _new_ids(Receivable, "number", last, now)
    # One audit line per customer and import, listing every document it posted (id, number,
    # amount, outstanding, dates) — a posting journal, rather than a hundred thousand lines.
    documents = defaultdict(list)
    for item in plan.creates:
        documents[item["customer"]["id"]].append(
            [
                ids[item["number"]],
                item["number"],
                f"{item['amount']:.2f}",
                f"{item['amount'] - item['settled']:.2f}",
                item["issue_date"].isoformat(),
                item["due_date"].isoformat(),
            ]
        )
    codes = {item["customer"]["id"]: item["customer"]["code"] for item in plan.creates}
    audit_rows = (
        (
            now,
            actor_id,
            "receivable.import",
            "customers.customer",
            str(customer_id),
            codes[customer_id],
            json.dumps(
                {
                    "kind": kind,
                    "columns": ["id", "number", "amount", "outstanding", "issue_date", "due_date"],
                    "documents": rows,
                },
                ensure_ascii=False,
            ),
            note,
        )
        for customer_id, rows in documents.items()
    )
    insert_prepared(AuditEntry, AUDIT_COLUMNS, audit_rows)
    progress("audit")
    # Settled before the import: one payment per customer, each line dated the document's own
    # date, so that the history before the import never shows up as money collected today.
    lines = [
        {
            "receivable_id": ids[item["number"]],
            "customer": item["customer"],
            "amount": item["settled"],
            "on": item["issue_date"],
        }
        for item in plan.creates
        if item["settled"]
    ]
    for settlement in plan.settlements:
        updated = Receivable.objects.filter(
            pk=settlement["receivable_id"],
            outstanding__gte=settlement["amount"],
            # An expression bypasses the field: the column is in fen.
        ).update(outstanding=F("outstanding") - to_fen(settlement["amount"]))
        if not updated:
            raise invalid(
                "file",
                _("%(number)s changed while the file was being imported; check it again.")
                % {"number": settlement["number"]},
            )
        lines.append(settlement)
    _settle(plan, lines, actor=actor, note=note)
    progress("settlements")
    for update in plan.updates:
        if not update["changes"]:
            continue
        current = update["current"]
        Receivable.objects.filter(pk=current["id"]).update(**update["changes"])
        if kind == ReceivableKind.DELIVERY and "due_date" in update["changes"]:
            Delivery.objects.filter(number=current["number"]).update(
                due_date=update["changes"]["due_date"]
            )
        audit_record(
            actor=actor,
            action="receivable.update",
            obj=Receivable(pk=current["id"], number=current["number"]),
            before={k.removesuffix("_id"): current[k] for k in update["changes"]},
            after={k.removesuffix("_id"): v for k, v in update["changes"].items()},
            note=note,
        )


def _settle(plan: Plan, lines: list[dict], *, actor, note: str) -> None:
    if not lines:
        return
    by_customer = defaultdict(list)
    for line in lines:
        by_customer[line["customer"]["code"]].append(line)
    numbers = {code: f"IMP{plan.batch_id}-{code}"[:64] for code in by_customer}
    payments = []
    for code, items in by_customer.items():
        customer_id = items[0]["customer"]["id"]
        total = sum((i["amount"] for i in items), ZERO)
        payments.append(
            Payment(
                customer_id=customer_id,
                kind=PaymentKind.PAYMENT,
                number=numbers[code],
                received_on=min(i["on"] for i in items),
                amount=total,
                allocated=total,
                method="",
                note=(_("Money settled as the file says: %(note)s") % {"note": note})[:255],
                created_by_id=_actor_id(actor),
                created_at=timezone.now(),
            )
        )
    insert_rows(Payment, payments)
    payment_ids = _ids_by(Payment, "number", [p.number for p in payments], kind=PaymentKind.PAYMENT)
    _audit_many(
        actor,
        "payment.record",
        Payment,
        [(payment_ids[p.number], p.number, snapshot(p)) for p in payments],
        note,
    )
    actor_id = _actor_id(actor)
    now = timezone.now()
    allocation_rows = []
    for code, items in by_customer.items():
        payment_id = payment_ids[numbers[code]]
        # In date order: a payment's movements never go back in time.
        for item in sorted(items, key=lambda i: i["on"]):
            allocation_rows.append(
                (
                    item["receivable_id"],
                    payment_id,
                    int(item["amount"] * FEN_PER_YUAN),
                    item["on"],
                    actor_id,
                    now,
                )
            )
    insert_prepared(
        Allocation,
        ("receivable", "payment", "amount", "applied_on", "created_by", "created_at"),
        allocation_rows,
    )


def apply_receivables(plan, *, actor, note, progress):
    _apply_ledger(plan, actor=actor, note=note, progress=progress, kind=ReceivableKind.INVOICE)


def apply_deliveries(plan, *, actor, note, progress):
    _apply_ledger(plan, actor=actor, note=note, progress=progress, kind=ReceivableKind.DELIVERY)


def apply_opening(plan, *, actor, note, progress):
    _apply_ledger(plan, actor=actor, note=note, progress=progress, kind=ReceivableKind.OPENING)


# --- Payments -----------------------------------------------------------------------------------


def apply_payments(plan: Plan, *, actor, note: str, progress: Progress) -> None:
    """Through the ledger's own services, one payment at a time: they lock, check and audit
    exactly as when finance records a payment by hand (and raise the payment-recorded event)."""
    for item in plan.creates:
        head = item["head"]
        payment_record(
            customer=Customer.objects.get(pk=head["_customer"]["id"]),
            number=head["number"],
            received_on=head["received_on"],
            amount=head["amount"],
            method=head.get("method") or "bank_transfer",
            reference=head.get("reference", ""),
            note=head.get("note", ""),
            allocate=item["lines"] or AUTO,
            actor=actor,
        )
    progress("payments")
    for update in plan.updates:
        payment_allocate(payment=update["object"], lines=update["lines"], actor=actor)


APPLIERS = {
    ImportKind.CUSTOMERS: apply_customers,
    ImportKind.CONTACTS: apply_contacts,
    ImportKind.CONTRACTS: apply_contracts,
    ImportKind.DELIVERIES: apply_deliveries,
    ImportKind.RECEIVABLES: apply_receivables,
    ImportKind.PAYMENTS: apply_payments,
    ImportKind.OPENING: apply_opening,
}
