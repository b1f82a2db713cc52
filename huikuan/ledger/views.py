"""Ledger pages: receivables (应收) for everyone within their customers; payments and credit notes
(回款) and deliveries for the people who book money — finance and administrators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to
from huikuan.org.models import Role
from huikuan.web.access import get_customer_for_user, get_payment_for_user, get_receivable_for_user
from huikuan.web.decorators import role_required
from huikuan.web.templatetags.money import money

from . import selectors, services
from .exports import payment_sheet, receivable_sheet
from .forms import (
    DeliveryForm,
    PaymentFilterForm,
    PaymentForm,
    PaymentReverseForm,
    ReceivableFilterForm,
)

PAGE_SIZE = 50
BOOKKEEPERS = (Role.FINANCE, Role.ADMIN)


@login_required
def receivable_list(request):
    as_of = business_today()
    visible = customers_visible_to(request.user)
    form = ReceivableFilterForm(request.GET, customers=visible)
    form.is_valid()  # invalid filters are shown with their error and otherwise ignored
    data = form.cleaned_data
    rows = selectors.receivables_for_list(
        customers=visible,
        as_of=as_of,
        customer=data.get("customer"),
        status=data.get("status", ""),
        overdue_only=bool(data.get("overdue")),
        due_from=data.get("due_from"),
        due_to=data.get("due_to"),
        number=data.get("number", ""),
    )
    if xlsx.wanted(request):
        sheet = receivable_sheet(rows, user=request.user, as_of=as_of, form=form)
        return xlsx.response(sheet, name="receivables", on=as_of)
    context = {
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": selectors.receivable_totals(rows),
        "as_of": as_of,
    }
    return render(request, "ledger/receivable_list.html", context)


@login_required
def receivable_detail(request, pk):
    receivable = get_receivable_for_user(request.user, pk)
    context = {
        "receivable": selectors.receivable_detail(receivable=receivable, as_of=business_today()),
        "can_post": selectors.can_post_ledger(request.user),
    }
    return render(request, "ledger/receivable_detail.html", context)


@role_required(*BOOKKEEPERS)
def payment_list(request):
    visible = customers_visible_to(request.user)
    form = PaymentFilterForm(request.GET, customers=visible)
    form.is_valid()
    data = form.cleaned_data
    rows = selectors.payments_for_list(
        customers=visible,
        kind=data.get("kind", ""),
        customer=data.get("customer"),
        received_from=data.get("received_from"),
        received_to=data.get("received_to"),
        number=data.get("number", ""),
    )
    if xlsx.wanted(request):
        today = business_today()
        sheet = payment_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="payments", on=today)
    context = {
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": selectors.payment_totals(rows),
    }
    return render(request, "ledger/payment_list.html", context)


def _payment_form(request, data=None, initial=None) -> PaymentForm:
    as_of = business_today()
    return PaymentForm(
        data,
        initial=initial,
        customers=customers_visible_to(request.user),
        open_receivables_for=lambda c: selectors.open_receivables(customer=c, as_of=as_of),
    )


@role_required(*BOOKKEEPERS)
def payment_new(request):
    if request.method == "POST":
        form = _payment_form(request, request.POST)
        if form.is_valid():
            try:
                payment = services.payment_record(actor=request.user, **form.service_arguments())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(number)s is recorded; %(unapplied)s of it is unapplied credit.")
                    % {"number": payment.number, "unapplied": money(payment.unapplied)},
                )
                return redirect("ledger:payment", pk=payment.pk)
    else:
        initial = {"received_on": business_today()}
        if request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        if request.GET.get("kind"):
            initial["kind"] = request.GET["kind"]
        form = _payment_form(request, initial=initial)
    return render(request, "ledger/payment_form.html", {"form": form})


@role_required(*BOOKKEEPERS)
def payment_open_receivables(request):
    """The allocation lines of the payment form for the customer just picked (an htmx fragment);
    a customer the user may not see answers 404."""
    form = _payment_form(request, initial={})
    raw = request.GET.get("customer", "")
    if raw:
        customer = get_customer_for_user(request.user, raw if raw.isdigit() else 0)
        form = _payment_form(request, initial={"customer": customer.pk})
    return render(request, "ledger/_allocation_lines.html", {"form": form})


@role_required(*BOOKKEEPERS)
def payment_detail(request, pk):
    payment = get_payment_for_user(request.user, pk)
    return render(
        request,
        "ledger/payment_detail.html",
        {"payment": selectors.payment_detail(payment=payment)},
    )


@role_required(*BOOKKEEPERS)
def payment_reverse(request, pk):
    payment = get_payment_for_user(request.user, pk)
    form = PaymentReverseForm(request.POST or None, initial={"reversed_on": business_today()})
    if request.method == "POST" and form.is_valid():
        try:
            reversal = services.payment_reverse(
                payment=payment,
                on=form.cleaned_data["reversed_on"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"date": "reversed_on"})
        else:
            messages.success(
                request,
                _("%(number)s is reversed by %(reversal)s.")
                % {"number": payment.number, "reversal": reversal.number},
            )
            return redirect("ledger:payment", pk=payment.pk)
    context = {"form": form, "payment": selectors.payment_detail(payment=payment)}
    return render(request, "ledger/payment_reverse.html", context)


@role_required(*BOOKKEEPERS)
def delivery_new(request):
    visible = customers_visible_to(request.user)
    if request.method == "POST":
        form = DeliveryForm(request.POST, customers=visible)
        if form.is_valid():
            try:
                receivable = services.delivery_record(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("ledger:receivable", pk=receivable.pk)
    else:
        initial = {"delivered_on": business_today()}
        if request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        form = DeliveryForm(initial=initial, customers=visible)
    return render(request, "ledger/delivery_form.html", {"form": form})
