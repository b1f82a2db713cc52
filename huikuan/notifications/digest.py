"""The morning posts to group chats: each team's digest (what every rep has on today) and the
managers' note about strong warning signals found by the daily run.

Both are keyed by robot and day, so running the daily job twice posts nothing new. The lead's
``huikuan daily`` calls them after the run; they only queue messages (the outbox sends them).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.core.money import ZERO
from huikuan.customers.models import Customer
from huikuan.dunning.models import Promise, PromiseStatus, Task, TaskStatus
from huikuan.org.models import Role, User
from huikuan.reports.selectors import receivables_as_of
from huikuan.risk.models import Severity, Signal

from .models import Message, Purpose, Robot, RobotPurpose
from .outbox import message_enqueue
from .reminders import reminders_send
from .templating import money
from .webhooks import classes_track, events_dispatch

TOP_TASKS = 5


@dataclass
class RepDay:
    """One rep's line in the digest."""

    rep: User
    open_tasks: int
    overdue_total: Decimal
    promises_due: int
    top_tasks: list[Task]


def rep_day(*, rep: User, as_of: date) -> RepDay:
    """What ``rep`` has on ``as_of``: open tasks due by then, the overdue balance of the rep's
    customers that day, promises to pay falling due that day, and the five largest tasks."""
    tasks = Task.objects.filter(assignee=rep, status=TaskStatus.OPEN, due_on__lte=as_of)
    owned = Customer.objects.filter(owner=rep)
    overdue = (
        receivables_as_of(as_of=as_of, customers=owned)
        .filter(due_date__lt=as_of)
        .aggregate(total=Sum("balance"))["total"]
    )
    return RepDay(
        rep=rep,
        open_tasks=tasks.count(),
        overdue_total=overdue or ZERO,
        promises_due=Promise.objects.filter(
            customer__owner=rep, status=PromiseStatus.OPEN, due_on=as_of
        ).count(),
        top_tasks=list(
            tasks.select_related("customer").order_by("-amount", "due_on", "pk")[:TOP_TASKS]
        ),
    )


def reps_of(robot: Robot):
    """The reps a digest robot reports on: its team's, or every active rep without a team."""
    reps = User.objects.filter(is_active=True, role=Role.REP)
    if robot.team_id:
        reps = reps.filter(team_id=robot.team_id)
    return reps.order_by("last_name", "first_name", "username")


def digest_text(*, days: list[RepDay], as_of: date) -> str:
    """The digest as Markdown (both WeCom and DingTalk robots show it)."""
    lines = [_("### Collection digest %(date)s") % {"date": as_of.isoformat()}]
    if not days:
        lines.append(_("No reps in this group."))
    for day in days:
        lines.append("")
        lines.append(
            _(
                "**%(rep)s**: open tasks %(tasks)d, overdue %(overdue)s, "
                "promises due today %(promises)d"
            )
            % {
                "rep": day.rep,
                "tasks": day.open_tasks,
                "overdue": money(day.overdue_total),
                "promises": day.promises_due,
            }
        )
        for task in day.top_tasks:
            lines.append(
                _("- %(customer)s: %(action)s, %(amount)s")
                % {
                    "customer": task.customer.name,
                    "action": task.get_action_display(),
                    "amount": money(task.amount),
                }
            )
    return "\n".join(lines)


@transaction.atomic
def digests_enqueue(*, as_of: date, now: datetime) -> int:
    """Queue one digest per active digest robot for ``as_of`` (key ``digest:<robot>:<date>``):
    per rep of the robot's team (all reps when it has none) today's open tasks, the overdue
    total of their customers, promises due today and their five largest tasks. Returns how many
    digests were newly queued (a rerun of the same day queues none)."""
    queued = 0
    robots = Robot.objects.filter(purpose=RobotPurpose.DIGEST, is_active=True).order_by("pk")
    with translation.override(settings.LANGUAGE_CODE):
        for robot in robots:
            key = f"digest:{robot.pk}:{as_of.isoformat()}"
            if Message.objects.filter(key=key).exists():
                continue
            days = [rep_day(rep=rep, as_of=as_of) for rep in reps_of(robot)]
            message_enqueue(
                key=key,
                channel=robot.channel,
                purpose=Purpose.DIGEST,
                now=now,
                subject=_("Collection digest %(date)s") % {"date": as_of.isoformat()},
                body_text=digest_text(days=days, as_of=as_of),
                robot=robot,
                language=settings.LANGUAGE_CODE,
            )
            queued += 1
    return queued


def strong_signals(*, as_of: date):
    """Strong warning signals first seen on ``as_of``."""
    return (
        Signal.objects.filter(severity=Severity.STRONG, detected_on=as_of)
        .select_related("customer")
        .order_by("customer__name", "pk")
    )


def signals_text(*, signals: list[Signal], as_of: date) -> str:
    lines = [_("### Strong warning signals %(date)s") % {"date": as_of.isoformat()}]
    for signal in signals:
        lines.append(
            _("- **%(customer)s** (%(code)s): %(kind)s. %(evidence)s")
            % {
                "customer": signal.customer.name,
                "code": signal.customer.code,
                "kind": signal.get_kind_display(),
                "evidence": " ".join(signal.evidence.split())[:200],
            }
        )
    return "\n".join(lines)


@transaction.atomic
def alerts_for_signals_enqueue(*, as_of: date, now: datetime) -> int:
    """Tell the managers about strong warning signals found on ``as_of``: one message per active
    alerts robot (key ``signals:<robot>:<date>``), none when there are no such signals. Returns
    how many messages were newly queued."""
    signals = list(strong_signals(as_of=as_of))
    if not signals:
        return 0
    queued = 0
    robots = Robot.objects.filter(purpose=RobotPurpose.ALERTS, is_active=True).order_by("pk")
    with translation.override(settings.LANGUAGE_CODE):
        text = signals_text(signals=signals, as_of=as_of)
        subject = _("Strong warning signals %(date)s") % {"date": as_of.isoformat()}
        for robot in robots:
            key = f"signals:{robot.pk}:{as_of.isoformat()}"
            if Message.objects.filter(key=key).exists():
                continue
            message_enqueue(
                key=key,
                channel=robot.channel,
                purpose=Purpose.ALERT,
                now=now,
                subject=subject,
                body_text=text,
                robot=robot,
                language=settings.LANGUAGE_CODE,
            )
            queued += 1
    return queued


def day_messages_enqueue(*, as_of: date, now: datetime) -> int:
    """The messages of ``as_of`` queued after the daily run: the ladder's reminder emails to
    customers (first, so the digest no longer counts the reminders already sent), then the group
    robots' posts (the reps' digests, the managers' signal alert), then the webhooks of the
    day's events — customers' class changes are looked for here (``webhooks.classes_track``).
    Returns how many were newly queued. Safe to call again: a day's message is queued once."""
    reminders = reminders_send(as_of=as_of, now=now)
    queued = (
        reminders
        + digests_enqueue(as_of=as_of, now=now)
        + alerts_for_signals_enqueue(as_of=as_of, now=now)
    )
    classes_track(as_of=as_of)
    return queued + events_dispatch(now=now)
