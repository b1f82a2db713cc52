"""The ladder's reminder messages, sent without a rep: each open "Reminder message" task of the
day whose customer has a contact with an email address gets the level's email queued in the
outbox, and the task is done, with the contact on the case's record.

A reminder is the friendly first rung — it asks nothing of a person's judgement, so reps keep
only the customers we cannot email. Each task is handled in its own transaction: a customer
whose email cannot be queued keeps its open task and does not hold up the others. The message key
``reminder:<task key>`` makes a rerun of the day queue nothing new.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from huikuan.customers.models import Contact
from huikuan.documents.models import Language
from huikuan.documents.selectors import customer_contacts
from huikuan.dunning.models import Action, DunningLevel, Outcome, Task, TaskSource, TaskStatus
from huikuan.dunning.models import Channel as ActivityChannel
from huikuan.dunning.selectors import policy_for
from huikuan.dunning.services import activity_log, task_complete
from huikuan.ledger.models import Receivable

from .models import Channel, Message, Purpose
from .outbox import message_enqueue
from .templating import message_for_level

logger = logging.getLogger(__name__)

# Tasks the daily run makes from the ladder; a rep's own follow-up stays the rep's.
LADDER_SOURCES = (TaskSource.REMINDER, TaskSource.DUNNING)


@dataclass
class ReminderResult:
    """What one pass did: emails newly queued, tasks left for the rep because the customer has
    no contact with an email address (or nothing left to remind of, or no ladder), and tasks
    whose email could not be queued (left open, logged)."""

    queued: int = 0
    no_email: int = 0
    left_open: int = 0
    failed: int = 0


def reminder_tasks(*, as_of: date):
    """The open "Reminder message" tasks of the ladder due on ``as_of``."""
    return (
        Task.objects.filter(
            status=TaskStatus.OPEN,
            due_on=as_of,
            action=Action.REMINDER,
            source__in=LADDER_SOURCES,
        )
        .select_related("customer", "customer__owner")
        .order_by("pk")
    )


def email_contact(customer) -> Contact | None:
    """Whom a customer's reminder goes to: its first current contact with an email address,
    finance people first."""
    return next((c for c in customer_contacts(customer) if (c.email or "").strip()), None)


def reminder_level(task: Task) -> DunningLevel | None:
    """The rung whose words the task's email uses: the level the task names on the customer's
    ladder, when that rung is a reminder; else the ladder's first reminder rung; None when the
    customer has no ladder or it has no reminder."""
    policy = policy_for(task.customer)
    if policy is None:
        return None
    reminders = policy.levels.filter(action=Action.REMINDER).order_by("number")
    if task.level is not None:
        named = reminders.filter(number=task.level).first()
        if named is not None:
            return named
    return reminders.first()


def _language() -> str:
    code = settings.LANGUAGE_CODE
    return code if code in Language.values else Language.ZH_HANS


def _still_owed(task: Task) -> bool:
    """Something the task is about is still unpaid (a task without receivables: assume so)."""
    if not task.receivables:
        return True
    return Receivable.objects.filter(pk__in=task.receivables, outstanding__gt=0).exists()


def _send_one(*, task: Task, contact: Contact, level: DunningLevel, as_of: date, now) -> bool:
    """Queue ``task``'s email to ``contact``, mark the task done and log the contact — all or
    nothing. True when a new message was queued; False when the task was no longer open."""
    language = _language()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.OPEN:
            return False
        key = f"reminder:{task.key}"
        fresh = not Message.objects.filter(key=key).exists()
        words = message_for_level(
            level=level,
            channel=Channel.EMAIL,
            language=language,
            customer=task.customer,
            as_of=as_of,
            recipient=contact.email.strip(),
        )
        message = message_enqueue(
            key=key,
            channel=Channel.EMAIL,
            purpose=Purpose.DUNNING,
            now=now,
            recipient=contact.email.strip(),
            subject=words.subject,
            body_text=words.text,
            body_html=words.html,
            customer=task.customer,
            language=language,
        )
        with translation.override(language):
            note = _("Reminder emailed to %(name)s <%(email)s> (message #%(id)s).") % {
                "name": contact.name,
                "email": message.recipient,
                "id": message.pk,
            }
            done = task_complete(task=locked, actor=None, on=as_of, note=note)
            # Not a written demand: a friendly reminder does not restart the limitation period.
            # "No answer": the email is on its way; the customer has not replied to it.
            activity_log(
                customer=task.customer,
                actor=None,
                happened_on=as_of,
                channel=ActivityChannel.EMAIL,
                outcome=Outcome.NO_ANSWER,
                note=note,
                contact=contact,
                task=done,
            )
    return fresh


def reminders_run(*, as_of: date, now: datetime) -> ReminderResult:
    """Email the day's ladder reminders (see the module docstring): for each open task due on
    ``as_of`` whose action is "Reminder message", the email of its rung in the site's language to
    the customer's first contact with an address (finance first), key ``reminder:<task key>``;
    the task done (by nobody: the system) with a note naming the recipient, and the email logged
    on the case — in one transaction per task. Tasks of customers without an email contact, with
    nothing left unpaid, or without a reminder rung stay open for the rep; a task whose email
    cannot be queued stays open too and does not stop the others. Nothing at all when
    ``HUIKUAN_AUTO_REMINDERS`` is off."""
    result = ReminderResult()
    if not settings.HUIKUAN_AUTO_REMINDERS:
        return result
    for task in reminder_tasks(as_of=as_of):
        contact = email_contact(task.customer)
        if contact is None:
            result.no_email += 1
            continue
        level = reminder_level(task)
        if level is None or not _still_owed(task):
            result.left_open += 1
            continue
        try:
            if _send_one(task=task, contact=contact, level=level, as_of=as_of, now=now):
                result.queued += 1
        except Exception:
            # One customer's bad address or template must not stop the day's other reminders.
            logger.exception("Reminder of task %s (%s) was not sent", task.pk, task.key)
            result.failed += 1
    if result.no_email or result.failed:
        logger.info(
            "Reminders %s: %d queued, %d without an email contact, %d failed",
            as_of.isoformat(),
            result.queued,
            result.no_email,
            result.failed,
        )
    return result


def reminders_send(*, as_of: date, now: datetime) -> int:
    """Email the day's ladder reminders (``reminders_run``) and return how many emails were
    newly queued; a rerun of the same day queues none."""
    return reminders_run(as_of=as_of, now=now).queued
