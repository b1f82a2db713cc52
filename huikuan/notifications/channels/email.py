"""Email over SMTP, spoken by hand with smtplib so that the worker's hand-over falls exactly
between the accepted envelope (MAIL, RCPT) and DATA — the point after which the message may have
arrived. Django's mail backend sends in one call and has no such moment.

With no ``HUIKUAN_EMAIL_HOST`` nothing leaves the machine: each email is written as an ``.eml``
file under ``VAR_DIR/mail-drop/`` and counts as sent (for the demo and for laptops).
"""

import smtplib
import ssl
from email.header import Header
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives

from huikuan.notifications.outbox import email_addresses

from . import (
    AmbiguousFailure,
    Connections,
    HandOver,
    LeaseLost,
    PermanentFailure,
    Result,
    TemporaryFailure,
)

SECURITY = ("none", "starttls", "ssl")
CONNECTION = "smtp"


def check_configuration() -> None:
    if settings.HUIKUAN_EMAIL_SECURITY not in SECURITY:
        raise ImproperlyConfigured(
            f"HUIKUAN_EMAIL_SECURITY must be one of {', '.join(SECURITY)}, "
            f"not {settings.HUIKUAN_EMAIL_SECURITY!r}"
        )
    if not parseaddr(settings.HUIKUAN_EMAIL_FROM)[1]:
        raise ImproperlyConfigured("HUIKUAN_EMAIL_FROM has no address")


def sender_address() -> str:
    return parseaddr(settings.HUIKUAN_EMAIL_FROM)[1] or "ar@localhost"


def message_id(message) -> str:
    """The Message-ID of a message: the same on every attempt, so a receiving system (and a
    test) can tell a duplicate from a new message."""
    domain = sender_address().rpartition("@")[2] or "localhost"
    return f"<huikuan.{message.pk}@{domain}>"


def build_mime(message) -> bytes:
    """The bytes of the email: plain text, the HTML alternative when there is one, and the
    document's PDF attached as ``<number>.pdf``."""
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.HUIKUAN_EMAIL_FROM,
        to=email_addresses(message.recipient),
        headers={"Message-ID": message_id(message), "X-Huikuan-Message": str(message.pk)},
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    if message.document_id:
        document = message.document
        mail.attach(document.filename, bytes(document.pdf), "application/pdf")
    mime = mail.message()
    if message.subject and not message.subject.isascii():
        # Encoded with the header's name counted, so a long Chinese subject folds between
        # encoded words instead of leaving an empty first line (which readers show as a space).
        mime.replace_header("Subject", Header(message.subject, "utf-8", header_name="Subject"))
    return mime.as_bytes(linesep="\r\n")


def _connect() -> smtplib.SMTP:
    host, port = settings.HUIKUAN_EMAIL_HOST, settings.HUIKUAN_EMAIL_PORT
    timeout = settings.HUIKUAN_EMAIL_TIMEOUT
    security = settings.HUIKUAN_EMAIL_SECURITY
    try:
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.HUIKUAN_EMAIL_USER:
            smtp.login(settings.HUIKUAN_EMAIL_USER, settings.HUIKUAN_EMAIL_PASSWORD)
    except smtplib.SMTPAuthenticationError as exc:
        # The mail server refused our login: a setting to fix, then every message can go.
        raise TemporaryFailure(
            f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"cannot connect to the mail server {host}:{port}: {exc!r}") from exc
    return smtp


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _session(connections: Connections) -> smtplib.SMTP:
    """The batch's open SMTP session, checked with NOOP, or a new one."""
    smtp = connections.get(CONNECTION)
    if smtp is not None:
        try:
            if smtp.noop()[0] == 250:
                return smtp
        except (OSError, smtplib.SMTPException):
            pass
        connections.drop(CONNECTION)
    smtp = _connect()
    connections.put(CONNECTION, smtp)
    return smtp


def _refused(code: int, reply, what: str, bounced: bool):
    detail = f"{what}: {code} {_text(reply)}"
    if 400 <= code < 500:
        return TemporaryFailure(detail)
    return PermanentFailure(detail, bounced=bounced)


def _reset(smtp: smtplib.SMTP, connections: Connections) -> None:
    """Abandon the envelope so the session can carry the next message."""
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        connections.drop(CONNECTION)


def _drop(message, hand_over: HandOver) -> Result:
    data = build_mime(message)
    if not hand_over():
        raise LeaseLost()
    folder = Path(settings.VAR_DIR) / "mail-drop"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"message-{message.pk}.eml"
    path.write_bytes(data)
    return Result(provider_ref=f"drop:{path.name}")


def send(message, connections: Connections, hand_over: HandOver) -> Result:
    """Send one email: envelope first (a refused recipient is a bounce, a 4xx a retry), then
    the hand-over, then DATA. A connection lost during DATA is ambiguous."""
    if not settings.HUIKUAN_EMAIL_HOST:
        return _drop(message, hand_over)
    data = build_mime(message)
    recipients = email_addresses(message.recipient)
    smtp = _session(connections)
    try:
        options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else []
        code, reply = smtp.mail(sender_address(), options)
        if code != 250:
            _reset(smtp, connections)
            raise _refused(code, reply, "sender refused", bounced=False)
        for address in recipients:
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                _reset(smtp, connections)
                raise _refused(code, reply, f"recipient {address} refused", bounced=True)
    except (OSError, smtplib.SMTPServerDisconnected) as exc:
        connections.drop(CONNECTION)
        raise TemporaryFailure(f"mail server connection lost before sending: {exc!r}") from exc
    if not hand_over():
        _reset(smtp, connections)
        raise LeaseLost()
    try:
        code, reply = smtp.data(data)
    except smtplib.SMTPDataError as exc:
        # DATA itself was refused (no 354): the message's bytes never went out.
        _reset(smtp, connections)
        raise _refused(exc.smtp_code, exc.smtp_error, "message refused", bounced=True) from exc
    except (OSError, smtplib.SMTPException) as exc:
        connections.drop(CONNECTION)
        raise AmbiguousFailure(
            f"mail server connection lost while sending the message: {exc!r}"
        ) from exc
    if code != 250:
        raise _refused(code, reply, "message refused", bounced=True)
    return Result(provider_ref=_text(reply)[:255])
