"""Message pages: composing a letter or a dunning message from a case (preview, then send), the
outbox with its alerts, one message with its delivery log, and the words of each dunning level.

Every object is looked up among what the user may see (a message of another team's customer, or
a robot's message for a rep, answers 404). Lawyer's letters are sent by managers and
administrators; message templates are edited by finance and administrators.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to
from huikuan.documents.models import Document, DocumentKind, Language
from huikuan.documents.render import render_html
from huikuan.documents.selectors import customer_contacts
from huikuan.documents.services import document_issue, may_issue
from huikuan.dunning.models import DunningLevel
from huikuan.dunning.selectors import current_level
from huikuan.org.models import Role
from huikuan.web.access import get_customer_for_user
from huikuan.web.decorators import role_required

from . import outbox, selectors, services, templating
from .exports import message_sheets
from .forms import MESSAGE, POST, ComposeForm, MessageTemplateForm, OutboxFilterForm, RequeueForm
from .models import Channel, Message, MessageStatus

TEMPLATE_EDITORS = (Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 50


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Compose from a case ------------------------------------------------------------------------


def preview_pdf_url(*, kind, customer, as_of, language, date_from=None) -> str:
    params = {"kind": kind, "customer": customer.pk, "as_of": as_of.isoformat()}
    params["language"] = language
    if date_from:
        params["date_from"] = date_from.isoformat()
    return f"{reverse('documents:preview')}?{urlencode(params)}"


def _preview(customer, form: ComposeForm) -> dict:
    """What the customer would receive, without writing anything."""
    data = form.cleaned_data
    language, as_of, channel = data["language"], data["as_of"], data["channel"]
    if form.is_message:
        words = templating.message_for_level(
            level=form.level,
            channel=channel,
            language=language,
            customer=customer,
            as_of=as_of,
            recipient=form.recipient,
        )
        return {"subject": words.subject, "text": words.text, "pdf_url": ""}
    kind = data["what"]
    rendered = render_html(
        kind=kind, customer=customer, as_of=as_of, date_from=data["date_from"], language=language
    )
    preview = {
        "subject": "",
        "text": "",
        "pdf_url": preview_pdf_url(
            kind=kind,
            customer=customer,
            as_of=as_of,
            language=language,
            date_from=data["date_from"],
        ),
        "total": rendered.total,
    }
    if channel == Channel.EMAIL:
        draft = Document(
            kind=kind, customer=customer, as_of=as_of, total=rendered.total, number=_("(preview)")
        )
        words = templating.document_message(
            document=draft, language=language, recipient=form.recipient
        )
        preview.update(subject=words.subject, text=words.text)
    return preview


def _send(request, customer, form: ComposeForm) -> str:
    """Send what the form says; the URL to go to next."""
    data = form.cleaned_data
    now = timezone.now()
    if form.is_message:
        message = services.dunning_message_send(
            customer=customer,
            channel=data["channel"],
            recipient=form.recipient,
            as_of=data["as_of"],
            actor=request.user,
            now=now,
            language=data["language"],
            level=form.level,
        )
        messages.success(request, _("The message is queued; it goes out within a minute or two."))
        return reverse("notifications:message", args=[message.pk])
    if data["channel"] == POST:
        document = document_issue(
            kind=data["what"],
            customer=customer,
            as_of=data["as_of"],
            actor=request.user,
            language=data["language"],
            date_from=data["date_from"],
        )
        messages.success(
            request,
            _("%(number)s is issued. Print it, post it, then record the posting here.")
            % {"number": document.number},
        )
        return reverse("documents:mark_sent", args=[document.pk])
    message = services.document_email_send(
        kind=data["what"],
        customer=customer,
        as_of=data["as_of"],
        recipient=form.recipient,
        actor=request.user,
        now=now,
        language=data["language"],
        date_from=data["date_from"],
        key=data.get("token") or "",
    )
    messages.success(
        request,
        _("%(number)s is issued and its email is queued.") % {"number": message.document.number},
    )
    return reverse("notifications:message", args=[message.pk])


@login_required
def compose(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    today = business_today()
    level = current_level(customer)
    options = {
        "customer": customer,
        "contacts": customer_contacts(customer),
        "level": level,
        "may_send_lawyer_letter": may_issue(request.user, DocumentKind.LAWYER_LETTER),
    }
    initial = {"as_of": today, "what": MESSAGE if level else DocumentKind.STATEMENT.value}
    if request.GET.get("what"):
        initial["what"] = request.GET["what"]
    form = ComposeForm(request.POST or None, initial=initial, **options)
    preview = None
    if request.method == "POST" and form.is_valid():
        aliases = {"recipient": "emails", "key": NON_FIELD_ERRORS, "body_text": NON_FIELD_ERRORS}
        if form.cleaned_data["channel"] == Channel.SMS:
            aliases["recipient"] = "phone"
        try:
            if request.POST.get("action") == "send":
                return redirect(_send(request, customer, form))
            preview = _preview(customer, form)
        except ValidationError as error:
            aliases.update({"kind": "what", "level": "what", "document": NON_FIELD_ERRORS})
            add_service_errors(form, error, aliases=aliases)
    context = {"customer": customer, "form": form, "preview": preview, "level": level}
    if request.htmx and request.method == "POST":
        return render(request, "notifications/_compose_preview.html", context)
    return render(request, "notifications/compose.html", context)


# --- The outbox ---------------------------------------------------------------------------------


@login_required
def message_list(request):
    form = OutboxFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.messages_matching(
        messages=selectors.messages_visible_to(request.user),
        status=data.get("status", ""),
        channel=data.get("channel", ""),
        search=data.get("q", ""),
    )
    alerts = selectors.alerts_visible_to(request.user)
    if xlsx.wanted(request):
        today = business_today()
        sheets = message_sheets(rows, alerts, user=request.user, as_of=today, form=form)
        return xlsx.response(*sheets, name="outbox", on=today)
    context = {
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "alerts": list(alerts[:20]),
    }
    return render(request, "notifications/message_list.html", context)


def _get_message_for_user(user, pk) -> Message:
    return get_object_or_404(selectors.messages_visible_to(user).defer(None), pk=pk)


@login_required
def message_detail(request, pk):
    message = _get_message_for_user(request.user, pk)
    return _message_page(request, message)


def _message_page(request, message, *, requeue_form=None, status=200):
    unknown = message.status == MessageStatus.UNKNOWN
    context = {
        "message": message,
        "recipients": outbox.email_addresses(message.recipient)
        if message.channel == Channel.EMAIL
        else [message.recipient]
        if message.recipient
        else [],
        "attempts": list(message.delivery_attempts.order_by("number")),
        "alerts": list(message.alerts.select_related("resolved_by").order_by("-created_at")),
        "can_cancel": message.status in outbox.CANCELLABLE,
        "can_requeue": message.status in outbox.REQUEUEABLE,
        "requeue_form": requeue_form or RequeueForm(unknown=unknown),
        "unknown": unknown,
    }
    return render(request, "notifications/message_detail.html", context, status=status)


@login_required
@require_POST
def message_cancel(request, pk):
    message = _get_message_for_user(request.user, pk)
    try:
        outbox.message_cancel(message=message, actor=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message is cancelled; it will not be sent."))
    return redirect("notifications:message", pk=message.pk)


@login_required
@require_POST
def message_requeue(request, pk):
    message = _get_message_for_user(request.user, pk)
    form = RequeueForm(request.POST, unknown=message.status == MessageStatus.UNKNOWN)
    if not form.is_valid():
        return _message_page(request, message, requeue_form=form, status=400)
    try:
        outbox.message_requeue(message=message, actor=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect("notifications:message", pk=message.pk)


@login_required
@require_POST
def alert_resolve(request, pk):
    alert = get_object_or_404(selectors.alerts_visible_to(request.user, open_only=False), pk=pk)
    try:
        outbox.alert_resolve(alert=alert, actor=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The alert is resolved."))
    return redirect(_next_url(request, reverse("notifications:messages")))


# --- Words of the dunning levels ----------------------------------------------------------------


def _level_target(level_pk, channel, language) -> DunningLevel:
    if channel not in templating.MESSAGE_CHANNELS or language not in Language.values:
        raise Http404
    return get_object_or_404(DunningLevel.objects.select_related("policy"), pk=level_pk)


@role_required(*TEMPLATE_EDITORS)
def message_template_edit(request, level_pk, channel, language):
    level = _level_target(level_pk, channel, language)
    subject, body, custom = templating.message_source(
        level=level, channel=channel, language=language
    )
    form = MessageTemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    visible = customers_visible_to(request.user)
    preview, sample = None, None
    action = request.POST.get("action", "preview")
    if request.method == "POST" and action == "reset":
        try:
            services.message_template_reset(
                level=level, channel=channel, language=language, actor=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The built-in wording is back in use."))
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if action == "save":
                services.message_template_save(
                    level=level,
                    channel=channel,
                    language=language,
                    subject=data["subject"],
                    body=data["body"],
                    actor=request.user,
                )
                messages.success(request, _("The message template is saved."))
                return redirect(request.path)
            templating.validate_message_template(
                subject=data["subject"], body=data["body"], channel=channel
            )
            sample = selectors.sample_customer(
                customers=visible, as_of=business_today(), code=data["customer"]
            )
            if sample is None:
                form.add_error("customer", _("There is no such customer among yours."))
            else:
                context = templating.message_context(customer=sample, as_of=business_today())
                title, text, _html = templating.render_message(
                    subject=data["subject"],
                    body=data["body"],
                    channel=channel,
                    language=language,
                    context=context,
                )
                preview = {"subject": title, "text": text}
        except ValidationError as error:
            add_service_errors(form, error)
    context = {
        "level": level,
        "channel": Channel(channel),
        "language": Language(language),
        "form": form,
        "custom": custom,
        "preview": preview,
        "sample": sample,
        "names": MESSAGE_NAMES,
    }
    return render(request, "notifications/message_template_form.html", context)


# The names a message template may use, for the editor's help box.
MESSAGE_NAMES = (
    "customer",
    "contact_name",
    "amount",
    "items",
    "upcoming",
    "upcoming_amount",
    "pay_by",
    "as_of",
    "rep_name",
    "rep_phone",
    "company",
    "company_phone",
    "bank_name",
    "bank_account",
    "broken_promises",
)
