"""Bearer-token authentication for the API, and the role check for booking money."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from huikuan.ledger.selectors import can_post_ledger

from .errors import ApiError
from .services import api_token_use


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``. ``request.auth`` becomes the token's user.

    Every refusal is a 401 with a JSON body; an unknown, revoked or inactive user's token get the
    same answer, so a caller learns nothing about tokens it does not hold.
    """

    def __call__(self, request):
        header = request.headers.get(self.header, "")
        scheme, _sep, raw = header.strip().partition(" ")
        if not header or scheme.lower() != self.openapi_scheme or not raw.strip():
            raise ApiError(
                401,
                "Authorization",
                _("Send the header Authorization: Bearer <token>."),
            )
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        found = api_token_use(raw=token, now=timezone.now())
        if found is None:
            raise ApiError(
                401,
                "Authorization",
                _("The token is not valid: it is unknown or revoked, or its user is inactive."),
            )
        request.api_token = found
        return found.user


def require_ledger_role(user) -> None:
    """403 unless ``user`` may book money (finance, admin or superuser)."""
    if not can_post_ledger(user):
        raise ApiError(
            403,
            "__all__",
            _("Only finance staff and administrators may do this."),
        )
