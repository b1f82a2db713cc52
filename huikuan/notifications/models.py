"""Messages to customers and to our own people, and the outbox that sends them.

Every message is a row first (``Message``), written in the same transaction as whatever caused
it, so a rollback sends nothing. A worker (``huikuan send-outbox``, as many processes as you like)
claims rows under a lease, marks the moment of no return (``handed_over_at``) just before the
bytes go out, and records the result: a message is never sent twice — a crash before the hand-over
lets another worker send it after the lease ends; a crash after it leaves the message
``unknown`` for a person to check, with an alert.
"""

import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huikuan.customers.models import Customer
from huikuan.documents.models import Document, Language
from huikuan.dunning.models import DunningLevel
from huikuan.org.models import Team


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WEBHOOK = "webhook", _("Webhook")


ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK)


class Purpose(models.TextChoices):
    DUNNING = "dunning", _("Reminder or dunning message")
    DOCUMENT = "document", _("Letter sent as a document")
    DIGEST = "digest", _("Reps' daily digest")
    ALERT = "alert", _("Alert to managers")
    EVENT = "event", _("Business event to a webhook")


class RobotPurpose(models.TextChoices):
    DIGEST = "digest", _("Reps' daily digest")
    ALERTS = "alerts", _("Managers' alerts")


class Robot(models.Model):
    """A WeCom (企业微信) or DingTalk (钉钉) group robot: a webhook address that posts into a
    group chat. A team's digest robot gets its reps' daily digest; alert robots get alerts."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("kind"),
        max_length=10,
        choices=[(c.value, c.label) for c in ROBOT_CHANNELS],
    )
    url = models.URLField(_("webhook address"), max_length=500)
    # DingTalk's "sign" security setting: the robot's secret (SEC…); blank when not used.
    secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    purpose = models.CharField(_("purpose"), max_length=10, choices=RobotPurpose.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team (blank: everyone)"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["purpose", "name"]

    def __str__(self):
        return self.name


def new_webhook_secret() -> str:
    """A fresh signing secret for a webhook endpoint: 256 random bits, URL-safe text."""
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """An address of another system that receives Huikuan's business events (``core.Event``)
    as signed JSON POSTs. ``events`` lists the kinds it wants; empty means all of them."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("address (URL)"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    # The HMAC-SHA256 key of the X-Huikuan-Signature header; shown to administrators only.
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret)
    events = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def wants(self, kind: str) -> bool:
        """Whether this endpoint subscribed to events of ``kind`` (no list: every kind)."""
        return not self.events or kind in self.events


class CustomerClassSeen(models.Model):
    """The debt class (货款五类) of a customer the last time the daily step looked, so that the
    next look can tell a change (the ``customer.class_changed`` event). Blank: nothing open."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    debt_class = models.CharField(_("debt class"), max_length=10, blank=True)
    seen_on = models.DateField(_("seen on"))

    class Meta:
        verbose_name = _("customer's last seen debt class")
        verbose_name_plural = _("customers' last seen debt classes")

    def __str__(self):
        return f"{self.customer_id} {self.debt_class} {self.seen_on}"


class MessageTemplate(models.Model):
    """The words of a message for one dunning level, channel and language, overriding the
    built-in wording of that level's action and tone (``defaults.py``). Subject and body are
    Django templates."""

    level = models.ForeignKey(
        DunningLevel,
        on_delete=models.CASCADE,
        related_name="message_templates",
        verbose_name=_("dunning level"),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[
            (Channel.EMAIL.value, Channel.EMAIL.label),
            (Channel.SMS.value, Channel.SMS.label),
        ],
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "channel", "language"], name="message_template_unique"
            ),
        ]

    def __str__(self):
        return f"{self.level} {self.channel} {self.language}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown: check before resending")
    CANCELLED = "cancelled", _("Cancelled")


class Message(models.Model):
    """One message in the outbox. ``key`` makes enqueueing idempotent (the same reminder or
    digest is never queued twice)."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("customer"),
    )
    document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("attached document"),
    )
    robot = models.ForeignKey(
        Robot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("group robot"),
    )
    webhook = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("webhook endpoint"),
    )
    # Email addresses (comma-separated) or a mobile number; blank for a robot; the endpoint's
    # name for a webhook (what the outbox shows; the address is read from the endpoint).
    recipient = models.CharField(_("to"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_by = models.CharField(_("claimed by worker"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=255, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="message_customer_idx"),
        ]
        constraints = [
            # A robot message names its robot, a webhook message its endpoint; the others name
            # a recipient.
            models.CheckConstraint(
                condition=(
                    Q(channel__in=[c.value for c in ROBOT_CHANNELS], robot__isnull=False)
                    | Q(channel=Channel.WEBHOOK.value, webhook__isnull=False)
                    | (
                        ~Q(channel__in=[*(c.value for c in ROBOT_CHANNELS), Channel.WEBHOOK.value])
                        & ~Q(recipient="")
                    )
                ),
                name="message_has_destination",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.pk} {self.subject or self.recipient}"


class AttemptResult(models.TextChoices):
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, will retry")
    FAILED = "failed", _("Failed for good")
    UNKNOWN = "unknown", _("Outcome unknown")


class DeliveryAttempt(models.Model):
    """One try at sending a message, by one worker: the delivery log."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
        verbose_name=_("message"),
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    worker = models.CharField(_("worker"), max_length=100)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=AttemptResult.choices, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="delivery_attempt_unique"),
        ]

    def __str__(self):
        return f"#{self.message_id}/{self.number} {self.result}"


class AlertKind(models.TextChoices):
    BOUNCED = "bounced", _("Email bounced")
    UNREACHABLE = "unreachable", _("Robot or provider unreachable")
    GAVE_UP = "gave_up", _("Gave up after retries")
    UNKNOWN = "unknown", _("Sending interrupted: outcome unknown")


class Alert(models.Model):
    """Something about sending that a person must look at. Shown in the outbox and on the
    dashboard of managers and administrators until resolved."""

    kind = models.CharField(_("kind"), max_length=12, choices=AlertKind.choices)
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("message"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    text = models.TextField(_("what happened"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("sending alert")
        verbose_name_plural = _("sending alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resolved_at", "-created_at"], name="alert_open_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"
