"""Forms for the ledger pages: they read and check input, the services decide and write."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huikuan.contracts.models import Contract
from huikuan.customers.forms import AmountField, date_input

from .models import PaymentKind, PaymentMethod

ALLOCATE_AUTO = "auto"
ALLOCATE_MANUAL = "manual"
ALLOCATE_NONE = "none"
LINE_PREFIX = "alloc-"


class ReceivableFilterForm(forms.Form):
    STATUS_CHOICES = [("", _("Open and settled")), ("open", _("Open")), ("settled", _("Settled"))]

    customer = forms.ModelChoiceField(
        label=_("Customer"), required=False, queryset=None, empty_label=_("All customers")
    )
    number = forms.CharField(label=_("Number"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=date_input())
    due_to = forms.DateField(label=_("Due until"), required=False, widget=date_input())

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("code")


class PaymentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *PaymentKind.choices]
    )
    customer = forms.ModelChoiceField(
        label=_("Customer"), required=False, queryset=None, empty_label=_("All customers")
    )
    number = forms.CharField(label=_("Number or reference"), required=False, max_length=128)
    received_from = forms.DateField(label=_("From"), required=False, widget=date_input())
    received_to = forms.DateField(label=_("Until"), required=False, widget=date_input())

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("code")


class PaymentForm(forms.Form):
    """A payment or credit note and how to allocate it.

    With "by hand", one ``alloc-<receivable id>`` amount field is added per open receivable of the
    chosen customer; the blank or zero ones are left out of the allocation lines.
    """

    ALLOCATE_CHOICES = [
        (ALLOCATE_AUTO, _("Automatically, oldest due first")),
        (ALLOCATE_MANUAL, _("By hand: an amount for each receivable below")),
        (ALLOCATE_NONE, _("Not now: keep it all as unapplied credit")),
    ]

    kind = forms.ChoiceField(
        label=_("Kind"), choices=PaymentKind.choices, initial=PaymentKind.PAYMENT
    )
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    number = forms.CharField(label=_("Document number"), max_length=64)
    received_on = forms.DateField(label=_("Date"), widget=date_input())
    amount = AmountField(label=_("Amount"))
    method = forms.ChoiceField(
        label=_("Method"),
        required=False,
        choices=[("", "—"), *PaymentMethod.choices],
        initial=PaymentMethod.BANK_TRANSFER,
        help_text=_("Not used for credit notes."),
    )
    reference = forms.CharField(label=_("Bank reference"), required=False, max_length=128)
    note = forms.CharField(label=_("Note"), required=False, max_length=255)
    allocate = forms.ChoiceField(
        label=_("Allocate"),
        choices=ALLOCATE_CHOICES,
        initial=ALLOCATE_AUTO,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, customers, open_receivables_for, **kwargs):
        """``customers``: who may be picked; ``open_receivables_for(customer)``: the receivables
        a payment of that customer can be allocated to (one line each)."""
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("code")
        # Picking a customer loads its open receivables as allocation lines (htmx).
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("ledger:payment_open_receivables"),
                "hx-target": "#allocation-lines",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        self.customer = self._chosen_customer()
        self.open_receivables = (
            list(open_receivables_for(self.customer)) if self.customer is not None else []
        )
        for receivable in self.open_receivables:
            self.fields[f"{LINE_PREFIX}{receivable.pk}"] = AmountField(
                label=receivable.number, required=False
            )

    def _chosen_customer(self):
        field = self.fields["customer"]
        raw = (
            self.data.get(self.add_prefix("customer"))
            if self.is_bound
            else self.initial.get("customer")
        )
        if raw in (None, ""):
            return None
        try:
            return field.clean(raw)
        except forms.ValidationError:
            return None

    def allocation_rows(self):
        """``(receivable, bound field)`` for each open receivable of the chosen customer."""
        return [(r, self[f"{LINE_PREFIX}{r.pk}"]) for r in self.open_receivables]

    def allocation(self):
        """What to pass to ``payment_record(allocate=…)``: "auto", "none" or the lines."""
        choice = self.cleaned_data["allocate"]
        if choice == ALLOCATE_AUTO:
            return "auto"
        if choice == ALLOCATE_NONE:
            return "none"
        return [
            (receivable.number, amount)
            for receivable in self.open_receivables
            if (amount := self.cleaned_data.get(f"{LINE_PREFIX}{receivable.pk}"))
        ]

    def clean(self):
        cleaned = super().clean()
        manual = cleaned.get("allocate") == ALLOCATE_MANUAL and self.customer is not None
        lines = [cleaned.get(f"{LINE_PREFIX}{r.pk}") for r in self.open_receivables]
        if manual and not any(lines):
            self.add_error(
                "allocate",
                _("Enter an amount for at least one receivable, or allocate automatically."),
            )
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "customer": data["customer"],
            "kind": data["kind"],
            "number": data["number"],
            "received_on": data["received_on"],
            "amount": data["amount"],
            "method": data["method"],
            "reference": data["reference"],
            "note": data["note"],
            "allocate": self.allocation(),
        }


class PaymentReverseForm(forms.Form):
    reversed_on = forms.DateField(label=_("Reversal date"), widget=date_input())
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(
        label=_("I understand that every allocation of this document will be undone."),
        required=True,
    )


class DeliveryForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None)
    contract = forms.ModelChoiceField(
        label=_("Contract"),
        required=False,
        queryset=None,
        help_text=_("The money is due after the contract's days, or the customer's terms."),
    )
    number = forms.CharField(label=_("Delivery number"), max_length=64)
    delivered_on = forms.DateField(label=_("Delivered on"), widget=date_input())
    amount = AmountField(label=_("Amount"))
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty to work it out from the contract or the customer's terms."),
    )
    description = forms.CharField(label=_("Goods"), required=False, max_length=255)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("code")
        self.fields["contract"].queryset = (
            Contract.objects.filter(customer__in=customers)
            .select_related("customer")
            .order_by("-signed_on", "number")
        )
