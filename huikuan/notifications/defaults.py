# ruff: noqa: E501 - the wording reads best one sentence per line, as a translator sees it.
"""The built-in words of dunning messages: what an email or SMS says at each rung of the ladder
when nobody has written a template of their own for that level (``MessageTemplate``).

A message is put together from three parts: the tone's frame (how we open and close — friendly,
firm, formal, legal: 先礼后兵), the block of figures (what is overdue, or what falls due soon),
and one sentence saying what the ladder's action means for the customer (a call, a visit, reduced
supply …). So every action × tone × channel × language has wording, and the words grow firmer as
the ladder climbs.

Every part is a Django template over the context of ``templating.message_context``: ``customer``
(the name), ``contact_name``, ``amount`` (the overdue total, formatted), ``items`` (overdue bills:
``number``, ``due``, ``balance``, ``days``), ``upcoming`` and ``upcoming_amount`` (bills not yet
due), ``pay_by``, ``as_of``, ``rep_name``, ``rep_phone``, ``company``, ``bank_name``,
``bank_account``, ``company_phone``.
"""

from huikuan.documents.models import Language
from huikuan.dunning.models import Action, Tone

from .models import Channel

ZH = Language.ZH_HANS.value
EN = Language.EN.value

# --- Subjects ------------------------------------------------------------------------------------

SUBJECTS = {
    (Tone.FRIENDLY, ZH): "{% if company %}【{{ company }}】{% endif %}付款提醒：{{ customer }}",
    (Tone.FIRM, ZH): "{% if company %}【{{ company }}】{% endif %}逾期货款催告：{{ customer }}",
    (Tone.FORMAL, ZH): "{% if company %}【{{ company }}】{% endif %}货款逾期正式通知：{{ customer }}",
    (Tone.LEGAL, ZH): "{% if company %}【{{ company }}】{% endif %}最后催告：{{ customer }}欠款",
    (Tone.FRIENDLY, EN): "{% if company %}{{ company }}: {% endif %}payment reminder for {{ customer }}",
    (Tone.FIRM, EN): "{% if company %}{{ company }}: {% endif %}overdue payment, {{ customer }}",
    (Tone.FORMAL, EN): "{% if company %}{{ company }}: {% endif %}formal notice of overdue payment, {{ customer }}",
    (Tone.LEGAL, EN): "{% if company %}{{ company }}: {% endif %}final demand before legal action, {{ customer }}",
}  # fmt: skip

# --- The tone's frame ----------------------------------------------------------------------------

OPENINGS = {
    (Tone.FRIENDLY, ZH): "感谢贵司一直以来对我们的支持。在此友情提醒贵司近期的付款安排。",
    (Tone.FIRM, ZH): "我司此前已就下列款项与贵司联系，但至今仍未收到付款，特此再次提醒。",
    (Tone.FORMAL, ZH): "根据双方的合同约定，下列款项已超过付款期限，现正式通知贵司尽快履行付款义务。",
    (Tone.LEGAL, ZH): "下列款项逾期已久，经我司多次催告，贵司仍未支付。本函为付款的最后催告。",
    (Tone.FRIENDLY, EN): "Thank you for your continued business. This is a friendly note about payments that are due.",
    (Tone.FIRM, EN): "We have contacted you before about the amounts below and have not received payment yet.",
    (Tone.FORMAL, EN): "Under our contract the amounts below are past their payment date. We formally ask you to pay them without delay.",
    (Tone.LEGAL, EN): "The amounts below have been overdue for a long time despite our repeated requests. This is our final demand.",
}  # fmt: skip

CLOSINGS = {
    (Tone.FRIENDLY, ZH): "如已安排付款，请忽略本提醒；如需对账或补开发票，欢迎随时联系我。",
    (Tone.FIRM, ZH): "请于 {{ pay_by }} 前付清上述款项。如有疑问请及时联系我，以免影响双方后续合作。",
    (Tone.FORMAL, ZH): "请于 {{ pay_by }} 前将上述款项汇入我司账户{% if bank_account %}（{{ bank_name }}，账号 {{ bank_account }}）{% endif %}。如已付款，请将付款凭证发给我们以便核对。",
    (Tone.LEGAL, ZH): "请务必于 {{ pay_by }} 前付清全部欠款。届时仍未付款的，我司将通过诉讼等法律途径追索欠款、逾期付款利息及由此产生的费用。",
    (Tone.FRIENDLY, EN): "If you have already arranged the payment, please ignore this note. If you need a statement or an invoice, just let me know.",
    (Tone.FIRM, EN): "Please pay the amounts above by {{ pay_by }}. If anything is unclear, contact me so that our business can go on as usual.",
    (Tone.FORMAL, EN): "Please transfer the amounts above to our account{% if bank_account %} ({{ bank_name }}, account {{ bank_account }}){% endif %} by {{ pay_by }}. If you have paid already, please send us the payment slip so we can match it.",
    (Tone.LEGAL, EN): "Please pay the whole debt by {{ pay_by }}. If it is still unpaid then, we will recover it through the courts, together with interest for late payment and the costs incurred.",
}  # fmt: skip

# --- What the ladder's action means for the customer ---------------------------------------------

ACTION_LINES = {
    (Action.REMINDER, ZH): "烦请提前安排付款，以免逾期。",
    (Action.CALL, ZH): "我司业务员近日将致电贵司财务，确认付款进度和付款日期。",
    (Action.VISIT, ZH): "我司业务员近日将登门拜访，与贵司当面核对账目并商定付款安排。",
    (Action.WRITTEN_NOTICE, ZH): "我司将另行寄送书面《货款逾期通知单》，请注意查收。",
    (Action.REDUCE_SUPPLY, ZH): "逾期款项结清之前，我司对贵司的新订单将限量发货。",
    (Action.STOP_SUPPLY, ZH): "逾期款项结清之前，我司将暂停向贵司供货。",
    (Action.CANCEL_REBATES, ZH): "由于款项逾期，贵司本期的返利和折扣将予以取消。",
    (Action.LAWYER_LETTER, ZH): "我司已委托律师处理此事，律师催收函将另行寄送。",
    (Action.COLLECTION_AGENCY, ZH): "如仍未付款，我司将委托专业机构协助追收。",
    (Action.REMINDER, EN): "Please plan the payment so that it is not late.",
    (Action.CALL, EN): "Our sales representative will call your finance team shortly to confirm when the payment will be made.",
    (Action.VISIT, EN): "Our sales representative will visit you shortly to go through the account and agree on the payment.",
    (Action.WRITTEN_NOTICE, EN): "A written overdue notice follows by post.",
    (Action.REDUCE_SUPPLY, EN): "Until the overdue amounts are paid, we will deliver only part of each new order.",
    (Action.STOP_SUPPLY, EN): "Until the overdue amounts are paid, we will stop deliveries to you.",
    (Action.CANCEL_REBATES, EN): "Because of the late payment, the rebates and discounts of this period are cancelled.",
    (Action.LAWYER_LETTER, EN): "We have asked our lawyers to handle this matter; their letter follows separately.",
    (Action.COLLECTION_AGENCY, EN): "If the payment does not arrive, we will ask a collection agency to recover it.",
}  # fmt: skip

# --- The figures ---------------------------------------------------------------------------------

FIGURES = {
    ZH: (
        "{% if items %}截至 {{ as_of }}，贵司以下款项已到期未付，合计 {{ amount }}：\n"
        "{% for item in items %}- {{ item.number }}：到期日 {{ item.due }}，未付 {{ item.balance }}，"
        "逾期 {{ item.days }} 天\n{% endfor %}"
        "{% elif upcoming %}贵司以下款项即将到期，合计 {{ upcoming_amount }}：\n"
        "{% for item in upcoming %}- {{ item.number }}：到期日 {{ item.due }}，金额 {{ item.balance }}\n"
        "{% endfor %}{% endif %}"
    ),
    EN: (
        "{% if items %}On {{ as_of }} the following amounts are due and unpaid, {{ amount }} in all:\n"
        "{% for item in items %}- {{ item.number }}: due {{ item.due }}, unpaid {{ item.balance }}, "
        "{{ item.days }} days overdue\n{% endfor %}"
        "{% elif upcoming %}The following amounts fall due soon, {{ upcoming_amount }} in all:\n"
        "{% for item in upcoming %}- {{ item.number }}: due {{ item.due }}, {{ item.balance }}\n"
        "{% endfor %}{% endif %}"
    ),
}

GREETINGS = {
    ZH: "{% if contact_name %}{{ contact_name }}{% else %}{{ customer }}{% endif %}您好：",
    EN: "Dear {% if contact_name %}{{ contact_name }}{% else %}{{ customer }}{% endif %},",
}

SIGNATURES = {
    ZH: "{{ rep_name }}{% if rep_phone %}（电话 {{ rep_phone }}）{% endif %}\n{{ company }}\n{{ as_of }}",
    EN: "{{ rep_name }}{% if rep_phone %} (phone {{ rep_phone }}){% endif %}\n{{ company }}\n{{ as_of }}",
}  # fmt: skip

# --- SMS: one short paragraph --------------------------------------------------------------------

SMS = {
    (Tone.FRIENDLY, ZH): "{% if company %}【{{ company }}】{% endif %}{{ customer }}您好，{% if items %}贵司已到期货款 {{ amount }} 尚未支付{% else %}贵司有货款 {{ upcoming_amount }} 即将到期{% endif %}，烦请安排付款，如已付款请忽略。",
    (Tone.FIRM, ZH): "{% if company %}【{{ company }}】{% endif %}{{ customer }}：贵司逾期货款 {{ amount }} 仍未支付，请于 {{ pay_by }} 前付清。",
    (Tone.FORMAL, ZH): "{% if company %}【{{ company }}】{% endif %}{{ customer }}：贵司货款 {{ amount }} 已超过合同付款期限，现正式通知贵司于 {{ pay_by }} 前付清。",
    (Tone.LEGAL, ZH): "{% if company %}【{{ company }}】{% endif %}{{ customer }}：贵司拖欠货款 {{ amount }}，请于 {{ pay_by }} 前付清，否则我司将依法追索欠款及逾期利息。",
    (Tone.FRIENDLY, EN): "{% if company %}{{ company }}: {% endif %}{{ customer }}, {% if items %}{{ amount }} is due and unpaid{% else %}{{ upcoming_amount }} falls due soon{% endif %}. Please arrange the payment; if you have paid, ignore this message.",
    (Tone.FIRM, EN): "{% if company %}{{ company }}: {% endif %}{{ customer }}, {{ amount }} is overdue. Please pay by {{ pay_by }}.",
    (Tone.FORMAL, EN): "{% if company %}{{ company }}: {% endif %}{{ customer }}, {{ amount }} is past the contract's payment date. We formally ask you to pay by {{ pay_by }}.",
    (Tone.LEGAL, EN): "{% if company %}{{ company }}: {% endif %}{{ customer }}, you owe us {{ amount }}. Pay by {{ pay_by }} or we will recover it, with interest, through the courts.",
}  # fmt: skip

SMS_CONTACT = {
    ZH: "{% if rep_name %}联系人：{{ rep_name }} {{ rep_phone }}{% endif %}",
    EN: "{% if rep_name %}Contact: {{ rep_name }} {{ rep_phone }}{% endif %}",
}


def _language(language: str) -> str:
    return language if language in (ZH, EN) else ZH


def _tone(tone: str) -> str:
    return tone if tone in Tone.values else Tone.FRIENDLY


def default_wording(*, action: str, tone: str, channel: str, language: str) -> tuple[str, str]:
    """The built-in ``(subject, body)`` templates for a ladder level's action and tone on
    ``channel`` (email or SMS) in ``language``. An SMS has no subject."""
    language, tone = _language(language), _tone(tone)
    action_line = ACTION_LINES.get((action, language), "")
    if channel == Channel.SMS:
        body = SMS[(tone, language)]
        if action_line and action != Action.REMINDER:
            body += action_line if language == ZH else f" {action_line}"
        body += SMS_CONTACT[language] if language == ZH else f" {SMS_CONTACT[language]}"
        return "", body
    body = "\n\n".join(
        part
        for part in (
            GREETINGS[language],
            OPENINGS[(tone, language)],
            FIGURES[language],
            action_line,
            CLOSINGS[(tone, language)],
            SIGNATURES[language],
        )
        if part
    )
    return SUBJECTS[(tone, language)], body


# What each letter is called in its covering email (the letter's own title, in its language).
DOCUMENT_NAMES = {
    ("statement", ZH): "对账单",
    ("confirmation", ZH): "询证函",
    ("overdue-notice", ZH): "货款逾期通知单",
    ("lawyer-letter", ZH): "律师催收函",
    ("statement", EN): "statement of account",
    ("confirmation", EN): "balance confirmation",
    ("overdue-notice", EN): "overdue notice",
    ("lawyer-letter", EN): "lawyer's demand letter",
}

# The covering email of a letter sent as a PDF attachment.
DOCUMENT_SUBJECTS = {
    ZH: "{% if company %}【{{ company }}】{% endif %}{{ document_name }} {{ number }}",
    EN: "{% if company %}{{ company }}: {% endif %}{{ document_name }} {{ number }}",
}
DOCUMENT_BODIES = {
    ZH: (
        "{% if contact_name %}{{ contact_name }}{% else %}{{ customer }}{% endif %}您好：\n\n"
        "随信附上我司《{{ document_name }}》（编号 {{ number }}，截至 {{ as_of }}，"
        "金额 {{ document_amount }}），请查收。{% if is_confirmation %}"
        "\n\n烦请核对后在回函处盖章签字，并将回函扫描件或原件寄回我司。{% endif %}"
        "\n\n如有疑问，请随时与我联系。\n\n"
        "{{ rep_name }}{% if rep_phone %}（电话 {{ rep_phone }}）{% endif %}\n{{ company }}"
    ),
    EN: (
        "Dear {% if contact_name %}{{ contact_name }}{% else %}{{ customer }}{% endif %},\n\n"
        "Please find attached our {{ document_name }} (number {{ number }}, as of {{ as_of }}, "
        "amount {{ document_amount }}).{% if is_confirmation %}"
        "\n\nPlease check it, sign and stamp the reply slip, and send the reply back to us."
        "{% endif %}\n\nIf you have any questions, please contact me.\n\n"
        "{{ rep_name }}{% if rep_phone %} (phone {{ rep_phone }}){% endif %}\n{{ company }}"
    ),
}


def document_name(kind: str, language: str) -> str:
    return DOCUMENT_NAMES.get((kind, _language(language)), kind)


def document_wording(language: str) -> tuple[str, str]:
    """The ``(subject, body)`` templates of the email that carries a letter as a PDF."""
    language = _language(language)
    return DOCUMENT_SUBJECTS[language], DOCUMENT_BODIES[language]
