"""Forms of the message pages: composing a letter or message from a case, the outbox filters,
sending a message again, and a dunning level's message template. They check the shape of the
input; the services decide whether it makes sense."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from huikuan.customers.forms import date_input
from huikuan.documents.models import DocumentKind, Language

from .models import Channel, MessageStatus
from .outbox import normalize_mobile

MESSAGE = "message"
POST = "post"


class ComposeForm(forms.Form):
    """What to send to a customer, how, in which language and with the figures of which day.

    ``what`` is a letter (a document kind) or the dunning message of the case's current level;
    ``channel`` is email (to one or more of the customer's contacts), SMS (to a contact's
    mobile, messages only) or post (letters only: the PDF is printed and posted)."""

    what = forms.ChoiceField(label=_("What to send"), widget=forms.RadioSelect)
    channel = forms.ChoiceField(
        label=_("How"),
        widget=forms.RadioSelect,
        choices=[
            (Channel.EMAIL.value, _("Email")),
            (Channel.SMS.value, _("SMS")),
            (POST, _("Print and post")),
        ],
        initial=Channel.EMAIL.value,
    )
    emails = forms.MultipleChoiceField(
        label=_("Email to"), required=False, widget=forms.CheckboxSelectMultiple
    )
    phone = forms.ChoiceField(label=_("SMS to"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=Language.choices, initial=Language.ZH_HANS.value
    )
    as_of = forms.DateField(label=_("Figures as of"), widget=date_input())
    date_from = forms.DateField(
        label=_("Statement period from"),
        required=False,
        widget=date_input(),
        help_text=_("Statements only; empty: the first day of the month."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, customer, contacts, level=None, may_send_lawyer_letter=False, **kw):
        super().__init__(*args, **kw)
        self.customer = customer
        self.level = level
        kinds = [
            (kind.value, kind.label)
            for kind in DocumentKind
            if kind != DocumentKind.LAWYER_LETTER or may_send_lawyer_letter
        ]
        what = []
        if level is not None:
            what.append(
                (
                    MESSAGE,
                    _("Dunning message: level %(number)s, %(action)s (%(tone)s)")
                    % {
                        "number": level.number,
                        "action": level.get_action_display(),
                        "tone": level.get_tone_display(),
                    },
                )
            )
        self.fields["what"].choices = what + kinds
        self.fields["emails"].choices = [
            (c.email, f"{c.name} <{c.email}>") for c in contacts if c.email
        ]
        phones = [(c.phone, f"{c.name} {c.phone}") for c in contacts if normalize_mobile(c.phone)]
        self.fields["phone"].choices = [("", "—"), *phones]
        if not self.is_bound and not self.initial.get("token"):
            self.initial["token"] = uuid.uuid4().hex

    @property
    def is_message(self) -> bool:
        return self.cleaned_data.get("what") == MESSAGE

    def clean(self):
        data = super().clean()
        what, channel = data.get("what"), data.get("channel")
        if not what or not channel:
            return data
        if what == MESSAGE and channel == POST:
            self.add_error("channel", _("A dunning message goes by email or SMS."))
        if what != MESSAGE and channel == Channel.SMS:
            self.add_error("channel", _("A letter goes by email (as a PDF) or by post."))
        # A preview needs no recipient: the rep looks at the letter before choosing who gets it.
        sending = self.data.get("action") == "send"
        if sending and channel == Channel.EMAIL and not data.get("emails"):
            self.add_error("emails", _("Choose at least one contact with an email address."))
        if sending and channel == Channel.SMS and not data.get("phone"):
            self.add_error("phone", _("Choose the contact's mobile number."))
        if what != DocumentKind.STATEMENT:
            data["date_from"] = None
        elif data.get("date_from") and data.get("as_of") and data["date_from"] > data["as_of"]:
            self.add_error("date_from", _("The period cannot start after the as-of date."))
        return data

    @property
    def recipient(self) -> str:
        if self.cleaned_data.get("channel") == Channel.SMS:
            return self.cleaned_data.get("phone") or ""
        return ", ".join(self.cleaned_data.get("emails") or [])


ALL = ""


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[(ALL, _("All")), *MessageStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[(ALL, _("All")), *Channel.choices]
    )
    q = forms.CharField(label=_("Customer, recipient or subject"), required=False, max_length=100)


class RequeueForm(forms.Form):
    checked = forms.BooleanField(
        label=_("I checked with the recipient that it did not arrive."), required=False
    )

    def __init__(self, *args, unknown: bool, **kw):
        super().__init__(*args, **kw)
        self.unknown = unknown

    def clean(self):
        data = super().clean()
        if self.unknown and not data.get("checked"):
            self.add_error(
                "checked",
                _("The outcome is unknown: it may have arrived. Check first, then confirm."),
            )
        return data


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=255)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
    )
    customer = forms.CharField(
        label=_("Preview with customer (code)"), required=False, max_length=64
    )
