"""The demo's credit control: warning signs the reps recorded, a hold, a manager's exception and
this morning's order-stage credit checks — written through the risk services after the
collection history, so the customer pages, the signals inbox and the exceptions list have
something true to show.

Computed signals (payment drift, contacts who left, off-season buying) and the ratings come from
the daily run that ``seed_demo`` runs afterwards, not from here.
"""

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from huikuan.customers.models import Customer
from huikuan.risk.credit import credit_check
from huikuan.risk.models import SignalKind
from huikuan.risk.services import exception_grant, hold_place
from huikuan.risk.signals import signal_record

from .world import CustomerPlan, Staff

# Warning signs a rep writes down, by the behaviour that would show them (evidence in Chinese,
# as the demo company's reps would type it).
RECORDED = {
    "malicious": (
        SignalKind.CROSS_REGION,
        "在邻省连锁药店发现我司批号{lot}的产品低价销售,疑似窜货。",
    ),
    "insolvent": (
        SignalKind.LAWSUIT,
        "另一家供应商已起诉该客户,法院立案号(2026)粤0106民初{lot}号。",
    ),
    "vanished": (
        SignalKind.RELOCATION,
        "上门拜访发现原经营地址已拆迁,新址未告知。",
    ),
    "hardship": (
        SignalKind.DUMPING,
        "门店挂出“清仓甩卖”横幅,我司产品按进价八折出售。",
    ),
    "seasonal": (
        SignalKind.UNRELATED_BUSINESS,
        "老板称准备投资餐饮项目,资金可能抽走。",
    ),
}


def _manager(staff: Staff, owner_id: int):
    rep = next((r for r in staff.reps if r.pk == owner_id), None)
    return (rep.manager if rep is not None else None) or staff.admin


def _yuan(value: int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def seed_risk(*, plans: list[CustomerPlan], seed: int, as_of: date, staff: Staff) -> Counter:
    """Write the demo's recorded signals, one hold and one exception (before the daily run, so
    the run's classes see them); return what was written."""
    rng = random.Random(f"{seed}:risk")
    written: Counter = Counter()
    customers = Customer.objects.in_bulk([plan.id for plan in plans])
    by_behaviour: dict[str, list[CustomerPlan]] = {}
    for plan in plans:
        by_behaviour.setdefault(plan.behaviour, []).append(plan)

    for behaviour, (kind, text) in RECORDED.items():
        for plan in by_behaviour.get(behaviour, [])[:2]:
            rep = next((r for r in staff.reps if r.pk == plan.owner_id), staff.admin)
            signal_record(
                customer=customers[plan.id],
                kind=kind,
                evidence=text.format(lot=rng.randint(1000, 9999)),
                detected_on=as_of - timedelta(days=rng.randint(2, 40)),
                actor=rep,
            )
            written["signals_recorded"] += 1

    malicious = by_behaviour.get("malicious", [])
    if malicious:
        plan = malicious[0]
        hold_place(
            customer=customers[plan.id],
            reason="多次承诺未兑现且拒接电话,停止发货直到结清逾期货款。",
            actor=_manager(staff, plan.owner_id),
        )
        written["holds"] += 1

    punctual = by_behaviour.get("punctual", [])
    if punctual:
        plan = punctual[0]
        exception_grant(
            customer=customers[plan.id],
            amount=_yuan(80000),
            valid_from=as_of,
            valid_until=as_of + timedelta(days=14),
            reason="年底备货大单,客户一贯按时付款,特批超额度发货。",
            actor=_manager(staff, plan.owner_id),
        )
        written["exceptions"] += 1
    return written


def seed_credit_checks(
    *, plans: list[CustomerPlan], seed: int, as_of: date, staff: Staff
) -> Counter:
    """This morning's order-stage checks, after the daily run has rated everyone."""
    rng = random.Random(f"{seed}:checks")
    written: Counter = Counter()
    customers = Customer.objects.in_bulk([plan.id for plan in plans])
    # This morning's order-stage checks: each rep asked about a few of its customers' orders.
    sample = rng.sample(plans, k=min(len(plans), 3 * max(1, len(staff.reps))))
    for number, plan in enumerate(sample, start=1):
        rep = next((r for r in staff.reps if r.pk == plan.owner_id), staff.admin)
        credit_check(
            customer=customers[plan.id],
            amount=_yuan(rng.choice((5000, 12000, 30000, 60000, 150000))),
            order_ref=f"SO{as_of:%Y%m%d}{number:03d}",
            actor=rep,
            as_of=as_of,
        )
        written["credit_checks"] += 1
    return written
