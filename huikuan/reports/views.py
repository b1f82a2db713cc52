"""The aging report (账龄分析): as of any date, by customer, rep or region, with a drill-down to
the receivables behind a row, a chart and an Excel export — all limited to the customers the user
may see."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.core.money import ZERO
from huikuan.customers.selectors import customers_visible_to
from huikuan.ledger.selectors import days_past_due
from huikuan.web.access import get_customer_for_user
from huikuan.web.charts import chart_spec

from .exports import aging_receivables_sheet, aging_sheet
from .forms import BY_CHOICES, AgingForm, DrillDownForm
from .policy import aging_bands
from .selectors import UNASSIGNED_KEY, aging, receivables_as_of

DRILL_PAGE_SIZE = 100


def _report(request):
    today = business_today()
    data = request.GET.copy()
    data.setdefault("as_of", today.isoformat())  # so the date field shows the report's date
    form = AgingForm(data)
    as_of, by = form.report_arguments(today=today)
    visible = customers_visible_to(request.user)
    rows = aging(as_of=as_of, by=by, customers=visible)
    totals = aging(as_of=as_of, by="portfolio", customers=visible)[0]
    return form, as_of, by, rows, totals


def _aging_download(request, as_of, by, rows, totals):
    sheet = aging_sheet(
        rows=rows,
        totals=totals,
        bands=aging_bands(),
        as_of=as_of,
        by_label=dict(BY_CHOICES)[by],
        user=request.user,
    )
    return xlsx.response(sheet, name=f"aging-{by}", on=as_of)


@login_required
def aging_report(request):
    form, as_of, by, rows, totals = _report(request)
    if xlsx.wanted(request):
        return _aging_download(request, as_of, by, rows, totals)
    bands = aging_bands()
    table = [{"row": row, "cells": [row.buckets[b.key] for b in bands]} for row in rows]
    chart = chart_spec(
        categories=[band.label for band in bands],
        series=[{"name": _("Outstanding"), "values": [totals.buckets[b.key] for b in bands]}],
        category_label=_("Days past due"),
        severity=True,
    )
    context = {
        "form": form,
        "as_of": as_of,
        "by": by,
        "by_label": dict(BY_CHOICES)[by],
        "bands": bands,
        "table": table,
        "totals": totals,
        "total_cells": [totals.buckets[b.key] for b in bands],
        "chart": chart,
    }
    return render(request, "reports/aging.html", context)


@login_required
def aging_xlsx(request):
    """The older address of the aging export (``aging.xlsx``), kept for saved links."""
    _form, as_of, by, rows, totals = _report(request)
    return _aging_download(request, as_of, by, rows, totals)


def _group_customers(request, by: str, key: str):
    """``(customers, title)``: the visible customers behind one row of the report and the row's
    name. A customer row the user may not see answers 404 like any foreign customer; a rep or
    region row holding none of the user's customers shows nothing, not even its name."""
    visible = customers_visible_to(request.user).select_related("owner", "region")
    if by == "customer":
        customer = get_customer_for_user(request.user, int(key) if key.isdigit() else 0)
        return visible.filter(pk=customer.pk), customer.name
    relation = {"rep": "owner", "region": "region"}[by]
    if key == UNASSIGNED_KEY:
        return visible.filter(**{f"{relation}__isnull": True}), _("Unassigned")
    if not key.isdigit():
        raise Http404
    customers = visible.filter(**{f"{relation}_id": int(key)})
    first = customers.first()
    return customers, str(getattr(first, relation)) if first else key


@login_required
def aging_receivables(request):
    form = DrillDownForm(request.GET)
    if not form.is_valid() and "key" in form.errors:
        raise Http404
    as_of, by = form.report_arguments(today=business_today())
    key = form.cleaned_data["key"]
    customers, title = _group_customers(request, by, key)
    rows = (
        receivables_as_of(as_of=as_of, customers=customers)
        .select_related("customer")
        .annotate(days_overdue=days_past_due(as_of))
        .order_by("due_date", "pk")
    )
    if xlsx.wanted(request):
        sheet = aging_receivables_sheet(rows, title=title, as_of=as_of, user=request.user)
        return xlsx.response(sheet, name="aging-receivables", on=as_of)
    total = rows.aggregate(s=Sum("balance"))["s"] or ZERO
    context = {
        "as_of": as_of,
        "by": by,
        "key": key,
        "title": title,
        "by_label": dict(BY_CHOICES)[by],
        "page": Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page")),
        "total": total,
    }
    return render(request, "reports/aging_receivables.html", context)
