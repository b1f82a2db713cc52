"""Writes for API tokens: create one (the raw token is returned once, only its hash is kept),
revoke one, and record that one was used."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record
from huikuan.core.errors import invalid

from .models import ApiToken, hash_token

# Recording every request would turn each read into a write; once a minute is enough to tell
# a token in daily use from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """Issue a bearer token for an active user. Returns the token row and the raw token, which
    is never stored and cannot be shown again."""
    if not user.is_active:
        raise invalid("user", _("%(username)s is inactive.") % {"username": user.username})
    raw = ApiToken.new_raw()
    token = ApiToken(
        user=user,
        name=(name or "").strip(),
        prefix=raw[: ApiToken._meta.get_field("prefix").max_length],
        key_hash=hash_token(raw),
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=actor,
        action="api_token.create",
        obj=token,
        after={"user": user.username, "name": token.name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token for good: every later request with it is refused."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked"])
        audit_record(
            actor=actor,
            action="api_token.revoke",
            obj=token,
            before={"revoked": False},
            after={"revoked": True},
        )
    return token


def api_token_use(*, raw: str, now: datetime) -> ApiToken | None:
    """The token for a raw bearer string if it may be used: known, not revoked, and its user
    active; otherwise ``None``. Its ``last_used_at`` is moved to ``now`` at most once a minute,
    with a single conditional UPDATE (no lock, no read-modify-write)."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked=False, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
