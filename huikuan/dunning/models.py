"""Collection work (催收): the dunning ladder, cases, tasks, activities, promises, disputes,
approvals, limitation-period events and the working calendar.

The ledger says what is owed; this app says what to do about it today. It points at the ledger
and the customers, never the other way round.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huikuan.core.money import MoneyField
from huikuan.customers.models import Contact, Customer
from huikuan.ledger.models import Receivable

# --- The working calendar ---------------------------------------------------------------------


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a weekday holiday or a weekend make-up working
    day (调休). A year with at least one row is "known"; other years fall back to Monday–Friday."""

    day = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"


# --- The dunning ladder -----------------------------------------------------------------------


class Segment(models.TextChoices):
    DEFAULT = "default", _("All customers")
    GOVERNMENT = "government", _("Government buyers")


class Action(models.TextChoices):
    REMINDER = "reminder", _("Reminder message")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    WRITTEN_NOTICE = "written_notice", _("Written overdue notice")
    LAWYER_LETTER = "lawyer_letter", _("Lawyer's letter")
    REDUCE_SUPPLY = "reduce_supply", _("Reduce supply")
    STOP_SUPPLY = "stop_supply", _("Stop supply")
    CANCEL_REBATES = "cancel_rebates", _("Cancel rebates")
    COLLECTION_AGENCY = "collection_agency", _("Collection agency")


# Actions that restart the limitation period when done: a demand in writing.
WRITTEN_DEMAND_ACTIONS = (Action.WRITTEN_NOTICE, Action.LAWYER_LETTER)


class Tone(models.TextChoices):
    FRIENDLY = "friendly", _("Friendly")
    FIRM = "firm", _("Firm")
    FORMAL = "formal", _("Formal")
    LEGAL = "legal", _("Legal")


class DunningPolicy(models.Model):
    """An ordered ladder of dunning levels for one customer segment."""

    name = models.CharField(_("name"), max_length=100)
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, default=Segment.DEFAULT
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policies")
        ordering = ["segment", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment"], condition=Q(is_active=True), name="dunning_policy_one_active"
            ),
        ]

    def __str__(self):
        return self.name


class DunningLevel(models.Model):
    """One rung of a ladder: ``days`` relative to the due date (negative = before it), the action
    to take, its tone and message, and whether a manager must approve it first."""

    policy = models.ForeignKey(
        DunningPolicy, on_delete=models.CASCADE, related_name="levels", verbose_name=_("policy")
    )
    number = models.PositiveSmallIntegerField(_("level"))
    days = models.IntegerField(_("days after due date"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    tone = models.CharField(_("tone"), max_length=10, choices=Tone.choices)
    template = models.TextField(_("message"), blank=True)
    needs_approval = models.BooleanField(_("needs a manager's approval"), default=False)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["policy", "number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="dunning_level_unique"),
            models.UniqueConstraint(fields=["policy", "days"], name="dunning_level_days_unique"),
        ]

    def __str__(self):
        return f"{self.policy} L{self.number}"


class CollectionProfile(models.Model):
    """What collection needs to know about a customer beyond the ledger: a policy chosen by hand,
    the sell-through pace the rep has observed, and the standing that broken promises lower."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="collection_profile",
        verbose_name=_("customer"),
    )
    policy = models.ForeignKey(
        DunningPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dunning policy (instead of the segment's)"),
    )
    sell_through_days = models.PositiveIntegerField(
        _("days to sell a delivery"), null=True, blank=True
    )
    standing = models.SmallIntegerField(_("standing"), default=0)
    broken_promises = models.PositiveIntegerField(_("broken promises"), default=0)

    class Meta:
        verbose_name = _("collection profile")
        verbose_name_plural = _("collection profiles")

    def __str__(self):
        return str(self.customer)


# --- Cases and per-receivable state -----------------------------------------------------------


class Case(models.Model):
    """One customer's collection case: opened when money falls overdue, closed when it is paid."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer")
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    level = models.SmallIntegerField(_("dunning level"), default=0)
    debt_class = models.CharField(_("class"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(closed_on__isnull=True), name="case_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.opened_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class ReceivableDunning(models.Model):
    """How far up its customer's ladder one receivable has come (-1: not even reminded)."""

    receivable = models.OneToOneField(
        Receivable,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="dunning",
        verbose_name=_("receivable"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    level = models.SmallIntegerField(_("dunning level"))
    level_on = models.DateField(_("level reached on"))

    class Meta:
        verbose_name = _("dunning state")
        verbose_name_plural = _("dunning states")

    def __str__(self):
        return f"{self.receivable_id} L{self.level}"


# --- Tasks ------------------------------------------------------------------------------------


class TaskSource(models.TextChoices):
    DUNNING = "dunning", _("Dunning ladder")
    REMINDER = "reminder", _("Reminder before due date")
    APPROVED = "approved", _("Approved measure")
    PROMISE_BROKEN = "promise_broken", _("Broken promise")
    LIMITATION = "limitation", _("Limitation period")
    FOLLOW_UP = "follow_up", _("Follow-up")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    """Something a rep is to do on a working day for one customer, covering all its items.

    ``key`` makes the daily run idempotent: the same cause on the same day is one task.
    """

    key = models.CharField(_("key"), max_length=80, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("case"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assigned to"),
    )
    due_on = models.DateField(_("due on"))
    source = models.CharField(_("source"), max_length=16, choices=TaskSource.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    level = models.SmallIntegerField(_("dunning level"), null=True, blank=True)
    tone = models.CharField(_("tone"), max_length=10, choices=Tone.choices, blank=True)
    amount = MoneyField(_("amount at stake"), default=0)
    receivables = models.JSONField(_("receivables"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "due_on", "status"], name="task_worklist_idx"),
            models.Index(fields=["customer", "status"], name="task_customer_idx"),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_action_display()} {self.due_on:%Y-%m-%d}"


# --- Activities, promises, disputes -----------------------------------------------------------


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    PROMISED = "promised", _("Promised to pay")
    REFUSED = "refused", _("Refused")
    DISPUTED = "disputed", _("Disputed")
    NO_ANSWER = "no_answer", _("No answer")


class Reason(models.TextChoices):
    """Why the customer says it does not pay (DESIGN.md §1), plus government buyers' reasons."""

    NONE = "", _("No reason given")
    TOO_MUCH_STOCK = "too_much_stock", _("Too much of our stock on hand")
    SEASON_OVER = "season_over", _("Season is over")
    LOW_MARGIN = "low_margin", _("Low margin on our product")
    OLD_PROBLEMS = "old_problems", _("Unresolved old problems")
    CASH_ELSEWHERE = "cash_elsewhere", _("Cash tied up in other suppliers' goods")
    WANTS_CONCESSIONS = "wants_concessions", _("Holding back to get concessions")
    MALICIOUS_DELAY = "malicious_delay", _("Malicious delay")
    CASH_TROUBLE = "cash_trouble", _("Genuine cash trouble")
    GOV_APPROVAL = "gov_approval", _("Government: approval chain")
    GOV_ACCEPTANCE = "gov_acceptance", _("Government: acceptance not done")
    GOV_BUDGET = "gov_budget", _("Government: waiting for budget")


# Reasons that show the debtor could pay and chooses not to.
MALICIOUS_REASONS = (Reason.WANTS_CONCESSIONS, Reason.MALICIOUS_DELAY)


class Activity(models.Model):
    """A recorded contact with the customer and its answer — the paper trail. Never edited."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="activities", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("case"),
    )
    task = models.ForeignKey(
        Task,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("task"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("spoke with"),
    )
    happened_on = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("stated reason"), max_length=20, choices=Reason.choices, blank=True)
    technique = models.CharField(_("technique used"), max_length=32, blank=True)
    is_written_demand = models.BooleanField(_("written demand for payment"), default=False)
    asked_to_delay = models.BooleanField(_("asked to delay or split the payment"), default=False)
    note = models.TextField(_("what was said"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_on = models.DateField(_("next step on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-happened_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "happened_on"], name="activity_customer_idx"),
            models.Index(fields=["technique", "happened_on"], name="activity_technique_idx"),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_channel_display()} {self.happened_on:%Y-%m-%d}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    REPLACED = "replaced", _("Replaced by a new promise")


class Promise(models.Model):
    """A promise to pay (承诺还款): how much, by when, who said so.

    Payments received from ``made_on`` count towards it. The daily run settles it: kept when they
    reach the amount by ``due_on``, broken the day after otherwise. Short (paid something, not
    all) is computed at once from the ledger by the selectors.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="promises", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("case"),
    )
    activity = models.ForeignKey(
        Activity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promises",
        verbose_name=_("activity"),
    )
    amount = MoneyField(_("amount"))
    made_on = models.DateField(_("promised on"))
    due_on = models.DateField(_("to be paid by"))
    promised_by = models.CharField(_("promised by"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    paid = MoneyField(_("paid towards it"), default=0)
    settled_on = models.DateField(_("settled on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("made_on")), name="promise_due_not_before_made"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="open"),
                name="promise_one_open_per_customer",
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.amount} {self.due_on:%Y-%m-%d}"


class DisputeReason(models.TextChoices):
    QUALITY = "quality", _("Quality problem")
    QUANTITY = "quantity", _("Short or wrong delivery")
    PRICE = "price", _("Price or discount disagreement")
    RETURNS = "returns", _("Returns not credited")
    INVOICE = "invoice", _("Invoice missing or wrong")
    ACCEPTANCE = "acceptance", _("Acceptance not signed")
    DUPLICATE = "duplicate", _("Billed twice")
    OTHER = "other", _("Other")


class Dispute(models.Model):
    """A disagreement about some receivables; while open, dunning pauses for them."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("customer")
    )
    receivables = models.ManyToManyField(
        Receivable, related_name="disputes", verbose_name=_("disputed receivables")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=DisputeReason.choices)
    description = models.TextField(_("description"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_disputes",
        verbose_name=_("owner"),
    )
    opened_on = models.DateField(_("opened on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | Q(resolved_on__gte=models.F("opened_on"), resolution__gt=""),
                name="dispute_resolution_complete",
            ),
        ]

    def __str__(self):
        return f"{self.customer} {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None

    @property
    def days_to_resolve(self) -> int | None:
        return (self.resolved_on - self.opened_on).days if self.resolved_on else None


# --- Approvals --------------------------------------------------------------------------------


class ApprovalKind(models.TextChoices):
    MEASURE = "measure", _("Hard measure")
    WRITE_OFF = "write_off", _("Write-off")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ApprovalRequest(models.Model):
    """A hard measure or a write-off waiting for a manager. Approved, the measure becomes a task;
    an approved write-off can then be posted by finance."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ApprovalKind.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvals",
        verbose_name=_("case"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, blank=True)
    level = models.SmallIntegerField(_("dunning level"), null=True, blank=True)
    receivable = models.ForeignKey(
        Receivable,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receivable"),
    )
    amount = MoneyField(_("amount"), default=0)
    reason = models.TextField(_("reason"))
    requested_on = models.DateField(_("requested on"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    task = models.OneToOneField(
        Task,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval",
        verbose_name=_("resulting task"),
    )
    write_off = models.OneToOneField(
        "ledger.WriteOff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approval",
        verbose_name=_("posted write-off"),
    )

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="approval_reason_required"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="approval_decision_has_decider",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_on"], name="approval_queue_idx")]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()} {self.requested_on:%Y-%m-%d}"


# --- Limitation period ------------------------------------------------------------------------


class InterruptionKind(models.TextChoices):
    WRITTEN_DEMAND = "written_demand", _("Written demand sent")
    CONFIRMATION = "confirmation", _("Balance confirmation signed by the customer")


class LimitationEvent(models.Model):
    """Something that restarts the three-year limitation period (诉讼时效, Civil Code art. 195)
    for the customer's receivables open and due on that day."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="limitation_events",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InterruptionKind.choices)
    happened_on = models.DateField(_("date"))
    evidence = models.CharField(_("evidence"), max_length=255)
    activity = models.ForeignKey(
        Activity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activity"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("limitation-period event")
        verbose_name_plural = _("limitation-period events")
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["customer", "happened_on"], name="limitation_idx")]

    def __str__(self):
        return f"{self.customer} {self.get_kind_display()} {self.happened_on:%Y-%m-%d}"


# --- The daily run ----------------------------------------------------------------------------


class DailyRun(models.Model):
    """The record of one completed daily run: written in the run's own transaction, so it exists
    exactly when the run's changes do."""

    as_of = models.DateField(_("as of"), unique=True)
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")
        ordering = ["-as_of"]

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d}"
