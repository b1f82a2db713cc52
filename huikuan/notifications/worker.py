"""The outbox worker: sends the messages that are due, exactly once, with any number of workers
running at the same time and any of them killed at any moment.

How a message is never sent twice:

1. **Claim** (one short transaction): due QUEUED rows become SENDING with ``claimed_by`` = this
   worker, a lease (``lease_until``), ``attempts + 1`` and a DeliveryAttempt row. PostgreSQL
   skips rows another worker is claiming (``FOR UPDATE SKIP LOCKED``); SQLite runs the
   transaction IMMEDIATE, so claims queue one after the other. Only the UPDATE's own condition
   (``status = queued``) decides who gets a row.
2. **Hand-over** (one committed UPDATE): just before the point of no return — SMTP DATA, the
   HTTP request — the channel calls ``hand_over``, which sets ``handed_over_at`` only if the
   row is still this worker's, still SENDING and its lease has not run out. If that changes no
   row, nothing is sent.
3. **Result** (one transaction, again only if the row is still this worker's): SENT, back to
   QUEUED with a backoff (handed_over_at cleared: the other side said no), FAILED, or UNKNOWN.
4. **Reclaim**: a SENDING row whose lease ran out belongs to a worker that died or hung. Not
   handed over → nothing left the house → QUEUED again for anyone. Handed over → it may have
   arrived → UNKNOWN with an alert, for a person to check; never resent on its own.

Call ``send_due`` outside any transaction (the command does): each step must commit on its own.
"""

import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import channels
from .channels import (
    AmbiguousFailure,
    Connections,
    LeaseLost,
    PermanentFailure,
    TemporaryFailure,
)
from .models import (
    ROBOT_CHANNELS,
    AlertKind,
    AttemptResult,
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
)
from .outbox import alert_raise
from .webhooks import events_dispatch

# Fault injection for the crash tests, a comma-separated list in this environment variable:
#   outbox:after_claim          SIGKILL right after the claim committed (nothing handed over)
#   outbox:after_hand_over[=k]  SIGKILL after the k-th hand-over of this process (default 1)
#   outbox:after_send[=k]       SIGKILL after the k-th channel call returned, before its result
#                               is recorded
#   outbox:slow=<seconds>       sleep before each hand-over (so a test can kill mid-batch)
FAILPOINT = "HUIKUAN_FAILPOINT"
_passed: dict[str, int] = {}


def _failpoints() -> dict[str, str]:
    points = {}
    for item in os.environ.get(FAILPOINT, "").split(","):
        name, _sep, value = item.strip().partition("=")
        if name.startswith("outbox:"):
            points[name.removeprefix("outbox:")] = value
    return points


def _failpoint(name: str) -> None:
    points = _failpoints()
    if name not in points:
        return
    _passed[name] = _passed.get(name, 0) + 1
    if _passed[name] >= int(points[name] or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _slow() -> None:
    seconds = _failpoints().get("slow")
    if seconds:
        time.sleep(float(seconds))


@dataclass
class BatchResult:
    """What one pass of the worker did: messages sent, put back for a retry, failed for good,
    and left of unknown outcome (including ones reclaimed from a dead worker after hand-over)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0

    def add(self, other: "BatchResult") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.unknown


def backoff_seconds(attempts: int) -> int:
    """The wait before the next try after ``attempts`` tries: the base, doubling each time,
    at most an hour."""
    base = settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.HUIKUAN_OUTBOX_BACKOFF_MAX_SECONDS)


def _lease() -> timedelta:
    return timedelta(seconds=settings.HUIKUAN_OUTBOX_LEASE_SECONDS)


def _to(message: Message) -> str:
    if message.channel in ROBOT_CHANNELS:
        return str(message.robot) if message.robot_id else "—"
    if message.channel == Channel.WEBHOOK:
        return str(message.webhook) if message.webhook_id else "—"
    return message.recipient


def _finish_attempt(message_id: int, number: int, *, result: str, now: datetime, detail: str):
    DeliveryAttempt.objects.filter(message_id=message_id, number=number).update(
        result=result, finished_at=now, detail=detail[:4000]
    )


def _alert(kind: str, text: str, message: Message, now: datetime) -> None:
    alert_raise(kind=kind, text=text, message=message, now=now)


# --- 1. reclaim ----------------------------------------------------------------------------------


def reclaim_expired(*, now: datetime) -> BatchResult:
    """Take back the messages whose worker's lease ran out (see the module docstring, step 4).
    Each change is a conditional UPDATE, so two workers reclaiming at once act on a row once."""
    result = BatchResult()
    expired = Message.objects.filter(status=MessageStatus.SENDING, lease_until__lte=now)
    rows = list(expired.values_list("pk", "claimed_by", "attempts", "handed_over_at"))
    for pk, owner, attempts, handed_over_at in rows:
        with transaction.atomic():
            mine = Message.objects.filter(
                pk=pk, status=MessageStatus.SENDING, claimed_by=owner, lease_until__lte=now
            )
            if handed_over_at is None:
                give_up = attempts >= settings.HUIKUAN_OUTBOX_MAX_ATTEMPTS
                detail = _("Worker %(worker)s stopped before sending.") % {"worker": owner}
                changed = mine.filter(handed_over_at__isnull=True).update(
                    status=MessageStatus.FAILED if give_up else MessageStatus.QUEUED,
                    claimed_by="",
                    lease_until=None,
                    next_attempt_at=now,
                    last_error=detail,
                )
                if not changed:
                    continue
                _finish_attempt(
                    pk,
                    attempts,
                    result=AttemptResult.FAILED if give_up else AttemptResult.RETRY,
                    now=now,
                    detail=detail,
                )
                if give_up:
                    message = Message.objects.get(pk=pk)
                    result.failed += 1
                    with translation.override(settings.LANGUAGE_CODE):
                        _alert(
                            AlertKind.GAVE_UP,
                            _("Gave up sending message #%(id)s to %(to)s after %(count)d tries.")
                            % {"id": pk, "to": _to(message), "count": attempts},
                            message,
                            now,
                        )
                continue
            with translation.override(settings.LANGUAGE_CODE):
                detail = _(
                    "Worker %(worker)s stopped after handing the message over; it may or may "
                    "not have arrived."
                ) % {"worker": owner}
                changed = mine.filter(handed_over_at__isnull=False).update(
                    status=MessageStatus.UNKNOWN, claimed_by="", lease_until=None, last_error=detail
                )
                if not changed:
                    continue
                _finish_attempt(pk, attempts, result=AttemptResult.UNKNOWN, now=now, detail=detail)
                message = Message.objects.get(pk=pk)
                result.unknown += 1
                _alert(
                    AlertKind.UNKNOWN,
                    _(
                        "Sending message #%(id)s to %(to)s was interrupted after it was handed "
                        "over. Check with the recipient whether it arrived before sending it "
                        "again."
                    )
                    % {"id": pk, "to": _to(message)},
                    message,
                    now,
                )
    return result


# --- 2. claim ------------------------------------------------------------------------------------


def claim_due(*, worker_id: str, now: datetime, limit: int) -> list[tuple[int, int]]:
    """Claim up to ``limit`` due messages for ``worker_id`` (step 1): returns (message id,
    attempt number) pairs, committed."""
    with transaction.atomic():
        due = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(due)
        if not ids:
            return []
        Message.objects.filter(pk__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING,
            claimed_by=worker_id,
            lease_until=now + _lease(),
            attempts=F("attempts") + 1,
            handed_over_at=None,
        )
        claimed = list(
            Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING, claimed_by=worker_id)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempts")
        )
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(message_id=pk, number=number, worker=worker_id, started_at=now)
            for pk, number in claimed
        )
    return claimed


def _release(claimed: list[tuple[int, int]], *, worker_id: str, now: datetime) -> None:
    """Give back claimed messages this worker will not get to (it was asked to stop)."""
    with translation.override(settings.LANGUAGE_CODE):
        detail = _("Worker %(worker)s stopped before sending.") % {"worker": worker_id}
    for pk, number in claimed:
        with transaction.atomic():
            changed = Message.objects.filter(
                pk=pk,
                status=MessageStatus.SENDING,
                claimed_by=worker_id,
                handed_over_at__isnull=True,
            ).update(status=MessageStatus.QUEUED, claimed_by="", lease_until=None)
            if changed:
                _finish_attempt(pk, number, result=AttemptResult.RETRY, now=now, detail=detail)


def _renew(claimed: list[tuple[int, int]], *, worker_id: str, now: datetime) -> None:
    """Extend the lease of messages still waiting their turn in this worker's batch."""
    Message.objects.filter(
        pk__in=[pk for pk, _number in claimed],
        status=MessageStatus.SENDING,
        claimed_by=worker_id,
        handed_over_at__isnull=True,
        lease_until__gt=now,
    ).update(lease_until=now + _lease())


# --- 3. send and record --------------------------------------------------------------------------


def _mark_document_sent(message: Message, now: datetime) -> str:
    """The letter attached to a sent email counts as sent (a demand restarts the limitation
    period). Returns a note for the delivery log when that was refused."""
    document = message.document
    if document is None or document.sent_on is not None:
        return ""
    from huikuan.documents.services import document_mark_sent

    reference = f"message {message.pk} to {message.recipient}"[:255]
    try:
        with transaction.atomic():
            document_mark_sent(
                document=document,
                on=timezone.localdate(now),
                via="email",
                actor=None,
                reference=reference,
            )
    except ValidationError as exc:
        return f"; document {document.number} not marked as sent: {'; '.join(exc.messages)}"
    return ""


def _record(
    message: Message,
    number: int,
    *,
    worker_id: str,
    now: datetime,
    outcome: str,
    detail: str,
    provider_ref: str = "",
    kind: str = "",
) -> str | None:
    """Write the result of one attempt, if the message is still this worker's. Returns the
    BatchResult field it counts under, or None when another worker took the message back."""
    mine = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING, claimed_by=worker_id)
    common = {"claimed_by": "", "lease_until": None}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        if outcome == "sent":
            changed = mine.update(
                status=MessageStatus.SENT,
                sent_at=now,
                provider_ref=provider_ref[:255],
                last_error="",
                **common,
            )
            if not changed:
                return None
            detail += _mark_document_sent(message, now)
            _finish_attempt(message.pk, number, result=AttemptResult.SENT, now=now, detail=detail)
            return "sent"
        if outcome == "retry" and message.attempts < settings.HUIKUAN_OUTBOX_MAX_ATTEMPTS:
            wait = timedelta(seconds=backoff_seconds(message.attempts))
            changed = mine.update(
                status=MessageStatus.QUEUED,
                next_attempt_at=now + wait,
                handed_over_at=None,
                last_error=detail,
                **common,
            )
            if not changed:
                return None
            _finish_attempt(message.pk, number, result=AttemptResult.RETRY, now=now, detail=detail)
            return "retried"
        to = _to(message)
        if outcome == "unknown":
            changed = mine.update(status=MessageStatus.UNKNOWN, last_error=detail, **common)
            if not changed:
                return None
            _finish_attempt(
                message.pk, number, result=AttemptResult.UNKNOWN, now=now, detail=detail
            )
            text = _(
                "We don't know whether message #%(id)s to %(to)s arrived (%(detail)s). Check "
                "with the recipient before sending it again."
            ) % {"id": message.pk, "to": to, "detail": detail}
            _alert(AlertKind.UNKNOWN, text, message, now)
            return "unknown"
        changed = mine.update(status=MessageStatus.FAILED, last_error=detail, **common)
        if not changed:
            return None
        _finish_attempt(message.pk, number, result=AttemptResult.FAILED, now=now, detail=detail)
        if outcome == "retry":
            kind = AlertKind.GAVE_UP
            text = _(
                "Gave up sending message #%(id)s to %(to)s after %(count)d tries: %(detail)s"
            ) % {"id": message.pk, "to": to, "count": message.attempts, "detail": detail}
        elif kind == AlertKind.BOUNCED:
            text = _("The email #%(id)s to %(to)s bounced: %(detail)s") % {
                "id": message.pk,
                "to": to,
                "detail": detail,
            }
        else:
            text = _("Message #%(id)s could not be delivered to %(to)s: %(detail)s") % {
                "id": message.pk,
                "to": to,
                "detail": detail,
            }
        _alert(kind, text, message, now)
        return "failed"


def _send_one(
    pk: int,
    number: int,
    *,
    worker_id: str,
    now_fn: Callable[[], datetime],
    connections: Connections,
) -> str | None:
    message = Message.objects.select_related("document", "robot", "webhook", "customer").get(pk=pk)
    handed_over: list[datetime] = []

    def hand_over() -> bool:
        moment = now_fn()
        changed = Message.objects.filter(
            pk=pk,
            status=MessageStatus.SENDING,
            claimed_by=worker_id,
            lease_until__gt=moment,
        ).update(handed_over_at=moment, lease_until=moment + _lease())
        if changed:
            handed_over.append(moment)
            _failpoint("after_hand_over")
        return changed == 1

    _slow()
    outcome, detail, ref, kind = "sent", "", "", ""
    try:
        sent = channels.send(message, connections, hand_over)
        ref = sent.provider_ref
    except LeaseLost:
        return None  # another worker took it back before anything was sent
    except TemporaryFailure as exc:
        outcome, detail = "retry", exc.detail
    except PermanentFailure as exc:
        outcome, detail = "failed", exc.detail
        bounced = exc.bounced and message.channel == Channel.EMAIL
        kind = AlertKind.BOUNCED if bounced else AlertKind.UNREACHABLE
    except AmbiguousFailure as exc:
        outcome, detail = "unknown", exc.detail
    except Exception as exc:
        # A fault of ours (or a library's): before the hand-over nothing left the house.
        detail = f"unexpected error: {exc!r}"
        outcome = "unknown" if handed_over else "retry"
        connections.close()
    _failpoint("after_send")
    return _record(
        message,
        number,
        worker_id=worker_id,
        now=now_fn(),
        outcome=outcome,
        detail=detail,
        provider_ref=ref,
        kind=kind,
    )


def send_due(
    *,
    worker_id: str,
    now_fn: Callable[[], datetime] = timezone.now,
    limit: int = 50,
    stop: Callable[[], bool] | None = None,
) -> BatchResult:
    """One pass: reclaim what dead workers left, claim up to ``limit`` due messages and send
    them one by one over shared connections. ``stop`` is asked before each message; when it
    says so the rest of the batch goes back to the queue untouched. Each message is sent at
    most once whatever happens to this process (see the module docstring). Business events
    not dispatched yet become webhook messages first (``webhooks.events_dispatch``)."""
    started = now_fn()
    events_dispatch(now=started)
    result = reclaim_expired(now=started)
    claimed = claim_due(worker_id=worker_id, now=now_fn(), limit=limit)
    if not claimed:
        return result
    _failpoint("after_claim")
    connections = Connections()
    renewed_at = time.monotonic()
    lease = settings.HUIKUAN_OUTBOX_LEASE_SECONDS
    try:
        for index, (pk, number) in enumerate(claimed):
            if stop is not None and stop():
                _release(claimed[index:], worker_id=worker_id, now=now_fn())
                break
            if time.monotonic() - renewed_at > lease / 2:
                _renew(claimed[index:], worker_id=worker_id, now=now_fn())
                renewed_at = time.monotonic()
            counted = _send_one(
                pk, number, worker_id=worker_id, now_fn=now_fn, connections=connections
            )
            if counted:
                setattr(result, counted, getattr(result, counted) + 1)
    finally:
        connections.close()
    return result
