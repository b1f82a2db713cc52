"""Reads about customers, starting with the one rule every list, page, export and API call obeys:
who may see which customers."""

from django.db.models import Q, QuerySet

from huikuan.org.models import Role

from .models import Customer

SEES_ALL = {Role.FINANCE, Role.ADMIN}


def customers_visible_to(user) -> QuerySet[Customer]:
    """The customers ``user`` may see and act on.

    A rep (业务员) sees the customers they own. A regional manager sees their own, those of the
    reps who report to them, and those of the reps in their team. Finance and administrators (and
    Django superusers) see everyone. Anybody else — an anonymous or inactive user, or a user with
    no known role — sees nothing.
    """
    if user is None or not getattr(user, "is_active", False):
        return Customer.objects.none()
    if user.is_superuser or user.role in SEES_ALL:
        return Customer.objects.all()
    if user.role == Role.MANAGER:
        scope = Q(owner=user) | Q(owner__manager=user)
        if user.team_id:
            scope |= Q(owner__team_id=user.team_id)
        return Customer.objects.filter(scope)
    if user.role == Role.REP:
        return Customer.objects.filter(owner=user)
    return Customer.objects.none()
