"""The ladders Huikuan ships with and the seeding of the working calendar.

Courtesy first (先礼后兵): a friendly reminder a week before each due date, a call the day after,
a visit at two weeks; from day 31 every measure is a hard one and waits for a manager — written
overdue notice, reduced then stopped supply, cancelled rebates, lawyer's letter, collection
agency. Government buyers get a slower ladder without supply measures: their delays come from
approval chains, acceptance and budgets rather than bad faith.

The functions take the model classes as arguments so the data migration can call them with its
historical models.
"""

# (level, days after due, action, tone, needs approval, message)
DEFAULT_LADDER = [
    (
        0,
        -7,
        "reminder",
        "friendly",
        False,
        "{customer}您好：贵司共有 {count} 笔货款合计 {amount} 将于 {due_date} 到期，"
        "烦请提前安排付款。如需对账或发票，请联系我们的业务员 {rep}。",
    ),
    (
        1,
        1,
        "call",
        "friendly",
        False,
        "致电财务或付款责任人，友好提醒已到期 {amount}，确认对方已收到发票、付款流程走到哪一步，"
        "约定付款日期。",
    ),
    (
        2,
        15,
        "visit",
        "firm",
        False,
        "上门拜访，开门见山说明来意：逾期 {days_overdue} 天、合计 {amount}。先收款，再谈新业务。",
    ),
    (
        3,
        31,
        "written_notice",
        "formal",
        True,
        "发出《货款逾期通知单》：列明逾期单据、金额和付款期限，请对方签收。",
    ),
    (
        4,
        45,
        "reduce_supply",
        "firm",
        True,
        "限量发货：新订单只发一半，旧款结清后恢复。",
    ),
    (
        5,
        60,
        "stop_supply",
        "firm",
        True,
        "前款不结，后货不送：暂停供货，直到逾期货款付清。",
    ),
    (
        6,
        75,
        "cancel_rebates",
        "formal",
        True,
        "书面告知取消本期返利和折扣，说明原因是逾期 {days_overdue} 天未付 {amount}。",
    ),
    (
        7,
        90,
        "lawyer_letter",
        "legal",
        True,
        "委托律师发出《律师催收函》，同时保全证据：合同、送货单、对账记录和催收记录。",
    ),
    (
        8,
        180,
        "collection_agency",
        "legal",
        True,
        "交由催收机构或提起诉讼；先核对诉讼时效。",
    ),
]

GOVERNMENT_LADDER = [
    (
        0,
        -10,
        "reminder",
        "friendly",
        False,
        "{customer}您好：{count} 笔款项合计 {amount} 将于 {due_date} 到期。"
        "如需验收单、发票原件或其他报账材料，请告知，我们尽快补齐。",
    ),
    (
        1,
        1,
        "call",
        "friendly",
        False,
        "致电经办人，问清审批走到哪一环、还缺哪份材料、预算何时下达。",
    ),
    (
        2,
        30,
        "visit",
        "firm",
        False,
        "带齐材料上门，逐级跟进审批；请对方财务确认付款时间。",
    ),
    (
        3,
        60,
        "written_notice",
        "formal",
        True,
        "发函正式催告：列明合同、验收和逾期金额，请对方书面回复付款安排。",
    ),
    (
        4,
        120,
        "lawyer_letter",
        "legal",
        True,
        "律师函前先由领导出面沟通；确需发函时保全全部证据。",
    ),
]

POLICIES = [
    ("默认催收阶梯", "default", DEFAULT_LADDER),
    ("政府客户催收阶梯", "government", GOVERNMENT_LADDER),
]

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def policies_ensure(DunningPolicy, DunningLevel) -> int:
    """Create each shipped ladder whose segment has no active policy; returns how many."""
    created = 0
    for name, segment, ladder in POLICIES:
        if DunningPolicy.objects.filter(segment=segment, is_active=True).exists():
            continue
        policy = DunningPolicy.objects.create(name=name, segment=segment, is_active=True)
        DunningLevel.objects.bulk_create(
            DunningLevel(
                policy=policy,
                number=number,
                days=days,
                action=action,
                tone=tone,
                needs_approval=approval,
                template=template,
            )
            for number, days, action, tone, approval, template in ladder
        )
        created += 1
    return created


def calendar_ensure(CalendarDay) -> int:
    """Add the days ``chinesecalendar`` knows that the table lacks; never overwrites an admin's
    row. Returns how many rows were added."""
    from .workdays import package_exceptions

    have = set(CalendarDay.objects.values_list("day", flat=True))
    rows = [
        CalendarDay(day=day, is_workday=is_workday, name=HOLIDAY_NAMES.get(name, name))
        for day, is_workday, name in package_exceptions()
        if day not in have
    ]
    CalendarDay.objects.bulk_create(rows, batch_size=500)
    return len(rows)
