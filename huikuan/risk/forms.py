"""Forms of the credit-control and early-warning pages. They read and check the shape of the
input; the services decide whether it makes sense (a positive amount, an end after the start, a
reason given …) and their refusals are shown next to the field they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huikuan.customers.forms import AmountField, date_input

from .models import RECORDED_KINDS, Decision, Rating, Severity, SignalKind, SignalStatus
from .selectors import LIVE

TEXTAREA = {"rows": 3}


class CreditCheckForm(forms.Form):
    amount = AmountField(label=_("Order amount"))
    order_ref = forms.CharField(
        label=_("Order reference"),
        required=False,
        max_length=64,
        help_text=_("Checking the same order again replaces its earlier answer."),
    )


class ExceptionGrantForm(forms.Form):
    """A time- and amount-limited permission to ship despite the rules. On the exceptions list the
    customer is named by its code, among the customers the user may see."""

    customer = forms.CharField(label=_("Customer code"), max_length=32)
    amount = AmountField(label=_("Up to"))
    valid_from = forms.DateField(label=_("Valid from"), widget=date_input())
    valid_until = forms.DateField(label=_("Valid until"), widget=date_input())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(TEXTAREA))

    def __init__(self, *args, customers=None, **kwargs):
        """``customers``: the queryset the code is looked up in; None when the customer is
        already known (the form on the customer's own page)."""
        super().__init__(*args, **kwargs)
        self.customers = customers
        if customers is None:
            del self.fields["customer"]

    def clean_customer(self):
        code = self.cleaned_data["customer"].strip()
        customer = self.customers.filter(code__iexact=code).first()
        if customer is None:
            raise ValidationError(_("None of your customers has this code."), code="unknown")
        return customer


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Why stop credit sales"), max_length=2000, widget=forms.Textarea(TEXTAREA)
    )


class HoldReleaseForm(forms.Form):
    note = forms.CharField(label=_("Why release"), max_length=2000, widget=forms.Textarea(TEXTAREA))


class CreditTermsForm(forms.Form):
    """The limit, the payment terms and a rating set by hand (empty: the computed one)."""

    credit_limit = AmountField(label=_("Credit limit"))
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=3650
    )
    rating_override = forms.ChoiceField(
        label=_("Rating set by hand"),
        required=False,
        choices=[("", _("None: use the computed rating")), *Rating.choices],
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(TEXTAREA))


RECORDED_KIND_CHOICES = [(kind.value, kind.label) for kind in RECORDED_KINDS]


class SignalRecordForm(forms.Form):
    """A warning sign a person saw; the severity defaults to the kind's."""

    kind = forms.ChoiceField(label=_("What was seen"), choices=RECORDED_KIND_CHOICES)
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Usual for this kind")), *Severity.choices],
    )
    detected_on = forms.DateField(label=_("Seen on"), widget=date_input())
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=4000,
        widget=forms.Textarea(TEXTAREA),
        help_text=_("What was seen or heard, where, and from whom."),
    )


class SignalHandleForm(forms.Form):
    """The buttons of a signal send ``status``; the note says why."""

    ACTIONS = [
        (SignalStatus.CONFIRMED, _("Confirm")),
        (SignalStatus.DISMISSED, _("Dismiss")),
        (SignalStatus.RESOLVED, _("Resolve")),
    ]

    status = forms.ChoiceField(choices=ACTIONS)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class SignalFilterForm(forms.Form):
    ALL = "all"

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(LIVE, _("Open or confirmed")), *SignalStatus.choices, (ALL, _("All"))],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *SignalKind.choices]
    )

    def status_filter(self):
        """What to pass to ``signals_visible_to``: live signals unless another status is asked
        for; None for all."""
        status = (self.cleaned_data.get("status") if self.is_valid() else "") or LIVE
        return None if status == self.ALL else status

    def kind_filter(self):
        return (self.cleaned_data.get("kind") if self.is_valid() else "") or None


class DecisionFilterForm(forms.Form):
    decision = forms.ChoiceField(
        label=pgettext_lazy("credit check", "Decision"),
        required=False,
        choices=[("", _("All")), *Decision.choices],
    )
    q = forms.CharField(label=_("Customer or order"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
