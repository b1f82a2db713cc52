"""``Idempotency-Key`` for every POST of the API: a client that did not hear the answer (a timeout,
a dropped connection) sends the same request again with the same key and gets the first answer
back instead of a second payment.

- The first request with a key inserts an ``IdempotencyRecord`` and commits it before the
  endpoint runs. The unique constraint on (user, key) decides who runs: a second request with the
  key while the first is still running finds the record unfinished and gets 409.
- When the endpoint has answered, the record keeps the status, body and content type. The same
  key with the same request (method, path with query and body) gets exactly that answer again,
  with ``Idempotent-Replayed: true``; 4xx answers too, since sending the same request again would
  be refused again.
- The same key with another body or path is a client error: 422 on ``Idempotency-Key``.
- Nothing is kept for a 5xx, an exception, or a 409 that says "send it again" (a race lost to
  another writer): the key is released and the request may be retried with it.
- Keys belong to the token's user, so two integrations cannot collide. Requests without a valid
  token pass through untouched (the endpoint answers 401). Records are purged after 24 hours by
  ``idempotency_purge``, which ``huikuan daily`` calls.

The request's fingerprint is the SHA-256 of its body; for multipart uploads, whose boundary
changes with every send, it is the SHA-256 of the form's fields and of each file's name and bytes.
"""

import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import wraps

from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from .auth import request_token
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Visible ASCII and spaces: what a UUID, a ULID or an ERP document id is written in.
KEY_TEXT = re.compile(r"^[\x20-\x7e]+$")
KEEP_FOR = timedelta(hours=24)
# How often to try to claim a key whose record vanished between our insert and our read (the
# request holding it failed and released it at that very moment).
CLAIM_ATTEMPTS = 3

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "Optional. A unique key per request (a UUID). Sending the same request again with the "
        "same key within 24 hours answers the first response again (header "
        "Idempotent-Replayed: true) instead of doing it twice; the same key with another body "
        "answers 422, and while the first request is still running 409."
    ),
}


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": [{"field": HEADER, "message": message}]}, status=status)


def key_problem(key: str) -> str:
    """Why ``key`` cannot be used as an idempotency key, or "" when it can."""
    if not key or len(key) > MAX_KEY_LENGTH or not KEY_TEXT.match(key):
        return _(
            "Give an idempotency key of 1 to %(max)s visible ASCII characters, such as a UUID."
        ) % {"max": MAX_KEY_LENGTH}
    return ""


def request_fingerprint(request) -> str:
    """SHA-256 of what the request asks for, the same for every resend of the same request."""
    if request.content_type != "multipart/form-data":
        return hashlib.sha256(request.body).hexdigest()
    parts = [["field", name, value] for name, values in request.POST.lists() for value in values]
    for name, uploads in request.FILES.lists():
        for upload in uploads:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            # The endpoint reads the file after us.
            upload.seek(0)
            parts.append(["file", name, upload.name, digest.hexdigest()])
    canonical = json.dumps(sorted(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, user, key: str, method: str, path: str, fingerprint: str):
    """Insert the record for ``key`` (committed at once, so that concurrent requests see it) and
    return ``(record, True)``; or the record already there and ``False``; ``(None, False)`` if
    the key kept changing hands."""
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=method, path=path, request_sha256=fingerprint
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is not None:
                return existing, False
    return None, False


def _release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, completed=False).delete()


def _keep(record: IdempotencyRecord, response) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        completed=True,
        status=response.status_code,
        body=response.content,
        content_type=response.get("Content-Type", "")[:100],
    )


def _keepable(response) -> bool:
    """A finished answer the client should get again rather than a new try."""
    return (
        response.status_code < 500
        and not response.streaming
        and not getattr(response, "retryable", False)
    )


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status)
    response["Content-Type"] = record.content_type
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(view):
    """Wrap one of the API's URL views so that its POSTs honour ``Idempotency-Key``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST" or HEADER not in request.headers:
            return view(request, *args, **kwargs)
        token = request_token(request)
        if token is None:
            # The endpoint answers 401; there is nobody the key could belong to.
            return view(request, *args, **kwargs)
        key = request.headers[HEADER].strip()
        problem = key_problem(key)
        if problem:
            return _error(422, problem)
        try:
            fingerprint = request_fingerprint(request)
        except (SuspiciousOperation, MultiPartParserError, UnreadablePostError):
            # A body too big or broken to read: the endpoint refuses it the same way, writing
            # nothing, and there is nothing worth keeping.
            return view(request, *args, **kwargs)
        method, path = request.method, request.get_full_path()
        record, claimed = _claim(
            user=token.user, key=key, method=method, path=path, fingerprint=fingerprint
        )
        if not claimed:
            if record is not None and (
                record.method != method
                or record.path != path
                or record.request_sha256 != fingerprint
            ):
                return _error(
                    422,
                    _(
                        "This idempotency key was used for another request (%(method)s "
                        "%(path)s or another body); use a new key for a new request."
                    )
                    % {"method": record.method, "path": record.path},
                )
            if record is None or not record.completed:
                return _error(
                    409,
                    _(
                        "A request with this idempotency key is still running; wait for its "
                        "answer, then send the request again with the same key."
                    ),
                )
            return _replay(record)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            _release(record)
            raise
        if _keepable(response):
            _keep(record, response)
        else:
            _release(record)
        return response

    wrapper.csrf_exempt = True
    return wrapper


def add_header_to_schema(schema: dict) -> dict:
    """Declare the optional ``Idempotency-Key`` header on every POST operation of ``schema``."""
    for item in schema.get("paths", {}).values():
        operation = item.get("post")
        if operation is not None:
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(dict(OPENAPI_PARAMETER))
    return schema


def idempotency_purge(*, now: datetime) -> int:
    """Delete the records of keys sent more than 24 hours before ``now`` (finished or not — one
    still unfinished then belongs to a request that died); returns how many. After that the key
    may be used again for anything. ``huikuan daily`` calls it."""
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted
