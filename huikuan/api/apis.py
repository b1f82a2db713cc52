"""The REST API under ``/api/v1/`` for ERP integration (django-ninja).

Each endpoint checks the request's shape, finds the objects it names among those the token's
user may see (``customers_visible_to``: anything else is a 404, exactly like a missing object),
checks the role for writes, and calls one service or selector with ``actor`` set to that user.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from huikuan.core.dates import business_today
from huikuan.core.errors import invalid
from huikuan.core.money import money_str
from huikuan.customers.selectors import customers_matching, customers_visible_to
from huikuan.customers.services import customer_create
from huikuan.ledger.models import Payment, PaymentKind, Receivable
from huikuan.ledger.selectors import customer_balance, payments_with_credit, receivables_with_lines
from huikuan.ledger.services import (
    payment_record,
    payment_reverse,
    receivable_create,
    receivable_write_off,
)
from huikuan.org.models import Region, User
from huikuan.reports.policy import aging_bands
from huikuan.reports.selectors import aging, class_report

from . import errors, idempotency
from .auth import BearerToken, require_ledger_role
from .dunning_apis import router as dunning_router
from .errors import not_found
from .imports_apis import router as imports_router
from .notifications_apis import router as notifications_router
from .risk_apis import add_customer_paths
from .risk_apis import router as risk_router
from .schemas import (
    AgingOut,
    ClassesOut,
    CreditNoteIn,
    CreditNoteOut,
    CreditNoteReversalOut,
    CustomerDetailOut,
    CustomerIn,
    CustomerOut,
    Date,
    ErrorOut,
    Grouping,
    PaymentIn,
    PaymentOut,
    PaymentReversalOut,
    ReceivableDetailOut,
    ReceivableIn,
    ReceivableOut,
    ReverseIn,
    Text,
    WriteOffIn,
    WriteOffOut,
)

DESCRIPTION = """
Receivables, payments and reports of Huikuan for ERP integration.

* **Auth**: `Authorization: Bearer <token>`; tokens come from `huikuan create-api-token USERNAME`.
* **Scope**: a token sees what its user sees (a rep: own customers; a manager: the team's;
  finance and admins: all). Anything else answers 404, exactly like something that does not exist.
* **Roles**: posting customers, receivables, payments, credit notes, write-offs and reversals
  needs role finance or admin (403 otherwise). Collection work (tasks, contacts, promises,
  disputes, approval requests) is open to whoever sees the customer; deciding an approval needs
  a manager or admin, starting the daily run an admin. The credit check and recording a
  warning signal are open to whoever sees the customer; credit limits, terms, ratings, holds and
  handling signals need a manager (own team), finance or admin, exceptions a manager or admin.
* **Money**: decimal strings such as `"1234.50"`, at most two decimal places, never JSON floats.
* **Idempotency**: send `Idempotency-Key: <a new UUID>` with a POST; sending the same request
  again with the same key within 24 hours answers the first response again (with
  `Idempotent-Replayed: true`) instead of posting twice. The same key with another body: 422;
  while the first request is still running: 409.
* **Imports**: upload an Excel or CSV file to `/imports/{kind}` (multipart/form-data) to check
  it, then commit it; finance and admins only.
* **Errors**: every 4xx answer is `{"detail": [{"field": "...", "message": "..."}]}`;
  409 for a duplicate document number or customer code, 422 for anything else that is wrong.
  A refused request writes nothing.
"""


class HuikuanAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # "payments_create" rather than the default "huikuan_api_apis_payments_create".
        return operation.view_func.__name__

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            # Idempotency outermost: a replay answers exactly what the client got the first time.
            pattern.callback = idempotency.idempotent(errors.json_fallbacks(pattern.callback))
        return patterns, app_name, namespace

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return idempotency.add_header_to_schema(schema)


api = HuikuanAPI(
    title="Huikuan API",
    version="1",
    description=DESCRIPTION,
    auth=BearerToken(),
    # The Swagger page is served from ninja's own static files only when "ninja" is an installed
    # app; otherwise it would load from a CDN, which intranet installations cannot reach.
    docs_url="/docs" if "ninja" in settings.INSTALLED_APPS else None,
)
errors.install(api)


class Pages(LimitOffsetPagination):
    """``limit`` (1–500, default 50) and ``offset``; answers ``{"items": [...], "count": n}``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500)
        offset: int = Field(0, ge=0, le=1_000_000_000)


READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def _visible(request):
    return customers_visible_to(request.auth)


def _customer(request, code: str, field: str = "customer"):
    customer = _visible(request).select_related("region", "owner").filter(code=code).first()
    if customer is None:
        raise not_found(field, _("There is no customer with code %(code)s.") % {"code": code})
    return customer


def _receivable(request, number: str, field: str = "number") -> Receivable:
    receivable = (
        receivables_with_lines(Receivable.objects.filter(customer__in=_visible(request)))
        .filter(number=number)
        .first()
    )
    if receivable is None:
        raise not_found(
            field, _("There is no receivable with number %(number)s.") % {"number": number}
        )
    return receivable


def _document(request, number: str, kind: str, field: str = "number") -> Payment:
    payment = (
        payments_with_credit(Payment.objects.filter(customer__in=_visible(request), kind=kind))
        .filter(number=number)
        .first()
    )
    if payment is None:
        message = (
            _("There is no payment with number %(number)s.")
            if kind == PaymentKind.PAYMENT
            else _("There is no credit note with number %(number)s.")
        )
        raise not_found(field, message % {"number": number})
    return payment


# --- Customers --------------------------------------------------------------------------------


@api.post("/customers", response={201: CustomerOut, **WRITE_ERRORS}, tags=["customers"])
def customers_create(request, payload: CustomerIn):
    """Create a customer (finance or admin)."""
    require_ledger_role(request.auth)
    region = owner = None
    if payload.region:
        region = Region.objects.filter(code=payload.region).first()
        if region is None:
            raise invalid(
                "region", _("There is no region with code %(code)s.") % {"code": payload.region}
            )
    if payload.owner:
        owner = User.objects.filter(username=payload.owner, is_active=True).first()
        if owner is None:
            raise invalid(
                "owner",
                _("There is no active user with username %(username)s.")
                % {"username": payload.owner},
            )
    customer = customer_create(
        code=payload.code, name=payload.name, region=region, owner=owner, actor=request.auth
    )
    return Status(201, customer)


@api.get("/customers", response={200: list[CustomerOut], **READ_ERRORS}, tags=["customers"])
@paginate(Pages)
def customers_list(request, q: Text = ""):
    """Customers you may see, by code; ``q`` filters on code or name (contains)."""
    customers = customers_matching(customers=_visible(request), search=q)
    return customers.select_related("region", "owner").order_by("code")


# Before /customers/{code}, whose path parameter would take ".../credit-profile" too.
add_customer_paths(api)


@api.get(
    "/customers/{path:code}", response={200: CustomerDetailOut, **READ_ERRORS}, tags=["customers"]
)
def customers_detail(request, code: Text):
    """One customer with what it owes (outstanding) and what it holds as unapplied credit."""
    customer = _customer(request, code, field="code")
    customer.balance = customer_balance(customer=customer)
    return customer


# --- Receivables ------------------------------------------------------------------------------


@api.post(
    "/receivables/{path:number}/write-off",
    response={201: WriteOffOut, **WRITE_ERRORS},
    tags=["receivables"],
)
def receivables_write_off(request, number: Text, payload: WriteOffIn):
    """Write off what the receivable still owes as of ``date`` (finance or admin)."""
    receivable = _receivable(request, number)
    require_ledger_role(request.auth)
    write_off = receivable_write_off(
        receivable=receivable, on=payload.date, reason=payload.reason, actor=request.auth
    )
    write_off.receivable = _receivable(request, receivable.number)
    return Status(201, write_off)


@api.post("/receivables", response={201: ReceivableOut, **WRITE_ERRORS}, tags=["receivables"])
def receivables_create(request, payload: ReceivableIn):
    """Post a receivable (finance or admin); its outstanding starts at its amount."""
    customer = _customer(request, payload.customer)
    require_ledger_role(request.auth)
    receivable = receivable_create(
        customer=customer,
        number=payload.number,
        issue_date=payload.issue_date,
        due_date=payload.due_date,
        amount=payload.amount,
        currency=payload.currency,
        description=payload.description,
        actor=request.auth,
    )
    return Status(201, receivable)


@api.get("/receivables", response={200: list[ReceivableOut], **READ_ERRORS}, tags=["receivables"])
@paginate(Pages)
def receivables_list(request, customer: Text = "", open: bool = False):
    """Receivables you may see, by due date; filter by customer code, or only open ones."""
    receivables = (
        Receivable.objects.filter(customer__in=_visible(request))
        .select_related("customer")
        .order_by("due_date", "pk")
    )
    if customer:
        receivables = receivables.filter(customer__code=customer)
    if open:
        receivables = receivables.filter(outstanding__gt=0)
    return receivables


@api.get(
    "/receivables/{path:number}",
    response={200: ReceivableDetailOut, **READ_ERRORS},
    tags=["receivables"],
)
def receivables_detail(request, number: Text):
    """One receivable with every allocation line that settled (or reopened) it."""
    return _receivable(request, number)


# --- Payments ---------------------------------------------------------------------------------


def _reverse(request, number: str, kind: str, payload, *, key: str):
    """Reverse a visible payment or credit note (finance or admin) and answer with the document
    as it stands after the reversal under ``key``."""
    document = _document(request, number, kind)
    require_ledger_role(request.auth)
    reversal = payment_reverse(
        payment=document, on=payload.date, reason=payload.reason, actor=request.auth
    )
    return Status(
        201,
        {
            "number": reversal.number,
            "date": reversal.reversed_on,
            "reason": reversal.reason,
            key: _document(request, number, kind),
        },
    )


def _documents(request, kind: str, customer: str):
    """Visible payments or credit notes, newest first, optionally of one customer code."""
    documents = Payment.objects.filter(customer__in=_visible(request), kind=kind)
    if customer:
        documents = documents.filter(customer__code=customer)
    return payments_with_credit(documents).order_by("-received_on", "-pk")


@api.post(
    "/payments/{path:number}/reverse",
    response={201: PaymentReversalOut, **WRITE_ERRORS},
    tags=["payments"],
)
def payments_reverse(request, number: Text, payload: ReverseIn):
    """Reverse a payment from ``date``: the receivables it settled are open again."""
    return _reverse(request, number, PaymentKind.PAYMENT, payload, key="payment")


@api.post("/payments", response={201: PaymentOut, **WRITE_ERRORS}, tags=["payments"])
def payments_create(request, payload: PaymentIn):
    """Record a payment and allocate it (finance or admin); the rest stays as credit."""
    customer = _customer(request, payload.customer)
    require_ledger_role(request.auth)
    payment = payment_record(
        customer=customer,
        number=payload.number,
        received_on=payload.received_on,
        amount=payload.amount,
        kind=PaymentKind.PAYMENT,
        method=payload.method,
        currency=payload.currency,
        reference=payload.reference,
        note=payload.note,
        allocate=payload.allocate,
        actor=request.auth,
    )
    return Status(201, _document(request, payment.number, PaymentKind.PAYMENT))


@api.get("/payments", response={200: list[PaymentOut], **READ_ERRORS}, tags=["payments"])
@paginate(Pages)
def payments_list(request, customer: Text = ""):
    """Payments you may see, newest first; filter by customer code."""
    return _documents(request, PaymentKind.PAYMENT, customer)


@api.get("/payments/{path:number}", response={200: PaymentOut, **READ_ERRORS}, tags=["payments"])
def payments_detail(request, number: Text):
    """One payment with its allocation lines."""
    return _document(request, number, PaymentKind.PAYMENT)


# --- Credit notes -----------------------------------------------------------------------------


@api.post(
    "/credit-notes/{path:number}/reverse",
    response={201: CreditNoteReversalOut, **WRITE_ERRORS},
    tags=["credit notes"],
)
def credit_notes_reverse(request, number: Text, payload: ReverseIn):
    """Reverse a credit note from ``date``: the receivables it settled are open again."""
    return _reverse(request, number, PaymentKind.CREDIT_NOTE, payload, key="credit_note")


@api.post("/credit-notes", response={201: CreditNoteOut, **WRITE_ERRORS}, tags=["credit notes"])
def credit_notes_create(request, payload: CreditNoteIn):
    """Issue a credit note and allocate it like a payment (finance or admin)."""
    customer = _customer(request, payload.customer)
    require_ledger_role(request.auth)
    note = payment_record(
        customer=customer,
        number=payload.number,
        received_on=payload.issued_on,
        amount=payload.amount,
        kind=PaymentKind.CREDIT_NOTE,
        currency=payload.currency,
        note=payload.note,
        allocate=payload.allocate,
        actor=request.auth,
    )
    return Status(201, _document(request, note.number, PaymentKind.CREDIT_NOTE))


@api.get("/credit-notes", response={200: list[CreditNoteOut], **READ_ERRORS}, tags=["credit notes"])
@paginate(Pages)
def credit_notes_list(request, customer: Text = ""):
    """Credit notes you may see, newest first; filter by customer code."""
    return _documents(request, PaymentKind.CREDIT_NOTE, customer)


@api.get(
    "/credit-notes/{path:number}",
    response={200: CreditNoteOut, **READ_ERRORS},
    tags=["credit notes"],
)
def credit_notes_detail(request, number: Text):
    """One credit note with its allocation lines."""
    return _document(request, number, PaymentKind.CREDIT_NOTE)


# --- Reports ----------------------------------------------------------------------------------


@api.get("/reports/aging", response={200: AgingOut, **READ_ERRORS}, tags=["reports"])
def reports_aging(request, as_of: Date = None, by: Grouping = "customer"):
    """Aging of what you may see as of a date (default today in Asia/Shanghai) — the same
    figures as ``huikuan aging``."""
    as_of = as_of or business_today()
    bands = aging_bands()
    rows = aging(as_of=as_of, by=by, customers=_visible(request))
    return {
        "as_of": as_of,
        "by": by,
        "columns": [{"key": band.key, "label": band.label} for band in bands],
        "rows": [
            {
                "key": row.key,
                "label": row.label,
                **{band.key: money_str(row.buckets[band.key]) for band in bands},
                "total": money_str(row.total),
                "unapplied_credit": money_str(row.unapplied_credit),
            }
            for row in rows
        ],
    }


@api.get("/reports/classes", response={200: ClassesOut, **READ_ERRORS}, tags=["reports"])
def reports_classes(request, as_of: Date = None):
    """The five classes (货款五类) as of a date: amount, count, expected recovery, provision."""
    as_of = as_of or business_today()
    report = class_report(as_of=as_of, customers=_visible(request))
    return {
        "as_of": as_of,
        "rows": report.rows,
        "totals": {
            "amount": report.total_amount,
            "count": sum(row.count for row in report.rows),
            "expected_recovery": report.total_expected_recovery,
            "provision": report.total_provision,
        },
    }


# --- Collection work (tasks, activities, promises, disputes, approvals, the daily run) --------

api.add_router("", dunning_router)

# --- Credit control (the credit check, decisions, profiles, holds, exceptions, signals) -------

api.add_router("", risk_router)

# --- Letters and messages (documents, confirmations, the outbox, alerts) ----------------------

api.add_router("", notifications_router)

# --- Imports (Excel and CSV files: preview, commit, history, saved mappings) -----------------

api.add_router("", imports_router)

# --- Anything else ----------------------------------------------------------------------------

# On a router of its own, added last: Django tries the routers' URLs in order, and this one
# matches every path.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_path(request, rest: str):
    raise not_found("__all__", _("There is no such API endpoint: %(path)s.") % {"path": rest})


api.add_router("", fallback)
