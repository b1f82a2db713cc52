"""The ways a message leaves the house: email (SMTP), WeCom and DingTalk group robots, SMS,
webhooks (signed JSON POSTs of business events).

Every channel has one entry point, ``send(message, connections, hand_over) -> Result``, and says
how it went by raising one of three failures:

- ``TemporaryFailure``: it certainly did not arrive and may work later (try again);
- ``PermanentFailure``: it certainly did not arrive and never will (give up; ``bounced`` when the
  recipient's mail system refused it);
- ``AmbiguousFailure``: we don't know whether it arrived (a timeout after the bytes went out).

``hand_over`` is the worker's callable; the channel calls it at the last moment before the point
of no return (before SMTP DATA, before an HTTP request is written, before the SMS provider call).
When it returns False the worker lost its claim on the message, and the channel raises
``LeaseLost`` without sending anything.
"""

import http.client
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

HandOver = Callable[[], bool]


@dataclass(frozen=True)
class Result:
    """A message that went out; ``provider_ref`` is what the other side called it."""

    provider_ref: str = ""


class DeliveryError(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class TemporaryFailure(DeliveryError):
    """Not sent; worth trying again later."""


class PermanentFailure(DeliveryError):
    """Not sent, and trying again will not help."""

    def __init__(self, detail: str, bounced: bool = False):
        super().__init__(detail)
        self.bounced = bounced


class AmbiguousFailure(DeliveryError):
    """It may or may not have arrived; a person has to check before it is sent again."""


class LeaseLost(Exception):
    """The worker's claim on the message ended before the hand-over: nothing was sent."""


class Connections:
    """Connections kept open across one batch (the SMTP session), closed at its end."""

    def __init__(self):
        self._items: dict[str, object] = {}

    def get(self, name: str):
        return self._items.get(name)

    def put(self, name: str, connection) -> None:
        self._items[name] = connection

    def drop(self, name: str) -> None:
        connection = self._items.pop(name, None)
        if connection is not None:
            _close_quietly(connection)

    def close(self) -> None:
        for name in list(self._items):
            self.drop(name)


def _close_quietly(connection) -> None:
    for method in ("quit", "close"):
        try:
            getattr(connection, method)()
            return
        except Exception:
            continue


def http_post(
    url: str,
    body: bytes,
    headers: dict,
    *,
    timeout: float,
    hand_over: HandOver,
    unanswered: type[Exception] = AmbiguousFailure,
) -> tuple[int, bytes]:
    """POST ``body`` and return (status, the answer's bytes), calling ``hand_over`` after the
    connection is open and just before the request is written.

    Failing to connect (refused, no such host, TLS) is temporary. A timeout or a dropped
    connection after the request was written raises ``unanswered``: ambiguous by default (the
    other side may have acted on it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFailure(f"not an http(s) address: {url}")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    options = {"context": ssl.create_default_context()} if parts.scheme == "https" else {}
    connection = cls(parts.hostname, parts.port, timeout=timeout, **options)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        try:
            connection.connect()
        except (OSError, http.client.HTTPException) as exc:
            raise TemporaryFailure(f"cannot connect to {parts.hostname}: {exc}") from exc
        if not hand_over():
            raise LeaseLost()
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise unanswered(
                f"no answer from {parts.hostname} after the request was sent: {exc!r}"
            ) from exc
    finally:
        connection.close()
    return response.status, raw


def post_json(
    url: str, payload: dict, *, timeout: float, hand_over: HandOver, headers: dict | None = None
) -> tuple[int, object]:
    """POST ``payload`` as JSON and return (status, parsed JSON answer or None) — see
    ``http_post``; besides, 5xx and 429 are temporary, other 4xx and 3xx permanent."""
    status, raw = http_post(
        url,
        json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        timeout=timeout,
        hand_over=hand_over,
    )
    host = urlsplit(url).hostname
    text = raw.decode("utf-8", "replace")[:500]
    if status == 429 or status >= 500:
        raise TemporaryFailure(f"HTTP {status} from {host}: {text}")
    if status >= 300:
        raise PermanentFailure(f"HTTP {status} from {host}: {text}")
    try:
        return status, json.loads(raw) if raw.strip() else None
    except ValueError:
        return status, None


def send(message, connections: Connections, hand_over: HandOver) -> Result:
    """Send one message through its channel (see the module's docstring for the outcomes)."""
    from . import email, robots, sms, webhook  # the channels import this module's names

    by_channel = {
        "email": email.send,
        "sms": sms.send,
        "wecom": robots.send,
        "dingtalk": robots.send,
        "webhook": webhook.send,
    }
    try:
        channel_send = by_channel[message.channel]
    except KeyError:
        raise PermanentFailure(f"unknown channel {message.channel!r}") from None
    return channel_send(message, connections, hand_over)


def check_configuration() -> None:
    """Raise ImproperlyConfigured when the sending settings cannot work (for the command)."""
    from . import email, sms

    email.check_configuration()
    sms.check_configuration()


__all__ = [
    "AmbiguousFailure",
    "Connections",
    "DeliveryError",
    "HandOver",
    "LeaseLost",
    "PermanentFailure",
    "Result",
    "TemporaryFailure",
    "check_configuration",
    "post_json",
    "send",
]
