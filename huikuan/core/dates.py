"""Business dates. Rules take ``as_of`` as an argument; only views and commands ask for today."""

from datetime import date

from django.utils import timezone


def business_today() -> date:
    """Today in Asia/Shanghai — call this only from views, API endpoints and commands."""
    return timezone.localdate()


def parse_iso_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``; raises ``ValueError`` with a readable message otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a date in YYYY-MM-DD form: {text!r}") from exc
