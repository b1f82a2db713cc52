"""Planning an import: find the header row and the columns, read and check every row, and decide
for each record whether it is new, changed or unchanged — without writing anything.

A plan is all a commit needs (``apply.py`` writes it), so the preview and the commit can never
disagree: the commit plans again inside its transaction, with the rows it may change locked.
Row numbers are the sheet's own, as the user sees them in Excel.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext as _

from huikuan.contracts.models import Contract, SealKind
from huikuan.core.errors import invalid
from huikuan.customers.models import ContactRole, Customer
from huikuan.ledger.models import (
    PaymentMethod,
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
    from .planners import PLANNERS  # the planners build on this module

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
