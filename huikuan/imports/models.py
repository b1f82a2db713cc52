"""Imports from Excel and CSV: each upload is an ``ImportBatch`` (the file itself, what was
recognised in it, the preview's counts and errors, and who committed it when); an
``ImportMapping`` remembers which column of a source's files holds which field."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    CONTRACTS = "contracts", _("Contracts")
    DELIVERIES = "deliveries", _("Deliveries")
    RECEIVABLES = "receivables", _("Receivables")
    PAYMENTS = "payments", _("Payments")
    OPENING = "opening_balances", _("Opening balances")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed, not written")
    COMMITTED = "committed", _("Committed")


class ImportMapping(models.Model):
    """A saved column mapping for one kind of import from one source (e.g. "金蝶应收单"):
    ``columns`` maps a field key to the header text of the column that holds it."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    name = models.CharField(_("name"), max_length=64)
    columns = models.JSONField(_("columns"), default=dict)
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
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="import_mapping_unique"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"


class ImportBatch(models.Model):
    """One uploaded file: previewed (nothing written but this row), then committed whole."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    file_name = models.CharField(_("file"), max_length=255)
    file_size = models.PositiveIntegerField(_("size (bytes)"))
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    # The file as uploaded, so that the commit reads exactly what the preview showed.
    content = models.BinaryField(_("content"))
    file_format = models.CharField(_("format"), max_length=8)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    sheet_name = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)
    mapping_name = models.CharField(_("saved mapping"), max_length=64, blank=True)
    missing = models.JSONField(_("required columns not found"), default=list)
    as_of = models.DateField(_("as of"))
    rows_total = models.PositiveIntegerField(_("data rows"), default=0)
    to_create = models.PositiveIntegerField(_("new"), default=0)
    to_update = models.PositiveIntegerField(_("changed"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(_("errors"), default=list)
    summary = models.JSONField(_("summary"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("committed by"),
    )
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="committed")
                | models.Q(committed_at__isnull=False, error_count=0),
                name="import_committed_clean",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} #{self.pk}"

    @property
    def can_commit(self) -> bool:
        return self.status == ImportStatus.PREVIEWED and not self.error_count and not self.missing
