"""Webhook pages, for administrators only: the endpoints (add, change, switch off, new secret,
send a test event) and the delivery log of the webhook channel, each line linking to the
message's own page with its attempts. Anyone else gets the 403 page (sign-in first when signed
out)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.org.models import Role
from huikuan.web.decorators import role_required

from . import webhooks
from .exports import webhook_delivery_sheet
from .models import WebhookEndpoint
from .webhook_forms import DeliveryFilterForm, WebhookEndpointForm, event_choices

PAGE_SIZE = 50
RECENT = 10
admin_only = role_required(Role.ADMIN)


def _get_endpoint(pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=pk)


def _event_labels() -> dict[str, str]:
    return dict(event_choices())


@admin_only
def webhook_list(request):
    endpoints = webhooks.webhook_endpoints_with_counts()
    labels = _event_labels()
    rows = [(e, [labels.get(kind, kind) for kind in e.events]) for e in endpoints]
    return render(request, "notifications/webhook_list.html", {"rows": rows})


@admin_only
def webhook_new(request):
    form = WebhookEndpointForm(request.POST or None, with_active=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint = webhooks.webhook_endpoint_create(
                name=data["name"], url=data["url"], events=data["events"], actor=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The endpoint is set up. Give its signing secret to the receiving system, "
                    "then send a test event."
                ),
            )
            return redirect("notifications:webhook", pk=endpoint.pk)
    return render(request, "notifications/webhook_form.html", {"form": form, "endpoint": None})


@admin_only
def webhook_edit(request, pk):
    endpoint = _get_endpoint(pk)
    initial = {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhooks.webhook_endpoint_update(
                endpoint=endpoint,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                is_active=data["is_active"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("notifications:webhook", pk=endpoint.pk)
    context = {
        "form": form,
        "endpoint": endpoint,
        "recent": list(
            webhooks.webhook_deliveries(endpoint=endpoint).prefetch_related("delivery_attempts")[
                :RECENT
            ]
        ),
    }
    return render(request, "notifications/webhook_form.html", context)


@admin_only
@require_POST
def webhook_rotate(request, pk):
    endpoint = _get_endpoint(pk)
    webhooks.webhook_secret_rotate(endpoint=endpoint, actor=request.user)
    messages.success(
        request,
        _(
            "The endpoint has a new signing secret; the old one no longer verifies. Give the new "
            "one to the receiving system."
        ),
    )
    return redirect("notifications:webhook", pk=endpoint.pk)


@admin_only
@require_POST
def webhook_switch(request, pk):
    endpoint = _get_endpoint(pk)
    switch_on = request.POST.get("active") == "1"
    try:
        webhooks.webhook_endpoint_switch(endpoint=endpoint, is_active=switch_on, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if switch_on:
            messages.success(request, _("The endpoint is switched on; it receives new events."))
        else:
            messages.success(
                request,
                _("The endpoint is switched off; its messages still waiting are cancelled."),
            )
    return redirect("notifications:webhook", pk=endpoint.pk)


@admin_only
@require_POST
def webhook_test(request, pk):
    endpoint = _get_endpoint(pk)
    try:
        message = webhooks.webhook_test_send(
            endpoint=endpoint, actor=request.user, now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("notifications:webhook", pk=endpoint.pk)
    messages.success(request, _("A test event is queued; it goes out within a minute or two."))
    return redirect("notifications:message", pk=message.pk)


@admin_only
def webhook_deliveries(request):
    form = DeliveryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = webhooks.webhook_deliveries(endpoint=data.get("endpoint"), status=data.get("status", ""))
    if xlsx.wanted(request):
        today = business_today()
        sheet = webhook_delivery_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="webhook-deliveries", on=today)
    rows = rows.prefetch_related("delivery_attempts")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/webhook_deliveries.html", {"form": form, "page": page})
