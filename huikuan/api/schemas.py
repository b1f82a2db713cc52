"""Request and response shapes of the API. Shape only: every rule lives in the services.

Amounts travel as decimal strings ("1234.50"). A JSON integer (``1234``) is exact and accepted; a
JSON number with a fraction or an exponent (``1234.5``, ``1e3``) is refused, because JSON parsers
read it as a binary float and money is never a float. More than two decimal places is an error,
never silently rounded ("12.300" is fine: nothing is lost). Dates are ``YYYY-MM-DD`` strings.
Unknown fields in a request body are refused, so a misspelt field is never silently ignored.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from huikuan.core.dates import parse_iso_date
from huikuan.core.money import money_str, quantize
from huikuan.ledger.models import PaymentMethod

# --- Field types ----------------------------------------------------------------------------------

AMOUNT_TEXT = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")
# Amounts are stored as a signed 64-bit number of fen; 15 digits of yuan stay far inside it.
MAX_YUAN_DIGITS = 15


def parse_amount(value: Any) -> Decimal:
    """A request amount as a two-place ``Decimal``; refuse floats, bad text and extra places."""
    if isinstance(value, float):
        raise PydanticCustomError(
            "amount_float",
            _('Money is never a float: send the amount as a decimal string such as "1234.50".'),
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError(
            "amount_type", _('Give the amount as a decimal string such as "1234.50".')
        )
    text = str(value).strip()
    match = AMOUNT_TEXT.match(text)
    if match is None:
        raise PydanticCustomError(
            "amount_format", _('Give the amount as a decimal string such as "1234.50".')
        )
    if len(match.group(1).lstrip("0")) > MAX_YUAN_DIGITS:
        raise PydanticCustomError("amount_size", _("The amount is too large."))
    amount = Decimal(text)
    if amount != quantize(amount):
        raise PydanticCustomError(
            "amount_places", _("An amount has at most two decimal places (fen).")
        )
    return quantize(amount)


DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Far outside any real business date, yet far enough from the calendar's ends that date arithmetic
# in the reports (as_of minus the bucket edges) cannot overflow.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)


def parse_date(value: Any) -> dt.date:
    """A ``YYYY-MM-DD`` string as a date (and nothing else: no timestamps, no times)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not DATE_TEXT.match(value.strip()):
        raise PydanticCustomError("date_format", _("Give a date in YYYY-MM-DD form."))
    try:
        day = parse_iso_date(value)
    except ValueError:
        raise PydanticCustomError("date_value", _("There is no such date.")) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise PydanticCustomError(
            "date_range",
            _("Give a date between %(first)s and %(last)s.")
            % {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()},
        )
    return day


def check_text(value: str) -> str:
    # PostgreSQL cannot store or even compare text containing NUL: refuse it as bad input.
    if "\x00" in value:
        raise PydanticCustomError("text_nul", _("Text may not contain NUL characters."))
    return value


CURRENCY_TEXT = re.compile(r"^[A-Z]{3}$")


def parse_currency(value: Any) -> str:
    if not isinstance(value, str) or not CURRENCY_TEXT.match(value):
        raise PydanticCustomError(
            "currency", _("Give a three-letter currency code in capitals, such as CNY.")
        )
    return value


AUTO_OR_NONE = ("auto", "none")


def parse_allocate(value: Any) -> str | list[tuple[str, Decimal]]:
    """``"auto"``, ``"none"`` or ``[{"receivable": number, "amount": "…"}, …]`` as the
    ``(number, amount)`` lines the ledger services take."""
    if isinstance(value, str) and value in AUTO_OR_NONE:
        return value
    if not isinstance(value, list):
        raise PydanticCustomError(
            "allocate",
            _('Use "auto", "none", or a list of objects with "receivable" and "amount".'),
        )
    lines = []
    for index, line in enumerate(value, start=1):
        if not isinstance(line, dict) or set(line) != {"receivable", "amount"}:
            raise PydanticCustomError(
                "allocate_line",
                _('Line %(n)s: give an object with exactly "receivable" and "amount".')
                % {"n": index},
            )
        number = line["receivable"]
        if not isinstance(number, str) or not number.strip() or "\x00" in number:
            raise PydanticCustomError(
                "allocate_line",
                _("Line %(n)s: give the receivable's number as text.") % {"n": index},
            )
        try:
            amount = parse_amount(line["amount"])
        except PydanticCustomError as exc:
            raise PydanticCustomError(
                "allocate_line",
                _("Line %(n)s: %(problem)s") % {"n": index, "problem": exc.message()},
            ) from None
        lines.append((number.strip(), amount))
    return lines


_AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": r"^\d+(\.\d{1,2})?$",
    "examples": ["1234.50"],
    "description": "Decimal string, at most two decimal places. Never a JSON float.",
}

Amount = Annotated[Decimal, BeforeValidator(parse_amount), WithJsonSchema(_AMOUNT_SCHEMA)]
Money = Annotated[
    Decimal,
    PlainSerializer(money_str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]}),
]
Date = Annotated[
    dt.date,
    BeforeValidator(parse_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-22"]}),
]
Currency = Annotated[
    str,
    BeforeValidator(parse_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "default": "CNY"}),
]
_LINE_SCHEMA = {
    "type": "object",
    "properties": {"receivable": {"type": "string"}, "amount": _AMOUNT_SCHEMA},
    "required": ["receivable", "amount"],
    "additionalProperties": False,
}
Allocate = Annotated[
    Any,
    BeforeValidator(parse_allocate),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "enum": list(AUTO_OR_NONE)},
                {"type": "array", "items": _LINE_SCHEMA},
            ],
            "default": "auto",
            "description": '"auto": oldest due first; "none": keep it all as credit; '
            "or explicit lines.",
        }
    ),
]
Text = Annotated[str, AfterValidator(check_text)]
Method = Literal[tuple(PaymentMethod.values)]


class RequestBody(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Errors -----------------------------------------------------------------------------------


class ErrorItem(Schema):
    field: str = Field(description="The request field at fault, or __all__.")
    message: str


class ErrorOut(Schema):
    detail: list[ErrorItem]


# Error answers an endpoint documents: reads may also be refused (403) by the dunning and risk
# routers; every write may answer any of these.
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}

# --- Customers --------------------------------------------------------------------------------


class CustomerIn(RequestBody):
    code: Text = Field(description="The ERP's customer code; unique.")
    name: Text
    region: Text | None = Field(None, description="Region code.")
    owner: Text | None = Field(None, description="Username of the owner rep.")


class CustomerOut(Schema):
    code: str
    name: str
    region: str | None
    owner: str | None
    status: str

    @staticmethod
    def resolve_region(obj) -> str | None:
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_owner(obj) -> str | None:
        return obj.owner.username if obj.owner_id else None


class CustomerDetailOut(CustomerOut):
    outstanding: Money = Field(description="Sum of its receivables' outstanding balances.")
    open_receivables: int
    unapplied_credit: Money = Field(description="Payments and credit notes not yet allocated.")

    @staticmethod
    def resolve_outstanding(obj):
        return obj.balance.outstanding

    @staticmethod
    def resolve_open_receivables(obj):
        return obj.balance.open_receivables

    @staticmethod
    def resolve_unapplied_credit(obj):
        return obj.balance.unapplied_credit


# --- Allocation lines -------------------------------------------------------------------------


class AllocationOut(Schema):
    receivable: str
    document: str = Field(description="Number of the payment, credit note or write-off.")
    document_kind: Literal["payment", "credit_note", "write_off"]
    amount: Money = Field(description="Negative on a line that reverses an earlier one.")
    applied_on: dt.date
    reversal: str | None = Field(description="Number of the reversal document, on such lines.")

    @staticmethod
    def resolve_receivable(obj) -> str:
        return obj.receivable.number

    @staticmethod
    def resolve_document(obj) -> str:
        return (obj.payment or obj.write_off).number

    @staticmethod
    def resolve_document_kind(obj) -> str:
        return obj.payment.kind if obj.payment_id else "write_off"

    @staticmethod
    def resolve_reversal(obj) -> str | None:
        return obj.reversal.number if obj.reversal_id else None


# --- Receivables ------------------------------------------------------------------------------


class ReceivableIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    number: Text = Field(description="Document number; unique.")
    issue_date: Date
    due_date: Date
    amount: Amount
    currency: Currency = "CNY"
    description: Text = ""


class ReceivableOut(Schema):
    number: str
    customer: str
    kind: str
    issue_date: dt.date
    due_date: dt.date
    amount: Money
    outstanding: Money
    currency: str
    description: str

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code


class ReceivableDetailOut(ReceivableOut):
    allocations: list[AllocationOut]


class WriteOffIn(RequestBody):
    date: Date
    reason: Text


class WriteOffOut(Schema):
    number: str
    date: dt.date
    amount: Money
    reason: str
    receivable: ReceivableDetailOut

    @staticmethod
    def resolve_date(obj) -> dt.date:
        return obj.written_off_on


# --- Payments and credit notes ------------------------------------------------------------------


class ReversalInfo(Schema):
    number: str
    date: dt.date
    reason: str

    @staticmethod
    def resolve_date(obj) -> dt.date:
        return obj.reversed_on


class ReverseIn(RequestBody):
    date: Date
    reason: Text


class PaymentIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    number: Text = Field(description="Document number; unique among payments.")
    received_on: Date
    amount: Amount
    method: Method = "bank_transfer"
    currency: Currency = "CNY"
    reference: Text = Field("", description="Bank reference.")
    note: Text = ""
    allocate: Allocate = "auto"


class CreditNoteIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    number: Text = Field(description="Document number; unique among credit notes.")
    issued_on: Date
    amount: Amount
    currency: Currency = "CNY"
    note: Text = ""
    allocate: Allocate = "auto"


class _DocumentOut(Schema):
    number: str
    customer: str
    amount: Money
    allocated: Money
    unapplied: Money = Field(description="Left as credit on the customer; zero once reversed.")
    currency: str
    note: str
    reversal: ReversalInfo | None
    allocations: list[AllocationOut]

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_unapplied(obj):
        return obj.unapplied_credit

    @staticmethod
    def resolve_reversal(obj):
        return getattr(obj, "reversal", None)


class PaymentOut(_DocumentOut):
    received_on: dt.date
    method: str
    reference: str


class CreditNoteOut(_DocumentOut):
    issued_on: dt.date

    @staticmethod
    def resolve_issued_on(obj) -> dt.date:
        return obj.received_on


class PaymentReversalOut(Schema):
    number: str
    date: dt.date
    reason: str
    payment: PaymentOut


class CreditNoteReversalOut(Schema):
    number: str
    date: dt.date
    reason: str
    credit_note: CreditNoteOut


# --- Reports ----------------------------------------------------------------------------------

Grouping = Literal["customer", "rep", "region", "portfolio"]


class AgingColumn(Schema):
    key: str
    label: str


_AGING_ROW_SCHEMA = {
    "type": "object",
    "description": "key, label, one decimal string per bucket column (see columns), total, "
    "unapplied_credit. Default columns: not_due, d1_30, d31_60, d61_90, d91_180, d181_365, "
    "over_365.",
    "properties": {
        name: {"type": "string"}
        for name in (
            "key",
            "label",
            "not_due",
            "d1_30",
            "d31_60",
            "d61_90",
            "d91_180",
            "d181_365",
            "over_365",
            "total",
            "unapplied_credit",
        )
    },
    "required": ["key", "label", "total", "unapplied_credit"],
    "additionalProperties": {"type": "string"},
}


class AgingOut(Schema):
    as_of: dt.date
    by: Grouping
    columns: list[AgingColumn] = Field(description="The bucket columns, in order.")
    rows: list[Annotated[dict[str, str], WithJsonSchema(_AGING_ROW_SCHEMA)]]


class ClassRowOut(Schema):
    key: str
    label: str
    amount: Money
    count: int
    expected_recovery: Money
    provision: Money


class ClassTotalsOut(Schema):
    amount: Money
    count: int
    expected_recovery: Money
    provision: Money


class ClassesOut(Schema):
    as_of: dt.date
    rows: list[ClassRowOut]
    totals: ClassTotalsOut
