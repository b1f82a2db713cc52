from django import forms
from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import (
    HuikuanModelAdmin,
    HuikuanTabularInline,
    date_column,
    money_column,
    year_filter,
)
from huikuan.core.money import ZERO

from .models import Contract, Delivery, InstallmentNode
from .services import contract_create


def _posted_receivable(obj):
    """The receivable a node or delivery was posted as, or None."""
    try:
        return obj.receivable
    except ObjectDoesNotExist:
        return None


class InstallmentNodeForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        receivable = _posted_receivable(self.instance) if self.instance.pk else None
        if receivable is not None:
            for name in ("amount", "due_date"):
                if name in self.changed_data:
                    self.add_error(
                        name,
                        _(
                            "This installment is already posted as receivable %(number)s; "
                            "its amount and due date can no longer change."
                        )
                        % {"number": receivable.number},
                    )
        return cleaned


class InstallmentNodeFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        amounts = [
            form.cleaned_data["amount"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("amount") is not None
        ]
        if not amounts:
            return
        total = sum(amounts, ZERO)
        if total != self.instance.amount:
            raise forms.ValidationError(
                _("The installments add up to %(total)s, not the contract amount %(amount)s.")
                % {"total": total, "amount": self.instance.amount}
            )


class InstallmentNodeInline(HuikuanTabularInline):
    model = InstallmentNode
    form = InstallmentNodeForm
    formset = InstallmentNodeFormSet
    extra = 1
    fields = ("sequence", "due_date", "amount", "description", "posted_as")
    readonly_fields = ("posted_as",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("receivable")

    @admin.display(description=_("posted as receivable"))
    def posted_as(self, obj):
        receivable = _posted_receivable(obj) if obj.pk else None
        return receivable.number if receivable else self.get_empty_value_display()


@admin.register(Contract)
class ContractAdmin(HuikuanModelAdmin):
    list_display = (
        "number",
        "customer",
        "signed_on_display",
        "amount_display",
        "term_days",
        "seal_kind",
    )
    list_filter = ("seal_kind",)
    list_select_related = ("customer",)
    search_fields = ("number", "customer__code", "customer__name")
    autocomplete_fields = ("customer",)
    date_hierarchy = "signed_on"
    inlines = [InstallmentNodeInline]
    fields = (
        ("number", "customer"),
        ("signed_on", "seal_kind"),
        ("amount", "currency"),
        ("term_days", "late_fee_per_day_bp"),
        "payment_terms",
        "acceptance_criteria",
    )

    signed_on_display = date_column(Contract, "signed_on")
    amount_display = money_column(Contract, "amount", currency_field="currency")

    def get_readonly_fields(self, request, obj=None):
        # Receivables already posted under the contract keep its customer and currency.
        if obj is not None and obj.receivables.exists():
            return ("customer", "currency")
        return ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Through the service, so the new contract is audited like one made anywhere else;
        # the installment plan is saved by the inline (whose total was checked above).
        data = dict(form.cleaned_data)
        created = contract_create(
            customer=data.pop("customer"),
            number=data.pop("number"),
            signed_on=data.pop("signed_on"),
            amount=data.pop("amount"),
            actor=request.user,
            **data,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db


@admin.register(Delivery)
class DeliveryAdmin(HuikuanModelAdmin):
    """Deliveries are recorded by ``ledger.services.delivery_record``, which posts the receivable
    in the same transaction; a delivery added here would owe us nothing. So the admin shows them
    and lets the goods text be corrected, nothing more."""

    list_display = (
        "number",
        "customer",
        "contract",
        "delivered_on_display",
        "due_date_display",
        "amount_display",
        "description",
    )
    list_filter = (year_filter(Delivery, "delivered_on"),)
    list_select_related = ("customer", "contract")
    sortable_by = ("number", "delivered_on_display")
    search_fields = ("number", "customer__code", "customer__name")
    fields = (
        "number",
        "customer",
        "contract",
        "delivered_on_display",
        "due_date_display",
        "amount_display",
        "description",
    )
    readonly_fields = fields[:-1]

    delivered_on_display = date_column(Delivery, "delivered_on")
    due_date_display = date_column(Delivery, "due_date")
    amount_display = money_column(Delivery, "amount", currency_field="currency")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
