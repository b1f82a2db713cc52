"""Bearer-token authentication for the API, and the role check for booking money."""

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from huikuan.ledger.selectors import can_post_ledger

from .errors import ApiError
from .models import ApiToken
from .services import api_token_use

SCHEME = "bearer"


def bearer_raw(request) -> str:
    """The raw token of an ``Authorization: Bearer <token>`` header, or "" when there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.strip().partition(" ")
    return raw.strip() if scheme.lower() == SCHEME else ""


def request_token(request) -> ApiToken | None:
    """The usable token the request carries (see ``api_token_use``), looked up once per request:
    the idempotency layer needs the user before the endpoint runs, and authentication then
    reuses the answer."""
    raw = bearer_raw(request)
    cached = getattr(request, "_huikuan_token", None)
    if cached is None or cached[0] != raw:
        cached = (raw, api_token_use(raw=raw, now=timezone.now()) if raw else None)
        request._huikuan_token = cached
    return cached[1]


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``. ``request.auth`` becomes the token's user.

    Every refusal is a 401 with a JSON body; an unknown, revoked or inactive user's token get the
    same answer, so a caller learns nothing about tokens it does not hold.
    """

    openapi_scheme = SCHEME

    def __call__(self, request):
        raw = bearer_raw(request)
        if not raw:
            raise ApiError(
                401,
                "Authorization",
                _("Send the header Authorization: Bearer <token>."),
            )
        return self.authenticate(request, raw)

    def authenticate(self, request, token):
        found = request_token(request)
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
