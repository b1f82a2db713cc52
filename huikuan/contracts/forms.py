"""Forms for contracts and their installment plans; ``contract_create`` decides and writes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huikuan.customers.forms import AmountField, date_input

from .checks import ALL, ANY, CHECKS
from .models import Contract


class ContractForm(forms.ModelForm):
    amount = AmountField(
        label=_("Contract amount"),
        required=False,
        help_text=_("Leave empty to use the total of the installments."),
    )

    class Meta:
        model = Contract
        fields = [
            "customer",
            "number",
            "signed_on",
            "amount",
            "payment_terms",
            "term_days",
            "late_fee_per_day_bp",
            "seal_kind",
            "acceptance_criteria",
        ]
        widgets = {
            "signed_on": date_input(),
            "payment_terms": forms.Textarea(attrs={"rows": 3}),
            "acceptance_criteria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("code")

    def validate_unique(self):
        """The service reports a taken contract number on the number field."""

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("amount") is None:
            data["amount"] = 0
        return data


class InstallmentForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=date_input())
    amount = AmountField(label=_("Amount"))


InstallmentFormSet = forms.formset_factory(InstallmentForm, extra=6, max_num=60)


def installment_lines(formset) -> list[tuple]:
    """The ``(due_date, amount)`` pairs of the filled-in rows, in the order given."""
    return [
        (form.cleaned_data["due_date"], form.cleaned_data["amount"])
        for form in formset
        if form.cleaned_data
    ]


class ContractCheckFilterForm(forms.Form):
    """Which contracts the contract-check report lists: those with any finding, one finding, or
    every contract."""

    finding = forms.ChoiceField(
        label=_("Finding"),
        required=False,
        choices=[
            (ANY, _("Any finding")),
            *CHECKS.items(),
            (ALL, _("Every contract")),
        ],
    )

    def chosen(self) -> str:
        return (self.cleaned_data.get("finding") if self.is_valid() else "") or ANY
