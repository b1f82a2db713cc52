from django.conf import settings

from .navigation import nav_for


def navigation(request):
    """``nav`` (the sections the user may open) and ``session_idle_minutes`` for the layout."""
    user = getattr(request, "user", None)
    return {
        "nav": nav_for(user, request.path) if user is not None else [],
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    }
