"""Collection pages (催收): the rep's worklist, the case page of one customer with its forms, the
approval queue, the dispute and promise lists and the playbook with its report.

Every object is looked up among the customers the user may see (another team's answers 404).
Approving is for managers and administrators, posting an approved write-off for finance and
administrators; whoever may see a customer may log contacts, promises and disputes for it and
ask for approvals.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.customers.selectors import customers_visible_to, owners_of
from huikuan.org.models import Role
from huikuan.risk.selectors import live_signal_count
from huikuan.web.access import get_customer_for_user
from huikuan.web.decorators import role_required, user_has_role
from huikuan.web.templatetags.money import money

from . import exports, playbook, selectors, services
from .forms import (
    ALL_REPS,
    REPORT_DAYS,
    ActivityForm,
    ApprovalDecideForm,
    ApprovalFilterForm,
    ApprovalRequestForm,
    DisputeForm,
    DisputeResolveForm,
    PlaybookReportForm,
    PromiseFilterForm,
    TaskCompleteForm,
    WorklistFilterForm,
)
from .limitation import WARNING_DAYS
from .models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Channel,
    Dispute,
    Outcome,
    Task,
)

DECIDERS = (Role.MANAGER, Role.ADMIN)
POSTERS = (Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 50


def _case_url(customer_pk, anchor: str = "") -> str:
    url = reverse("dunning:case", args=[customer_pk])
    return f"{url}#{anchor}" if anchor else url


def _next_url(request, default: str) -> str:
    """Where to go after a POST: the page's own ``next`` when it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Worklist -----------------------------------------------------------------------------------


@login_required
def worklist(request):
    user = request.user
    today = business_today()
    can_pick = user_has_role(user, *DECIDERS)
    reps = owners_of(customers_visible_to(user)) if can_pick else None
    form = WorklistFilterForm(request.GET or None, reps=reps)
    on, assignee, everybody = today, user, False
    if form.is_bound and form.is_valid():
        on = form.cleaned_data["on"] or today
        rep = form.cleaned_data.get("rep") or ""
        if rep == ALL_REPS:
            assignee, everybody = None, True
        elif rep:
            assignee = form.reps[rep]
    items = selectors.worklist(user=user, on=on, assignee=assignee)
    if xlsx.wanted(request):
        sheet = exports.worklist_sheet(items, user=user, on=on, form=form)
        return xlsx.response(sheet, name="worklist", on=on)
    context = {
        "form": form,
        "items": items,
        "on": on,
        "is_today": on == today,
        "assignee": assignee,
        "everybody": everybody,
        "show_assignee": everybody or assignee != user,
        "complete_form": TaskCompleteForm(),
        "live_signals": live_signal_count(user),
    }
    return render(request, "dunning/worklist.html", context)


@login_required
@require_POST
def task_complete(request, pk):
    visible = customers_visible_to(request.user)
    task = get_object_or_404(Task.objects.filter(customer__in=visible), pk=pk)
    form = TaskCompleteForm(request.POST)
    done, failure = None, ""
    if form.is_valid():
        try:
            done = services.task_complete(
                task=task, actor=request.user, on=business_today(), note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            failure = " ".join(error.messages)
    if request.htmx:
        # The card is swapped for its new state in place; no message waits for the next page.
        context = {"task": done or task, "failed": done is None}
        return render(request, "dunning/_task_done.html", context)
    if failure:
        messages.error(request, failure)
    elif done is not None:
        messages.success(
            request,
            _("Done: %(action)s for %(customer)s.")
            % {"action": task.get_action_display(), "customer": task.customer.name},
        )
    return redirect(_next_url(request, reverse("dunning:worklist")))


# --- The case page and its forms ---------------------------------------------------------------


def _case_page(request, customer, *, activity_form=None):
    today = business_today()
    file = selectors.case_file(customer=customer, as_of=today)
    open_tasks = list(file.tasks)
    logging_task = None
    if activity_form is None:
        initial = {"happened_on": today, "channel": Channel.CALL, "outcome": Outcome.REACHED}
        raw = request.GET.get("task", "")
        if raw.isdigit():
            logging_task = next((t for t in open_tasks if t.pk == int(raw)), None)
        if logging_task is not None:
            initial["task"] = logging_task.pk
            initial["channel"] = (
                logging_task.action if logging_task.action in Channel.values else initial["channel"]
            )
        activity_form = ActivityForm(initial=initial, customer=customer)
    else:
        task_pk = activity_form.data.get("task", "")
        if str(task_pk).isdigit():
            logging_task = next((t for t in open_tasks if t.pk == int(task_pk)), None)
    activities = list(file.activities)
    for activity in activities:
        found = playbook.technique(activity.technique) if activity.technique else None
        activity.technique_name = found.name if found else activity.technique
    context = {
        "customer": customer,
        "file": file,
        "activities": activities,
        "missing_checks": sum(1 for item in file.checklist if not item.ok),
        "limitation_warn_until": today + timedelta(days=max(WARNING_DAYS)),
        "as_of": today,
        "open_tasks": open_tasks,
        "logging_task": logging_task,
        "activity_form": activity_form,
        "dispute_form": DisputeForm(
            initial={"opened_on": today, "owner": request.user.pk},
            customer=customer,
            user=request.user,
        ),
        "approval_form": ApprovalRequestForm(customer=customer),
        "can_decide": user_has_role(request.user, *DECIDERS),
        "can_post": user_has_role(request.user, *POSTERS),
        "activity_errors": activity_form.is_bound and bool(activity_form.errors),
    }
    return render(request, "dunning/case.html", context)


@login_required
def case(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    if xlsx.wanted(request):
        today = business_today()
        file = selectors.case_file(customer=customer, as_of=today)
        sheets = exports.case_sheets(file, user=request.user, as_of=today)
        return xlsx.response(*sheets, name=exports.case_name(customer), on=today)
    return _case_page(request, customer)


@login_required
def activity_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    if request.method != "POST":
        return redirect(_case_url(customer.pk, "log"))
    form = ActivityForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            activity = services.activity_log(
                customer=customer, actor=request.user, **form.service_arguments()
            )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"task": NON_FIELD_ERRORS})
        else:
            if activity.outcome == Outcome.PROMISED:
                text = _("The contact and the promise to pay are recorded.")
            else:
                text = _("The contact is recorded.")
            messages.success(request, text)
            return redirect(_case_url(customer.pk, "activities"))
    return _case_page(request, customer, activity_form=form)


@login_required
def dispute_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    initial = {"opened_on": business_today(), "owner": request.user.pk}
    form = DisputeForm(request.POST or None, initial=initial, customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispute_open(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The dispute is open; dunning pauses for its items."))
            return redirect(_case_url(customer.pk, "disputes"))
    return render(request, "dunning/dispute_form.html", {"customer": customer, "form": form})


@login_required
def approval_new(request, customer_pk):
    customer = get_customer_for_user(request.user, customer_pk)
    form = ApprovalRequestForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.approval_request(
                customer=customer,
                actor=request.user,
                kind=data["kind"],
                reason=data["reason"],
                requested_on=business_today(),
                action=data["action"] if data["kind"] == ApprovalKind.MEASURE else "",
                receivable=data["receivable"] if data["kind"] == ApprovalKind.WRITE_OFF else None,
                amount=data["amount"] if data["kind"] == ApprovalKind.WRITE_OFF else None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The request is waiting for a manager's decision."))
            return redirect(_case_url(customer.pk, "approvals"))
    return render(request, "dunning/approval_form.html", {"customer": customer, "form": form})


# --- Disputes and promises ----------------------------------------------------------------------


@login_required
def dispute_list(request):
    show_all = request.GET.get("all") == "1"
    rows = selectors.disputes_for(user=request.user, open_only=not show_all)
    today = business_today()
    if xlsx.wanted(request):
        sheet = exports.dispute_sheet(rows, user=request.user, as_of=today, show_all=show_all)
        return xlsx.response(sheet, name="disputes", on=today)
    context = {
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "show_all": show_all,
        "as_of": today,
    }
    return render(request, "dunning/dispute_list.html", context)


@login_required
def dispute_resolve(request, pk):
    visible = customers_visible_to(request.user)
    dispute = get_object_or_404(
        Dispute.objects.select_related("customer", "owner").filter(customer__in=visible), pk=pk
    )
    form = DisputeResolveForm(request.POST or None, initial={"resolved_on": business_today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.dispute_resolve(dispute=dispute, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The dispute is resolved; dunning resumes for its items."))
            return redirect(_case_url(dispute.customer_id, "disputes"))
    return render(request, "dunning/dispute_resolve.html", {"dispute": dispute, "form": form})


@login_required
def promise_list(request):
    form = PromiseFilterForm(request.GET or None)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    today = business_today()
    rows = selectors.promises_for(user=request.user, status=status or None)
    if xlsx.wanted(request):
        sheet = exports.promise_sheet(rows, user=request.user, as_of=today, form=form)
        return xlsx.response(sheet, name="promises", on=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    states = selectors.promise_states(page.object_list, as_of=today)
    promises = [(p, states[p.pk]) for p in page]
    context = {"form": form, "page": page, "promises": promises, "as_of": today}
    return render(request, "dunning/promise_list.html", context)


# --- Approvals ----------------------------------------------------------------------------------


def _approvals_page(request, *, bound=None, status_code=200):
    """The queue; ``bound`` is ``(approval pk, form)`` of a decision refused with errors."""
    form = ApprovalFilterForm(request.GET or None)
    status = (form.cleaned_data.get("status") if form.is_valid() else "") or ApprovalStatus.PENDING
    rows = selectors.approval_queue(user=request.user, status=status)
    if xlsx.wanted(request) and bound is None:
        today = business_today()
        label = ApprovalStatus(status).label
        sheet = exports.approval_sheet(rows, user=request.user, as_of=today, status_label=label)
        return xlsx.response(sheet, name="approvals", on=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_decide = user_has_role(request.user, *DECIDERS)
    approvals = []
    for approval in page:
        decide_form = None
        if can_decide and approval.status == ApprovalStatus.PENDING:
            if bound is not None and bound[0] == approval.pk:
                decide_form = bound[1]
            else:
                decide_form = ApprovalDecideForm(prefix=f"a{approval.pk}")
        approvals.append((approval, decide_form))
    context = {
        "form": form,
        "status": status,
        "statuses": ApprovalStatus.choices,
        "page": page,
        "approvals": approvals,
        "can_decide": can_decide,
        "can_post": user_has_role(request.user, *POSTERS),
    }
    return render(request, "dunning/approval_list.html", context, status=status_code)


@login_required
def approval_list(request):
    return _approvals_page(request)


def _get_approval_for_user(user, pk) -> ApprovalRequest:
    return get_object_or_404(
        ApprovalRequest.objects.select_related("customer").filter(
            customer__in=customers_visible_to(user)
        ),
        pk=pk,
    )


@role_required(*DECIDERS)
@require_POST
def approval_decide(request, pk):
    approval = _get_approval_for_user(request.user, pk)
    form = ApprovalDecideForm(request.POST, prefix=f"a{approval.pk}")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.approval_decide(
                approval=approval,
                actor=request.user,
                approve=approve,
                note=form.cleaned_data["note"],
                on=business_today(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = _("Approved: %(request)s.") if approve else _("Rejected: %(request)s.")
            messages.success(request, text % {"request": approval})
            return redirect(_next_url(request, reverse("dunning:approvals")))
    return _approvals_page(request, bound=(approval.pk, form))


@role_required(*POSTERS)
@require_POST
def approval_post(request, pk):
    approval = _get_approval_for_user(request.user, pk)
    try:
        write_off = services.approval_write_off_post(
            approval=approval, actor=request.user, on=business_today()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(amount)s of %(number)s is written off.")
            % {"amount": money(write_off.amount), "number": approval.receivable.number},
        )
    return redirect(_next_url(request, f"{reverse('dunning:approvals')}?status=approved"))


# --- Playbook -----------------------------------------------------------------------------------


@login_required
def playbook_page(request):
    today = business_today()
    form = PlaybookReportForm(
        request.GET or None,
        initial={"since": today - timedelta(days=REPORT_DAYS), "until": today},
    )
    since, until = form.period(today)
    report = selectors.technique_report(
        customers=customers_visible_to(request.user), since=since, until=until
    )
    if xlsx.wanted(request):
        sheet = exports.technique_sheet(
            report, user=request.user, as_of=today, since=since, until=until
        )
        return xlsx.response(sheet, name="playbook-report", on=until)
    context = {
        "categories": playbook.by_category(),
        "report": report,
        "form": form,
        "since": since,
        "until": until,
    }
    return render(request, "dunning/playbook.html", context)
