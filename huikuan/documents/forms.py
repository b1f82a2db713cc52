"""Forms of the letter pages: recording that a letter went out, the customer's reply to a
balance confirmation with its signed scan, the confirmations list's filter and the document
template editor. They check the shape; the services decide the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huikuan.customers.forms import AmountField, date_input

from .models import ConfirmationStatus, SentVia

REPLY_CHOICES = [
    (ConfirmationStatus.AGREED.value, _("Agreed: the balance is right")),
    (ConfirmationStatus.DISAGREED.value, _("Disagreed: the customer gives another figure")),
    (ConfirmationStatus.NO_REPLY.value, _("No reply: stop waiting")),
]
SCAN_ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class MarkSentForm(forms.Form):
    on = forms.DateField(label=_("Sent on"), widget=date_input())
    via = forms.ChoiceField(label=_("Sent by"), choices=SentVia.choices, initial=SentVia.POST)
    reference = forms.CharField(label=_("Tracking number or note"), required=False, max_length=255)


class ReplyForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Answer"), choices=REPLY_CHOICES, widget=forms.RadioSelect)
    replied_on = forms.DateField(label=_("Reply date"), widget=date_input())
    their_balance = AmountField(
        label=_("Customer's figure"),
        required=False,
        help_text=_("Required when the customer disagrees: the balance they say they owe."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    scan = forms.FileField(
        label=_("Signed and stamped reply (PDF, JPEG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
    )


class ScanForm(forms.Form):
    scan = forms.FileField(
        label=_("Signed and stamped reply (PDF, JPEG or PNG, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
    )


class ConfirmationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *ConfirmationStatus.choices],
    )


class DocumentTemplateForm(forms.Form):
    body = forms.CharField(
        label=_("Template"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "class": "code", "spellcheck": "false"}),
    )
    note = forms.CharField(label=_("What changed"), required=False, max_length=255)
    customer = forms.CharField(
        label=_("Preview with customer (code)"), required=False, max_length=64
    )
    as_of = forms.DateField(label=_("Preview as of"), required=False, widget=date_input())
