"""The five classes of receivables (货款五类) and their thresholds: one rule, used by the ledger's
customer lists and by the reports.

Defaults (HUIKUAN_CLASS_* settings): 未收款 not yet due; 催收款 from 1 day past due; 准呆账 from 91
— and any overdue money of a customer with a live strong warning signal seen by the as-of date
(``Customer.doubtful_since``, kept by huikuan.risk), unless it is 呆账 already; 呆账 from 366 —
and any overdue money of a customer marked insolvent or vanished; 死账 what has been written off.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from huikuan.customers.models import CustomerStatus

# Customers whose overdue money is bad debt (呆账) whatever its age.
DISTRESSED_STATUSES = (CustomerStatus.INSOLVENT, CustomerStatus.VANISHED)


class DebtClass:
    CURRENT = "current"
    OVERDUE = "overdue"
    DOUBTFUL = "doubtful"
    BAD = "bad"
    DEAD = "dead"

    ORDER = (CURRENT, OVERDUE, DOUBTFUL, BAD, DEAD)
    LABELS = {
        CURRENT: _("未收款 (not yet due)"),
        OVERDUE: _("催收款 (overdue, being chased)"),
        DOUBTFUL: _("准呆账 (doubtful)"),
        BAD: _("呆账 (bad)"),
        DEAD: _("死账 (written off)"),
    }


@dataclass(frozen=True)
class ClassThresholds:
    overdue_from: int
    doubtful_from: int
    bad_from: int


def class_thresholds() -> ClassThresholds:
    t = ClassThresholds(
        settings.HUIKUAN_CLASS_OVERDUE_DAYS,
        settings.HUIKUAN_CLASS_DOUBTFUL_DAYS,
        settings.HUIKUAN_CLASS_BAD_DAYS,
    )
    if not 1 <= t.overdue_from < t.doubtful_from < t.bad_from:
        raise ValueError("class thresholds must satisfy 1 <= overdue < doubtful < bad days")
    return t


def debt_class_for(
    *, days_overdue: int | None, status: str, doubtful_since, as_of, thresholds: ClassThresholds
) -> str:
    """The class of one customer's overdue money on ``as_of``, from how many days its oldest open
    overdue item is past due (``None``: nothing overdue) — the rule the list and report queries
    apply in SQL, for code that already holds the facts in Python.

    Under ``overdue_from`` days → 未收款; an insolvent or vanished customer, or ``bad_from`` days →
    呆账; ``doubtful_from`` days → 准呆账; overdue money of a customer with a live strong warning
    signal since a day on or before ``as_of`` (``Customer.doubtful_since``) → 准呆账; otherwise
    催收款.
    """
    if days_overdue is None or days_overdue < thresholds.overdue_from:
        return DebtClass.CURRENT
    if status in DISTRESSED_STATUSES or days_overdue >= thresholds.bad_from:
        return DebtClass.BAD
    if days_overdue >= thresholds.doubtful_from:
        return DebtClass.DOUBTFUL
    if doubtful_since is not None and doubtful_since <= as_of:
        return DebtClass.DOUBTFUL
    return DebtClass.OVERDUE
