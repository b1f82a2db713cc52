from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huikuan.core.money import MoneyField
from huikuan.org.models import Region


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INSOLVENT = "insolvent", _("Insolvent")
    VANISHED = "vanished", _("Vanished")
    CLOSED = "closed", _("Closed")


class Customer(models.Model):
    """A legal entity that buys from us on credit (客户)."""

    code = models.CharField(_("customer code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("region"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("owner rep"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    is_government = models.BooleanField(_("government buyer"), default=False)
    address = models.CharField(_("address"), max_length=255, blank=True)
    distance_km = models.PositiveIntegerField(_("distance from our office (km)"), default=0)
    credit_limit = MoneyField(_("credit limit"), default=0)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    rating = models.CharField(_("rating"), max_length=1, blank=True)
    first_deal_on = models.DateField(_("first deal date"), null=True, blank=True)
    # Kept by huikuan.risk in the same transaction as the signals they summarise, so the class
    # rule and the worklist can read them without depending on the risk app.
    risk_signals = models.PositiveSmallIntegerField(_("live warning signals"), default=0)
    doubtful_since = models.DateField(
        _("strong warning signal since"),
        null=True,
        blank=True,
        help_text=_("While set, this customer's overdue money counts as at least 准呆账."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="customer_credit_limit_gte_0"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class ContactRole(models.TextChoices):
    BOSS = "boss", _("Boss / decision maker")
    FINANCE = "finance", _("Finance")
    CASHIER = "cashier", _("Cashier")
    PURCHASING = "purchasing", _("Purchasing")
    ACCEPTANCE = "acceptance", _("Acceptance person")
    PAYMENT_RESPONSIBLE = "payment_responsible", _("Payment-responsible person")


class Contact(models.Model):
    """A person at the customer, with the role they play in getting us paid."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=64)
    role = models.CharField(_("role"), max_length=32, choices=ContactRole.choices)
    title = models.CharField(_("job title"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    is_active = models.BooleanField(_("still there"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "role", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class PaymentProcess(models.Model):
    """How this customer pays: who receives our request, who signs and approves, when, with what."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="payment_process",
        verbose_name=_("customer"),
    )
    request_recipient = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("receives our payment request"),
    )
    signer = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signs"),
    )
    approver = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approves"),
    )
    settlement_day = models.PositiveSmallIntegerField(
        _("usual pay day of month"), null=True, blank=True
    )
    approval_steps = models.PositiveSmallIntegerField(_("approval steps"), default=1)
    needs_original_invoice = models.BooleanField(_("needs the original invoice"), default=True)
    needs_delivery_proof = models.BooleanField(_("needs delivery proof"), default=False)
    cash_allowed = models.BooleanField(_("cash allowed"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("payment process")
        verbose_name_plural = _("payment processes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(settlement_day__isnull=True)
                | models.Q(settlement_day__gte=1, settlement_day__lte=31),
                name="payment_process_settlement_day_1_31",
            ),
        ]

    def __str__(self):
        return str(self.customer)
