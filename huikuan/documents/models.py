"""Letters as PDF: the statement of account (对账单), the balance confirmation (询证函), the overdue
notice (货款逾期通知单) and the lawyer's demand letter (律师催收函).

Every document we issue is kept as the exact PDF that left the house (``Document``, append-only in
the database), so that in a dispute we can show what the customer received. Templates are Django
templates an admin may edit; each save is a new version and a document records the version it
was rendered from.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huikuan.core.money import MoneyField
from huikuan.customers.models import Customer


class DocumentKind(models.TextChoices):
    # The values are also the CLI's words: `huikuan render-document overdue-notice …`.
    STATEMENT = "statement", _("Statement of account")
    CONFIRMATION = "confirmation", _("Balance confirmation")
    OVERDUE_NOTICE = "overdue-notice", _("Overdue notice")
    LAWYER_LETTER = "lawyer-letter", _("Lawyer's demand letter")


# Kinds that are a demand for payment in writing: sending one restarts the limitation period.
DEMAND_KINDS = (DocumentKind.OVERDUE_NOTICE, DocumentKind.LAWYER_LETTER)


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class SentVia(models.TextChoices):
    EMAIL = "email", _("Email")
    POST = "post", _("Post or courier")
    HAND = "hand", _("Handed over in person")
    FAX = "fax", _("Fax")


class Letterhead(models.Model):
    """Who we are, as printed on every letter; one row (pk 1), edited by an admin."""

    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    reply_address = models.CharField(
        _("where signed confirmations go back to"), max_length=255, blank=True
    )
    law_firm = models.CharField(_("law firm"), max_length=200, blank=True)
    lawyer_name = models.CharField(_("lawyer"), max_length=64, blank=True)
    lawyer_phone = models.CharField(_("lawyer's phone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterhead")

    def __str__(self):
        return self.company_name or str(_("Letterhead"))


class DocumentTemplate(models.Model):
    """One saved version of a document's template (a Django template producing the whole HTML
    page). The highest version of a kind and language is the one in use; with none, the built-in
    file ``documents/pdf/<kind>.<language>.html`` is used (version 0)."""

    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("template"))
    note = models.CharField(_("what changed"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language", "version"], name="document_template_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="document_template_version_gte_1"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.language} v{self.version}"


class Document(models.Model):
    """A letter we issued: the exact PDF, its number and its key figure. Append-only except the
    sending facts (``sent_on``, ``sent_via``, ``sent_reference``), which are set once."""

    number = models.CharField(_("document number"), max_length=32, unique=True)
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="documents", verbose_name=_("customer")
    )
    as_of = models.DateField(_("as of"))
    date_from = models.DateField(_("period from"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    template_version = models.PositiveIntegerField(_("template version"), default=0)
    # The figure the letter is about: the closing balance (statement, confirmation) or the
    # overdue total (notice, lawyer's letter).
    total = MoneyField(_("amount"))
    pdf = models.BinaryField(_("PDF"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    sent_via = models.CharField(_("sent by"), max_length=8, choices=SentVia.choices, blank=True)
    sent_reference = models.CharField(_("sending reference"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="document_customer_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


class ConfirmationStatus(models.TextChoices):
    ISSUED = "issued", _("Issued, not sent yet")
    SENT = "sent", _("Sent, waiting for the reply")
    AGREED = "agreed", _("Customer agreed")
    DISAGREED = "disagreed", _("Customer disagreed")
    NO_REPLY = "no_reply", _("No reply")


# Statuses after the customer answered (or we gave up waiting): no second reply is recorded.
CLOSED_CONFIRMATION = (
    ConfirmationStatus.AGREED,
    ConfirmationStatus.DISAGREED,
    ConfirmationStatus.NO_REPLY,
)


class BalanceConfirmation(models.Model):
    """A balance confirmation (询证函) and what became of it: issued with our balance, sent,
    answered (agreed, or disagreed with the customer's own figure) or never answered. A signed
    reply restarts the limitation period of the customer's due receivables."""

    document = models.OneToOneField(
        Document,
        on_delete=models.PROTECT,
        related_name="confirmation",
        verbose_name=_("document"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="confirmations",
        verbose_name=_("customer"),
    )
    as_of = models.DateField(_("balance as of"))
    our_balance = MoneyField(_("our balance"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.ISSUED,
    )
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    replied_on = models.DateField(_("reply date"), null=True, blank=True)
    their_balance = MoneyField(_("customer's figure"), null=True, blank=True)
    reply_note = models.TextField(_("reply note"), blank=True)
    scan = models.BinaryField(_("signed scan"), null=True, blank=True)
    scan_name = models.CharField(_("scan file name"), max_length=255, blank=True)
    scan_type = models.CharField(_("scan file type"), max_length=64, blank=True)
    scan_sha256 = models.CharField(_("scan SHA-256"), max_length=64, blank=True)
    limitation_event = models.ForeignKey(
        "dunning.LimitationEvent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("limitation-period event"),
    )
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reply recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("balance confirmation")
        verbose_name_plural = _("balance confirmations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "sent_on"], name="confirmation_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(their_balance__isnull=True) | Q(their_balance__gte=0),
                name="confirmation_their_balance_gte_0",
            ),
        ]

    def __str__(self):
        return self.document.number
