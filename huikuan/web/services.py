"""Sign-in throttling per account, kept in the database so it holds across processes and
restarts.

The rule: ``HUIKUAN_LOGIN_MAX_FAILURES`` (5) failed sign-ins for one user name within
``HUIKUAN_LOGIN_WINDOW_MINUTES`` (15) lock that name for ``HUIKUAN_LOGIN_LOCK_MINUTES`` (15),
counted from the failure that reached the limit. While locked every attempt is refused — the right
password too — and does not extend the lock. A successful sign-in clears the count. Failures
older than the window, or from before a lock that has run out, no longer count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from .models import LoginLock


@dataclass(frozen=True)
class LoginRule:
    max_failures: int
    window: timedelta
    lock: timedelta


def login_rule() -> LoginRule:
    return LoginRule(
        max_failures=settings.HUIKUAN_LOGIN_MAX_FAILURES,
        window=timedelta(minutes=settings.HUIKUAN_LOGIN_WINDOW_MINUTES),
        lock=timedelta(minutes=settings.HUIKUAN_LOGIN_LOCK_MINUTES),
    )


def login_key(username: str) -> str:
    """The name the count is kept under: trimmed and case-folded, so ``Li`` and ``li `` share it."""
    return (username or "").strip().casefold()[:150]


def login_locked_until(*, username: str, now: datetime) -> datetime | None:
    """When the lock on ``username`` ends, or ``None`` if it may try to sign in at ``now``."""
    until = (
        LoginLock.objects.filter(username=login_key(username), locked_until__gt=now)
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


@transaction.atomic
def login_failure_record(*, username: str, now: datetime) -> datetime | None:
    """Count one failed sign-in for ``username`` at ``now``; returns the lock's end if the account
    is (now) locked, else ``None``."""
    key = login_key(username)
    if not key:
        return None
    rule = login_rule()
    lock, created = LoginLock.objects.select_for_update().get_or_create(
        username=key,
        defaults={"failures": 0, "first_failure_at": now, "last_failure_at": now},
    )
    if lock.locked_until and lock.locked_until > now:
        return lock.locked_until  # already locked: a refused attempt does not extend it
    lock_expired = lock.locked_until is not None
    if created or lock_expired or now - lock.first_failure_at > rule.window:
        lock.failures = 0
        lock.first_failure_at = now
        lock.locked_until = None
    lock.failures += 1
    lock.last_failure_at = now
    if lock.failures >= rule.max_failures:
        lock.locked_until = now + rule.lock
    lock.save()
    return lock.locked_until


def login_success_record(*, username: str) -> None:
    """Forget the failures of ``username`` after it signed in."""
    LoginLock.objects.filter(username=login_key(username)).delete()
