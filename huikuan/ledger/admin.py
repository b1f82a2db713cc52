"""The ledger in the admin: look, never touch.

Posted documents are append-only (database triggers refuse UPDATE and DELETE), so every admin
here is view-only; corrections are reversals posted through ``ledger.services``. List pages are
built for a million rows: related rows joined in the same query, no full-table count, a year
filter instead of ``date_hierarchy``, sorting only by indexed columns, and search that goes
through indexes (exact document number, or the customer's code or name) instead of
``LIKE '%…%'`` over the whole ledger.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import (
    ViewOnlyAdmin,
    ViewOnlyInline,
    date_column,
    format_money,
    money_column,
    year_filter,
)
from huikuan.customers.models import Customer

from .models import Allocation, Payment, PaymentKind, Receivable, Reversal, WriteOff

CUSTOMER_SEARCH_HELP = _("Exact document number, or the customer's code or part of its name.")
NUMBER_SEARCH_HELP = _("Exact document number.")


def _customers_matching(term: str) -> list[int]:
    # Fetched first, as a list: PostgreSQL can then answer "number = … OR customer_id IN (…)"
    # with two index scans; with a subquery there it reads the whole ledger.
    return list(
        Customer.objects.filter(Q(code=term) | Q(name__icontains=term)).values_list("pk", flat=True)
    )


@admin.display(description=_("reverses"))
def _reverses(model_admin, allocation):
    """A reversing row names the row it undoes by id."""
    if allocation.reverses_id:
        return f"#{allocation.reverses_id}"
    return model_admin.get_empty_value_display()


class OpenFilter(admin.SimpleListFilter):
    title = _("balance")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Settled"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(outstanding__gt=0)
        if self.value() == "no":
            return queryset.filter(outstanding=0)
        return queryset


class ReceivableAllocationInline(ViewOnlyInline):
    model = Allocation
    fk_name = "receivable"
    verbose_name_plural = _("settlements")
    fields = ("applied_on_display", "payment", "write_off", "amount_display", "reverses_display")

    applied_on_display = date_column(Allocation, "applied_on")
    amount_display = money_column(Allocation, "amount")

    reverses_display = _reverses

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment", "write_off")


class PaymentAllocationInline(ViewOnlyInline):
    model = Allocation
    fk_name = "payment"
    verbose_name_plural = _("settlements")
    fields = ("applied_on_display", "receivable", "amount_display", "reverses_display")

    applied_on_display = date_column(Allocation, "applied_on")
    amount_display = money_column(Allocation, "amount")

    reverses_display = _reverses

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("receivable")


@admin.register(Receivable)
class ReceivableAdmin(ViewOnlyAdmin):
    list_display = (
        "number",
        "customer",
        "kind",
        "issue_date_display",
        "due_date_display",
        "amount_display",
        "outstanding_display",
    )
    list_filter = (OpenFilter, year_filter(Receivable, "due_date"), "kind", "customer__region")
    list_select_related = ("customer",)
    # Only indexed columns sort: ordering a million rows by amount would take seconds.
    sortable_by = ("number", "issue_date_display", "due_date_display")
    search_fields = ("number", "customer__code", "customer__name")
    search_help_text = CUSTOMER_SEARCH_HELP
    fields = (
        "number",
        "customer",
        "kind",
        "contract",
        "delivery",
        "installment",
        "issue_date_display",
        "due_date_display",
        "amount_display",
        "outstanding_display",
        "description",
        "created_by",
        "created_at_display",
    )
    inlines = [ReceivableAllocationInline]

    issue_date_display = date_column(Receivable, "issue_date")
    due_date_display = date_column(Receivable, "due_date")
    amount_display = money_column(Receivable, "amount", currency_field="currency")
    outstanding_display = money_column(Receivable, "outstanding", currency_field="currency")
    created_at_display = date_column(Receivable, "created_at")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(number=term) | Q(customer__in=_customers_matching(term))), False


@admin.register(Payment)
class PaymentAdmin(ViewOnlyAdmin):
    list_display = (
        "number",
        "kind",
        "customer",
        "received_on_display",
        "amount_display",
        "allocated_display",
        "unapplied_display",
        "method",
        "reference",
    )
    list_filter = (year_filter(Payment, "received_on"), "kind", "method", "customer__region")
    list_select_related = ("customer",)
    sortable_by = ("received_on_display",)
    search_fields = ("number", "customer__code", "customer__name")
    search_help_text = CUSTOMER_SEARCH_HELP
    fields = (
        "number",
        "kind",
        "customer",
        "received_on_display",
        "amount_display",
        "allocated_display",
        "unapplied_display",
        "method",
        "reference",
        "note",
        "created_by",
        "created_at_display",
    )
    inlines = [PaymentAllocationInline]

    received_on_display = date_column(Payment, "received_on")
    amount_display = money_column(Payment, "amount", currency_field="currency")
    allocated_display = money_column(Payment, "allocated", currency_field="currency")
    created_at_display = date_column(Payment, "created_at")

    @admin.display(description=_("unapplied"))
    def unapplied_display(self, obj):
        return format_money(obj.unapplied, obj.currency)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # Naming every kind lets the (kind, number) unique index answer the number lookup.
        by_number = Q(kind__in=PaymentKind.values, number=term)
        return queryset.filter(by_number | Q(customer__in=_customers_matching(term))), False


@admin.register(Allocation)
class AllocationAdmin(ViewOnlyAdmin):
    list_display = (
        "id",
        "receivable",
        "source",
        "amount_display",
        "applied_on_display",
        "reverses_display",
        "created_at_display",
    )
    list_filter = (year_filter(Allocation, "applied_on"),)
    list_select_related = ("receivable", "payment", "write_off")
    sortable_by = ("id", "applied_on_display")
    search_fields = ("receivable__number", "payment__number", "write_off__number")
    search_help_text = _("Exact number of the receivable, payment or write-off.")
    fields = (
        "receivable",
        "payment",
        "write_off",
        "amount_display",
        "applied_on_display",
        "reverses",
        "reversal",
        "created_by",
        "created_at_display",
    )

    amount_display = money_column(Allocation, "amount")
    applied_on_display = date_column(Allocation, "applied_on")
    created_at_display = date_column(Allocation, "created_at")

    @admin.display(description=_("settled by"))
    def source(self, obj):
        return obj.payment or obj.write_off

    reverses_display = _reverses

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(
            Q(receivable__in=Receivable.objects.filter(number=term).values("pk"))
            | Q(payment__in=Payment.objects.filter(number=term).values("pk"))
            | Q(write_off__in=WriteOff.objects.filter(number=term).values("pk"))
        ), False


@admin.register(WriteOff)
class WriteOffAdmin(ViewOnlyAdmin):
    list_display = (
        "number",
        "receivable",
        "customer",
        "written_off_on_display",
        "amount_display",
        "created_by",
    )
    list_select_related = ("receivable__customer", "created_by")
    date_hierarchy = "written_off_on"
    search_fields = ("number", "receivable__number")
    search_help_text = _("Exact number of the write-off or of its receivable.")
    fields = (
        "number",
        "receivable",
        "written_off_on_display",
        "amount_display",
        "reason",
        "created_by",
        "created_at_display",
    )

    written_off_on_display = date_column(WriteOff, "written_off_on")
    amount_display = money_column(WriteOff, "amount")
    created_at_display = date_column(WriteOff, "created_at")

    @admin.display(description=_("customer"), ordering="receivable__customer__code")
    def customer(self, obj):
        return obj.receivable.customer

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        receivables = Receivable.objects.filter(number=term).values("pk")
        return queryset.filter(Q(number=term) | Q(receivable__in=receivables)), False


@admin.register(Reversal)
class ReversalAdmin(ViewOnlyAdmin):
    list_display = ("number", "reversed_on_display", "target", "reason", "created_by")
    list_select_related = ("payment", "write_off", "allocation__receivable", "created_by")
    date_hierarchy = "reversed_on"
    search_fields = ("number",)
    search_help_text = NUMBER_SEARCH_HELP
    fields = (
        "number",
        "reversed_on_display",
        "payment",
        "allocation",
        "write_off",
        "reason",
        "created_by",
        "created_at_display",
    )

    reversed_on_display = date_column(Reversal, "reversed_on")
    created_at_display = date_column(Reversal, "created_at")

    @admin.display(description=_("reverses"))
    def target(self, obj):
        if obj.payment_id:
            return obj.payment.number
        if obj.write_off_id:
            return obj.write_off.number
        return gettext("allocation #%(id)s on %(receivable)s") % {
            "id": obj.allocation_id,
            "receivable": obj.allocation.receivable.number,
        }

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(number=term) if term else queryset), False
