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
