from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.selectors import customers_visible_to
from huikuan.org.models import Role
from huikuan.reports import kpis
from huikuan.reports.exports import dashboard_sheets
from huikuan.reports.policy import class_thresholds

from .charts import chart_spec
from .forms import AsOfForm, LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()  # POST only (Django 5)


def _scope_label(user) -> str:
    if user.is_superuser or user.role in (Role.FINANCE, Role.ADMIN):
        return _("All customers")
    if user.role == Role.MANAGER:
        return _("Your team's customers")
    return _("Your customers")


def _as_of(request):
    """The date asked for in ?as_of= (today when absent or not a date) and the bound form."""
    today = business_today()
    form = AsOfForm(request.GET or None, initial={"as_of": today})
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        return form.cleaned_data["as_of"], form
    return today, form


def _classes_help() -> dict:
    t = class_thresholds()
    return {
        "overdue_from": t.overdue_from,
        "overdue_to": t.doubtful_from - 1,
        "doubtful_from": t.doubtful_from,
        "doubtful_to": t.bad_from - 1,
        "bad_from": t.bad_from,
    }


@login_required
def dashboard(request):
    as_of, form = _as_of(request)
    figures = kpis.dashboard(as_of=as_of, customers=customers_visible_to(request.user))
    show_owner = request.user.is_superuser or request.user.role != Role.REP
    if xlsx.wanted(request):
        sheets = dashboard_sheets(figures, user=request.user, show_owner=show_owner)
        return xlsx.response(*sheets, name="dashboard", on=as_of)
    aging_chart = chart_spec(
        categories=[bar.label for bar in figures.totals.buckets],
        series=[{"name": _("Outstanding"), "values": [b.amount for b in figures.totals.buckets]}],
        category_label=_("Days past due"),
        severity=True,
    )
    trend_chart = chart_spec(
        categories=[formats.date_format(m.month, "YEAR_MONTH_FORMAT") for m in figures.trend],
        series=[
            {"name": _("Fallen due"), "values": [m.fallen_due for m in figures.trend]},
            {"name": _("Collected"), "values": [m.collected for m in figures.trend]},
        ],
        category_label=_("Month"),
    )
    return render(
        request,
        "web/dashboard.html",
        {
            "form": form,
            "as_of": as_of,
            "is_today": as_of == business_today(),
            "scope_label": _scope_label(request.user),
            "show_owner": show_owner,
            "f": figures,
            "aging_chart": aging_chart,
            "trend_chart": trend_chart,
            "classes_help": _classes_help(),
        },
    )
