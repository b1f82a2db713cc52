"""The planner of each kind of import: given the rows read and checked by ``plan.py``, decide
for each record whether it is new, changed or unchanged, and say why a row cannot be taken —
customers, contacts and contracts; receivables, deliveries and opening balances (posted
documents, never changed in their money); payments with the receivables they settle.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Max
from django.utils.translation import gettext as _

from huikuan.contracts.models import Contract, Delivery
from huikuan.core.money import ZERO, from_fen
from huikuan.customers.models import Contact, Customer
from huikuan.ledger.models import Allocation, Payment, PaymentKind, Receivable, ReceivableKind

from .kinds import kind_spec
from .models import ImportKind
from .plan import (
    Lookups,
    Plan,
    _chunks,
    _create_or_change,
    _duplicates,
    _header,
    _posted_differs,
    _resolve_customers,
    _resolve_customers_existing,
    _rows_by_number,
    _shown,
)

# --- Customers ----------------------------------------------------------------------------------

CUSTOMER_FIELDS = (
    "name",
    "region",
    "owner",
    "address",
    "payment_terms_days",
    "credit_limit",
    "is_government",
    "first_deal_on",
)


def plan_customers(plan: Plan, records, *, lock: bool) -> None:
    lookups = Lookups(plan)
    records = _duplicates(plan, records, lambda r: r["code"], "code")
    existing = {}
    for chunk in _chunks([r["code"] for _n, r in records]):
        query = Customer.objects.filter(code__in=chunk)
        if lock:
            query = query.select_for_update()
        for customer in query:
            existing[customer.code] = customer
    for number, record in records:
        fields = {}
        ok = True
        for key in CUSTOMER_FIELDS:
            if key not in record:
                continue
            value = record[key]
            if key == "region":
                region_id = lookups.region(value)
                if region_id is None:
                    plan.error(
                        number, _header(plan, key), _("No region %(name)s.") % {"name": value}
                    )
                    ok = False
                    continue
                fields["region_id"] = region_id
            elif key == "owner":
                owner_id, problem = lookups.user(value)
                if owner_id is None:
                    plan.error(number, _header(plan, key), problem)
                    ok = False
                    continue
                fields["owner_id"] = owner_id
            elif key in ("payment_terms_days", "credit_limit") and value < 0:
                plan.error(number, _header(plan, key), _("Cannot be negative."))
                ok = False
            else:
                fields[key] = value
        if not ok:
            continue
        _create_or_change(
            plan, existing.get(record["code"]), fields, number, {"code": record["code"]}
        )


# --- Contacts -----------------------------------------------------------------------------------

CONTACT_FIELDS = ("role", "title", "phone", "email", "wechat")


def plan_contacts(plan: Plan, records, *, lock: bool) -> None:
    """Contacts of existing customers, matched by customer and name."""
    records = _duplicates(plan, records, lambda r: (r["customer"], r["name"]), "name")
    records = _resolve_customers_existing(plan, records, Lookups(plan))
    existing = {}
    ids = sorted({record["_customer"]["id"] for _n, record in records})
    for chunk in _chunks(ids):
        query = Contact.objects.filter(customer_id__in=chunk)
        if lock:
            query = query.select_for_update()
        for contact in query.order_by("pk"):
            existing.setdefault((contact.customer_id, contact.name), contact)
    for number, record in records:
        customer = record["_customer"]
        if record.get("email"):
            try:
                validate_email(record["email"])
            except ValidationError:
                plan.error(number, _header(plan, "email"), _("Not an email address."))
                continue
        fields = {k: record[k] for k in CONTACT_FIELDS if k in record}
        _create_or_change(
            plan,
            existing.get((customer["id"], record["name"])),
            fields,
            number,
            {"customer_id": customer["id"], "name": record["name"]},
        )


# --- Contracts ----------------------------------------------------------------------------------

CONTRACT_FIELDS = ("signed_on", "amount", "term_days", "payment_terms", "seal_kind")


def plan_contracts(plan: Plan, records, *, lock: bool) -> None:
    lookups = Lookups(plan)
    records = _duplicates(plan, records, lambda r: r["number"], "number")
    records = _resolve_customers(plan, records, lookups)
    existing = {}
    for chunk in _chunks([r["number"] for _n, r in records]):
        query = Contract.objects.filter(number__in=chunk)
        if lock:
            query = query.select_for_update()
        for contract in query:
            existing[contract.number] = contract
    for number, record in records:
        if record.get("amount") is not None and record["amount"] < ZERO:
            plan.error(number, _header(plan, "amount"), _("Cannot be negative."))
            continue
        if record.get("term_days") is not None and record["term_days"] < 0:
            plan.error(number, _header(plan, "term_days"), _("Cannot be negative."))
            continue
        customer = record["_customer"]
        fields = {k: record[k] for k in CONTRACT_FIELDS if k in record}
        current = existing.get(record["number"])
        if current is not None and customer["id"] != current.customer_id:
            plan.error(
                number,
                _header(plan, "customer"),
                _("Contract %(number)s belongs to another customer in Huikuan.")
                % {"number": current.number},
            )
            continue
        _create_or_change(
            plan, current, fields, number, {"number": record["number"], "customer": customer}
        )


# --- Receivables, deliveries and opening balances ----------------------------------------------


def _plan_ledger(plan: Plan, records, *, lock: bool, receivable_kind: str) -> None:
    """Receivables, deliveries (a delivery and its receivable) and opening balances: new
    documents are created whole; an existing one (same number) may change its due date,
    description and contract, and gain settled money — never its amount, date or customer."""
    lookups = Lookups(plan)
    if receivable_kind == ReceivableKind.OPENING:
        for _number, record in records:
            if not record.get("number"):
                record["number"] = f"OB-{record['customer']}-{record['on']:%Y%m%d}"[:64]
            record["issue_date"] = record["on"]
    elif receivable_kind == ReceivableKind.DELIVERY:
        for _number, record in records:
            record["issue_date"] = record["delivered_on"]
    records = _duplicates(plan, records, lambda r: r["number"], "number")
    records = _resolve_customers(plan, records, lookups)
    contracts = lookups.contracts(r["contract"] for _n, r in records if r.get("contract"))
    numbers = [r["number"] for _n, r in records]
    existing = {
        row[1]: {
            "id": row[0],
            "number": row[1],
            "customer_id": row[2],
            "amount": from_fen(row[3]),
            "outstanding": from_fen(row[4]),
            "issue_date": row[5],
            "due_date": row[6],
            "description": row[7],
            "contract_id": row[8],
        }
        for row in _rows_by_number(
            Receivable,
            (
                "id",
                "number",
                "customer_id",
                "amount",
                "outstanding",
                "issue_date",
                "due_date",
                "description",
                "contract_id",
            ),
            numbers,
            lock=lock,
        )
    }
    if receivable_kind == ReceivableKind.DELIVERY:
        taken = set()
        for chunk in _chunks(numbers):
            taken.update(Delivery.objects.filter(number__in=chunk).values_list("number", flat=True))
    last_moves = {}
    settled_mapped = "settled" in plan.mapping or "outstanding" in plan.mapping
    if settled_mapped and existing:
        ids = [row["id"] for row in existing.values()]
        for chunk in _chunks(ids):
            last_moves.update(
                Allocation.objects.filter(receivable_id__in=chunk)
                .values("receivable_id")
                .annotate(last=Max("applied_on"))
                .values_list("receivable_id", "last")
            )

    for number, record in records:
        customer = record["_customer"]
        amount = record["amount"]
        if amount <= ZERO:
            plan.error(
                number,
                _header(plan, "amount"),
                _(
                    "The amount must be greater than zero; a negative (red-letter) document "
                    "is a credit note."
                ),
            )
            continue
        contract = None
        if record.get("contract"):
            contract = contracts.get(record["contract"])
            if contract is None:
                plan.error(
                    number,
                    _header(plan, "contract"),
                    _("No contract %(number)s.") % {"number": record["contract"]},
                )
                continue
            if customer["id"] is None or contract["customer_id"] != customer["id"]:
                plan.error(
                    number,
                    _header(plan, "contract"),
                    _("Contract %(number)s belongs to another customer.")
                    % {"number": record["contract"]},
                )
                continue
        settled = record.get("settled")
        if "outstanding" in record:
            if settled is None:
                settled = amount - record["outstanding"]
            elif amount - settled != record["outstanding"]:
                plan.error(
                    number,
                    _header(plan, "outstanding"),
                    _("Amount %(amount)s − settled %(settled)s is not %(outstanding)s.")
                    % {
                        "amount": _shown(amount),
                        "settled": _shown(settled),
                        "outstanding": _shown(record["outstanding"]),
                    },
                )
                continue
        if settled is not None and (settled < ZERO or settled > amount):
            plan.error(
                number,
                _header(plan, "settled" if "settled" in record else "outstanding"),
                _("The settled amount must be between 0 and the amount %(amount)s.")
                % {"amount": _shown(amount)},
            )
            continue
        due_date = record.get("due_date")
        current = existing.get(record["number"])
        if current is None:
            if receivable_kind == ReceivableKind.DELIVERY and record["number"] in taken:
                plan.error(
                    number,
                    _header(plan, "number"),
                    _("Delivery %(number)s exists already.") % {"number": record["number"]},
                )
                continue
            if due_date is None:
                if receivable_kind == ReceivableKind.OPENING:
                    due_date = record["issue_date"]
                else:
                    days = contract["term_days"] if contract and contract["term_days"] else None
                    if days is None:
                        days = customer["payment_terms_days"]
                    due_date = record["issue_date"] + timedelta(days=days)
            if due_date < record["issue_date"]:
                plan.error(
                    number,
                    _header(plan, "due_date"),
                    _("The due date %(due)s is before the document date %(issued)s.")
                    % {"due": due_date.isoformat(), "issued": record["issue_date"].isoformat()},
                )
                continue
            if settled and record["issue_date"] > plan.as_of:
                plan.error(
                    number,
                    _header(plan, "settled"),
                    _("Settled money on a document dated after %(day)s, the import's date.")
                    % {"day": plan.as_of.isoformat()},
                )
                continue
            plan.creates.append(
                {
                    "row": number,
                    "number": record["number"],
                    "customer": customer,
                    "contract_id": contract["id"] if contract else None,
                    "issue_date": record["issue_date"],
                    "due_date": due_date,
                    "amount": amount,
                    "settled": settled or ZERO,
                    "description": record.get("description", ""),
                }
            )
            plan.to_create += 1
            continue
        # The document exists: its posted facts must agree.
        if customer["id"] != current["customer_id"]:
            plan.error(
                number,
                _header(plan, "customer"),
                _("%(number)s belongs to another customer in Huikuan.")
                % {"number": record["number"]},
            )
            continue
        if amount != current["amount"]:
            _posted_differs(plan, number, "amount", amount, current["amount"])
            continue
        if record["issue_date"] != current["issue_date"]:
            key = {"opening": "on", "delivery": "delivered_on"}.get(receivable_kind, "issue_date")
            _posted_differs(plan, number, key, record["issue_date"], current["issue_date"])
            continue
        changes = {}
        if due_date is not None and due_date != current["due_date"]:
            if due_date < current["issue_date"]:
                plan.error(
                    number,
                    _header(plan, "due_date"),
                    _("The due date %(due)s is before the document date %(issued)s.")
                    % {"due": due_date.isoformat(), "issued": current["issue_date"].isoformat()},
                )
                continue
            changes["due_date"] = due_date
        if "description" in record and record["description"] != current["description"]:
            changes["description"] = record["description"]
        if contract and contract["id"] != current["contract_id"]:
            changes["contract_id"] = contract["id"]
        more = ZERO
        if settled is not None:
            already = current["amount"] - current["outstanding"]
            if settled > already:
                more = settled - already
        if changes or more:
            plan.updates.append(
                {"row": number, "current": current, "changes": changes, "kind": receivable_kind}
            )
            if more:
                on = max(
                    d
                    for d in (plan.as_of, current["issue_date"], last_moves.get(current["id"]))
                    if d
                )
                plan.settlements.append(
                    {
                        "receivable_id": current["id"],
                        "number": current["number"],
                        "customer": customer,
                        "amount": more,
                        "on": on,
                    }
                )
            plan.to_update += 1
        else:
            plan.unchanged += 1
    plan.summary["settled_lines"] = sum(1 for c in plan.creates if c["settled"]) + len(
        plan.settlements
    )


def plan_receivables(plan, records, *, lock):
    _plan_ledger(plan, records, lock=lock, receivable_kind=ReceivableKind.INVOICE)


def plan_deliveries(plan, records, *, lock):
    _plan_ledger(plan, records, lock=lock, receivable_kind=ReceivableKind.DELIVERY)


def plan_opening(plan, records, *, lock):
    _plan_ledger(plan, records, lock=lock, receivable_kind=ReceivableKind.OPENING)


# --- Payments -----------------------------------------------------------------------------------

PAYMENT_HEAD = ("customer", "received_on", "amount", "method", "reference", "note")


def plan_payments(plan: Plan, records, *, lock: bool) -> None:
    """Payments, one or more rows each: the rows of one payment number share its customer,
    date and amount, and each may settle one receivable. A new payment without settlement lines
    is settled oldest due first, as when it is recorded by hand. An existing payment (same
    number) may gain settlement lines, never change its amount, date or customer."""
    lookups = Lookups(plan)
    groups: dict[str, dict] = {}
    for number, record in records:
        group = groups.get(record["number"])
        if group is None:
            group = {"row": number, "head": record, "lines": [], "bad": False}
            groups[record["number"]] = group
        else:
            for key in PAYMENT_HEAD:
                if key in record and key in group["head"] and record[key] != group["head"][key]:
                    plan.error(
                        number,
                        _header(plan, key),
                        _("Differs from row %(row)s of the same payment.") % {"row": group["row"]},
                    )
                    group["bad"] = True
        if record.get("allocate_to"):
            if record.get("allocate_amount") is None:
                plan.error(
                    number,
                    _header(plan, "allocate_amount")
                    if "allocate_amount" in plan.mapping
                    else str(kind_spec(plan.kind).field("allocate_amount").label),
                    _("Say how much of the payment settles %(number)s.")
                    % {"number": record["allocate_to"]},
                )
                group["bad"] = True
                continue
            if record["allocate_amount"] <= ZERO:
                plan.error(
                    number, _header(plan, "allocate_amount"), _("Must be greater than zero.")
                )
                group["bad"] = True
                continue
            group["lines"].append((number, record["allocate_to"], record["allocate_amount"]))
    heads = [(g["row"], g["head"]) for g in groups.values() if not g["bad"]]
    heads = _resolve_customers_existing(plan, heads, lookups)
    receivable_numbers = {line[1] for g in groups.values() for line in g["lines"]}
    receivables = {}
    for chunk in _chunks(sorted(receivable_numbers)):
        query = Receivable.objects.filter(number__in=chunk)
        if lock:
            query = query.select_for_update()
        for row in query.values("id", "number", "customer_id", "outstanding"):
            receivables[row["number"]] = row
    existing = {}
    for chunk in _chunks([h["number"] for _n, h in heads]):
        query = Payment.objects.filter(kind=PaymentKind.PAYMENT, number__in=chunk)
        if lock:
            query = query.select_for_update(of=("self",))
        for payment in query.select_related("reversal"):
            existing[payment.number] = payment
    applied = defaultdict(Decimal)
    if existing:
        for payment_id, receivable_id, amount in Allocation.objects.filter(
            payment_id__in=[p.pk for p in existing.values()]
        ).values_list("payment_id", "receivable_id", "amount"):
            applied[(payment_id, receivable_id)] += amount
    outstanding = {r["id"]: r["outstanding"] for r in receivables.values()}
    for _row, head in heads:
        group = groups[head["number"]]
        customer = head["_customer"]
        current = existing.get(head["number"])
        if current is not None:
            problem = False
            for key, ledger_value in (
                ("amount", current.amount),
                ("received_on", current.received_on),
            ):
                if head[key] != ledger_value:
                    _posted_differs(plan, group["row"], key, head[key], ledger_value)
                    problem = True
            if current.customer_id != customer["id"]:
                plan.error(
                    group["row"],
                    _header(plan, "customer"),
                    _("%(number)s belongs to another customer in Huikuan.")
                    % {"number": head["number"]},
                )
                problem = True
            if problem:
                continue
        lines = []
        total = ZERO
        ok = True
        for number, receivable_number, amount in group["lines"]:
            receivable = receivables.get(receivable_number)
            if receivable is None:
                plan.error(
                    number,
                    _header(plan, "allocate_to"),
                    _("No receivable %(number)s.") % {"number": receivable_number},
                )
                ok = False
                continue
            if receivable["customer_id"] != customer["id"]:
                plan.error(
                    number,
                    _header(plan, "allocate_to"),
                    _("%(number)s belongs to another customer.") % {"number": receivable_number},
                )
                ok = False
                continue
            if current is not None:
                already = applied.get((current.pk, receivable["id"]), ZERO)
                if amount <= already:
                    continue
                amount = amount - already
            if amount > outstanding[receivable["id"]]:
                plan.error(
                    number,
                    _header(plan, "allocate_amount"),
                    _("Only %(left)s of %(number)s is still outstanding.")
                    % {"left": _shown(outstanding[receivable["id"]]), "number": receivable_number},
                )
                ok = False
                continue
            outstanding[receivable["id"]] -= amount
            total += amount
            lines.append((receivable_number, amount))
        if not ok:
            continue
        room = head["amount"] - (current.allocated if current is not None else ZERO)
        if total > room:
            plan.error(
                group["row"],
                _header(plan, "allocate_amount"),
                _(
                    "The settlements add up to %(total)s, more than the %(left)s left of the "
                    "payment."
                )
                % {"total": _shown(total), "left": _shown(room)},
            )
            continue
        if current is None:
            plan.creates.append({"row": group["row"], "head": head, "lines": lines})
            plan.to_create += 1
            plan.summary["allocations"] += len(lines)
        elif lines:
            if hasattr(current, "reversal"):
                plan.error(
                    group["row"],
                    _header(plan, "number"),
                    _("%(number)s has been reversed.") % {"number": current.number},
                )
                continue
            plan.updates.append({"row": group["row"], "object": current, "lines": lines})
            plan.to_update += 1
            plan.summary["allocations"] += len(lines)
        else:
            plan.unchanged += 1


PLANNERS = {
    ImportKind.CUSTOMERS: plan_customers,
    ImportKind.CONTACTS: plan_contacts,
    ImportKind.CONTRACTS: plan_contracts,
    ImportKind.DELIVERIES: plan_deliveries,
    ImportKind.RECEIVABLES: plan_receivables,
    ImportKind.PAYMENTS: plan_payments,
    ImportKind.OPENING: plan_opening,
}
