"""Text messages through a pluggable provider (``HUIKUAN_SMS_PROVIDER``, a dotted path to a
class). A provider is anything with ``send(phone, text) -> provider_ref`` that raises the
channel failures of ``huikuan.notifications.channels``; see the app's README for plugging in
Aliyun or Tencent Cloud SMS.
"""

import uuid
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import (
    Connections,
    HandOver,
    LeaseLost,
    PermanentFailure,
    Result,
    TemporaryFailure,
    post_json,
)


class SmsProvider(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to the 11-digit mainland ``phone``; return the provider's id for it.
        Raise TemporaryFailure / PermanentFailure / AmbiguousFailure as the channels do."""
        ...


class DropProvider:
    """Sends nothing: writes each text to a file under ``VAR_DIR/sms-drop/`` (for the demo)."""

    def send(self, phone: str, text: str) -> str:
        folder = Path(settings.VAR_DIR) / "sms-drop"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{phone}-{uuid.uuid4().hex[:12]}.txt"
        (folder / name).write_text(f"To: {phone}\n\n{text}\n", encoding="utf-8")
        return f"drop:{name}"


class HttpJsonProvider:
    """A gateway that takes ``POST {"to": …, "text": …}`` with ``Authorization: Bearer <token>``
    at ``HUIKUAN_SMS_URL`` and answers 2xx with ``{"id": …}``."""

    def __init__(self, url: str | None = None, token: str | None = None):
        self.url = url if url is not None else settings.HUIKUAN_SMS_URL
        self.token = token if token is not None else settings.HUIKUAN_SMS_TOKEN
        if not self.url:
            raise ImproperlyConfigured("HUIKUAN_SMS_URL is needed by HttpJsonProvider")

    def send(self, phone: str, text: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        status, answer = post_json(
            self.url,
            {"to": phone, "text": text},
            timeout=settings.HUIKUAN_WEBHOOK_TIMEOUT,
            hand_over=lambda: True,  # the channel has handed over already
            headers=headers,
        )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise PermanentFailure(f"the SMS gateway answered HTTP {status} without an id")
        return str(answer["id"])


def provider() -> SmsProvider:
    """The configured provider (``HUIKUAN_SMS_PROVIDER``), ready to send."""
    try:
        cls = import_string(settings.HUIKUAN_SMS_PROVIDER)
    except ImportError as exc:
        raise ImproperlyConfigured(f"HUIKUAN_SMS_PROVIDER: {exc}") from exc
    return cls()


def check_configuration() -> None:
    provider()


def send(message, connections: Connections, hand_over: HandOver) -> Result:
    """Send one text: the hand-over comes just before the provider is called."""
    try:
        sender = provider()
    except ImproperlyConfigured as exc:
        raise TemporaryFailure(f"SMS provider not usable: {exc}") from exc
    if not hand_over():
        raise LeaseLost()
    return Result(provider_ref=str(sender.send(message.recipient, message.body_text))[:255])


__all__ = ["DropProvider", "HttpJsonProvider", "SmsProvider", "TemporaryFailure", "provider"]
