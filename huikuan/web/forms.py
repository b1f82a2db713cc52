from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .services import login_failure_record, login_locked_until, login_success_record


def _locked_error(until) -> forms.ValidationError:
    local = timezone.localtime(until)
    return forms.ValidationError(
        _(
            "Too many failed sign-in attempts: this account is locked until %(time)s. "
            "Please try again after that time or ask an administrator to help."
        ),
        code="locked",
        params={"time": formats.date_format(local, "SHORT_DATETIME_FORMAT")},
    )


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the per-account limit of huikuan.web.services in front of it:
    a locked account is refused before its password is even checked."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        now = timezone.now()
        until = login_locked_until(username=username, now=now)
        if until:
            raise _locked_error(until)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            until = login_failure_record(username=username, now=now)
            if until:
                raise _locked_error(until) from None
            raise
        if self.user_cache is not None:  # both fields given and right (else a field error shows)
            login_success_record(username=username)
        return cleaned


class AsOfForm(forms.Form):
    """The "as of" date a report is computed for (blank means today)."""

    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date like 2026-11-22.")},
    )
