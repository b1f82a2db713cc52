"""One error format for every 4xx answer of the API:

    {"detail": [{"field": "amount", "message": "…"}, …]}

``field`` names the request field at fault (``allocate``, ``as_of``, ``Authorization``, ``body``)
or ``__all__`` when no single field is. Request-validation errors of django-ninja/pydantic, errors
raised by the services (Django ``ValidationError``), unparseable bodies, missing objects and auth
failures all pass through the handlers below.
"""

import logging
from functools import partial, wraps

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from huikuan.core.errors import error_items

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer with a status and one field/message pair."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def not_found(field: str, message: str) -> ApiError:
    """404 — used alike for objects that do not exist and those the caller may not see."""
    return ApiError(404, field, message)


def _items(field: str, message: str) -> dict:
    return {"detail": [{"field": field, "message": message}]}


def _pydantic_message(error: dict) -> str:
    """Our own (translatable) sentence for the pydantic error types a client can trigger."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if tuple(error.get("loc", ()))[:1] == ("body",) and len(error.get("loc", ())) <= 2:
            return _("Send a JSON object in the request body.")
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in {"string_type", "string_sub_type"}:
        return _("Give text (a JSON string).")
    if kind == "string_too_short":
        return _("This field cannot be empty.")
    if kind == "string_too_long":
        return _("At most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind == "literal_error":
        return _("Use one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Give a whole number.")
    if kind == "greater_than_equal":
        return _("Give a number no smaller than %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Give a number no larger than %(limit)s.") % {"limit": ctx.get("le")}
    if kind in {"bool_parsing", "bool_type"}:
        return _("Give true or false.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "list_type":
        return _("Send a JSON list.")
    # Our own validators raise PydanticCustomError with an already translated sentence.
    return str(error.get("msg", ""))


def _field_name(loc: tuple, body_params: set[str]) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts else ""
    if source == "body" and parts and parts[0] in body_params:
        parts.pop(0)
    if not parts:
        return "body" if source == "body" else "__all__"
    return ".".join(str(part) for part in parts)


# Every body parameter of our operations is called ``payload``.
BODY_PARAMS = {"payload"}


def request_validation_error(request, exc: NinjaValidationError, api):
    detail = [
        {
            "field": _field_name(tuple(e.get("loc", ())), BODY_PARAMS),
            "message": _pydantic_message(e),
        }
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": detail}, status=422)


def service_validation_error(request, exc: DjangoValidationError, api):
    """A rule refused by a service: 422, or 409 when it is a duplicate document number/code."""
    duplicate = hasattr(exc, "error_dict") and any(
        getattr(error, "code", None) == "unique"
        for errors in exc.error_dict.values()
        for error in errors
    )
    status = 409 if duplicate else 422
    return api.create_response(request, {"detail": error_items(exc)}, status=status)


def permission_denied(request, exc: PermissionDenied, api):
    """A service's role rule refused the user (e.g. a rep setting a credit limit): 403."""
    message = str(exc) or _("Your role may not do this.")
    return api.create_response(request, _items("__all__", message), status=403)


def api_error(request, exc: ApiError, api):
    response = api.create_response(request, _items(exc.field, exc.message), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="huikuan"'
    return response


def http_error(request, exc: HttpError, api):
    """ninja's own HTTP errors: a body it cannot parse (400) and a missing credential (401)."""
    if isinstance(exc, AuthenticationError):
        return api_error(
            request, ApiError(401, "Authorization", _("Authentication is required.")), api
        )
    if exc.status_code == 400:
        message = _("The request body is not valid JSON.")
        return api.create_response(request, _items("body", message), status=400)
    return api.create_response(request, _items("__all__", str(exc)), status=exc.status_code)


def integrity_error(request, exc: IntegrityError, api):
    """A database constraint refused a write that passed the services' checks: another request
    got there at the same moment (the same number, the same balance). The service's transaction
    has rolled back, so nothing was written; the client may send it again."""
    logger.warning("API request refused by a database constraint: %s", exc)
    message = _("Another change was saved at the same moment; nothing was written. Try again.")
    response = api.create_response(request, _items("__all__", message), status=409)
    # Sending it again may well succeed, so an Idempotency-Key must not keep this answer.
    response.retryable = True
    return response


def json_fallbacks(view):
    """Wrap one of ninja's URL views so the answers it makes outside our handlers — 405 for a
    method the path does not support, 404 at the API root — are JSON in our format too."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return JsonResponse(_items("__all__", _("There is no such API endpoint.")), status=404)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response.get("Allow", "")
            message = _("%(method)s is not allowed here; use %(allowed)s.") % {
                "method": request.method,
                "allowed": allowed,
            }
            response = JsonResponse(_items("__all__", message), status=405)
            response["Allow"] = allowed
        return response

    wrapper.csrf_exempt = True
    return wrapper


def install(api) -> None:
    """Register the handlers on a NinjaAPI."""
    api.add_exception_handler(NinjaValidationError, partial(request_validation_error, api=api))
    api.add_exception_handler(DjangoValidationError, partial(service_validation_error, api=api))
    api.add_exception_handler(ApiError, partial(api_error, api=api))
    api.add_exception_handler(PermissionDenied, partial(permission_denied, api=api))
    api.add_exception_handler(HttpError, partial(http_error, api=api))
    api.add_exception_handler(IntegrityError, partial(integrity_error, api=api))
