"""Which task comes first: an integer score made of factors a rep can read.

``score`` is pure: the selectors gather the facts for all of a day's tasks in a few queries and
call it once per task. Each factor carries its points and a sentence saying why, so the worklist
can show "45 days overdue +18" next to the total.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from huikuan.core.money import ZERO
from huikuan.ledger.classes import DebtClass

from .models import Action

# Points per class: doubtful money is in the last window where chasing still pays best.
CLASS_POINTS = {DebtClass.OVERDUE: 5, DebtClass.DOUBTFUL: 15, DebtClass.BAD: 10}
DAYS_CAP = 40
AMOUNT_CAP = 40
PROMISE_POINTS, PROMISE_CAP = 8, 24
DISPUTE_POINTS = -30
GOVERNMENT_POINTS = 4
SIGNAL_POINTS, SIGNAL_CAP = 6, 18
FAR_KM, VERY_FAR_KM = 100, 300


@dataclass(frozen=True)
class PriorityFacts:
    """What the score looks at for one task."""

    overdue_amount: Decimal = ZERO
    days_overdue: int = 0
    debt_class: str = ""
    broken_promises: int = 0  # broken in the last 180 days
    standing: int = 0  # CollectionProfile.standing (lowered by broken promises)
    open_disputes: int = 0
    approval_steps: int = 1
    needs_original_invoice: bool = False
    needs_delivery_proof: bool = False
    distance_km: int = 0
    is_government: bool = False
    action: str = ""
    risk_signals: int = 0  # Customer.risk_signals: live early-warning signals


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    points: int
    detail: str

    @property
    def text(self) -> str:
        """The detail with its points, e.g. "45 days overdue. +18"."""
        return f"{self.detail} {self.points:+d}"


@dataclass(frozen=True)
class Priority:
    score: int
    factors: list[Factor] = field(default_factory=list)


def amount_points(amount: Decimal) -> int:
    """10 points per tenfold: ¥100 → 0, ¥1,000 → 10, ¥10,000 → 20, ¥1,000,000 → 40 (the cap)."""
    if amount is None or amount <= Decimal(100):
        return 0
    points = (Decimal(amount) / 100).log10() * 10
    return min(AMOUNT_CAP, int(points.to_integral_value()))


def days_points(days: int) -> int:
    """Two points for every five days overdue, at most 40 (100 days)."""
    return min(DAYS_CAP, max(0, days) * 2 // 5)


def score(facts: PriorityFacts) -> Priority:
    """The task's priority: the sum of the factors below, each with its reason.

    amount at stake (log scale) + days overdue + class + broken promises and standing + live
    warning signals (6 each, at most 18) + paperwork the customer's payment needs + distance +
    government buyer; an open dispute takes
    30 points off, because dunning is paused and the dispute is what needs resolving.
    """
    factors: list[Factor] = []

    def add(key, label, points, detail):
        factors.append(Factor(key, str(label), int(points), str(detail)))

    add(
        "amount",
        _("Amount at stake"),
        amount_points(facts.overdue_amount),
        _("¥%(amount)s overdue.") % {"amount": f"{facts.overdue_amount or ZERO:,.2f}"},
    )
    add(
        "days",
        _("Days overdue"),
        days_points(facts.days_overdue),
        _("%(days)s days overdue.") % {"days": max(0, facts.days_overdue)}
        if facts.days_overdue > 0
        else _("Not overdue yet."),
    )
    if facts.debt_class in CLASS_POINTS:
        add(
            "class",
            _("Class"),
            CLASS_POINTS[facts.debt_class],
            _("The money is %(label)s.") % {"label": DebtClass.LABELS[facts.debt_class]},
        )
    if facts.broken_promises:
        add(
            "promises",
            _("Broken promises"),
            min(PROMISE_CAP, PROMISE_POINTS * facts.broken_promises),
            _("%(count)s promises broken in the last 180 days.") % {"count": facts.broken_promises},
        )
    if facts.standing < 0:
        add(
            "standing",
            _("Standing"),
            min(10, -facts.standing * 2),
            _("The customer's standing is %(standing)s after earlier broken promises.")
            % {"standing": facts.standing},
        )
    if facts.risk_signals > 0:
        add(
            "signals",
            _("Live warning signals"),
            min(SIGNAL_CAP, SIGNAL_POINTS * facts.risk_signals),
            _("%(count)s live warning signals about this customer.")
            % {"count": facts.risk_signals},
        )
    if facts.open_disputes:
        add(
            "dispute",
            _("Open dispute"),
            DISPUTE_POINTS,
            _("Dunning is paused: resolve the dispute instead of chasing."),
        )
    steps = max(0, facts.approval_steps - 1)
    paperwork = min(9, 3 * steps)
    paperwork += 3 * facts.needs_original_invoice + 3 * facts.needs_delivery_proof
    if paperwork:
        needs = []
        if steps:
            needs.append(_("%(steps)s approval steps") % {"steps": facts.approval_steps})
        if facts.needs_original_invoice:
            needs.append(_("the original invoice"))
        if facts.needs_delivery_proof:
            needs.append(_("delivery proof"))
        add(
            "process",
            _("Payment process"),
            paperwork,
            _("Their payment needs %(needs)s: start early.")
            % {"needs": ", ".join(str(n) for n in needs)},
        )
    if facts.distance_km >= FAR_KM:
        points = 8 if facts.distance_km >= VERY_FAR_KM else 5
        if facts.action == Action.VISIT:
            points += 4
        add(
            "distance",
            _("Distance"),
            points,
            _("%(km)s km away: a visit costs a day, plan ahead.") % {"km": facts.distance_km},
        )
    if facts.is_government:
        add(
            "government",
            _("Government buyer"),
            GOVERNMENT_POINTS,
            _("Long approval chains and budget timing: start early."),
        )
    return Priority(score=sum(f.points for f in factors), factors=factors)
