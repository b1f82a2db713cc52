"""Webhooks: a business event POSTed as JSON to another system's address, signed.

The body is the message's text, exactly as queued (``webhooks.event_body``). Headers:

- ``Content-Type: application/json``
- ``X-Huikuan-Event``: the event kind (``payment.recorded`` …)
- ``X-Huikuan-Delivery``: the message id — the same on every retry, so the receiver can drop a
  repeat
- ``X-Huikuan-Timestamp``: Unix seconds when this try was signed
- ``X-Huikuan-Signature``: ``sha256=`` + hex HMAC-SHA256 keyed by the endpoint's secret over
  ``timestamp + "." + body``

A 2xx answer is sent. 5xx, 429, a refused connection, a timeout or a dropped connection are
retried with the outbox's backoff: webhooks are delivered at least once, and the receiver uses
``X-Huikuan-Delivery`` to recognise a repeat. Any other answer (3xx, 4xx) fails for good, with
an alert.
"""

import hashlib
import hmac
import time
from urllib.parse import urlsplit

from django.conf import settings

from . import Connections, HandOver, PermanentFailure, Result, TemporaryFailure, http_post

USER_AGENT = "Huikuan-Webhook/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Huikuan-Signature`` value of ``body`` signed at ``timestamp``."""
    signed = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def headers(*, event: str, delivery: int, secret: str, body: bytes, timestamp: str) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Huikuan-Event": event,
        "X-Huikuan-Delivery": str(delivery),
        "X-Huikuan-Timestamp": timestamp,
        "X-Huikuan-Signature": signature(secret, timestamp, body),
    }


def _post(url: str, body: bytes, request_headers: dict, *, timeout: float, hand_over: HandOver):
    """POST ``body`` and return (status, the start of the answer). No answer after the request
    was written is retried all the same (at least once): the unchanged X-Huikuan-Delivery lets
    the receiver drop the repeat."""
    status, raw = http_post(
        url,
        body,
        request_headers,
        timeout=timeout,
        hand_over=hand_over,
        unanswered=TemporaryFailure,
    )
    return status, raw[:2000].decode("utf-8", "replace")[:300]


def send(message, connections: Connections, hand_over: HandOver) -> Result:
    """POST one event message to its endpoint (see the module docstring for the outcomes)."""
    endpoint = message.webhook
    if endpoint is None:
        raise PermanentFailure("the message names no webhook endpoint")
    if not endpoint.is_active:
        raise PermanentFailure(f"the webhook endpoint {endpoint.name} is switched off")
    body = message.body_text.encode("utf-8")
    request_headers = headers(
        event=message.subject,
        delivery=message.pk,
        secret=endpoint.secret,
        body=body,
        timestamp=str(int(time.time())),
    )
    status, answer = _post(
        endpoint.url,
        body,
        request_headers,
        timeout=settings.HUIKUAN_WEBHOOK_TIMEOUT,
        hand_over=hand_over,
    )
    host = urlsplit(endpoint.url).hostname
    if 200 <= status < 300:
        return Result(provider_ref=f"HTTP {status}")
    if status == 429 or status >= 500:
        raise TemporaryFailure(f"HTTP {status} from {host}: {answer}")
    raise PermanentFailure(f"HTTP {status} from {host}: {answer}")
