"""Contract pages: create a contract with its installment plan (回款计划), see one with what the
contract checks found, and post its installments as receivables. Finance, administrators and
managers enter contracts; posting installments books money, so only finance and administrators may
do it. The contract-check report lists every contract the user may see with its findings — reps
included, for their own customers' contracts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to
from huikuan.ledger.selectors import can_post_ledger
from huikuan.ledger.services import installments_post
from huikuan.org.models import Role
from huikuan.web.decorators import role_required

from . import checks
from .exports import checks_sheet
from .forms import ContractCheckFilterForm, ContractForm, InstallmentFormSet, installment_lines
from .models import Contract
from .services import contract_create

CONTRACT_ROLES = (Role.FINANCE, Role.ADMIN, Role.MANAGER)
PAGE_SIZE = 50


def _get_contract_for_user(request, pk) -> Contract:
    """The contract ``pk`` if its customer is visible to the user; Http404 otherwise."""
    return get_object_or_404(
        Contract.objects.select_related("customer").filter(
            customer__in=customers_visible_to(request.user)
        ),
        pk=pk,
    )


@role_required(*CONTRACT_ROLES)
def contract_new(request):
    visible = customers_visible_to(request.user)
    installment_errors = []
    if request.method == "POST":
        form = ContractForm(request.POST, customers=visible)
        formset = InstallmentFormSet(request.POST, prefix="nodes")
        if form.is_valid() and formset.is_valid():
            try:
                contract = contract_create(
                    actor=request.user,
                    installments=installment_lines(formset),
                    **form.service_arguments(),
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    installment_errors = error.message_dict.get("installments", [])
                    rest = {k: v for k, v in error.message_dict.items() if k != "installments"}
                    if rest:
                        add_service_errors(form, ValidationError(rest))
                else:
                    add_service_errors(form, error)
            else:
                _report_findings(request, contract)
                return redirect("contracts:detail", pk=contract.pk)
    else:
        form = ContractForm(initial={"customer": request.GET.get("customer")}, customers=visible)
        formset = InstallmentFormSet(prefix="nodes")
    context = {"form": form, "formset": formset, "installment_errors": installment_errors}
    return render(request, "contracts/contract_form.html", context)


def _report_findings(request, contract) -> None:
    """Tell the person who just saved ``contract`` whether the checks found anything to fix."""
    found = checks.contract_findings(contract, as_of=business_today())
    if found:
        messages.warning(
            request,
            ngettext(
                "Contract %(number)s is saved. The checks found %(count)s thing to fix; see "
                "“Contract checks” below.",
                "Contract %(number)s is saved. The checks found %(count)s things to fix; see "
                "“Contract checks” below.",
                len(found),
            )
            % {"number": contract.number, "count": len(found)},
        )
    else:
        messages.success(
            request,
            _("Contract %(number)s is saved. The checks found nothing to fix.")
            % {"number": contract.number},
        )


@login_required
def contract_detail(request, pk):
    contract = _get_contract_for_user(request, pk)
    context = {
        "contract": contract,
        "findings": checks.contract_findings(contract, as_of=business_today()),
        "nodes": contract.nodes.select_related("receivable").order_by("sequence"),
        "deliveries": contract.deliveries.order_by("-delivered_on", "number"),
        "can_post": can_post_ledger(request.user),
    }
    return render(request, "contracts/contract_detail.html", context)


@require_POST
@role_required(Role.FINANCE, Role.ADMIN)
def contract_post_installments(request, pk):
    contract = _get_contract_for_user(request, pk)
    try:
        created = installments_post(contract=contract, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s installment posted as a receivable.",
                "%(count)s installments posted as receivables.",
                len(created),
            )
            % {"count": len(created)},
        )
    return redirect("contracts:detail", pk=contract.pk)


@login_required
@require_safe
def contract_checks(request):
    """Every contract the user may see, checked: counts per finding, then the contracts with the
    most open money first."""
    as_of = business_today()
    form = ContractCheckFilterForm(request.GET)
    finding = form.chosen()
    report = checks.contract_checks_report(
        contracts=Contract.objects.filter(customer__in=customers_visible_to(request.user)),
        as_of=as_of,
        finding=finding,
    )
    if xlsx.wanted(request):
        sheet = checks_sheet(report, user=request.user, as_of=as_of, form=form)
        return xlsx.response(sheet, name="contract-checks", on=as_of)
    page = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = checks.with_contracts(list(page.object_list))
    context = {
        "form": form,
        "finding": finding,
        "report": report,
        "counts": [(code, label, report.counts[code]) for code, label in checks.CHECKS.items()],
        "page": page,
        "as_of": as_of,
        "max_term_days": checks.max_credit_term_days(),
    }
    return render(request, "contracts/checks_report.html", context)
