"""Credit-control and early-warning pages: the credit panel of the customer page with its forms
(check an order, grant an exception, place or release a hold, edit the credit terms, record a
warning sign), the signals inbox, the exceptions list and the log of credit decisions.

Every object is looked up among the customers the user may see (another team's answers 404).
Whoever may see a customer may check an order for it and record a warning sign; holds, credit
terms and handling signals are for managers, finance and administrators; exceptions for managers
and administrators. The services check the same rules again (PermissionDenied answers 403).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to
from huikuan.web.access import get_customer_for_user
from huikuan.web.decorators import forbidden, role_required, user_has_role
from huikuan.web.templatetags.money import money

from . import credit, exports, selectors, services
from . import signals as signal_services
from .forms import (
    CreditCheckForm,
    CreditTermsForm,
    DecisionFilterForm,
    ExceptionGrantForm,
    HoldForm,
    HoldReleaseForm,
    SignalFilterForm,
    SignalHandleForm,
    SignalRecordForm,
)
from .models import LIVE_STATUSES, CreditException, CreditHold, Signal, SignalStatus

# Who may do what is the services' rule; the views only gate their pages with the same sets.
GRANTERS = tuple(services.EXCEPTION_ROLES)
HOLDERS = tuple(services.HOLD_ROLES)
TERMS_EDITORS = tuple(services.PROFILE_ROLES)
SIGNAL_HANDLERS = tuple(signal_services.HANDLERS)
PAGE_SIZE = 50


def _credit_url(customer_pk) -> str:
    return reverse("customers:detail", args=[customer_pk]) + "#credit"


def _next_url(request, default: str) -> str:
    """Where to go after a POST: the page's own ``next`` when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _visible(model, user):
    return model.objects.select_related("customer").filter(customer__in=customers_visible_to(user))


def _get_hold_for_user(user, pk) -> CreditHold:
    return get_object_or_404(_visible(CreditHold, user), pk=pk)


def _get_exception_for_user(user, pk) -> CreditException:
    return get_object_or_404(_visible(CreditException, user), pk=pk)


def _get_signal_for_user(user, pk) -> Signal:
    return get_object_or_404(_visible(Signal, user), pk=pk)


def credit_panel(user, customer, *, as_of) -> dict:
    """What the customer page needs for its credit panel: the summary, the check form and which
    buttons the user's role gets."""
    return {
        "credit": selectors.credit_summary(customer=customer, as_of=as_of),
        "check_form": CreditCheckForm(),
        "can_grant": services.can_grant_exception(user, customer),
        "can_hold": services.can_hold(user, customer),
        "can_edit_terms": services.can_set_credit_profile(user, customer),
        "can_handle_signals": user_has_role(user, *SIGNAL_HANDLERS),
    }


# --- Check an order -----------------------------------------------------------------------------


@login_required
def check(request, customer_pk):
    """Ask the credit check about an order; the answer shows the decision, the amount that may
    ship and every reason. On the customer page (HTMX) the answer and the decision list are
    swapped in place; without JavaScript this page shows them."""
    customer = get_customer_for_user(request.user, customer_pk)
    form = CreditCheckForm(request.POST or None)
    decision = None
    if request.method == "POST" and form.is_valid():
        try:
            decision = credit.credit_check(
                customer=customer,
                amount=form.cleaned_data["amount"],
                order_ref=form.cleaned_data["order_ref"],
                actor=request.user,
                as_of=business_today(),
            )
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            decision = selectors.with_reason_texts([decision])[0]
    context = {"customer": customer, "check_form": form, "decision": decision}
    if request.htmx:
        if decision is not None:
            context["credit"] = selectors.credit_summary(customer=customer, as_of=business_today())
            context["check_form"] = CreditCheckForm(initial=form.cleaned_data)
        return render(request, "risk/_check_response.html", context)
    return render(request, "risk/check.html", context)


# --- Exceptions, holds, terms -------------------------------------------------------------------


def _customer_form_page(request, customer, form, *, title, button, template="risk/form.html"):
    context = {"customer": customer, "form": form, "title": title, "button": button}
    return render(request, template, context)


@role_required(*GRANTERS)
def exception_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    today = business_today()
    form = ExceptionGrantForm(request.POST or None, initial={"valid_from": today})
    if request.method == "POST" and form.is_valid():
        try:
            services.exception_grant(customer=customer, actor=request.user, **form.cleaned_data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Exception granted: up to %(amount)s until %(date)s.")
                % {
                    "amount": money(form.cleaned_data["amount"]),
                    "date": form.cleaned_data["valid_until"].isoformat(),
                },
            )
            return redirect(_credit_url(customer.pk))
    return _customer_form_page(
        request,
        customer,
        form,
        title=_("Grant a credit exception"),
        button=_("Grant the exception"),
    )


@role_required(*GRANTERS)
@require_POST
def exception_revoke(request, pk):
    exception = _get_exception_for_user(request.user, pk)
    try:
        services.exception_revoke(exception=exception, actor=request.user)
    except PermissionDenied:
        return forbidden(request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The exception for %(customer)s is revoked.") % {"customer": exception.customer.name},
        )
    return redirect(_next_url(request, reverse("risk:exceptions")))


@role_required(*HOLDERS)
def hold_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_place(customer=customer, actor=request.user, **form.cleaned_data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Credit sales to this customer are on hold."))
            return redirect(_credit_url(customer.pk))
    return _customer_form_page(
        request, customer, form, title=_("Place a credit hold"), button=_("Place the hold")
    )


@role_required(*HOLDERS)
def hold_release(request, pk):
    hold = _get_hold_for_user(request.user, pk)
    form = HoldReleaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_release(hold=hold, actor=request.user, **form.cleaned_data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The credit hold is released."))
            return redirect(_credit_url(hold.customer_id))
    context = {"customer": hold.customer, "form": form, "hold": hold}
    return render(request, "risk/hold_release.html", context)


@role_required(*TERMS_EDITORS)
def terms_edit(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    profile = getattr(customer, "credit_profile", None)
    initial = {
        "credit_limit": customer.credit_limit,
        "payment_terms_days": customer.payment_terms_days,
        "rating_override": profile.rating_override if profile else "",
    }
    form = CreditTermsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.credit_profile_set(customer=customer, actor=request.user, **form.cleaned_data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The credit terms are saved."))
            return redirect(_credit_url(customer.pk))
    return _customer_form_page(
        request, customer, form, title=_("Edit credit terms"), button=_("Save the terms")
    )


# --- Warning signals ----------------------------------------------------------------------------


@login_required
def signal_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    form = SignalRecordForm(request.POST or None, initial={"detected_on": business_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signal_services.signal_record(
                customer=customer,
                actor=request.user,
                kind=data["kind"],
                severity=data["severity"] or None,
                detected_on=data["detected_on"],
                evidence=data["evidence"],
            )
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The warning sign is recorded."))
            return redirect(_credit_url(customer.pk))
    return _customer_form_page(
        request, customer, form, title=_("Record a warning sign"), button=_("Record it")
    )


def _signals_page(request, *, bound=None, status_code=200):
    """The inbox; ``bound`` is ``(signal pk, form)`` of a handling refused with errors."""
    form = SignalFilterForm(request.GET or None)
    rows = selectors.signals_visible_to(
        request.user, status=form.status_filter(), kind=form.kind_filter()
    )
    if xlsx.wanted(request) and bound is None:
        today = business_today()
        sheet = exports.signal_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="warning-signs", on=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_handle = user_has_role(request.user, *SIGNAL_HANDLERS)
    signals = []
    for signal in page:
        handle_form = None
        if can_handle and signal.status in LIVE_STATUSES:
            if bound is not None and bound[0] == signal.pk:
                handle_form = bound[1]
            else:
                handle_form = SignalHandleForm(prefix=f"s{signal.pk}")
        signals.append((signal, handle_form))
    context = {
        "form": form,
        "page": page,
        "signals": signals,
        "can_handle": can_handle,
        "open_status": SignalStatus.OPEN,
    }
    return render(request, "risk/signal_list.html", context, status=status_code)


@login_required
def signal_list(request):
    return _signals_page(request)


@role_required(*SIGNAL_HANDLERS)
@require_POST
def signal_handle(request, pk):
    signal = _get_signal_for_user(request.user, pk)
    form = SignalHandleForm(request.POST, prefix=f"s{signal.pk}")
    if form.is_valid():
        try:
            signal_services.signal_handle(signal=signal, actor=request.user, **form.cleaned_data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(kind)s at %(customer)s: %(status)s.")
                % {
                    "kind": signal.get_kind_display(),
                    "customer": signal.customer.name,
                    "status": SignalStatus(form.cleaned_data["status"]).label,
                },
            )
            return redirect(_next_url(request, reverse("risk:signals")))
    return _signals_page(request, bound=(signal.pk, form))


# --- Exceptions list ----------------------------------------------------------------------------


def _exceptions_page(request, *, grant_form=None):
    today = business_today()
    show_all = request.GET.get("show") == "all"
    rows = selectors.exceptions_visible_to(request.user, active_only=not show_all, as_of=today)
    if xlsx.wanted(request) and grant_form is None:
        sheet = exports.exception_sheet(rows, user=request.user, as_of=today, show_all=show_all)
        return xlsx.response(sheet, name="credit-exceptions", on=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_grant = user_has_role(request.user, *GRANTERS)
    if can_grant and grant_form is None:
        grant_form = ExceptionGrantForm(
            initial={"valid_from": today}, customers=customers_visible_to(request.user)
        )
    context = {
        "page": page,
        "exceptions": selectors.with_states(page.object_list, as_of=today),
        "show_all": show_all,
        "as_of": today,
        "can_grant": can_grant,
        "grant_form": grant_form if can_grant else None,
    }
    return render(request, "risk/exception_list.html", context)


@login_required
def exception_list(request):
    return _exceptions_page(request)


@role_required(*GRANTERS)
@require_POST
def exception_grant(request):
    """The exceptions list's grant form: the customer named by code among the user's own."""
    form = ExceptionGrantForm(request.POST, customers=customers_visible_to(request.user))
    if form.is_valid():
        data = dict(form.cleaned_data)
        customer = data.pop("customer")
        try:
            services.exception_grant(customer=customer, actor=request.user, **data)
        except PermissionDenied:
            return forbidden(request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Exception granted to %(customer)s: up to %(amount)s until %(date)s.")
                % {
                    "customer": customer.name,
                    "amount": money(data["amount"]),
                    "date": data["valid_until"].isoformat(),
                },
            )
            return redirect("risk:exceptions")
    return _exceptions_page(request, grant_form=form)


# --- Decisions log ------------------------------------------------------------------------------


@login_required
def decision_list(request):
    form = DecisionFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.decisions_visible_to(
        request.user, decision=data.get("decision", ""), search=data.get("q", "")
    )
    if xlsx.wanted(request):
        today = business_today()
        sheet = exports.decision_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="credit-decisions", on=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "decisions": selectors.with_reason_texts(page.object_list),
    }
    return render(request, "risk/decision_list.html", context)


@login_required
def index(request):
    return redirect("risk:signals")
