"""View decorators for the web app: who may open a page at all.

Object-level visibility (which customer, which receivable) is a separate question answered by
``huikuan.web.access``; these decorators only decide whether a role may use a page.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from huikuan.org.models import Role


def user_has_role(user, *roles) -> bool:
    """True when ``user`` is signed in, active and either a superuser or one of ``roles``.

    With no roles given, any signed-in active user qualifies.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or not roles:
        return True
    return user.role in {Role(role) for role in roles}


def role_required(*roles):
    """Let only signed-in users with one of ``roles`` (``huikuan.org.models.Role`` values) in.

    Anonymous visitors are sent to the login page (``login_required`` is implied); a signed-in
    user with another role gets the 403 page. Superusers are always allowed. With no roles,
    the decorator is the same as ``login_required``.

        @role_required(Role.FINANCE, Role.ADMIN)
        def payment_new(request): ...
    """
    allowed = tuple(Role(role) for role in roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not user_has_role(request.user, *allowed):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def forbidden(request):
    """The 403 page, rendered inside the app's layout."""
    return render(request, "403.html", status=403)
