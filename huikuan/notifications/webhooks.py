"""Webhooks: business events (``core.Event``) sent to other systems as signed JSON POSTs.

- **Endpoints** (``WebhookEndpoint``) are set up by administrators: an address, a signing
  secret, the kinds of event wanted. The services here create, change, switch off, re-key and
  test them; each change is audited (never with the secret in it).
- **The pump** (``events_dispatch``) turns events not dispatched yet into one outbox message per
  active endpoint that wants them, keyed ``webhook:<endpoint>:<event>`` so an event is never
  queued twice for an endpoint. It runs at the start of every ``send-outbox`` pass and after
  ``huikuan daily``. From there the outbox's worker sends, retries and alerts as for any message
  (``channels/webhook.py``).
- **Class changes** (``classes_track``): the daily step compares each customer's debt class
  (货款五类) with the one it saw last time and emits ``customer.class_changed`` for each change.
"""

import json
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record
from huikuan.core.errors import invalid
from huikuan.core.events import events_emit_many
from huikuan.core.models import SUBSCRIBABLE_KINDS, Event, EventKind
from huikuan.customers.models import Customer
from huikuan.ledger.classes import DebtClass, class_thresholds
from huikuan.ledger.selectors import customers_with_balances
from huikuan.org.models import Role

from .models import (
    Channel,
    CustomerClassSeen,
    Message,
    MessageStatus,
    Purpose,
    WebhookEndpoint,
    new_webhook_secret,
)

# Events turned into messages per transaction of the pump.
DISPATCH_BATCH = 500
NAME_MAX = WebhookEndpoint._meta.get_field("name").max_length
URL_MAX = WebhookEndpoint._meta.get_field("url").max_length
# Classes between which a move is no news: nothing open, or nothing past due.
QUIET_CLASSES = {"", DebtClass.CURRENT}


def can_manage_webhooks(user) -> bool:
    """Webhooks are for administrators (and superusers) only."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) == Role.ADMIN)


def _require_admin(actor) -> None:
    if not can_manage_webhooks(actor):
        raise PermissionDenied(_("Only an administrator may set up webhooks."))


def _audited(endpoint: WebhookEndpoint) -> dict:
    """What the audit log keeps of an endpoint: everything but the secret."""
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "is_active": endpoint.is_active,
    }


def _clean(name: str, url: str, events) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("Give the endpoint a name."))
    if len(name) > NAME_MAX:
        raise invalid(
            "name", _("The name may have at most %(count)d characters.") % {"count": NAME_MAX}
        )
    url = (url or "").strip()
    try:
        if len(url) > URL_MAX:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise invalid(
            "url", _("Give a full http:// or https:// address of at most 500 characters.")
        ) from None
    wanted = set(events or [])
    unknown = wanted - {kind.value for kind in SUBSCRIBABLE_KINDS}
    if unknown:
        raise invalid(
            "events", _("Unknown event: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
        )
    return name, url, [kind.value for kind in SUBSCRIBABLE_KINDS if kind.value in wanted]


# --- Endpoints -----------------------------------------------------------------------------------


@transaction.atomic
def webhook_endpoint_create(*, name: str, url: str, events, actor) -> WebhookEndpoint:
    """Add an endpoint (administrators only), active, with a new random secret. ``events`` are
    the kinds it wants (empty: all). It receives the events that happen from now on."""
    _require_admin(actor)
    name, url, events = _clean(name, url, events)
    endpoint = WebhookEndpoint(name=name, url=url, events=events, created_by=actor)
    endpoint.full_clean()
    endpoint.save()
    audit_record(actor=actor, action="webhook.create", obj=endpoint, after=_audited(endpoint))
    return endpoint


def _cancel_queued(endpoint: WebhookEndpoint) -> int:
    """Messages of ``endpoint`` still waiting (not being sent, not handed over) are cancelled."""
    return Message.objects.filter(
        webhook=endpoint, status=MessageStatus.QUEUED, handed_over_at__isnull=True
    ).update(status=MessageStatus.CANCELLED)


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, events, is_active: bool, actor
) -> WebhookEndpoint:
    """Change an endpoint (administrators only). Switching it off cancels its messages still
    waiting to be sent; it gets nothing until switched on again (and then only new events).
    A new address is used from the next try on, also for messages already queued."""
    _require_admin(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _audited(endpoint)
    name, url, events = _clean(name, url, events)
    endpoint.name, endpoint.url, endpoint.events = name, url, events
    endpoint.is_active = bool(is_active)
    endpoint.full_clean()
    endpoint.save()
    cancelled = 0 if endpoint.is_active else _cancel_queued(endpoint)
    audit_record(
        actor=actor,
        action="webhook.update",
        obj=endpoint,
        before=before,
        after={**_audited(endpoint), "messages_cancelled": cancelled},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_switch(*, endpoint: WebhookEndpoint, is_active: bool, actor):
    """Switch an endpoint on or off (see ``webhook_endpoint_update``), keeping the rest as it
    is in the database."""
    _require_admin(actor)
    current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    return webhook_endpoint_update(
        endpoint=current,
        name=current.name,
        url=current.url,
        events=current.events,
        is_active=is_active,
        actor=actor,
    )


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Give an endpoint a new signing secret (administrators only). Every request from now on,
    retries of older messages included, is signed with the new one."""
    _require_admin(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    audit_record(
        actor=actor,
        action="webhook.rotate_secret",
        obj=endpoint,
        after={"secret": "rotated"},
    )
    return endpoint


def _message(endpoint: WebhookEndpoint, event: Event, *, now: datetime, customer_id=None):
    return Message(
        key=f"webhook:{endpoint.pk}:{event.pk}",
        channel=Channel.WEBHOOK,
        purpose=Purpose.EVENT,
        customer_id=customer_id,
        webhook=endpoint,
        recipient=endpoint.name,
        subject=event.kind,
        body_text=event_body(event),
        language=settings.LANGUAGE_CODE,
        status=MessageStatus.QUEUED,
        next_attempt_at=now,
    )


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint, actor, now: datetime) -> Message:
    """Queue a ``webhook.test`` event for this one endpoint (administrators only; it must be
    active), signed and sent like any other, so the receiving side can check its set-up."""
    _require_admin(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.is_active:
        raise invalid("endpoint", _("This endpoint is switched off: switch it on first."))
    event = Event(
        kind=EventKind.WEBHOOK_TEST,
        occurred_at=now,
        payload={"endpoint": endpoint.name, "sent_by": actor.get_username()},
        dispatched_at=now,  # for this endpoint only, never for the pump
    )
    event.save(force_insert=True)
    message = _message(endpoint, event, now=now)
    message.created_by = actor
    message.save(force_insert=True)
    audit_record(actor=actor, action="webhook.test", obj=endpoint, after={"message": message.pk})
    return message


# --- The pump ------------------------------------------------------------------------------------


def _moment(value: datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def event_body(event: Event) -> str:
    """The JSON body of an event's webhook: what happened, when, to which customer and object,
    and the event's own data (see docs/webhooks.md). Compact, UTF-8 (not escaped)."""
    body = {
        "id": event.pk,
        "event": event.kind,
        "occurred_at": _moment(event.occurred_at),
        "customer": (
            {"id": event.customer_id, "code": event.customer_code}
            if event.customer_id is not None
            else None
        ),
        "object": (
            {"type": event.object_type, "id": _object_id(event.object_id)}
            if event.object_type
            else None
        ),
        "data": event.payload,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), cls=_Encoder)


class _Encoder(json.JSONEncoder):
    def default(self, o):
        return str(o)


def _object_id(value: str):
    return int(value) if value.isdigit() else value


def _dispatch_batch(*, now: datetime, limit: int) -> tuple[int, int]:
    """One transaction of the pump: (messages queued, events dispatched)."""
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("pk")[:limit]
        )
        if not events:
            return 0, 0
        endpoints = list(WebhookEndpoint.objects.filter(is_active=True).order_by("pk"))
        customers = {e.customer_id for e in events if e.customer_id is not None}
        if endpoints and customers:
            # An event outlives nothing it names today, but a message must not point at a
            # customer that is gone.
            customers = set(Customer.objects.filter(pk__in=customers).values_list("pk", flat=True))
        messages = [
            _message(
                endpoint,
                event,
                now=now,
                customer_id=event.customer_id if event.customer_id in customers else None,
            )
            for event in events
            if event.kind != EventKind.WEBHOOK_TEST
            for endpoint in endpoints
            if endpoint.wants(event.kind)
        ]
        existing = set(
            Message.objects.filter(key__in=[m.key for m in messages]).values_list("key", flat=True)
        )
        fresh = [m for m in messages if m.key not in existing]
        Message.objects.bulk_create(fresh, batch_size=DISPATCH_BATCH, ignore_conflicts=True)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
    return len(fresh), len(events)


def events_dispatch(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> int:
    """Turn every event not dispatched yet into one queued webhook message per active endpoint
    that wants its kind, and mark it dispatched; ``limit`` events per transaction. Returns how
    many messages were queued.

    Each event is dispatched once: its key (``webhook:<endpoint>:<event>``) is unique, and on
    PostgreSQL two pumps at once skip each other's rows (``FOR UPDATE SKIP LOCKED``); on SQLite
    the transactions queue. Events that no endpoint wants are marked dispatched all the same: an
    endpoint receives what happens after it was set up or switched on, not the past."""
    now = now or timezone.now()
    queued = 0
    # A cheap look first: most passes of the worker find nothing, and need no write lock.
    while Event.objects.filter(dispatched_at__isnull=True).exists():
        count, dispatched = _dispatch_batch(now=now, limit=limit)
        queued += count
        if dispatched < limit:
            break
    return queued


# --- Class changes (the daily step) -------------------------------------------------------------


def _seen(customer_id: int, debt_class: str, as_of: date) -> CustomerClassSeen:
    return CustomerClassSeen(customer_id=customer_id, debt_class=debt_class, seen_on=as_of)


@transaction.atomic
def classes_track(*, as_of: date) -> int:
    """Emit ``customer.class_changed`` for every customer whose debt class (货款五类, the worst
    class of its open money by ``ledger.selectors.customers_with_balances``) on ``as_of``
    differs from the one last seen, and remember the new one. Returns how many changed.

    The first look at a customer only records its class (there is nothing to compare with); a
    move between "nothing open" and "not yet due" is no news and is recorded silently; a date
    before the one last seen changes nothing for that customer (a rerun of an old day). Safe to
    call again for the same day: the second call finds no change."""
    seen = {
        pk: (debt_class, seen_on)
        for pk, debt_class, seen_on in CustomerClassSeen.objects.values_list(
            "customer_id", "debt_class", "seen_on"
        )
    }
    classes = (
        customers_with_balances(
            customers=Customer.objects.all(), as_of=as_of, thresholds=class_thresholds()
        )
        .order_by()
        .values_list("pk", "code", "debt_class")
    )
    remember, changes = [], []
    for pk, code, debt_class in classes.iterator(chunk_size=5000):
        before = seen.get(pk)
        if before is None:
            if debt_class:
                remember.append(_seen(pk, debt_class, as_of))
            continue
        old, seen_on = before
        if old == debt_class or seen_on > as_of:
            continue
        remember.append(_seen(pk, debt_class, as_of))
        if {old, debt_class} <= QUIET_CLASSES:
            continue
        changes.append(
            {
                "kind": EventKind.CLASS_CHANGED,
                "customer_id": pk,
                "customer_code": code,
                "object_type": "customer",
                "object_id": pk,
                "payload": {
                    "from": old or None,
                    "to": debt_class or None,
                    "as_of": as_of.isoformat(),
                },
            }
        )
    CustomerClassSeen.objects.bulk_create(
        remember,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["debt_class", "seen_on"],
    )
    events_emit_many(changes)
    return len(changes)


# --- Reads for the pages -------------------------------------------------------------------------


def webhook_endpoints_with_counts() -> QuerySet[WebhookEndpoint]:
    """Every endpoint by name, with how many of its messages ``failed`` for good and how many
    are ``waiting`` (queued or being sent)."""
    return WebhookEndpoint.objects.annotate(
        failed=Count("messages", filter=Q(messages__status=MessageStatus.FAILED)),
        waiting=Count(
            "messages",
            filter=Q(messages__status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]),
        ),
    ).order_by("name", "pk")


def webhook_deliveries(
    *, endpoint: WebhookEndpoint | None = None, status: str = ""
) -> QuerySet[Message]:
    """The webhook channel's messages, newest first, optionally of one endpoint and in one
    status (administrators see them all)."""
    messages = Message.objects.filter(channel=Channel.WEBHOOK).select_related("webhook")
    if endpoint is not None:
        messages = messages.filter(webhook=endpoint)
    if status:
        messages = messages.filter(status=status)
    return messages.defer("body_html").order_by("-created_at", "-id")
