"""Collection work in the admin.

Administrators edit the configuration here: the dunning ladders (policy with its levels), the
working calendar (holidays and make-up working days) and customers' collection profiles.
Everything else — tasks, activities, promises, disputes, approvals, limitation events, daily
runs, cases and dunning states — is written by the services and the daily run, so it is shown
view-only: a change made here would skip their rules and their audit lines.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import (
    HuikuanModelAdmin,
    HuikuanTabularInline,
    ViewOnlyAdmin,
    date_column,
    money_column,
    year_filter,
)

from .models import (
    Activity,
    ApprovalRequest,
    CalendarDay,
    Case,
    CollectionProfile,
    DailyRun,
    Dispute,
    DunningLevel,
    DunningPolicy,
    LimitationEvent,
    Promise,
    ReceivableDunning,
    Task,
)

CUSTOMER_SEARCH = ("customer__code", "customer__name")
CUSTOMER_SEARCH_HELP = _("The customer's code or part of its name.")


# --- Configuration: editable by administrators ------------------------------------------------


class DunningLevelInline(HuikuanTabularInline):
    model = DunningLevel
    extra = 0
    fields = ("number", "days", "action", "tone", "needs_approval", "template")
    ordering = ("number",)


@admin.register(DunningPolicy)
class DunningPolicyAdmin(HuikuanModelAdmin):
    list_display = ("name", "segment", "is_active", "level_count")
    list_filter = ("segment", "is_active")
    inlines = (DunningLevelInline,)

    @admin.display(description=_("levels"))
    def level_count(self, obj):
        return obj.levels.count()


class CalendarYearFilter(admin.SimpleListFilter):
    """The calendar is small (a few dozen rows a year): list the years it has."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = sorted({d.year for d in CalendarDay.objects.values_list("day", flat=True)})
        return [(str(y), str(y)) for y in reversed(years)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(day__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(HuikuanModelAdmin):
    list_display = ("day_display", "weekday", "is_workday", "name")
    list_filter = (CalendarYearFilter, "is_workday")
    search_fields = ("name",)
    ordering = ("day",)
    fields = ("day", "is_workday", "name")

    day_display = date_column(CalendarDay, "day")

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        names = (
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
            _("Sunday"),
        )
        return names[obj.day.weekday()]


@admin.register(CollectionProfile)
class CollectionProfileAdmin(HuikuanModelAdmin):
    list_display = ("customer", "policy", "sell_through_days", "standing", "broken_promises")
    list_select_related = ("customer", "policy")
    list_filter = ("policy",)
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP
    autocomplete_fields = ("customer",)
    fields = ("customer", "policy", "sell_through_days", "standing", "broken_promises")

    def get_readonly_fields(self, request, obj=None):
        # The daily run keeps standing and the broken-promise count; an existing profile keeps
        # its customer.
        fixed = ["standing", "broken_promises"]
        return [*fixed, "customer"] if obj else fixed


# --- Written by the services and the daily run: view-only --------------------------------------


@admin.register(Case)
class CaseAdmin(ViewOnlyAdmin):
    list_display = ("customer", "opened_on_display", "closed_on_display", "level", "debt_class")
    list_filter = (year_filter(Case, "opened_on"), "debt_class", "level")
    list_select_related = ("customer",)
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    opened_on_display = date_column(Case, "opened_on")
    closed_on_display = date_column(Case, "closed_on")


@admin.register(ReceivableDunning)
class ReceivableDunningAdmin(ViewOnlyAdmin):
    list_display = ("receivable", "customer", "level", "level_on_display")
    list_filter = ("level",)
    list_select_related = ("receivable", "customer")
    search_fields = ("receivable__number", *CUSTOMER_SEARCH)

    level_on_display = date_column(ReceivableDunning, "level_on")


@admin.register(Task)
class TaskAdmin(ViewOnlyAdmin):
    list_display = (
        "due_on_display",
        "customer",
        "action",
        "source",
        "level",
        "assignee",
        "amount_display",
        "status",
    )
    list_filter = (year_filter(Task, "due_on"), "status", "source", "action")
    list_select_related = ("customer", "assignee")
    search_fields = ("key", *CUSTOMER_SEARCH)
    search_help_text = CUSTOMER_SEARCH_HELP

    due_on_display = date_column(Task, "due_on")
    amount_display = money_column(Task, "amount")


@admin.register(Activity)
class ActivityAdmin(ViewOnlyAdmin):
    list_display = (
        "happened_on_display",
        "customer",
        "channel",
        "outcome",
        "reason",
        "technique",
        "created_by",
    )
    list_filter = (year_filter(Activity, "happened_on"), "channel", "outcome", "reason")
    list_select_related = ("customer", "created_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    happened_on_display = date_column(Activity, "happened_on")


@admin.register(Promise)
class PromiseAdmin(ViewOnlyAdmin):
    list_display = (
        "customer",
        "amount_display",
        "made_on_display",
        "due_on_display",
        "promised_by",
        "status",
        "paid_display",
    )
    list_filter = (year_filter(Promise, "due_on"), "status")
    list_select_related = ("customer",)
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    amount_display = money_column(Promise, "amount")
    paid_display = money_column(Promise, "paid")
    made_on_display = date_column(Promise, "made_on")
    due_on_display = date_column(Promise, "due_on")


@admin.register(Dispute)
class DisputeAdmin(ViewOnlyAdmin):
    list_display = ("customer", "reason", "owner", "opened_on_display", "resolved_on_display")
    list_filter = (year_filter(Dispute, "opened_on"), "reason")
    list_select_related = ("customer", "owner")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    opened_on_display = date_column(Dispute, "opened_on")
    resolved_on_display = date_column(Dispute, "resolved_on")


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ViewOnlyAdmin):
    list_display = (
        "requested_on_display",
        "customer",
        "kind",
        "action",
        "amount_display",
        "status",
        "requested_by",
        "decided_by",
    )
    list_filter = (year_filter(ApprovalRequest, "requested_on"), "status", "kind", "action")
    list_select_related = ("customer", "requested_by", "decided_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    requested_on_display = date_column(ApprovalRequest, "requested_on")
    amount_display = money_column(ApprovalRequest, "amount")


@admin.register(LimitationEvent)
class LimitationEventAdmin(ViewOnlyAdmin):
    list_display = ("happened_on_display", "customer", "kind", "evidence", "created_by")
    list_filter = (year_filter(LimitationEvent, "happened_on"), "kind")
    list_select_related = ("customer", "created_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    happened_on_display = date_column(LimitationEvent, "happened_on")


@admin.register(DailyRun)
class DailyRunAdmin(ViewOnlyAdmin):
    list_display = ("as_of_display", "finished_at_display", "counts")

    as_of_display = date_column(DailyRun, "as_of")
    finished_at_display = date_column(DailyRun, "finished_at")
