"""Forms for the customer pages. They validate input; the services in ``services.py`` decide and
write. ``add_service_errors`` puts a service's ``ValidationError`` next to the field it names, and
``AmountField`` reads an amount of money as text (never a float); the other apps' forms use both."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from huikuan.org.models import Region

from .models import Contact, Customer, PaymentProcess

DATE_WIDGET_ATTRS = {"type": "date"}


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, error: ValidationError, aliases=None) -> None:
    """Show a service's ``ValidationError`` on ``form``: each message next to the field it names
    (``aliases`` maps a service field name to a form field name), the rest at the top."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = aliases.get(field, field)
        form.add_error(target if target in form.fields else None, messages)


AMOUNT_RE = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")


class AmountField(forms.Field):
    """An amount in yuan typed by a person: digits with at most two decimals; thousands commas
    and spaces are allowed. Cleans to a two-place ``Decimal``; whether it must be positive or fit
    a balance is the service's decision."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Enter an amount like 1234.56 (at most two decimals).")}

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        return attrs

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:.2f}"
        return value

    def to_python(self, value):
        text = re.sub(r"[\s,，]", "", str(value or ""))
        if not text:
            return None
        if not AMOUNT_RE.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return Decimal(text).quantize(Decimal("0.01"))


class CustomerFilterForm(forms.Form):
    """The customer list's search, filters and sort order (all optional, read from the URL)."""

    SORT_CHOICES = [("overdue", _("Overdue amount")), ("name", _("Name"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    owner = forms.ModelChoiceField(
        label=_("Rep"), required=False, queryset=None, empty_label=_("All reps")
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        required=False,
        queryset=Region.objects.order_by("code"),
        empty_label=_("All regions"),
    )
    debt_class = forms.ChoiceField(label=_("Class"), required=False, choices=())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, owners, class_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["debt_class"].choices = [("", _("All classes")), *class_choices]
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("Code or name"), "autocomplete": "off"}
        )


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "region",
            "owner",
            "status",
            "is_government",
            "address",
            "distance_km",
            "credit_limit",
            "payment_terms_days",
            # The rating is computed by the daily run from how the customer pays; a hand-set
            # rating needs a reason and goes through the credit terms form (huikuan.risk).
            "first_deal_on",
        ]
        widgets = {"first_deal_on": date_input()}

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        if self.instance.pk:
            # The code is the ERP's customer number: fixed once the customer exists.
            self.fields["code"].disabled = True

    def validate_unique(self):
        """Uniqueness is the service's to decide (it reports a taken code on the code field)."""


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "role", "title", "phone", "email", "wechat"]


class PaymentProcessForm(forms.ModelForm):
    class Meta:
        model = PaymentProcess
        fields = [
            "request_recipient",
            "signer",
            "approver",
            "settlement_day",
            "approval_steps",
            "needs_original_invoice",
            "needs_delivery_proof",
            "cash_allowed",
            "notes",
        ]

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = Contact.objects.filter(customer=customer, is_active=True).order_by("name")
        for name in ("request_recipient", "signer", "approver"):
            self.fields[name].queryset = contacts
