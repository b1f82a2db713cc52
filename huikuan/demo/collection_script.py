"""What the demo's customers say and how often: the tables and the words behind the collection
history (``collection.py``). The texts are data — what a rep would type — not interface strings.
"""

from huikuan.dunning.models import Channel, DisputeReason, Outcome, Reason

# --- how each kind of customer answers --------------------------------------------------------

# (outcome, weight) while the customer still answers.
OUTCOMES = {
    "punctual": {Outcome.REACHED: 45, Outcome.PROMISED: 55},
    "slow": {Outcome.REACHED: 38, Outcome.PROMISED: 37, Outcome.NO_ANSWER: 18, Outcome.REFUSED: 7},
    "seasonal": {
        Outcome.REACHED: 35,
        Outcome.PROMISED: 35,
        Outcome.NO_ANSWER: 20,
        Outcome.REFUSED: 10,
    },
    "hardship": {
        Outcome.REACHED: 35,
        Outcome.PROMISED: 40,
        Outcome.NO_ANSWER: 20,
        Outcome.REFUSED: 5,
    },
    "disputed": {
        Outcome.DISPUTED: 40,
        Outcome.REACHED: 25,
        Outcome.PROMISED: 30,
        Outcome.NO_ANSWER: 5,
    },
    "malicious": {
        Outcome.REFUSED: 30,
        Outcome.NO_ANSWER: 30,
        Outcome.PROMISED: 30,
        Outcome.REACHED: 10,
    },
    "vanished": {Outcome.NO_ANSWER: 80, Outcome.REACHED: 20},
    "insolvent": {Outcome.REACHED: 50, Outcome.NO_ANSWER: 30, Outcome.PROMISED: 20},
    "government": {Outcome.REACHED: 45, Outcome.PROMISED: 45, Outcome.NO_ANSWER: 10},
}
# (reason, weight) when the customer says why it does not pay.
REASONS = {
    "punctual": {Reason.NONE: 70, Reason.CASH_ELSEWHERE: 30},
    "slow": {
        Reason.TOO_MUCH_STOCK: 35,
        Reason.SEASON_OVER: 20,
        Reason.CASH_ELSEWHERE: 30,
        Reason.LOW_MARGIN: 15,
    },
    "seasonal": {Reason.SEASON_OVER: 60, Reason.TOO_MUCH_STOCK: 40},
    "hardship": {Reason.CASH_TROUBLE: 65, Reason.CASH_ELSEWHERE: 35},
    "disputed": {Reason.OLD_PROBLEMS: 100},
    "malicious": {Reason.WANTS_CONCESSIONS: 50, Reason.MALICIOUS_DELAY: 50},
    "vanished": {Reason.CASH_TROUBLE: 100},
    "insolvent": {Reason.CASH_TROUBLE: 100},
    "government": {Reason.GOV_APPROVAL: 45, Reason.GOV_ACCEPTANCE: 25, Reason.GOV_BUDGET: 30},
}
# Chance that a promise is made in good faith (the money then does arrive, if it ever does).
HONEST = {
    "punctual": 1.0,
    "slow": 0.8,
    "seasonal": 0.6,
    "hardship": 0.5,
    "disputed": 0.7,
    "malicious": 0.15,
    "vanished": 0.2,
    "insolvent": 0.3,
    "government": 0.9,
}
# Working days between contacts.
PACE = {
    "punctual": (3, 6),
    "slow": (7, 14),
    "seasonal": (10, 18),
    "hardship": (8, 15),
    "disputed": (7, 14),
    "malicious": (5, 10),
    "vanished": (12, 22),
    "insolvent": (15, 25),
    "government": (10, 18),
}
# Channels by how long the oldest item has been overdue.
CHANNELS = (
    (15, {Channel.CALL: 55, Channel.WECHAT: 35, Channel.VISIT: 10}),
    (45, {Channel.CALL: 45, Channel.WECHAT: 20, Channel.VISIT: 35}),
    (90, {Channel.CALL: 40, Channel.VISIT: 35, Channel.WECHAT: 10, Channel.LETTER: 15}),
    (None, {Channel.CALL: 30, Channel.VISIT: 25, Channel.LETTER: 30, Channel.WECHAT: 15}),
)
CONTACT_ROLES = {
    Channel.CALL: ("finance", "payment_responsible", "cashier", "boss"),
    Channel.WECHAT: ("finance", "purchasing", "cashier"),
    Channel.VISIT: ("boss", "finance", "payment_responsible"),
    Channel.EMAIL: ("finance",),
    Channel.LETTER: ("boss", "finance"),
}

# What the rep wrote down. Data, in the language the demo's users write in.
SAID = {
    Reason.NONE: "财务说这两天就安排，单子已经在走流程。",
    Reason.TOO_MUCH_STOCK: "老板说我们的货还压着不少库存，卖得慢，想等这批走掉再结。",
    Reason.SEASON_OVER: "对方说旺季已过，店里周转慢，下个旺季前回笼资金再付。",
    Reason.LOW_MARGIN: "对方抱怨我们的产品毛利低，不愿意优先付我们的款。",
    Reason.OLD_PROBLEMS: "对方提出之前的质量和退货问题没处理完，要先解决再付款。",
    Reason.CASH_ELSEWHERE: "财务说资金压在别家的货上了，这个月先付大厂的。",
    Reason.WANTS_CONCESSIONS: "老板要求再加返利、延长账期才肯付款，拿回款讲条件。",
    Reason.MALICIOUS_DELAY: "对方一再推说老板不在、财务休假，明显在拖。",
    Reason.CASH_TROUBLE: "老板承认资金链紧张，银行贷款没批下来，愿意分期慢慢还。",
    Reason.GOV_APPROVAL: "财务科说付款审批还在走流程，需院领导和财政逐级签字。",
    Reason.GOV_ACCEPTANCE: "对方说验收报告还没签，验收完才能报账付款。",
    Reason.GOV_BUDGET: "对方说本季度预算额度用完了，要等下一批资金到位。",
}
NO_ANSWER = {
    Channel.CALL: "电话无人接听，稍后再打。",
    Channel.WECHAT: "微信消息已读未回。",
    Channel.VISIT: "上门没见到负责人，把对账单留给了前台。",
    Channel.EMAIL: "邮件已发，暂无回复。",
    Channel.LETTER: "挂号信已寄出，等待回执。",
}
VANISHED_VISIT = "上门发现门店已关闭，电话停机，向邻近商户打听老板去向未果。"
REFUSED = "对方明确表示这个月不付，态度强硬。"
DISPUTED = "对方提出货物质量和数量有问题，要求先处理再谈付款。"
PROMISED = "{who}答应{day}前付{amount}元。"
LETTER_DEMAND = "寄出《货款逾期通知单》（EMS），列明逾期单据和金额，要求限期付款，留存回执。"
LAWYER_LETTER = "律师事务所发出律师催收函（EMS），留存寄送凭证和回执。"
CONFIRMATION = "上门对账，对方财务在余额确认函上签字并加盖公章，原件已交财务存档。"
NEXT_STEP = {
    Channel.CALL: "再次电话跟进付款进度",
    Channel.WECHAT: "发微信提醒付款",
    Channel.VISIT: "上门拜访，当面催收",
    Channel.EMAIL: "发邮件提醒付款",
    Channel.LETTER: "电话确认对方已收到通知单",
}
DISPUTE_TEXT = {
    DisputeReason.QUALITY: "客户反映部分批次外包装破损、有效期临近，要求折让。",
    DisputeReason.QUANTITY: "客户称送货数量与送货单不符，少了几件。",
    DisputeReason.RETURNS: "客户已退回部分滞销品，要求先冲减货款。",
    DisputeReason.PRICE: "客户认为单价未按年度协议价执行。",
    DisputeReason.INVOICE: "客户称发票抬头有误，无法入账。",
    DisputeReason.ACCEPTANCE: "验收报告未签字，对方称验收时有货品不合格。",
}
RESOLUTION = "核对送货单、验收记录和退货单后双方确认金额，对方已付清。"
APPROVAL_TEXT = {
    "lawyer": "多次催收拒不付款，并以此要挟增加返利，申请发律师函。",
    "stop": "逾期两个多月，承诺多次未兑现，申请停止供货直至付清旧款。",
    "stop_rejected": "付款一直拖延，申请停止供货。",
    "reduce": "客户资金紧张，申请新订单减半发货，控制风险。",
    "write_off": "客户已失联，门店关闭，多次上门和电话均找不到人，申请核销。",
}
DECISION_NOTE = {
    "lawyer": "同意。律师函发出前再电话通知一次，保留全部证据。",
    "stop_rejected": "客户一直在付，只是慢；先按结算日跟进，下月再看。",
    "write_off": "同意核销，请财务入账；后续如有回款照常登记。",
}
