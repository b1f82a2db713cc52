"""Forms of the webhook pages: an endpoint, and the delivery log's filters. They check the shape
of the input; ``webhooks.py`` decides whether it makes sense (address, events)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from huikuan.core.models import SUBSCRIBABLE_KINDS

from .models import MessageStatus, WebhookEndpoint

ALL = ""


def event_choices() -> list[tuple[str, str]]:
    return [(kind.value, f"{kind.label} ({kind.value})") for kind in SUBSCRIBABLE_KINDS]


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Address (URL)"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.cn/huikuan/events"}),
        help_text=_("Huikuan POSTs each event here as JSON, signed with the secret below."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event, including kinds added in later versions."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, with_active: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()
        if not with_active:
            del self.fields["is_active"]


class DeliveryFilterForm(forms.Form):
    endpoint = forms.ModelChoiceField(
        label=_("Endpoint"),
        required=False,
        queryset=WebhookEndpoint.objects.order_by("name", "pk"),
        empty_label=_("All"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[(ALL, _("All")), *MessageStatus.choices]
    )
