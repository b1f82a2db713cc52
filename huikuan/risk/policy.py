"""The credit policy: one row of thresholds for the credit check, the new-customer ramp and the
rating, edited by an administrator. Migration 0002 seeds it with the defaults stated in
``huikuan/risk/README.md``; a day count or percentage of 0 switches that rule off."""

from .models import CreditPolicy


def credit_policy() -> CreditPolicy:
    """The single policy row, created with the model's defaults when it is missing (a database
    emptied by a test flush, or a hand-deleted row)."""
    policy = CreditPolicy.objects.order_by("pk").first()
    if policy is None:
        policy = CreditPolicy.objects.create()
    return policy
