"""Object access for views: every page that takes an id goes through these, so a foreign object
answers 404 exactly like a missing one and never shows its data."""

from django.shortcuts import get_object_or_404

from huikuan.customers.models import Customer
from huikuan.customers.selectors import customers_visible_to
from huikuan.ledger.models import Payment, Receivable


def get_customer_for_user(user, pk) -> Customer:
    """The customer ``pk`` if ``user`` may see it; Http404 otherwise."""
    return get_object_or_404(customers_visible_to(user), pk=pk)


def get_receivable_for_user(user, pk) -> Receivable:
    """The receivable ``pk`` if its customer is visible to ``user``; Http404 otherwise."""
    return get_object_or_404(
        Receivable.objects.select_related("customer").filter(
            customer__in=customers_visible_to(user)
        ),
        pk=pk,
    )


def get_payment_for_user(user, pk) -> Payment:
    """The payment or credit note ``pk`` if its customer is visible to ``user``; Http404
    otherwise."""
    return get_object_or_404(
        Payment.objects.select_related("customer").filter(customer__in=customers_visible_to(user)),
        pk=pk,
    )
