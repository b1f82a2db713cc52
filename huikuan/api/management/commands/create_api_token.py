"""`huikuan create-api-token USERNAME [--name NAME]`: issue a bearer token for the API."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huikuan.api.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API bearer token for a user and print it. The token is shown only this once: "
        "Huikuan keeps nothing but its SHA-256 hash."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'ERP sync'")

    def handle(self, *args, **options):
        username = options["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("There is no user with username %(username)s.") % {"username": username}
            )
        try:
            _token, raw = api_token_create(user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        # The token alone on stdout, so scripts can capture it; the advice goes to stderr.
        self.stdout.write(raw)
        self.stderr.write(
            _(
                "Store this token now: it cannot be shown again. "
                "Send it as the header Authorization: Bearer <token>."
            )
        )
