"""Request and response shapes of the collection endpoints (tasks, activities, promises,
disputes, approvals, the daily run). Shape only: every rule lives in huikuan.dunning.services.

The conventions are those of schemas.py: customers are named by code and receivables by number,
the dunning objects by their id; amounts are decimal strings, dates ``YYYY-MM-DD``; unknown
fields in a request body are refused.
"""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from huikuan.dunning.models import (
    Action,
    ApprovalKind,
    Channel,
    DisputeReason,
    Outcome,
    Reason,
)

from .schemas import Amount, Date, Money, RequestBody, Text

ChannelChoice = Literal[tuple(Channel.values)]
OutcomeChoice = Literal[tuple(Outcome.values)]
ReasonChoice = Literal[tuple(Reason.values)]
DisputeReasonChoice = Literal[tuple(DisputeReason.values)]
ApprovalKindChoice = Literal[tuple(ApprovalKind.values)]
ActionChoice = Literal[tuple(["", *Action.values])]
ApprovalStatusChoice = Literal["pending", "approved", "rejected", "all"]
PromiseStatusChoice = Literal["open", "kept", "broken", "replaced", "all"]


def _username(user) -> str | None:
    return user.username if user is not None else None


# --- Lists ------------------------------------------------------------------------------------


class PageQuery(Schema):
    """``limit`` (1–500, default 50) and ``offset``, as on every other list of the API."""

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


# --- Tasks and the worklist -------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    customer: str = Field(description="Customer code.")
    customer_name: str
    assignee: str | None = Field(description="Username of the rep it is assigned to.")
    due_on: dt.date
    source: str = Field(description="dunning, reminder, approved, promise_broken, limitation, …")
    action: str = Field(description="reminder, call, visit, written_notice, lawyer_letter, …")
    level: int | None = Field(description="Dunning level it comes from, if any.")
    tone: str
    amount: Money = Field(description="Amount at stake when the task was made.")
    receivables: list[str] = Field(description="Numbers of the receivables it covers.")
    note: str
    status: str = Field(description="open, done or cancelled.")
    done_at: dt.datetime | None
    done_by: str | None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return _username(obj.assignee)

    @staticmethod
    def resolve_done_by(obj) -> str | None:
        return _username(obj.done_by)

    @staticmethod
    def resolve_receivables(obj) -> list[str]:
        # The view puts the numbers on the task (one query per answer, not per task).
        return getattr(obj, "receivable_numbers", [])


class FactorOut(Schema):
    key: str
    label: str
    points: int
    detail: str = Field(description="Why, in words, e.g. how many days overdue.")


class PriorityOut(Schema):
    score: int
    factors: list[FactorOut]


class MomentOut(Schema):
    at: dt.datetime = Field(description="Suggested moment, Asia/Shanghai time.")
    reasons: list[str] = Field(description="Which rule chose it.")


class LivePromiseOut(Schema):
    """A promise with what has come in towards it so far (from the ledger, as of the day)."""

    id: int
    amount: Money
    made_on: dt.date
    due_on: dt.date
    promised_by: str
    status: str
    paid: Money = Field(description="Payments received since the promise was made.")
    short: bool = Field(description="Something was paid, but less than promised.")
    kept: bool
    overdue: bool


class WorkItemOut(TaskOut):
    overdue_amount: Money
    days_overdue: int
    debt_class: str
    priority: PriorityOut
    moment: MomentOut
    promise: LivePromiseOut | None = Field(description="The customer's open promise, if any.")


class TasksPage(Schema):
    date: dt.date
    items: list[WorkItemOut]
    count: int


class TaskCompleteIn(RequestBody):
    date: Date | None = Field(None, description="When it was done; default today.")
    note: Text = ""


# --- Activities -------------------------------------------------------------------------------


class ActivityIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    happened_on: Date
    channel: ChannelChoice
    outcome: OutcomeChoice
    reason: ReasonChoice = Field("", description="Why the customer says it does not pay.")
    technique: Text = Field("", description="Code of the playbook technique used.")
    note: Text = Field("", description="What was said.")
    next_step: Text = ""
    next_step_on: Date | None = Field(None, description="Makes a follow-up task for that day.")
    contact: int | None = Field(None, description="Id of the customer's contact spoken with.")
    task: int | None = Field(None, description="Id of the task this contact carries out.")
    is_written_demand: bool = Field(False, description="Letter or email demanding payment.")
    asked_to_delay: bool = Field(
        False, description="The customer asked to delay or split the payment (a warning sign)."
    )
    promise_amount: Amount | None = Field(None, description='Required with outcome "promised".')
    promise_due_on: Date | None = Field(None, description='Required with outcome "promised".')
    promised_by: Text = ""


class ActivityOut(Schema):
    id: int
    customer: str
    happened_on: dt.date
    channel: str
    outcome: str
    reason: str
    technique: str
    is_written_demand: bool
    asked_to_delay: bool
    note: str
    next_step: str
    next_step_on: dt.date | None
    contact: str | None = Field(description="Name of the contact spoken with.")
    task: int | None
    case: int | None
    promise: int | None = Field(description="Id of the promise made in this contact, if any.")
    created_by: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_contact(obj) -> str | None:
        return obj.contact.name if obj.contact_id else None

    @staticmethod
    def resolve_task(obj) -> int | None:
        return obj.task_id

    @staticmethod
    def resolve_case(obj) -> int | None:
        return obj.case_id

    @staticmethod
    def resolve_promise(obj) -> int | None:
        promises = list(obj.promises.all())
        return promises[0].pk if promises else None

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return _username(obj.created_by)


class ActivitiesPage(Schema):
    items: list[ActivityOut]
    count: int


# --- Promises ---------------------------------------------------------------------------------


class PromiseIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    amount: Amount
    made_on: Date
    due_on: Date
    promised_by: Text = Field(description="Who at the customer promised.")


class PromiseOut(LivePromiseOut):
    customer: str
    activity: int | None = Field(description="The recorded contact it was made in, if any.")
    settled_on: dt.date | None
    created_by: str | None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_activity(obj) -> int | None:
        return obj.activity_id

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return _username(obj.created_by)


class PromisesPage(Schema):
    as_of: dt.date
    items: list[PromiseOut]
    count: int


# --- Disputes ---------------------------------------------------------------------------------


class DisputeIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    receivables: list[Text] = Field(description="Numbers of the disputed receivables.")
    reason: DisputeReasonChoice
    description: Text
    owner: Text | None = Field(None, description="Username of who resolves it; default you.")
    opened_on: Date


class DisputeResolveIn(RequestBody):
    resolved_on: Date
    resolution: Text


class DisputeOut(Schema):
    id: int
    customer: str
    receivables: list[str]
    reason: str
    description: str
    owner: str
    opened_on: dt.date
    resolved_on: dt.date | None
    resolution: str
    days_to_resolve: int | None
    created_by: str | None

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_receivables(obj) -> list[str]:
        return sorted(receivable.number for receivable in obj.receivables.all())

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return _username(obj.created_by)


class DisputesPage(Schema):
    items: list[DisputeOut]
    count: int


# --- Approvals --------------------------------------------------------------------------------


class ApprovalIn(RequestBody):
    customer: Text = Field(description="Customer code.")
    kind: ApprovalKindChoice
    reason: Text
    requested_on: Date
    action: ActionChoice = Field("", description="The hard measure asked for (kind measure).")
    receivable: Text | None = Field(None, description="Number of the receivable (write_off).")
    amount: Amount | None = Field(None, description="Write-off amount; default what is owed.")


class DecisionIn(RequestBody):
    date: Date | None = Field(None, description="Day of the decision; default today.")
    note: Text = Field("", description="Required to reject.")


class ApprovalOut(Schema):
    id: int
    kind: str
    customer: str
    action: str
    level: int | None
    receivable: str | None
    amount: Money
    reason: str
    requested_on: dt.date
    requested_by: str | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    task: int | None = Field(description="The task an approved measure became.")
    write_off: str | None = Field(description="Number of the posted write-off.")

    @staticmethod
    def resolve_customer(obj) -> str:
        return obj.customer.code

    @staticmethod
    def resolve_receivable(obj) -> str | None:
        return obj.receivable.number if obj.receivable_id else None

    @staticmethod
    def resolve_requested_by(obj) -> str | None:
        return _username(obj.requested_by)

    @staticmethod
    def resolve_decided_by(obj) -> str | None:
        return _username(obj.decided_by)

    @staticmethod
    def resolve_task(obj) -> int | None:
        return obj.task_id

    @staticmethod
    def resolve_write_off(obj) -> str | None:
        return obj.write_off.number if obj.write_off_id else None


class ApprovalsPage(Schema):
    items: list[ApprovalOut]
    count: int


# --- The daily run ----------------------------------------------------------------------------


class DailyRunOut(Schema):
    as_of: dt.date
    already_done: bool = Field(description="The run for that date had been done: nothing new.")
    cases_opened: int
    cases_closed: int
    classes_changed: int
    levels_advanced: int
    reminders_created: int
    tasks_created: int
    approvals_raised: int
    promises_kept: int
    promises_broken: int
    limitation_warnings: int
    tasks_cancelled: int
    ratings_changed: int = Field(description="Customers whose rating changed.")
    signals_raised: int = Field(description="Early-warning signals the run raised.")
    messages_queued: int = Field(
        description="Messages queued after the run: the ladder's reminder emails to customers, "
        "and the digest and alert posts to the group robots (WeCom, DingTalk)."
    )
