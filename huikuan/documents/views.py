"""Letter pages: downloading an issued PDF, previewing one without storing it, recording that a
letter was posted, the balance confirmations waiting for their reply (with the signed scan), and
the template editor for letters and messages.

Every letter is looked up among the customers the user may see (others answer 404). Lawyer's
letters are previewed by managers, finance and administrators; the template editor is for
finance and administrators.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today, parse_iso_date
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to
from huikuan.notifications.selectors import message_template_rows, sample_customer
from huikuan.org.models import Role
from huikuan.web.access import get_customer_for_user
from huikuan.web.decorators import forbidden, role_required, user_has_role

from . import render as letters
from . import services
from .exports import confirmation_sheet
from .forms import (
    ConfirmationFilterForm,
    DocumentTemplateForm,
    MarkSentForm,
    ReplyForm,
    ScanForm,
)
from .models import (
    BalanceConfirmation,
    ConfirmationStatus,
    Document,
    DocumentKind,
    DocumentTemplate,
    Language,
    SentVia,
)
from .selectors import confirmations_for_list

TEMPLATE_EDITORS = (Role.FINANCE, Role.ADMIN)
LAWYER_READERS = (Role.MANAGER, Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 50


def _pdf_response(data, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _get_document_for_user(user, pk, *, with_pdf: bool = False) -> Document:
    documents = Document.objects.filter(customer__in=customers_visible_to(user))
    if not with_pdf:
        documents = documents.defer("pdf")
    return get_object_or_404(documents.select_related("customer"), pk=pk)


def _get_confirmation_for_user(user, pk) -> BalanceConfirmation:
    confirmations = BalanceConfirmation.objects.filter(customer__in=customers_visible_to(user))
    return get_object_or_404(
        confirmations.select_related(
            "document", "customer", "limitation_event", "replied_by"
        ).defer("scan", "document__pdf"),
        pk=pk,
    )


# --- PDFs --------------------------------------------------------------------------------------


@login_required
def document_pdf(request, pk):
    document = _get_document_for_user(request.user, pk, with_pdf=True)
    return _pdf_response(document.pdf, document.filename)


def _date_param(request, name: str, default: date | None) -> date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_iso_date(raw)
    except ValueError:
        raise Http404 from None


def _preview_error(request, error: ValidationError) -> HttpResponse:
    return render(request, "documents/_preview_error.html", {"errors": error.messages}, status=400)


@login_required
def preview_pdf(request):
    """A letter rendered now, without a number and without storing anything."""
    kind = request.GET.get("kind", "")
    language = request.GET.get("language", Language.ZH_HANS)
    if kind not in DocumentKind.values or language not in Language.values:
        raise Http404
    customer_pk = request.GET.get("customer", "")
    if not customer_pk.isdigit():
        raise Http404
    customer = get_customer_for_user(request.user, int(customer_pk))
    if kind == DocumentKind.LAWYER_LETTER and not user_has_role(request.user, *LAWYER_READERS):
        return forbidden(request)
    as_of = _date_param(request, "as_of", business_today())
    date_from = _date_param(request, "date_from", None)
    try:
        rendered = letters.render_html(
            kind=kind, customer=customer, as_of=as_of, date_from=date_from, language=language
        )
    except ValidationError as error:
        return _preview_error(request, error)
    return _pdf_response(letters.html_to_pdf(rendered.html), f"{kind}-preview.pdf")


# --- Recording the posting ----------------------------------------------------------------------


@login_required
def mark_sent(request, pk):
    document = _get_document_for_user(request.user, pk)
    form = MarkSentForm(request.POST or None, initial={"on": business_today(), "via": SentVia.POST})
    if request.method == "POST" and document.sent_on is None and form.is_valid():
        try:
            services.document_mark_sent(
                document=document,
                on=form.cleaned_data["on"],
                via=form.cleaned_data["via"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"document": NON_FIELD_ERRORS})
        else:
            messages.success(
                request, _("%(number)s is recorded as sent.") % {"number": document.number}
            )
            return redirect(reverse("documents:mark_sent", args=[document.pk]))
    context = {
        "document": document,
        "form": form,
        "confirmation": BalanceConfirmation.objects.filter(document=document).defer("scan").first(),
    }
    return render(request, "documents/mark_sent.html", context)


# --- Balance confirmations ----------------------------------------------------------------------


@login_required
def confirmation_list(request):
    form = ConfirmationFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    today = business_today()
    rows = confirmations_for_list(
        customers=customers_visible_to(request.user), status=status or None, as_of=today
    )
    if xlsx.wanted(request):
        sheet = confirmation_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="confirmations", on=today)
    context = {"form": form, "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))}
    return render(request, "documents/confirmation_list.html", context)


def _confirmation_page(request, confirmation, *, reply_form=None, scan_form=None, status=200):
    today = business_today()
    context = {
        "confirmation": confirmation,
        "document": confirmation.document,
        "reply_form": reply_form or ReplyForm(initial={"replied_on": today}),
        "scan_form": scan_form or ScanForm(),
        "can_reply": confirmation.status == ConfirmationStatus.SENT,
        "can_attach": confirmation.status
        in (ConfirmationStatus.AGREED, ConfirmationStatus.DISAGREED)
        and not confirmation.scan_sha256,
    }
    return render(request, "documents/confirmation_detail.html", context, status=status)


@login_required
def confirmation_detail(request, pk):
    return _confirmation_page(request, _get_confirmation_for_user(request.user, pk))


@login_required
@require_POST
def confirmation_reply(request, pk):
    confirmation = _get_confirmation_for_user(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.confirmation_reply_record(
                confirmation=confirmation,
                actor=request.user,
                replied_on=data["replied_on"],
                outcome=data["outcome"],
                their_balance=data["their_balance"],
                note=data["note"],
                scan=data["scan"],
                today=business_today(),
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"confirmation": NON_FIELD_ERRORS})
        else:
            messages.success(request, _("The customer's answer is recorded."))
            return redirect("documents:confirmation", pk=confirmation.pk)
    return _confirmation_page(request, confirmation, reply_form=form, status=400)


@login_required
@require_POST
def confirmation_attach(request, pk):
    confirmation = _get_confirmation_for_user(request.user, pk)
    form = ScanForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.confirmation_scan_attach(
                confirmation=confirmation,
                actor=request.user,
                scan=form.cleaned_data["scan"],
                today=business_today(),
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"confirmation": NON_FIELD_ERRORS})
        else:
            messages.success(request, _("The signed scan is attached."))
            return redirect("documents:confirmation", pk=confirmation.pk)
    return _confirmation_page(request, confirmation, scan_form=form, status=400)


@login_required
def confirmation_scan(request, pk):
    confirmation = _get_confirmation_for_user(request.user, pk)
    scan = BalanceConfirmation.objects.values_list("scan", flat=True).get(pk=confirmation.pk)
    if not scan:
        raise Http404
    response = HttpResponse(bytes(scan), content_type=confirmation.scan_type)
    name = confirmation.scan_name or f"{confirmation.document.number}-reply"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Template editor ----------------------------------------------------------------------------


@role_required(*TEMPLATE_EDITORS)
def template_list(request):
    saved = {}
    for row in DocumentTemplate.objects.select_related("created_by").order_by("-version"):
        saved.setdefault((row.kind, row.language), row)
    documents = [
        {
            "kind": kind,
            "language": language,
            "current": saved.get((kind.value, language.value)),
        }
        for kind in DocumentKind
        for language in Language
    ]
    context = {"documents": documents, "message_rows": message_template_rows()}
    return render(request, "documents/template_list.html", context)


def _template_target(kind: str, language: str) -> None:
    if kind not in DocumentKind.values or language not in Language.values:
        raise Http404


@role_required(*TEMPLATE_EDITORS)
def template_edit(request, kind, language):
    _template_target(kind, language)
    today = business_today()
    history = list(
        DocumentTemplate.objects.filter(kind=kind, language=language)
        .select_related("created_by")
        .order_by("-version")
    )
    body, version = letters.template_source(kind, language)
    shown = request.GET.get("version", "")
    if shown.isdigit():
        old = next((t for t in history if t.version == int(shown)), None)
        if old is None:
            raise Http404
        body = old.body
    visible = customers_visible_to(request.user)
    sample = sample_customer(customers=visible, as_of=today)
    form = DocumentTemplateForm(
        request.POST or None,
        initial={"body": body, "customer": sample.code if sample else "", "as_of": today},
    )
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "reset":
        try:
            services.document_template_reset(kind=kind, language=language, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The built-in template is in use again."))
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.document_template_save(
                kind=kind,
                language=language,
                body=form.cleaned_data["body"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s is saved; letters issued from now on use it.")
                % {"version": template.version},
            )
            return redirect(request.path)
    context = {
        "kind": DocumentKind(kind),
        "language": Language(language),
        "form": form,
        "version": version,
        "history": history,
        "shown": int(shown) if shown.isdigit() else None,
        "sample": sample,
        "preview_url": reverse("documents:template_preview", args=[kind, language]),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "documents/template_form.html", context, status=status)


@role_required(*TEMPLATE_EDITORS)
@require_POST
def template_preview(request, kind, language):
    """The edited template rendered as a PDF for a customer the user sees (nothing stored)."""
    _template_target(kind, language)
    form = DocumentTemplateForm(request.POST)
    if not form.is_valid():
        return _preview_error(request, ValidationError(form.errors.as_text()))
    today = business_today()
    customer = sample_customer(
        customers=customers_visible_to(request.user),
        as_of=form.cleaned_data["as_of"] or today,
        code=form.cleaned_data["customer"],
    )
    if customer is None:
        return _preview_error(request, ValidationError(_("There is no such customer among yours.")))
    try:
        rendered = letters.render_html(
            kind=kind,
            customer=customer,
            as_of=form.cleaned_data["as_of"] or today,
            language=language,
            body=form.cleaned_data["body"],
        )
    except ValidationError as error:
        return _preview_error(request, error)
    return _pdf_response(letters.html_to_pdf(rendered.html), f"{kind}-preview.pdf")
