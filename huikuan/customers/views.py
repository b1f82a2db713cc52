"""Customer pages: the list (客户), a customer's page and the forms for customers, contacts and the
payment process.

Who may do what (enforced here, on top of the visibility rule for every object):
* everyone signed in sees the customers ``customers_visible_to`` gives them;
* finance, administrators and managers create customers and edit their master data (owner,
  credit limit, terms) — a manager only for customers in their team;
* anyone who may see a customer — the rep included, who knows the people best — adds its contacts
  and records its payment process.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.core.money import ZERO
from huikuan.customers.models import Customer
from huikuan.ledger import selectors as ledger
from huikuan.org.models import Role
from huikuan.reports.policy import DebtClass, aging_bands, class_thresholds
from huikuan.reports.selectors import aging
from huikuan.risk.views import credit_panel
from huikuan.web.access import get_customer_for_user
from huikuan.web.charts import chart_spec
from huikuan.web.decorators import role_required

from .exports import customer_sheet
from .forms import (
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    PaymentProcessForm,
    add_service_errors,
)
from .selectors import assignable_owners, customers_matching, customers_visible_to, owners_of
from .services import contact_add, customer_create, customer_update, payment_process_set

PAGE_SIZE = 25
TIMELINE_SHORT = 40
TIMELINE_ALL = 2000
MASTER_DATA_ROLES = (Role.FINANCE, Role.ADMIN, Role.MANAGER)


def _class_choices():
    return [(key, DebtClass.LABELS[key]) for key in DebtClass.ORDER]


def _can_edit_master_data(user) -> bool:
    return user.is_superuser or user.role in MASTER_DATA_ROLES


@login_required
def customer_list(request):
    as_of = business_today()
    visible = customers_visible_to(request.user)
    form = CustomerFilterForm(
        request.GET, owners=owners_of(visible), class_choices=_class_choices()
    )
    form.is_valid()  # invalid filters are shown with their error and otherwise ignored
    data = form.cleaned_data
    rows = ledger.customer_list(
        customers=customers_matching(
            customers=visible.select_related("owner", "region"),
            search=data.get("q", ""),
            owner_id=getattr(data.get("owner"), "pk", None),
            region_id=getattr(data.get("region"), "pk", None),
        ),
        as_of=as_of,
        thresholds=class_thresholds(),
        debt_class=data.get("debt_class", ""),
        overdue_only=bool(data.get("overdue")),
        sort=data.get("sort") or "overdue",
    )
    if xlsx.wanted(request):
        sheet = customer_sheet(rows, user=request.user, as_of=as_of, form=form)
        return xlsx.response(sheet, name="customers", on=as_of)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "totals": ledger.customer_totals(rows, as_of=as_of),
        "as_of": as_of,
        "show_owner_filter": request.user.is_superuser or request.user.role != Role.REP,
        "can_create": _can_edit_master_data(request.user),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


@login_required
def customer_detail(request, pk):
    customer = get_customer_for_user(request.user, pk)
    as_of = business_today()
    whole_timeline = request.GET.get("timeline") == "all"
    file = ledger.customer_file(
        customer=customer,
        as_of=as_of,
        thresholds=class_thresholds(),
        timeline_limit=TIMELINE_ALL if whole_timeline else TIMELINE_SHORT,
    )
    rows = aging(as_of=as_of, by="customer", customers=Customer.objects.filter(pk=customer.pk))
    bands = aging_bands()
    row = rows[0] if rows else None
    amounts = [row.buckets[band.key] if row else ZERO for band in bands]
    context = {
        "file": file,
        "customer": file.customer,
        "as_of": as_of,
        "aging_total": row.total if row else ZERO,
        "aging_segments": [
            {"label": band.label, "amount": amount}
            for band, amount in zip(bands, amounts, strict=True)
        ],
        "aging_chart": chart_spec(
            categories=[band.label for band in bands],
            series=[{"name": _("Outstanding"), "values": amounts}],
            category_label=_("Days past due"),
            severity=True,
        ),
        "timeline_cut": not whole_timeline and len(file.timeline) >= TIMELINE_SHORT,
        "can_edit": _can_edit_master_data(request.user),
        "can_post": ledger.can_post_ledger(request.user),
        **credit_panel(request.user, file.customer, as_of=as_of),
    }
    return render(request, "customers/detail.html", context)


@role_required(*MASTER_DATA_ROLES)
def customer_new(request):
    form = CustomerForm(request.POST or None, owners=assignable_owners(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@role_required(*MASTER_DATA_ROLES)
def customer_edit(request, pk):
    customer = get_customer_for_user(request.user, pk)
    form = CustomerForm(
        request.POST or None, instance=customer, owners=assignable_owners(request.user)
    )
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            customer_update(customer=customer, actor=request.user, **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@login_required
def contact_new(request, pk):
    customer = get_customer_for_user(request.user, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact_add(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


@login_required
def payment_process_edit(request, pk):
    customer = get_customer_for_user(request.user, pk)
    instance = getattr(customer, "payment_process", None)
    form = PaymentProcessForm(request.POST or None, instance=instance, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            payment_process_set(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("customers:detail", pk=customer.pk)
    return render(
        request, "customers/payment_process_form.html", {"form": form, "customer": customer}
    )
