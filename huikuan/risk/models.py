"""Credit control and early warning: who may get goods on credit, how much, and why not.

The effective credit limit, rating and terms of a customer live on ``customers.Customer`` (so the
older apps and the lists can read them); this app keeps what is computed about the customer's
payment behaviour, every credit decision with its reasons, the holds and exceptions that steer
those decisions, and the early-warning signals.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huikuan.core.money import MoneyField
from huikuan.customers.models import Customer


class Rating(models.TextChoices):
    A = "A", _("A — pays on time")
    B = "B", _("B — a little late")
    C = "C", _("C — often late")
    D = "D", _("D — very late or not paying")


class Trend(models.TextChoices):
    IMPROVING = "improving", _("Improving")
    STEADY = "steady", _("Steady")
    WORSENING = "worsening", _("Worsening")
    UNKNOWN = "", _("Not enough history")


class CreditPolicy(models.Model):
    """The credit check's rules and the ramp and rating thresholds; one row, edited by an admin.

    A day count or percentage of 0 switches that rule off.
    """

    block_overdue_days = models.PositiveIntegerField(
        _("block when an item is overdue this many days"), default=60
    )
    partial_overdue_days = models.PositiveIntegerField(
        _("ship part when an item is overdue this many days"), default=31
    )
    partial_share_pct = models.PositiveSmallIntegerField(
        _("share that may ship when limited (%)"), default=50
    )
    block_broken_promise_days = models.PositiveIntegerField(
        _("block after a promise broken within this many days"), default=90
    )
    block_from_class = models.CharField(
        _("block from this class on"), max_length=10, blank=True, default="doubtful"
    )
    block_ratings = models.CharField(_("ratings that block"), max_length=4, blank=True, default="D")
    partial_ratings = models.CharField(
        _("ratings that ship part"), max_length=4, blank=True, default="C"
    )
    block_on_strong_signal = models.BooleanField(
        _("block while a strong warning signal is live"), default=True
    )
    partial_on_watch_signal = models.BooleanField(
        _("ship part while a watch signal is live"), default=True
    )
    honour_supply_measures = models.BooleanField(
        _("apply approved reduce/stop-supply measures"), default=True
    )
    reservation_days = models.PositiveSmallIntegerField(
        _("days an allowed order counts against the limit"), default=7
    )
    ramp_start_limit = MoneyField(_("new customer's first limit"), default=20000)
    ramp_step_paid = models.PositiveSmallIntegerField(
        _("on-time payments per doubling of a new customer's limit"), default=3
    )
    ramp_months = models.PositiveSmallIntegerField(_("months a customer counts as new"), default=12)
    on_time_grace_days = models.PositiveSmallIntegerField(
        _("days after due that still count as on time"), default=5
    )
    rating_a_max_days = models.PositiveSmallIntegerField(
        _("rating A: at most this many days late on average"), default=5
    )
    rating_b_max_days = models.PositiveSmallIntegerField(
        _("rating B: at most this many days late on average"), default=30
    )
    rating_c_max_days = models.PositiveSmallIntegerField(
        _("rating C: at most this many days late on average"), default=90
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit policy")
        verbose_name_plural = _("credit policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(partial_share_pct__lte=100), name="credit_policy_share_lte_100"
            ),
            models.CheckConstraint(
                condition=Q(ramp_start_limit__gte=0), name="credit_policy_ramp_start_gte_0"
            ),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class CreditProfile(models.Model):
    """What the daily run computed about how this customer pays, and a manager's rating override.

    ``Customer.rating`` holds the rating in force: the override when there is one, otherwise the
    computed rating.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="credit_profile",
        verbose_name=_("customer"),
    )
    avg_days_late = models.IntegerField(_("average days paid after due"), null=True, blank=True)
    prev_avg_days_late = models.IntegerField(
        _("average days paid after due, previous period"), null=True, blank=True
    )
    trend = models.CharField(_("trend"), max_length=10, choices=Trend.choices, blank=True)
    computed_rating = models.CharField(
        _("computed rating"), max_length=1, choices=Rating.choices, blank=True
    )
    rating_override = models.CharField(
        _("rating set by hand"), max_length=1, choices=Rating.choices, blank=True
    )
    override_reason = models.TextField(_("why the rating was set by hand"), blank=True)
    on_time_count = models.PositiveIntegerField(_("receivables paid on time"), default=0)
    late_count = models.PositiveIntegerField(_("receivables paid late"), default=0)
    computed_on = models.DateField(_("computed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit profile")
        verbose_name_plural = _("credit profiles")

    def __str__(self):
        return str(self.customer)


class Decision(models.TextChoices):
    ALLOW = "allow", _("Allow")
    PARTIAL = "partial", _("Ship part (限量发货)")
    BLOCK = "block", _("Block (前款不结,后货不送)")


class CreditHold(models.Model):
    """A stop on new credit sales for one customer until someone releases it."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="credit_holds", verbose_name=_("customer")
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_note = models.TextField(_("why released"), blank=True)

    class Meta:
        verbose_name = _("credit hold")
        verbose_name_plural = _("credit holds")
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer"], condition=Q(released_at__isnull=True), name="hold_active_idx"
            )
        ]

    def __str__(self):
        return f"{self.customer} {self.placed_at:%Y-%m-%d}"


class CreditException(models.Model):
    """A manager's time- and amount-limited permission to ship despite the rules.

    Each credit check it lifts uses up part of ``amount``; ``used`` never exceeds it.
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="credit_exceptions",
        verbose_name=_("customer"),
    )
    amount = MoneyField(_("up to"))
    used = MoneyField(_("used"), default=0)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit exception")
        verbose_name_plural = _("credit exceptions")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="exception_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(used__gte=0) & Q(used__lte=F("amount")),
                name="exception_used_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")),
                name="exception_until_not_before_from",
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.valid_from:%Y-%m-%d}–{self.valid_until:%Y-%m-%d}"


class CreditDecision(models.Model):
    """One answer of the credit check: who asked, when, for what, what was decided and why.

    ``reasons`` is a list of ``{"code": ..., "params": {...}}``; the text is rendered in the
    reader's language. An allowed amount is reserved against the limit until ``reserved_until``
    unless released earlier (order cancelled or invoiced) or replaced by a newer check of the
    same ``order_ref``.
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="credit_decisions",
        verbose_name=_("customer"),
    )
    order_ref = models.CharField(_("order reference"), max_length=64, blank=True)
    amount = MoneyField(_("amount asked"))
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    allowed_amount = MoneyField(_("may ship"))
    reasons = models.JSONField(_("reasons"), default=list)
    exposure = MoneyField(_("exposure before this order"), default=0)
    credit_limit = MoneyField(_("limit in force"), default=0)
    exception = models.ForeignKey(
        CreditException,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("exception used"),
    )
    exception_used = MoneyField(_("taken from the exception"), default=0)
    as_of = models.DateField(_("business date"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    asked_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    reserved_until = models.DateField(_("reserved until"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit decision")
        verbose_name_plural = _("credit decisions")
        ordering = ["-asked_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="decision_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(allowed_amount__gte=0) & Q(allowed_amount__lte=F("amount")),
                name="decision_allowed_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-asked_at"], name="decision_customer_idx"),
            models.Index(
                fields=["customer", "reserved_until"],
                condition=Q(released_at__isnull=True, allowed_amount__gt=0),
                name="decision_reserved_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_decision_display()} {self.amount}"


class SignalKind(models.TextChoices):
    # Computed by the daily run.
    OFF_SEASON_BULK = "off_season_bulk", _("Off-season bulk buying")
    PAYMENT_DRIFT = "payment_drift", _("Paying later and later")
    DELAY_REQUESTS = "delay_requests", _("Repeated requests to delay or split payment")
    CONTACT_LEFT = "contact_left", _("Key contact left")
    # Recorded by people.
    DUMPING = "dumping", _("Dumping or clearance sales")
    CROSS_REGION = "cross_region", _("Cross-region selling (窜货)")
    UNRELATED_BUSINESS = "unrelated_business", _("Moving into unrelated businesses")
    RELOCATION = "relocation", _("Relocation or demolition")
    LAWSUIT = "lawsuit", _("Lawsuit against the customer")
    FORCE_MAJEURE = "force_majeure", _("Force majeure")
    OTHER = "other", _("Other warning sign")


COMPUTED_KINDS = (
    SignalKind.OFF_SEASON_BULK,
    SignalKind.PAYMENT_DRIFT,
    SignalKind.DELAY_REQUESTS,
    SignalKind.CONTACT_LEFT,
)
# What the recording form and the API offer people; the others come from the daily run.
RECORDED_KINDS = tuple(kind for kind in SignalKind if kind not in COMPUTED_KINDS)


class Severity(models.TextChoices):
    WATCH = "watch", _("Watch")
    STRONG = "strong", _("Strong")


class SignalStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("warning signal status", "Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")
    RESOLVED = "resolved", _("Resolved")


# Signals that still count against the customer.
LIVE_STATUSES = (SignalStatus.OPEN, SignalStatus.CONFIRMED)


class Signal(models.Model):
    """An early-warning sign about a customer, with its evidence and the day it was seen.

    Computed signals carry a ``key`` (kind, customer, period) so the daily run never raises the
    same one twice; recorded ones have none.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="signals", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SignalKind.choices)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.WATCH
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SignalStatus.choices, default=SignalStatus.OPEN
    )
    detected_on = models.DateField(_("seen on"))
    evidence = models.TextField(_("evidence"))
    data = models.JSONField(_("figures"), default=dict, blank=True)
    key = models.CharField(_("key"), max_length=80, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("warning signal")
        verbose_name_plural = _("warning signals")
        ordering = ["-detected_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"], name="signal_customer_status_idx"),
            models.Index(fields=["status", "-detected_on"], name="signal_status_idx"),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()} {self.detected_on:%Y-%m-%d}"


class RiskRun(models.Model):
    """The risk part of one day's run (ratings and computed signals); one row per date makes
    a rerun a no-op."""

    as_of = models.DateField(_("business date"), unique=True)
    counts = models.JSONField(_("what it did"), default=dict)
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)

    class Meta:
        verbose_name = _("risk run")
        verbose_name_plural = _("risk runs")
        ordering = ["-as_of"]

    def __str__(self):
        return self.as_of.isoformat()
