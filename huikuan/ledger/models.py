"""The receivables ledger.

A receivable's balance goes down only through ``Allocation`` rows — of a payment, a credit note or
a write-off. A reversal never edits or deletes: it adds a negative allocation that points at the
one it undoes, plus a ``Reversal`` document saying who, when and why. ``Receivable.outstanding``
and ``Payment.allocated`` are stored copies of those sums for speed; the database keeps them
within bounds with CHECK constraints and ``ledger_recompute`` proves they agree with the rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huikuan.contracts.models import Contract, Delivery, InstallmentNode
from huikuan.core.money import MoneyField
from huikuan.customers.models import Customer


class ReceivableKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    INVOICE = "invoice", _("Invoice")
    INSTALLMENT = "installment", _("Installment")
    OPENING = "opening", _("Opening balance")


class Receivable(models.Model):
    """Money a customer owes us (应收): amount, issue and due date, outstanding balance."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="receivables", verbose_name=_("customer")
    )
    number = models.CharField(_("document number"), max_length=64, unique=True)
    kind = models.CharField(
        _("source"), max_length=16, choices=ReceivableKind.choices, default=ReceivableKind.INVOICE
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivables",
        verbose_name=_("contract"),
    )
    delivery = models.OneToOneField(
        Delivery,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivable",
        verbose_name=_("delivery"),
    )
    installment = models.OneToOneField(
        InstallmentNode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receivable",
        verbose_name=_("installment"),
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))
    outstanding = MoneyField(_("outstanding"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    description = models.CharField(_("description"), max_length=255, blank=True)
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
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receivable_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(outstanding__gte=0), name="receivable_outstanding_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(outstanding__lte=F("amount")),
                name="receivable_outstanding_lte_amount",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")), name="receivable_due_not_before_issue"
            ),
        ]
        indexes = [
            # Aging reads only open items; this covers the per-customer bucket query, including
            # its "issued by the as-of date" test, so it never needs the table itself.
            models.Index(
                fields=["customer", "due_date", "outstanding", "issue_date"],
                condition=Q(outstanding__gt=0),
                name="receivable_open_idx",
            ),
            models.Index(fields=["due_date"], name="receivable_due_idx"),
            models.Index(fields=["issue_date"], name="receivable_issue_idx"),
        ]

    def __str__(self):
        return self.number


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    CREDIT_NOTE = "credit_note", _("Credit note")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ACCEPTANCE_BILL = "acceptance_bill", _("Acceptance bill")
    CASH = "cash", _("Cash")
    ONLINE = "online", _("Online")


class Payment(models.Model):
    """Money received (回款) or a credit note (贷项): both settle receivables the same way.

    Whatever is not allocated stays on the customer as unapplied credit.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    number = models.CharField(_("document number"), max_length=64)
    received_on = models.DateField(_("date"), db_index=True)
    amount = MoneyField(_("amount"))
    allocated = MoneyField(_("allocated"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices, blank=True)
    reference = models.CharField(_("bank reference"), max_length=128, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
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
        verbose_name = _("payment")
        verbose_name_plural = _("payments and credit notes")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="payment_kind_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt_0"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="payment_allocated_gte_0"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("amount")), name="payment_allocated_lte_amount"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "received_on"], name="payment_customer_idx"),
            # Unapplied credit in the reports reads only payments not fully allocated: few, however
            # long the payment history grows.
            models.Index(
                fields=["customer", "received_on"],
                condition=Q(allocated__lt=F("amount")),
                name="payment_unapplied_idx",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def unapplied(self):
        return self.amount - self.allocated


class WriteOff(models.Model):
    """Writing off what is left of a receivable as uncollectable (核销坏账), with the reason."""

    receivable = models.ForeignKey(
        Receivable,
        on_delete=models.PROTECT,
        related_name="write_offs",
        verbose_name=_("receivable"),
    )
    number = models.CharField(_("document number"), max_length=64, unique=True)
    written_off_on = models.DateField(_("date"))
    amount = MoneyField(_("amount"))
    reason = models.TextField(_("reason"))
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
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")
        ordering = ["-written_off_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_gt_0"),
            models.CheckConstraint(condition=~Q(reason=""), name="writeoff_reason_required"),
        ]

    def __str__(self):
        return self.number


class Reversal(models.Model):
    """The document that undoes a posted payment, credit note, allocation or write-off."""

    number = models.CharField(_("document number"), max_length=64, unique=True)
    reversed_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("payment"),
    )
    allocation = models.OneToOneField(
        "Allocation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal_document",
        verbose_name=_("allocation"),
    )
    write_off = models.OneToOneField(
        WriteOff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversal",
        verbose_name=_("write-off"),
    )
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
        verbose_name = _("reversal")
        verbose_name_plural = _("reversals")
        ordering = ["-reversed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(payment__isnull=False, allocation__isnull=True, write_off__isnull=True)
                    | Q(payment__isnull=True, allocation__isnull=False, write_off__isnull=True)
                    | Q(payment__isnull=True, allocation__isnull=True, write_off__isnull=False)
                ),
                name="reversal_exactly_one_target",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reversal_reason_required"),
        ]

    def __str__(self):
        return self.number


class Allocation(models.Model):
    """One settlement (核销) of a receivable by a payment, credit note or write-off.

    ``applied_on`` is the day it takes effect: never before the document's own date or the
    receivable's issue date, and never before an earlier movement on the same receivable or
    payment — so every point-in-time balance is a state the ledger really passed through.
    A negative row (``reverses`` set) undoes the row it points at.
    """

    receivable = models.ForeignKey(
        Receivable,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("receivable"),
    )
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("payment"),
    )
    write_off = models.ForeignKey(
        WriteOff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("write-off"),
    )
    amount = MoneyField(_("amount"))
    applied_on = models.DateField(_("effective date"))
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reversal = models.ForeignKey(
        Reversal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        verbose_name=_("reversal document"),
    )
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
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["applied_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(payment__isnull=False, write_off__isnull=True)
                    | Q(payment__isnull=True, write_off__isnull=False)
                ),
                name="allocation_exactly_one_source",
            ),
            models.CheckConstraint(
                condition=(
                    Q(reverses__isnull=True, amount__gt=0) | Q(reverses__isnull=False, amount__lt=0)
                ),
                name="allocation_sign_matches_reversal",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, reversal__isnull=True)
                | Q(reverses__isnull=False, reversal__isnull=False),
                name="allocation_reversal_document",
            ),
        ]
        indexes = [
            models.Index(fields=["receivable", "applied_on"], name="allocation_receivable_idx"),
            models.Index(fields=["payment", "applied_on"], name="allocation_payment_idx"),
            models.Index(fields=["applied_on"], name="allocation_applied_idx"),
        ]

    def __str__(self):
        source = self.payment or self.write_off
        return f"{source} → {self.receivable} {self.amount}"
