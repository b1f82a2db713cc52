from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.core.money import MoneyField
from huikuan.customers.models import Customer


class SealKind(models.TextChoices):
    CONTRACT_SEAL = "contract_seal", _("Contract seal (合同专用章)")
    COMPANY_SEAL = "company_seal", _("Company seal")
    PERSONAL_STAMP = "personal_stamp", _("Personal stamp")
    SIGNATURE = "signature", _("Signature only")
    NONE = "none", _("Not sealed")


class Contract(models.Model):
    """A sales contract: its payment terms, installment plan, late-fee rule and how it is sealed."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    number = models.CharField(_("contract number"), max_length=64, unique=True)
    signed_on = models.DateField(_("signed on"))
    amount = MoneyField(_("contract amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payment_terms = models.TextField(_("payment terms as written"), blank=True)
    term_days = models.PositiveIntegerField(_("days to pay after delivery"), null=True, blank=True)
    late_fee_per_day_bp = models.PositiveIntegerField(
        _("late fee per day (basis points)"), default=0
    )
    seal_kind = models.CharField(
        _("sealed with"), max_length=16, choices=SealKind.choices, default=SealKind.CONTRACT_SEAL
    )
    acceptance_criteria = models.TextField(_("acceptance criteria"), blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "number"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="contract_amount_gte_0"),
        ]

    def __str__(self):
        return self.number


class InstallmentNode(models.Model):
    """One node of a contract's payment plan (回款计划): an amount due on a date."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="nodes", verbose_name=_("contract")
    )
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    due_date = models.DateField(_("due date"))
    amount = MoneyField(_("amount"))
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installment plan")
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "sequence"], name="installment_contract_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="installment_amount_gt_0"
            ),
        ]

    def __str__(self):
        return f"{self.contract.number} #{self.sequence}"


class Delivery(models.Model):
    """What we shipped to whom, when, for how much, and when that money is due."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("customer")
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("contract"),
    )
    number = models.CharField(_("delivery number"), max_length=64, unique=True)
    delivered_on = models.DateField(_("delivered on"), db_index=True)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    due_date = models.DateField(_("due date"))
    description = models.CharField(_("goods"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_on", "number"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="delivery_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("delivered_on")),
                name="delivery_due_not_before_delivery",
            ),
        ]

    def __str__(self):
        return self.number
