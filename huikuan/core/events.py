"""Writing business events (``core.models.Event``) in the caller's transaction.

A service calls ``event_emit`` next to the change it makes, inside its own transaction: if the
change rolls back, so does the event, and nothing is ever announced that did not happen. Bulk
paths (the daily run) collect their events and write them with one ``events_emit_many``.

Payloads are plain JSON: amounts as strings with two decimals (``"1234.50"``), dates as ISO
``YYYY-MM-DD``. What each kind carries is described in ``docs/webhooks.md``.
"""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from .bulk import insert_values
from .models import Event, EventKind

_COLUMNS = (
    "kind",
    "occurred_at",
    "customer_id",
    "customer_code",
    "object_type",
    "object_id",
    "payload",
)


def _check_kind(kind: str) -> str:
    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    return kind


def event_emit(
    *,
    kind: str,
    payload: dict,
    obj=None,
    object_type: str = "",
    customer=None,
    occurred_at: datetime | None = None,
) -> Event:
    """Record that ``kind`` happened, with one INSERT in the caller's transaction.

    ``obj`` is the model instance it is about (its id is stored; its type is ``object_type`` or
    else the model's name); ``customer`` the customer concerned (anything with ``pk`` and
    ``code``), or None."""
    event = Event(
        kind=_check_kind(kind),
        occurred_at=occurred_at or timezone.now(),
        customer_id=getattr(customer, "pk", None),
        customer_code=getattr(customer, "code", "") or "",
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id="" if obj is None else str(obj.pk),
        payload=payload,
    )
    event.save(force_insert=True)
    return event


def events_emit_many(rows: Iterable[dict], *, occurred_at: datetime | None = None) -> int:
    """Record many events at once (one statement on PostgreSQL, one prepared INSERT run for all
    rows on SQLite). Each row is a dict with ``kind`` and ``payload`` and, optionally,
    ``customer_id``, ``customer_code``, ``object_type`` and ``object_id``. Returns how many were
    written."""
    moment = occurred_at or timezone.now()
    values = [
        (
            _check_kind(row["kind"]),
            moment,
            row.get("customer_id"),
            row.get("customer_code") or "",
            row.get("object_type") or "",
            str(row.get("object_id") or ""),
            row["payload"],
        )
        for row in rows
    ]
    insert_values(Event, _COLUMNS, values)
    return len(values)
