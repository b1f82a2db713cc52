"""The aging report's parameters, read from the URL."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huikuan.customers.forms import date_input

BY_CHOICES = [("customer", _("Customer")), ("rep", _("Rep")), ("region", _("Region"))]


class AgingForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=date_input(),
        error_messages={"invalid": _("Enter a date like 2026-11-22.")},
    )
    by = forms.ChoiceField(label=_("By"), required=False, choices=BY_CHOICES)

    def report_arguments(self, *, today) -> tuple:
        """``(as_of, by)``: blank or invalid values fall back to today and by customer."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("as_of") or today, data.get("by") or "customer"


class DrillDownForm(AgingForm):
    key = forms.CharField(max_length=32)
