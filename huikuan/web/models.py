from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginLock(models.Model):
    """Failed sign-ins of one account name, and until when the account is locked.

    Keyed by the normalised user name typed on the login form (not a foreign key), so guessing
    passwords for a name that does not exist is limited the same way and tells nothing.
    The row disappears on a successful sign-in.
    """

    username = models.CharField(_("user name"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    first_failure_at = models.DateTimeField(_("first failure in window"))
    last_failure_at = models.DateTimeField(_("last failure"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")
        ordering = ["-last_failure_at"]

    def __str__(self):
        return self.username
