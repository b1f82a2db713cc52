"""Planning an import: find the header row and the columns, read and check every row, and decide
for each record whether it is new, changed or unchanged — without writing anything.

A plan is all a commit needs (``apply.py`` writes it), so the preview and the commit can never
disagree: the commit plans again inside its transaction, with the rows it may change locked.
Row numbers are the sheet's own, as the user sees them in Excel.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext as _

from huikuan.contracts.models import Contract, Delivery, SealKind
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO, from_fen
from huikuan.customers.models import Contact, ContactRole, Customer
from huikuan.ledger.models import (
    Allocation,
    Payment,
    PaymentKind,
    PaymentMethod,
    Receivable,
    ReceivableKind,
)
from huikuan.org.models import Region

from . import values
from .kinds import (
    AMOUNT,
    BOOL,
    CHOICE,
    CODE,
    DATE,
    INT,
    KindSpec,
    header_says_wan,
    kind_spec,
    normalise_header,
    recognise,
)
from .models import ImportKind
from .reading import Table

MAX_ERRORS_KEPT = 1000
HEADER_SEARCH_ROWS = 10
CHUNK = 5000
TOTAL_WORDS = {"合计", "总计", "小计", "total", "grandtotal", "sum"}


def _choices(enum, extra: dict[str, str]) -> dict[str, str]:
    table = {}
    for value, label in enum.choices:
        table[str(value).lower()] = value
        table[str(label).lower()] = value
    for word, value in extra.items():
        table[word.lower()] = value
    return table


def choice_tables() -> dict[str, dict[str, str]]:
    """Words accepted for each choice column, Chinese first (built per call: labels translate)."""
    return {
        "contact_role": _choices(
            ContactRole,
            {
                "老板": ContactRole.BOSS,
                "决策人": ContactRole.BOSS,
                "老板/决策人": ContactRole.BOSS,
                "负责人": ContactRole.BOSS,
                "财务": ContactRole.FINANCE,
                "会计": ContactRole.FINANCE,
                "出纳": ContactRole.CASHIER,
                "采购": ContactRole.PURCHASING,
                "验收": ContactRole.ACCEPTANCE,
                "验收人": ContactRole.ACCEPTANCE,
                "付款责任人": ContactRole.PAYMENT_RESPONSIBLE,
                "boss": ContactRole.BOSS,
            },
        ),
        "seal": _choices(
            SealKind,
            {
                "合同专用章": SealKind.CONTRACT_SEAL,
                "合同章": SealKind.CONTRACT_SEAL,
                "公章": SealKind.COMPANY_SEAL,
                "个人章": SealKind.PERSONAL_STAMP,
                "私章": SealKind.PERSONAL_STAMP,
                "签字": SealKind.SIGNATURE,
                "未盖章": SealKind.NONE,
                "无": SealKind.NONE,
            },
        ),
        "method": _choices(
            PaymentMethod,
            {
                "银行转账": PaymentMethod.BANK_TRANSFER,
                "转账": PaymentMethod.BANK_TRANSFER,
                "电汇": PaymentMethod.BANK_TRANSFER,
                "网银": PaymentMethod.BANK_TRANSFER,
                "银行": PaymentMethod.BANK_TRANSFER,
                "承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
                "银行承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
                "商业承兑汇票": PaymentMethod.ACCEPTANCE_BILL,
                "承兑": PaymentMethod.ACCEPTANCE_BILL,
                "汇票": PaymentMethod.ACCEPTANCE_BILL,
                "现金": PaymentMethod.CASH,
                "在线": PaymentMethod.ONLINE,
                "线上": PaymentMethod.ONLINE,
                "支付宝": PaymentMethod.ONLINE,
                "微信": PaymentMethod.ONLINE,
            },
        ),
    }


@dataclass
class Plan:
    kind: str
    as_of: date
    table: Table
    header_row: int = 1
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    rows_total: int = 0
    errors: list[dict] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    summary: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # What the commit writes, kind by kind (see apply.py).
    new_customers: dict[str, dict] = field(default_factory=dict)
    creates: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    settlements: list[dict] = field(default_factory=list)
    batch_id: int = 0  # set by the commit: names the payments of money settled before import

    def error(self, row: int, column: str, message: str) -> None:
        self.error_rows.add(row)
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"row": row, "column": str(column), "message": str(message)})

    @property
    def error_count(self) -> int:
        return len(self.error_rows)

    @property
    def clean(self) -> bool:
        return not self.error_rows and not self.missing


# --- Header and columns -------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(kind: str, rows, mapping: dict[str, str]) -> tuple[int, list[str]]:
    """The header row: among the first rows, the one naming the most of the mapping's headers
    (or, without a mapping, the most recognised headers); title lines above it are skipped."""
    best = None
    for index, (number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        if mapping:
            wanted = {normalise_header(h) for h in mapping.values()}
            score = sum(1 for t in texts if t and normalise_header(t) in wanted)
        else:
            score = len(recognise(kind, texts))
        if best is None or score > best[0]:
            best = (score, index, number, texts)
    if best is None:
        raise invalid("file", _("The file has no rows."))
    return best[1], best[2], best[3]


def _columns(spec: KindSpec, headers: list[str], mapping: dict[str, str]):
    """Resolve ``mapping`` (field -> header text) to column indexes."""
    by_exact = {}
    by_normal = {}
    for index, text in enumerate(headers):
        if text:
            by_exact.setdefault(text, index)
            by_normal.setdefault(normalise_header(text), index)
    columns = {}
    for key, header in mapping.items():
        if not header:
            continue
        index = by_exact.get(str(header).strip())
        if index is None:
            index = by_normal.get(normalise_header(header))
        if index is not None:
            columns[key] = index
    return columns


def plan_table(
    *,
    kind: str,
    table: Table,
    as_of: date,
    mapping: dict[str, str] | None = None,
    lock: bool = False,
) -> Plan:
    """Read and check every row of ``table`` as a file of ``kind``; see the module docstring.

    ``mapping`` (field -> header) overrides the automatic recognition field by field; a mapped
    header the file does not have counts as not mapped. ``lock`` takes row locks on the existing
    records the plan would change (the commit plans with it, inside its transaction)."""
    spec = kind_spec(kind)
    unknown = set(mapping or {}) - {f.key for f in spec.fields}
    if unknown:
        raise invalid(
            "mapping", _("Unknown fields in the mapping: %(keys)s.") % {"keys": ", ".join(unknown)}
        )
    plan = Plan(kind=kind, as_of=as_of, table=table)
    rows = table.rows
    start, plan.header_row, plan.headers = _find_header(kind, rows, mapping or {})
    chosen = recognise(kind, plan.headers)
    for key, header in (mapping or {}).items():
        if header:
            chosen[key] = header
        else:
            chosen.pop(key, None)
    columns = _columns(spec, plan.headers, chosen)
    plan.mapping = {key: plan.headers[index] for key, index in columns.items()}
    plan.missing = [f.key for f in spec.fields if f.required and f.key not in columns]
    records = _read_rows(plan, spec, rows[start + 1 :], columns)
    if plan.missing:
        return plan
    PLANNERS[kind](plan, records, lock=lock)
    plan.summary = dict(plan.summary)
    return plan


def _read_rows(plan: Plan, spec: KindSpec, rows, columns: dict[str, int]) -> list[tuple]:
    """Parse each data row into {field: value}; a bad cell is an error of its row."""
    tables = choice_tables()
    readers = []
    for key, index in columns.items():
        f = spec.field(key)
        header = plan.headers[index]
        if f.parse == DATE:
            reader = values.parse_date
        elif f.parse == AMOUNT:
            wan = header_says_wan(header)
            reader = partial(values.parse_amount, wan=wan)
        elif f.parse == INT:
            reader = values.parse_int
        elif f.parse == BOOL:
            reader = values.parse_bool
        elif f.parse == CHOICE:
            table = tables[f.choices]
            reader = partial(_choice, table=table)
        elif f.parse == CODE:
            reader = partial(_code, max_length=f.max_length)
        else:
            reader = partial(values.parse_text, max_length=f.max_length)
        readers.append((key, index, header, f.required, reader))
    key_index = columns.get(spec.key_field)
    records = []
    for number, cells in rows:
        if not any(c not in ("", None) for c in cells):
            continue
        if _is_total_row(cells, key_index):
            continue
        plan.rows_total += 1
        record = {}
        bad = False
        width = len(cells)
        for key, index, header, required, reader in readers:
            raw = cells[index] if index < width else ""
            if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
                if required:
                    plan.error(number, header, _("This cell is empty."))
                    bad = True
                continue
            try:
                record[key] = reader(raw)
            except values.CellError as exc:
                plan.error(number, header, exc.message)
                bad = True
        if not bad:
            records.append((number, record))
    return records


def _choice(value, *, table: dict[str, str]) -> str:
    return values.parse_choice(value, table)


def _code(value, max_length: int) -> str:
    """A number or code: text as it is, a whole-number cell without Excel's ".0"."""
    if type(value) is str:
        text = value.strip()
        if text and text[0] != "=" and len(text) <= max_length and "\x00" not in text:
            return text
    return values.parse_text(_cell_text(value), max_length)


def _is_total_row(cells, key_index) -> bool:
    """A totals line (合计, 总计, Total …) under the data: its key cell, or its first filled
    cell when the key is empty, says so."""
    first = None
    if key_index is not None and key_index < len(cells):
        first = cells[key_index]
    if first in ("", None):
        first = next((c for c in cells if c not in ("", None)), "")
    if type(first) is not str or len(first) > 16:
        return False
    return first.strip().lower().replace(" ", "").replace("\u3000", "") in TOTAL_WORDS


def _header(plan: Plan, key: str) -> str:
    return plan.mapping.get(key) or str(kind_spec(plan.kind).field(key).label)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _duplicates(plan: Plan, records, key_of, key_field: str):
    """Drop and report a second row with the same key as an earlier one."""
    seen: dict = {}
    kept = []
    for number, record in records:
        key = key_of(record)
        if key in seen:
            plan.error(
                number,
                _header(plan, key_field),
                _("%(value)s appears again; first on row %(row)s.")
                % {"value": key if isinstance(key, str) else " / ".join(key), "row": seen[key]},
            )
            continue
        seen[key] = number
        kept.append((number, record))
    return kept


def _rows_by_number(model, columns: tuple[str, ...], numbers: list[str], *, lock: bool):
    """The rows of ``model`` whose ``number`` is one of ``numbers``, as tuples of ``columns``
    (money as fen, dates as dates): one query with an array on PostgreSQL, chunks on SQLite —
    far cheaper than the ORM for the hundred thousand numbers of a big file."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    date_at = [i for i, c in enumerate(columns) if c.endswith("_date") or c in ("received_on",)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {names} FROM {table} WHERE number = ANY(%s){suffix}", [numbers])
            yield from cursor.fetchall()
            return
        for chunk in _chunks(numbers, 900):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {names} FROM {table} WHERE number IN ({marks})", chunk)
            for row in cursor.fetchall():
                if date_at:
                    row = list(row)
                    for i in date_at:
                        if isinstance(row[i], str):
                            row[i] = date.fromisoformat(row[i])
                yield tuple(row)


# --- Lookups ------------------------------------------------------------------------------------


class Lookups:
    """What the rows refer to, loaded in a few queries: customers by code, users, regions,
    contracts."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._users = None
        self._regions = None

    def customers(self, codes) -> dict[str, dict]:
        found = {}
        for chunk in _chunks(sorted(set(codes))):
            for row in Customer.objects.filter(code__in=chunk).values(
                "id", "code", "owner_id", "payment_terms_days"
            ):
                found[row["code"]] = row
        return found

    def user(self, text: str):
        """A user by user name or full name; None when unknown or ambiguous (with the reason)."""
        if self._users is None:
            by_name: dict[str, list] = defaultdict(list)
            for user in (
                get_user_model()
                .objects.filter(is_active=True)
                .only("id", "username", "first_name", "last_name")
            ):
                names = {
                    user.username.lower(),
                    f"{user.last_name}{user.first_name}".lower(),
                    f"{user.first_name} {user.last_name}".strip().lower(),
                    user.get_full_name().lower(),
                }
                for name in names:
                    if name:
                        by_name[name].append(user.pk)
            self._users = {name: set(ids) for name, ids in by_name.items()}
        ids = self._users.get(text.strip().lower(), set())
        if len(ids) == 1:
            return next(iter(ids)), ""
        if not ids:
            return None, _("No user called %(name)s.") % {"name": text}
        return None, _("Several users are called %(name)s; use the user name.") % {"name": text}

    def region(self, text: str):
        if self._regions is None:
            self._regions = {}
            for region in Region.objects.all():
                self._regions.setdefault(region.code.lower(), region.pk)
                self._regions.setdefault(region.name.lower(), region.pk)
        return self._regions.get(text.strip().lower())

    def contracts(self, numbers) -> dict[str, dict]:
        found = {}
        for chunk in _chunks(sorted(set(numbers))):
            for row in Contract.objects.filter(number__in=chunk).values(
                "id", "number", "customer_id", "term_days", "currency"
            ):
                found[row["number"]] = row
        return found


def _resolve_customers(plan: Plan, records, lookups: Lookups) -> list[tuple]:
    """Give each record its customer: an existing one by code, or — when the row names it and
    the code is new — one this import creates (once per code, from its first row)."""
    existing = lookups.customers(r["customer"] for _n, r in records)
    kept = []
    for number, record in records:
        code = record["customer"]
        customer = existing.get(code)
        if customer is None:
            customer = plan.new_customers.get(code)
        if customer is None:
            name = record.get("customer_name")
            if not name:
                plan.error(
                    number,
                    _header(plan, "customer"),
                    _("No customer with code %(code)s; add a customer-name column to create it.")
                    % {"code": code},
                )
                continue
            owner_id = None
            if record.get("owner"):
                owner_id, problem = lookups.user(record["owner"])
                if owner_id is None:
                    plan.error(number, _header(plan, "owner"), problem)
                    continue
            customer = {
                "id": None,
                "code": code,
                "name": name,
                "owner_id": owner_id,
                "payment_terms_days": Customer._meta.get_field("payment_terms_days").default,
                "row": number,
            }
            plan.new_customers[code] = customer
        record["_customer"] = customer
        kept.append((number, record))
    plan.summary["customers_created"] = len(plan.new_customers)
    return kept


def _create_or_change(plan: Plan, current, fields: dict, number: int, identity: dict) -> None:
    """Plan a new record (``identity`` plus ``fields``) when there is no ``current`` one, else
    the fields that differ from it, else nothing."""
    if current is None:
        plan.creates.append({**identity, "row": number, **fields})
        plan.to_create += 1
        return
    changes = {k: v for k, v in fields.items() if getattr(current, k) != v}
    if changes:
        plan.updates.append({"object": current, "changes": changes, "row": number})
        plan.to_update += 1
    else:
        plan.unchanged += 1


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
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    lookups = Lookups(plan)
    records = _duplicates(plan, records, lambda r: (r["customer"], r["name"]), "name")
    customers = lookups.customers(r["customer"] for _n, r in records)
    existing = {}
    ids = [c["id"] for c in customers.values()]
    for chunk in _chunks(ids):
        query = Contact.objects.filter(customer_id__in=chunk)
        if lock:
            query = query.select_for_update()
        for contact in query.order_by("pk"):
            existing.setdefault((contact.customer_id, contact.name), contact)
    for number, record in records:
        customer = customers.get(record["customer"])
        if customer is None:
            plan.error(
                number,
                _header(plan, "customer"),
                _("No customer with code %(code)s.") % {"code": record["customer"]},
            )
            continue
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


def _posted_differs(plan: Plan, number: int, key: str, file_value, ledger_value) -> None:
    plan.error(
        number,
        _header(plan, key),
        _(
            "Already posted with %(ledger)s; the file says %(file)s. A posted document is "
            "never changed by an import: reverse it in Huikuan first."
        )
        % {"ledger": _shown(ledger_value), "file": _shown(file_value)},
    )


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return f"¥{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


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


def _resolve_customers_existing(plan: Plan, records, lookups: Lookups):
    customers = lookups.customers(r["customer"] for _n, r in records)
    kept = []
    for number, record in records:
        customer = customers.get(record["customer"])
        if customer is None:
            plan.error(
                number,
                _header(plan, "customer"),
                _("No customer with code %(code)s.") % {"code": record["customer"]},
            )
            continue
        record["_customer"] = customer
        kept.append((number, record))
    return kept


PLANNERS = {
    ImportKind.CUSTOMERS: plan_customers,
    ImportKind.CONTACTS: plan_contacts,
    ImportKind.CONTRACTS: plan_contracts,
    ImportKind.DELIVERIES: plan_deliveries,
    ImportKind.RECEIVABLES: plan_receivables,
    ImportKind.PAYMENTS: plan_payments,
    ImportKind.OPENING: plan_opening,
}
