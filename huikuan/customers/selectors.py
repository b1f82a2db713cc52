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


def customers_matching(
    *, customers: QuerySet[Customer], search: str = "", owner_id=None, region_id=None
) -> QuerySet[Customer]:
    """Narrow ``customers`` (already limited to what the user may see) for the customer list:
    ``search`` matches the code or the name anywhere, case-insensitively; ``owner_id`` and
    ``region_id`` pick one rep's or one region's customers."""
    search = (search or "").strip()
    if search:
        customers = customers.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if owner_id:
        customers = customers.filter(owner_id=owner_id)
    if region_id:
        customers = customers.filter(region_id=region_id)
    return customers


def assignable_owners(user) -> QuerySet:
    """The people ``user`` may make the owner rep of a customer: active reps and managers, and for
    a manager only those whose customers they can see (themselves, their reports, their team) —
    so nobody creates a customer they then cannot open."""
    from huikuan.org.models import User

    people = User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER])
    if user is None or not getattr(user, "is_active", False):
        return people.none()
    if user.is_superuser or user.role in SEES_ALL:
        return people.order_by("username")
    if user.role == Role.MANAGER:
        scope = Q(pk=user.pk) | Q(manager=user)
        if user.team_id:
            scope |= Q(team_id=user.team_id)
        return people.filter(scope).order_by("username")
    return people.none()


def owners_of(customers: QuerySet[Customer]) -> QuerySet:
    """The reps who own at least one of ``customers`` (for a "rep" filter), by username."""
    from huikuan.org.models import User

    return User.objects.filter(customers__in=customers).distinct().order_by("username")
