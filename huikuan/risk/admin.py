"""Credit control in the admin.

Administrators edit the one credit policy row here (the credit check's thresholds, the
new-customer ramp and the rating bands). Everything else — credit decisions, holds, exceptions,
warning signals, credit profiles and risk runs — is written by the services, the credit check and
the daily run, so it is shown view-only: a change made here would skip their rules, their
customer lock and their audit lines.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import (
    HuikuanModelAdmin,
    ViewOnlyAdmin,
    date_column,
    money_column,
    year_filter,
)
from huikuan.ledger.classes import DebtClass

from .credit import BLOCKABLE_CLASSES
from .models import (
    CreditDecision,
    CreditException,
    CreditHold,
    CreditPolicy,
    CreditProfile,
    Rating,
    RiskRun,
    Signal,
)

CUSTOMER_SEARCH = ("customer__code", "customer__name")
CUSTOMER_SEARCH_HELP = _("The customer's code or part of its name.")


# --- Configuration: the one policy row --------------------------------------------------------


class CreditPolicyForm(forms.ModelForm):
    block_from_class = forms.ChoiceField(
        label=CreditPolicy._meta.get_field("block_from_class").verbose_name,
        required=False,
        choices=[("", _("Never (rule off)"))]
        + [(value, DebtClass.LABELS[value]) for value in BLOCKABLE_CLASSES],
    )

    class Meta:
        model = CreditPolicy
        fields = [f.name for f in CreditPolicy._meta.fields if f.editable and not f.primary_key]
        help_texts = {
            "block_ratings": _("Letters A–D, e.g. D or CD; empty switches the rule off."),
            "partial_ratings": _("Letters A–D, e.g. C; empty switches the rule off."),
        }

    def _ratings(self, name: str) -> str:
        letters = (self.cleaned_data.get(name) or "").replace(" ", "").replace(",", "").upper()
        if any(letter not in Rating.values for letter in letters):
            raise forms.ValidationError(_("Use only the ratings A, B, C and D."))
        return "".join(sorted(set(letters)))

    def clean_block_ratings(self):
        return self._ratings("block_ratings")

    def clean_partial_ratings(self):
        return self._ratings("partial_ratings")


@admin.register(CreditPolicy)
class CreditPolicyAdmin(HuikuanModelAdmin):
    form = CreditPolicyForm
    list_display = ("__str__", "block_overdue_days", "partial_share_pct", "updated_at_display")
    fieldsets = (
        (
            _("Credit check"),
            {
                "description": _("A day count or percentage of 0 switches that rule off."),
                "fields": (
                    "block_overdue_days",
                    "partial_overdue_days",
                    "partial_share_pct",
                    "block_broken_promise_days",
                    "block_from_class",
                    "block_ratings",
                    "partial_ratings",
                    "block_on_strong_signal",
                    "partial_on_watch_signal",
                    "honour_supply_measures",
                    "reservation_days",
                ),
            },
        ),
        (
            _("New customers"),
            {"fields": ("ramp_start_limit", "ramp_step_paid", "ramp_months")},
        ),
        (
            _("Rating"),
            {
                "fields": (
                    "on_time_grace_days",
                    "rating_a_max_days",
                    "rating_b_max_days",
                    "rating_c_max_days",
                )
            },
        ),
    )

    updated_at_display = date_column(CreditPolicy, "updated_at")

    def has_add_permission(self, request):
        # One row, seeded by the migration; a second one would never be read.
        return super().has_add_permission(request) and not CreditPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# --- Written by the services, the credit check and the daily run: view-only --------------------


@admin.register(CreditDecision)
class CreditDecisionAdmin(ViewOnlyAdmin):
    list_display = (
        "asked_at_display",
        "customer",
        "order_ref",
        "amount_display",
        "decision",
        "allowed_display",
        "asked_by",
        "released_at_display",
    )
    list_filter = (year_filter(CreditDecision, "asked_at"), "decision")
    list_select_related = ("customer", "asked_by")
    search_fields = ("order_ref", *CUSTOMER_SEARCH)
    search_help_text = _("The order reference, or the customer's code or part of its name.")

    asked_at_display = date_column(CreditDecision, "asked_at")
    released_at_display = date_column(CreditDecision, "released_at")
    amount_display = money_column(CreditDecision, "amount")
    allowed_display = money_column(CreditDecision, "allowed_amount")


@admin.register(CreditHold)
class CreditHoldAdmin(ViewOnlyAdmin):
    list_display = (
        "placed_at_display",
        "customer",
        "reason",
        "placed_by",
        "released_at_display",
        "released_by",
    )
    list_filter = (year_filter(CreditHold, "placed_at"),)
    list_select_related = ("customer", "placed_by", "released_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    placed_at_display = date_column(CreditHold, "placed_at")
    released_at_display = date_column(CreditHold, "released_at")


@admin.register(CreditException)
class CreditExceptionAdmin(ViewOnlyAdmin):
    list_display = (
        "customer",
        "amount_display",
        "used_display",
        "valid_from_display",
        "valid_until_display",
        "granted_by",
        "revoked_at_display",
    )
    list_filter = (year_filter(CreditException, "valid_until"),)
    list_select_related = ("customer", "granted_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    amount_display = money_column(CreditException, "amount")
    used_display = money_column(CreditException, "used")
    valid_from_display = date_column(CreditException, "valid_from")
    valid_until_display = date_column(CreditException, "valid_until")
    revoked_at_display = date_column(CreditException, "revoked_at")


@admin.register(Signal)
class SignalAdmin(ViewOnlyAdmin):
    list_display = ("detected_on_display", "customer", "kind", "severity", "status", "recorded_by")
    list_filter = (year_filter(Signal, "detected_on"), "status", "severity", "kind")
    list_select_related = ("customer", "recorded_by")
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    detected_on_display = date_column(Signal, "detected_on")


@admin.register(CreditProfile)
class CreditProfileAdmin(ViewOnlyAdmin):
    list_display = (
        "customer",
        "computed_rating",
        "rating_override",
        "avg_days_late",
        "prev_avg_days_late",
        "trend",
        "on_time_count",
        "late_count",
        "computed_on_display",
    )
    list_filter = ("computed_rating", "rating_override", "trend")
    list_select_related = ("customer",)
    search_fields = CUSTOMER_SEARCH
    search_help_text = CUSTOMER_SEARCH_HELP

    computed_on_display = date_column(CreditProfile, "computed_on")


@admin.register(RiskRun)
class RiskRunAdmin(ViewOnlyAdmin):
    list_display = ("as_of_display", "finished_at_display", "counts")

    as_of_display = date_column(RiskRun, "as_of")
    finished_at_display = date_column(RiskRun, "finished_at")
