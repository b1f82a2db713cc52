"""The configurable rules behind the reports: aging buckets, the five classes, the recovery curve.

Defaults (each overridable by a HUIKUAN_* environment variable, see docs/configuration.md):

* Aging buckets: not due, 1–30, 31–60, 61–90, 91–180, 181–365, over 365 days past due.
* Five classes (货款五类), by days past due on the as-of date:
  未收款 not yet due (≤ 0); 催收款 1–90; 准呆账 91–365; 呆账 over 365 — and any overdue money of a
  customer marked insolvent or vanished; 死账 what has been written off.
* Expected recovery by days past due (the rule of thumb in DESIGN.md, with 181–365 days, which it
  does not state, set between its neighbours): not due 100 %, 1–60 98 %, 61–100 80 %,
  101–180 50 %, 181–365 30 %, over 365 10 %. Written-off money: 0 %.
  Bad-debt provision = balance × (1 − rate).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# The five classes are a rule about receivables, so they live in the ledger (which must not
# import reports); the reports and pages use them from here as before.
from huikuan.ledger.classes import ClassThresholds as ClassThresholds
from huikuan.ledger.classes import DebtClass as DebtClass
from huikuan.ledger.classes import class_thresholds as class_thresholds


@dataclass(frozen=True)
class Band:
    """Days past due from ``low`` to ``high`` inclusive; ``None`` means unbounded."""

    key: str
    label: str
    low: int | None
    high: int | None


def aging_bands(edges: list[int] | None = None) -> list[Band]:
    """Not due, then one band per edge, then the open-ended band past the last edge."""
    edges = list(edges if edges is not None else settings.HUIKUAN_AGING_EDGES)
    if not edges or any(e <= 0 for e in edges) or edges != sorted(set(edges)):
        raise ValueError("aging edges must be positive whole days in increasing order")
    bands = [Band("not_due", str(_("Not due")), None, 0)]
    low = 1
    for edge in edges:
        bands.append(Band(f"d{low}_{edge}", f"{low}–{edge}", low, edge))
        low = edge + 1
    bands.append(Band(f"over_{edges[-1]}", f">{edges[-1]}", low, None))
    return bands


def parse_edges(text: str) -> list[int]:
    """``"30,60,90"`` -> ``[30, 60, 90]``, with a readable ValueError."""
    try:
        edges = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"edges must be whole numbers separated by commas: {text!r}") from None
    aging_bands(edges)
    return edges


def recovery_curve(text: str | None = None) -> list[tuple[Band, Decimal]]:
    """Parse ``"0:100,60:98,…,*:10"`` into bands of days past due with a recovery rate (0–1)."""
    text = text if text is not None else settings.HUIKUAN_RECOVERY_CURVE
    result: list[tuple[Band, Decimal]] = []
    low: int | None = None
    for part in text.split(","):
        limit, _sep, percent = part.strip().partition(":")
        rate = Decimal(percent) / 100
        if not 0 <= rate <= 1:
            raise ValueError(f"recovery rate out of range: {part!r}")
        high = None if limit.strip() == "*" else int(limit)
        key = f"r{len(result)}"
        label = (
            f"≤{high}" if low is None else (f"{low}–{high}" if high is not None else f">{low - 1}")
        )
        result.append((Band(key, label, low, high), rate))
        if high is None:
            break
        low = high + 1
    if not result or result[-1][0].high is not None:
        raise ValueError("the recovery curve must end with an open band '*:percent'")
    return result
