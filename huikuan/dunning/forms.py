"""Forms for the collection pages. They read and check the shape of the input; the services in
``services.py`` decide whether it makes sense (a promise needs an amount, a rejection a note …)
and their refusals are shown next to the field they name."""

from datetime import timedelta

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huikuan.customers.forms import AmountField, date_input
from huikuan.ledger.models import Receivable
from huikuan.org.models import User
from huikuan.web.templatetags.money import money

from . import playbook
from .models import (
    Action,
    ApprovalKind,
    ApprovalStatus,
    Channel,
    DisputeReason,
    Outcome,
    PromiseStatus,
    Reason,
    Task,
)

ALL_REPS = "all"
# The measures a rep asks a manager for: the hard end of the ladder.
HARD_MEASURES = (
    Action.WRITTEN_NOTICE,
    Action.REDUCE_SUPPLY,
    Action.STOP_SUPPLY,
    Action.CANCEL_REBATES,
    Action.LAWYER_LETTER,
    Action.COLLECTION_AGENCY,
)
REPORT_DAYS = 180


def _open_receivables(customer):
    return Receivable.objects.filter(customer=customer, outstanding__gt=0).order_by(
        "due_date", "number"
    )


class ReceivableChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(number)s · due %(due)s · %(amount)s outstanding") % {
            "number": obj.number,
            "due": obj.due_date.isoformat(),
            "amount": money(obj.outstanding),
        }


class ReceivableMultipleChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = ReceivableChoiceField.label_from_instance


class WorklistFilterForm(forms.Form):
    """The worklist's day and, for a manager or an administrator, whose tasks."""

    on = forms.DateField(label=_("Day"), required=False, widget=date_input())
    rep = forms.ChoiceField(label=_("Rep"), required=False, choices=())

    def __init__(self, *args, reps=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reps is None:
            del self.fields["rep"]
        else:
            self.reps = {str(person.pk): person for person in reps}
            self.fields["rep"].choices = [
                ("", _("My tasks")),
                (ALL_REPS, _("Everybody's")),
                *[(pk, str(person)) for pk, person in self.reps.items()],
            ]


class ActivityForm(forms.Form):
    """A contact with the customer and its answer; the promise fields count only when the
    customer promised to pay."""

    happened_on = forms.DateField(label=_("Date"), widget=date_input())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    contact = forms.ModelChoiceField(
        label=_("Spoke with"), required=False, queryset=None, empty_label="—"
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    reason = forms.ChoiceField(label=_("Reason the customer gave"), required=False, choices=())
    technique = forms.ChoiceField(label=_("Technique used"), required=False, choices=())
    note = forms.CharField(
        label=_("What was said"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    promise_amount = AmountField(label=_("Promised amount"), required=False)
    promise_due_on = forms.DateField(
        label=_("Promised to pay by"), required=False, widget=date_input()
    )
    promised_by = forms.CharField(
        label=_("Who promised"),
        required=False,
        max_length=64,
        help_text=_("Leave empty to use the person spoken with."),
    )
    next_step = forms.CharField(label=_("Next step"), required=False, max_length=255)
    next_step_on = forms.DateField(
        label=_("Next step on"),
        required=False,
        widget=date_input(),
        help_text=_("A follow-up task is planned for the next working day on or after it."),
    )
    is_written_demand = forms.BooleanField(
        label=_(
            "This letter or email demanded payment in writing (restarts the limitation period)"
        ),
        required=False,
    )
    asked_to_delay = forms.BooleanField(
        label=_("The customer asked to delay or split the payment"), required=False
    )
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)

    PROMISE_FIELDS = ("promise_amount", "promise_due_on", "promised_by")

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["contact"].queryset = customer.contacts.order_by("-is_active", "name")
        self.fields["reason"].choices = [("", "—"), *Reason.choices[1:]]
        self.fields["technique"].choices = [("", "—"), *playbook.CHOICES]
        self.fields["outcome"].widget.attrs["data-outcome"] = ""

    def promise_fields(self):
        return [self[name] for name in self.PROMISE_FIELDS]

    def other_fields(self):
        return [self[name] for name in self.fields if name not in (*self.PROMISE_FIELDS, "task")]

    def clean(self):
        """The task named in the (hidden) task field must be this customer's; its error is shown
        at the top of the form, since the field itself is not."""
        cleaned = super().clean()
        pk = cleaned.get("task")
        cleaned["task"] = None
        if pk:
            task = Task.objects.filter(pk=pk, customer=self.customer).first()
            if task is None:
                self.add_error(None, _("This task belongs to another customer."))
            cleaned["task"] = task
        return cleaned

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        if data["outcome"] != Outcome.PROMISED:
            # Promise fields filled in and then the outcome changed: they do not count.
            for name in self.PROMISE_FIELDS:
                data[name] = None if name != "promised_by" else ""
        return data


class DisputeForm(forms.Form):
    receivables = ReceivableMultipleChoiceField(
        label=_("Disputed receivables"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=DisputeReason.choices)
    description = forms.CharField(
        label=_("What the customer disagrees with"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.ModelChoiceField(label=_("Who resolves it"), queryset=None, empty_label=None)
    opened_on = forms.DateField(label=_("Opened on"), widget=date_input())

    def __init__(self, *args, customer, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receivables"].queryset = _open_receivables(customer)
        # The people who can see the customer and whom a rep would ask: themselves, the owner
        # rep and the owner's manager. The service checks the choice again.
        owner = customer.owner
        scope = Q(pk=user.pk)
        if owner is not None:
            scope |= Q(pk=owner.pk)
            if owner.manager_id:
                scope |= Q(pk=owner.manager_id)
        self.fields["owner"].queryset = User.objects.filter(scope, is_active=True).order_by(
            "username"
        )


class DisputeResolveForm(forms.Form):
    resolved_on = forms.DateField(label=_("Resolved on"), widget=date_input())
    resolution = forms.CharField(
        label=_("How it was resolved"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ApprovalRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Ask for"),
        choices=ApprovalKind.choices,
        initial=ApprovalKind.MEASURE,
        widget=forms.RadioSelect,
    )
    action = forms.ChoiceField(
        label=_("Measure"),
        required=False,
        choices=(),
        help_text=_("For a hard measure."),
    )
    receivable = ReceivableChoiceField(
        label=_("Receivable to write off"),
        required=False,
        queryset=None,
        empty_label="—",
        help_text=_("For a write-off."),
    )
    amount = AmountField(
        label=_("Amount to write off"),
        required=False,
        help_text=_("Leave empty to write off everything outstanding on it."),
    )
    reason = forms.CharField(
        label=_("Why"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "—")] + [
            (value, label) for value, label in Action.choices if value in HARD_MEASURES
        ]
        self.fields["receivable"].queryset = _open_receivables(customer)


class ApprovalDecideForm(forms.Form):
    """The two buttons of a decision send ``decision``; a rejection's note is required by the
    service, which puts its message on ``note``."""

    DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    decision = forms.ChoiceField(choices=DECISIONS)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApprovalFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ApprovalStatus.choices)


class PromiseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *PromiseStatus.choices],
    )


class TaskCompleteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class PlaybookReportForm(forms.Form):
    since = forms.DateField(label=_("From"), required=False, widget=date_input())
    until = forms.DateField(label=_("Until"), required=False, widget=date_input())

    def period(self, today):
        """``(since, until)``: the dates asked for, by default the last 180 days to today."""
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=REPORT_DAYS)
        if since > until:
            since, until = until, since
        return since, until
