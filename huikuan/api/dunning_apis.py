"""The collection endpoints of the API (``/api/v1/tasks``, ``/activities``, ``/promises``,
``/disputes``, ``/approvals``, ``/daily-run``): a rep's day and its paper trail for tools
outside Huikuan — a mobile client, the ERP, a scheduler.

Same rules as the rest of the API: every object is looked up among those of the customers the
token's user may see (anything else is a 404, exactly like a missing object), the role check comes
after that (403), and each endpoint calls one service or selector of ``huikuan.dunning`` with
``actor`` set to that user. Business rules live there; here is only the lookup and the shape.
"""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from huikuan.core.dates import business_today
from huikuan.core.errors import invalid
from huikuan.customers.selectors import assignable_owners, customers_visible_to
from huikuan.dunning import selectors, services
from huikuan.dunning.models import (
    Activity,
    ApprovalRequest,
    Dispute,
    Promise,
    Task,
)
from huikuan.ledger.models import Receivable
from huikuan.notifications.digest import day_messages_enqueue
from huikuan.org.models import Role, User
from huikuan.risk.daily import run_daily

from .dunning_schemas import (
    ActivitiesPage,
    ActivityIn,
    ActivityOut,
    ApprovalIn,
    ApprovalOut,
    ApprovalsPage,
    ApprovalStatusChoice,
    DailyRunOut,
    DecisionIn,
    DisputeIn,
    DisputeOut,
    DisputeResolveIn,
    DisputesPage,
    PageQuery,
    PromiseIn,
    PromiseOut,
    PromisesPage,
    PromiseStatusChoice,
    TaskCompleteIn,
    TaskOut,
    TasksPage,
)
from .errors import ApiError, not_found
from .idempotency import idempotency_purge
from .schemas import READ_ERRORS, WRITE_ERRORS, Date, Text

router = Router()

# "rep=*" asks for every rep one may see; a username never contains "*".
EVERY_REP = "*"


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "__all__", message)


def _has_role(user, roles) -> bool:
    return bool(user.is_superuser or user.role in roles)


def _page(items, pages: PageQuery) -> tuple[list, int]:
    """One page of a queryset or list, and how many there are in all."""
    count = len(items) if isinstance(items, list) else items.count()
    return list(items[pages.offset : pages.offset + pages.limit]), count


# --- Finding what the token's user may see -----------------------------------------------------


def _visible(request):
    return customers_visible_to(request.auth)


def _customer(request, code: str, field: str = "customer"):
    customer = _visible(request).select_related("owner").filter(code=code).first()
    if customer is None:
        raise not_found(field, _("There is no customer with code %(code)s.") % {"code": code})
    return customer


def _one(request, queryset, pk: int, message: str):
    """The object ``pk`` of ``queryset`` if it belongs to a customer the user may see, else 404
    on the path's ``id`` — the same answer as for an id that does not exist."""
    found = queryset.filter(customer__in=_visible(request), pk=pk).first()
    if found is None:
        raise not_found("id", message % {"id": pk})
    return found


def _receivable_for_body(request, number: str, field: str) -> Receivable:
    """A receivable named in a request body; one the user may not see is simply not there."""
    receivable = (
        Receivable.objects.filter(customer__in=_visible(request), number=number)
        .select_related("customer")
        .first()
    )
    if receivable is None:
        raise invalid(
            field, _("There is no receivable with number %(number)s.") % {"number": number}
        )
    return receivable


def _with_numbers(tasks: list[Task]) -> list[Task]:
    """Put the numbers of the receivables each task covers on it, in one query for all."""
    ids = {pk for task in tasks for pk in task.receivables or []}
    numbers = dict(Receivable.objects.filter(pk__in=ids).values_list("pk", "number"))
    for task in tasks:
        task.receivable_numbers = [numbers[pk] for pk in task.receivables or [] if pk in numbers]
    return tasks


def _task_with_numbers(task: Task) -> Task:
    task = Task.objects.select_related("customer", "assignee", "done_by").get(pk=task.pk)
    return _with_numbers([task])[0]


# --- Tasks ---------------------------------------------------------------------------------------


def _assignee(request, rep: str):
    """Whose tasks: your own by default; a manager or administrator may name a rep they can see,
    or ``*`` for everyone they can see (``None`` to the selector)."""
    user = request.auth
    if not rep or rep == user.username:
        return user
    if not _has_role(user, services.DECIDERS):
        raise _forbidden(_("Only managers and administrators may look at another rep's tasks."))
    if rep == EVERY_REP:
        return None
    found = assignable_owners(user).filter(username=rep).first()
    if found is None:
        raise not_found("rep", _("There is no rep with username %(username)s.") % {"username": rep})
    return found


@router.get("/tasks", response={200: TasksPage, **READ_ERRORS}, tags=["tasks"])
def tasks_list(request, pages: Query[PageQuery], rep: Text = "", date: Date = None):
    """The worklist: open tasks due on or before ``date`` (default today) of a rep (default
    you), best first — with the priority score and the factors behind it, and the suggested
    moment to act. ``rep`` (a username, or ``*`` for all) is for managers and administrators."""
    on = date or business_today()
    assignee = _assignee(request, rep)
    work, count = _page(selectors.worklist(user=request.auth, on=on, assignee=assignee), pages)
    items = []
    for item in work:
        task = item.task
        task.overdue_amount = item.overdue_amount
        task.days_overdue = item.days_overdue
        task.debt_class = item.debt_class
        task.priority = item.priority
        task.moment = item.moment
        task.promise = _live(item.promise)
        items.append(task)
    return {"date": on, "items": _with_numbers(items), "count": count}


def _live(state):
    """A work item's promise state as the promise with its live figures on it."""
    if state is None:
        return None
    return _with_state({state.promise.pk: state}, [state.promise])[0]


@router.post("/tasks/{id}/complete", response={200: TaskOut, **WRITE_ERRORS}, tags=["tasks"])
def task_complete(request, id: int, payload: TaskCompleteIn = None):
    """Mark an open task done (on ``date``, default today), with an optional note."""
    task = _one(request, Task.objects.all(), id, _("There is no task with id %(id)s."))
    payload = payload or TaskCompleteIn()
    task = services.task_complete(
        task=task, actor=request.auth, on=payload.date or business_today(), note=payload.note
    )
    return _task_with_numbers(task)


# --- Activities ----------------------------------------------------------------------------------


def _activities():
    return Activity.objects.select_related("customer", "contact", "created_by").prefetch_related(
        Prefetch("promises", queryset=Promise.objects.order_by("pk"))
    )


@router.post("/activities", response={201: ActivityOut, **WRITE_ERRORS}, tags=["activities"])
def activities_create(request, payload: ActivityIn):
    """Record a contact with a customer and its answer; with outcome ``promised`` also the
    promise (``promise_amount``, ``promise_due_on``, ``promised_by``). Passing ``task`` marks that
    task done; ``next_step_on`` makes a follow-up task; ``is_written_demand`` (letter or email)
    restarts the limitation period."""
    customer = _customer(request, payload.customer)
    task = contact = None
    if payload.task is not None:
        task = Task.objects.filter(customer__in=_visible(request), pk=payload.task).first()
        if task is None:
            raise invalid("task", _("There is no task with id %(id)s.") % {"id": payload.task})
    if payload.contact is not None:
        contact = customer.contacts.filter(pk=payload.contact).first()
        if contact is None:
            raise invalid(
                "contact",
                _("The customer has no contact with id %(id)s.") % {"id": payload.contact},
            )
    activity = services.activity_log(
        customer=customer,
        actor=request.auth,
        happened_on=payload.happened_on,
        channel=payload.channel,
        outcome=payload.outcome,
        reason=payload.reason,
        technique=payload.technique,
        note=payload.note,
        next_step=payload.next_step,
        next_step_on=payload.next_step_on,
        contact=contact,
        task=task,
        is_written_demand=payload.is_written_demand,
        asked_to_delay=payload.asked_to_delay,
        promise_amount=payload.promise_amount,
        promise_due_on=payload.promise_due_on,
        promised_by=payload.promised_by,
    )
    return Status(201, _activities().get(pk=activity.pk))


@router.get("/activities", response={200: ActivitiesPage, **READ_ERRORS}, tags=["activities"])
def activities_list(request, pages: Query[PageQuery], customer: Text = ""):
    """Recorded contacts you may see, newest first; ``customer`` (a code) picks one customer."""
    activities = _activities().filter(customer__in=_visible(request))
    if customer:
        activities = activities.filter(customer__code=customer)
    items, count = _page(activities.order_by("-happened_on", "-pk"), pages)
    return {"items": items, "count": count}


# --- Promises ------------------------------------------------------------------------------------


def _promises():
    return Promise.objects.select_related("customer", "created_by")


def _with_state(states: dict, promises: list[Promise]) -> list[Promise]:
    """Put each promise's live state (paid so far, short, kept, overdue) on it."""
    for promise in promises:
        state = states[promise.pk]
        for name in ("paid", "short", "kept", "overdue"):
            setattr(promise, name, getattr(state, name))
    return promises


def _live_promises(promises: list[Promise], as_of) -> list[Promise]:
    return _with_state(selectors.promise_states(promises, as_of=as_of), promises)


@router.post("/promises", response={201: PromiseOut, **WRITE_ERRORS}, tags=["promises"])
def promises_create(request, payload: PromiseIn):
    """Record a promise to pay; it replaces the customer's open promise, if there is one."""
    customer = _customer(request, payload.customer)
    promise = services.promise_record(
        customer=customer,
        actor=request.auth,
        amount=payload.amount,
        due_on=payload.due_on,
        promised_by=payload.promised_by,
        made_on=payload.made_on,
    )
    return Status(201, _live_promises([_promises().get(pk=promise.pk)], business_today())[0])


@router.get("/promises", response={200: PromisesPage, **READ_ERRORS}, tags=["promises"])
def promises_list(
    request,
    pages: Query[PageQuery],
    status: PromiseStatusChoice = "open",
    customer: Text = "",
    as_of: Date = None,
):
    """Promises to pay you may see (default the open ones), soonest due first, with what has
    come in towards each as of ``as_of`` (default today): ``paid``, ``short`` (something, not
    all), ``kept`` and ``overdue``; ``customer`` (a code) picks one customer."""
    as_of = as_of or business_today()
    promises = selectors.promises_for(user=request.auth, status=None if status == "all" else status)
    if customer:
        promises = promises.filter(customer__code=customer)
    items, count = _page(promises, pages)
    return {"as_of": as_of, "items": _live_promises(items, as_of), "count": count}


# --- Disputes ------------------------------------------------------------------------------------


def _disputes():
    return Dispute.objects.select_related("customer", "owner", "created_by").prefetch_related(
        "receivables"
    )


@router.post("/disputes", response={201: DisputeOut, **WRITE_ERRORS}, tags=["disputes"])
def disputes_create(request, payload: DisputeIn):
    """Open a dispute about some of a customer's receivables (by number); dunning pauses for
    them until it is resolved. ``owner`` (a username, default you) is who resolves it."""
    customer = _customer(request, payload.customer)
    receivables = [
        _receivable_for_body(request, number, "receivables") for number in payload.receivables
    ]
    owner = request.auth
    if payload.owner:
        owner = User.objects.filter(username=payload.owner, is_active=True).first()
        if owner is None:
            raise invalid(
                "owner",
                _("There is no active user with username %(username)s.")
                % {"username": payload.owner},
            )
    dispute = services.dispute_open(
        customer=customer,
        actor=request.auth,
        receivables=receivables,
        reason=payload.reason,
        description=payload.description,
        owner=owner,
        opened_on=payload.opened_on,
    )
    return Status(201, _disputes().get(pk=dispute.pk))


@router.get("/disputes", response={200: DisputesPage, **READ_ERRORS}, tags=["disputes"])
def disputes_list(request, pages: Query[PageQuery], open: bool = True, customer: Text = ""):
    """Disputes you may see, oldest first: the open ones, or all with ``open=false``;
    ``customer`` (a code) picks one customer."""
    disputes = selectors.disputes_for(user=request.auth, open_only=open)
    disputes = disputes.select_related("created_by")
    if customer:
        disputes = disputes.filter(customer__code=customer)
    items, count = _page(disputes, pages)
    return {"items": items, "count": count}


@router.post(
    "/disputes/{id}/resolve", response={200: DisputeOut, **WRITE_ERRORS}, tags=["disputes"]
)
def dispute_resolve(request, id: int, payload: DisputeResolveIn):
    """Resolve an open dispute, saying how; dunning resumes for its receivables."""
    dispute = _one(request, Dispute.objects.all(), id, _("There is no dispute with id %(id)s."))
    services.dispute_resolve(
        dispute=dispute,
        actor=request.auth,
        resolved_on=payload.resolved_on,
        resolution=payload.resolution,
    )
    return _disputes().get(pk=dispute.pk)


# --- Approvals -----------------------------------------------------------------------------------


def _approvals():
    return ApprovalRequest.objects.select_related(
        "customer", "receivable", "requested_by", "decided_by", "write_off"
    )


@router.post("/approvals", response={201: ApprovalOut, **WRITE_ERRORS}, tags=["approvals"])
def approvals_create(request, payload: ApprovalIn):
    """Ask a manager for a hard measure (``kind`` measure, with ``action``) or a write-off
    (``kind`` write_off, with ``receivable`` and optionally ``amount``)."""
    customer = _customer(request, payload.customer)
    receivable = None
    if payload.receivable:
        receivable = _receivable_for_body(request, payload.receivable, "receivable")
    approval = services.approval_request(
        customer=customer,
        actor=request.auth,
        kind=payload.kind,
        reason=payload.reason,
        requested_on=payload.requested_on,
        action=payload.action,
        receivable=receivable,
        amount=payload.amount,
    )
    return Status(201, _approvals().get(pk=approval.pk))


@router.get("/approvals", response={200: ApprovalsPage, **READ_ERRORS}, tags=["approvals"])
def approvals_list(request, pages: Query[PageQuery], status: ApprovalStatusChoice = "pending"):
    """Approval requests you may see, oldest first, by status (default pending; ``all`` for
    every one)."""
    approvals = selectors.approval_queue(
        user=request.auth, status=None if status == "all" else status
    )
    items, count = _page(approvals, pages)
    return {"items": items, "count": count}


def _decide(request, id: int, payload: DecisionIn | None, *, approve: bool):
    approval = _one(
        request,
        ApprovalRequest.objects.all(),
        id,
        _("There is no approval request with id %(id)s."),
    )
    if not _has_role(request.auth, services.DECIDERS):
        raise _forbidden(_("Only managers and administrators may decide approval requests."))
    payload = payload or DecisionIn()
    services.approval_decide(
        approval=approval,
        actor=request.auth,
        approve=approve,
        note=payload.note,
        on=payload.date or business_today(),
    )
    return _approvals().get(pk=approval.pk)


@router.post(
    "/approvals/{id}/approve", response={200: ApprovalOut, **WRITE_ERRORS}, tags=["approvals"]
)
def approval_approve(request, id: int, payload: DecisionIn = None):
    """Approve a pending request (manager or administrator): a measure becomes a task for the
    customer's rep (see ``task``); a write-off may then be posted by finance."""
    return _decide(request, id, payload, approve=True)


@router.post(
    "/approvals/{id}/reject", response={200: ApprovalOut, **WRITE_ERRORS}, tags=["approvals"]
)
def approval_reject(request, id: int, payload: DecisionIn = None):
    """Reject a pending request (manager or administrator); ``note`` says why and is required."""
    return _decide(request, id, payload, approve=False)


# --- The daily run -------------------------------------------------------------------------------


@router.post("/daily-run", response={200: DailyRunOut, **WRITE_ERRORS}, tags=["daily run"])
def daily_run(request, as_of: Date = None):
    """Run the day's work for ``as_of`` (default today; administrators only): ratings and
    warning signals, then collection work, then into the outbox the day's reminder emails to
    customers and the group robots' digest and alert posts; answer what it did. A date already
    run changes nothing and answers zeros with ``already_done`` true."""
    if not (request.auth.is_superuser or request.auth.role == Role.ADMIN):
        raise _forbidden(_("Only administrators may start the daily run."))
    result = run_daily(as_of=as_of or business_today())
    queued = day_messages_enqueue(as_of=result.as_of, now=timezone.now())
    idempotency_purge(now=timezone.now())
    return {
        "as_of": result.as_of,
        "already_done": result.already_done,
        **result.counts(),
        "messages_queued": queued,
    }
