"""Admin for letters: the letterhead (one row, edited here), and the history of templates,
issued documents and balance confirmations (view only — they are evidence)."""

from django.contrib import admin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import HuikuanModelAdmin, ViewOnlyAdmin, date_column, money_column

from .models import BalanceConfirmation, Document, DocumentTemplate, Letterhead


@admin.register(Letterhead)
class LetterheadAdmin(HuikuanModelAdmin):
    """The one letterhead row: it can be edited, never added a second time or deleted."""

    list_display = ("__str__", "phone", "email", "law_firm", "updated_at")
    fieldsets = (
        (_("Company"), {"fields": ("company_name", "credit_code", "address", "phone", "email")}),
        (_("Bank account for payments"), {"fields": ("bank_name", "bank_account")}),
        (_("Balance confirmations"), {"fields": ("reply_address",)}),
        (_("Lawyer's letters"), {"fields": ("law_firm", "lawyer_name", "lawyer_phone")}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Letterhead.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ViewOnlyAdmin):
    """Every saved version of every template; edit them in the template editor pages."""

    list_display = ("kind", "language", "version", "note", "created_by", "created_at_display")
    list_filter = ("kind", "language")
    fields = ("kind", "language", "version", "note", "created_by", "created_at_display", "body")
    created_at_display = date_column(DocumentTemplate, "created_at")


@admin.register(Document)
class DocumentAdmin(ViewOnlyAdmin):
    list_display = (
        "number",
        "kind",
        "customer",
        "as_of_display",
        "total_display",
        "sent_on_display",
        "sent_via",
        "download",
    )
    list_filter = ("kind", "language", "sent_via")
    list_select_related = ("customer",)
    search_fields = ("number", "customer__code", "customer__name")
    sortable_by = ("number", "as_of_display")
    fields = (
        "number",
        "kind",
        "customer",
        "as_of_display",
        "date_from",
        "language",
        "template_version",
        "total_display",
        "size",
        "sha256",
        "download",
        "sent_on_display",
        "sent_via",
        "sent_reference",
        "created_by",
        "created_at_display",
    )

    as_of_display = date_column(Document, "as_of")
    sent_on_display = date_column(Document, "sent_on")
    created_at_display = date_column(Document, "created_at")
    total_display = money_column(Document, "total")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description=_("PDF"))
    def download(self, obj):
        url = reverse("admin:documents_document_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.filename)

    def get_urls(self):
        view = self.admin_site.admin_view(self.pdf_view)
        return [path("<int:pk>/pdf/", view, name="documents_document_pdf"), *super().get_urls()]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise Http404
        document = get_object_or_404(Document, pk=pk)
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.filename}"'
        return response


@admin.register(BalanceConfirmation)
class BalanceConfirmationAdmin(ViewOnlyAdmin):
    list_display = (
        "document",
        "customer",
        "as_of_display",
        "our_balance_display",
        "status",
        "sent_on_display",
        "replied_on_display",
        "their_balance_display",
    )
    list_filter = ("status",)
    list_select_related = ("document", "customer")
    search_fields = ("document__number", "customer__code", "customer__name")
    fields = (
        "document",
        "customer",
        "as_of_display",
        "our_balance_display",
        "status",
        "sent_on_display",
        "replied_on_display",
        "their_balance_display",
        "reply_note",
        "scan_name",
        "scan_type",
        "scan_sha256",
        "limitation_event",
        "replied_by",
        "created_at_display",
    )

    as_of_display = date_column(BalanceConfirmation, "as_of")
    sent_on_display = date_column(BalanceConfirmation, "sent_on")
    replied_on_display = date_column(BalanceConfirmation, "replied_on")
    created_at_display = date_column(BalanceConfirmation, "created_at")
    our_balance_display = money_column(BalanceConfirmation, "our_balance")
    their_balance_display = money_column(BalanceConfirmation, "their_balance")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("scan", "document__pdf")
