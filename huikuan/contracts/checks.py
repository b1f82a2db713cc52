"""Contract checks: what in a contract makes the money hard to collect, and what to fix.

Each check yields a ``Finding`` (a code, the field it is about, a message and a fix). The checks
never refuse a contract — it exists on paper whatever we think of it — they say what to put right,
usually with a supplement (补充协议) sealed by the customer.

Findings (codes):

- ``vague_terms`` — the payment terms as written do not fix when the money is due (below).
- ``no_seal`` — the contract bears only a personal stamp, a signature or nothing. The contract seal
  (合同专用章) and the company seal (公章) both bind the company; anything else may not.
- ``no_payment_contact`` — the customer has no payment-responsible person (付款责任人): no contact
  with that role who is still there on the as-of date.
- ``no_acceptance_criteria`` — the contract says nothing about acceptance (验收), so the customer
  can hold back payment by disputing the delivery.
- ``long_credit_term`` — the days to pay, or a day count in the terms, exceed
  ``settings.HUIKUAN_MAX_CREDIT_TERM_DAYS`` (default 90).
- ``no_due_rule`` — nothing says when the money is due: no installment plan, no days to pay and
  terms that fix no date or day count.

How payment terms are read (``read_terms``). The text is normalised first (NFKC: full-width digits
and punctuation become ASCII; lower case for English). Then:

1. A **vague phrase** makes the terms vague whatever else they say, because it ties (part of) the
   money to an event with no date: sale of the goods (售完, 卖完, 销完, 售出后, 动销,
   "when sold", "sold out"), the sales or cash situation (视销售情况, 视资金情况,
   "depending on sales"), later agreement (另行协商, 另议, 待定, "to be agreed", "TBD"), the
   year's end (年底, 年末, 年前, 春节前, "year end" — calendar or lunar year is not said), being
   paid by someone else (收到业主付款后支付, 拨款后, 资金到位, "when funds allow",
   "pay when paid") and "as soon as possible" (尽快).
2. A **month without a day** is vague: 10月以后, 十月前, 10月份付清, "after October". Whether
   "10月前" means before 1 October or by the end of October is exactly what parties later dispute.
   A month with its last day is a fixed day: 10月底, 次月末, "end of October", "month end".
   A month merely naming a billing period (3月份的货款于4月10日前付清) is not a timing phrase.
3. Otherwise the terms are **fixed** when they contain at least one of
   - a date naming a day: 2026年12月31日, 2026-12-31, 12月31日, 每月25日, 25号前, 月底,
     "31 December 2026", "December 31", "the 25th of each month";
   - a day count: 30天, 三十天, 30日内, 30个工作日, 3个月 (×30), 两周 (×7), 一年内 (×365), 半个月,
     "net 30", "within 45 days", "thirty (30) days", "2 months";
   - a cash term, read as a day count of 0: 款到发货, 先款后货, 现款现货, 货到付款, 预付全款,
     发货前付清, 收到货款后发货, 当天付款, "cash on delivery", "in advance", "due on receipt".
   Working days count as days. The day count reported is the longest one found.
4. Text with none of these (货到验收后付款, 月结, "payment after acceptance") states no fixed date
   and no day count: vague, unless the contract's days to pay or installment plan fix the due date
   (the text then only leaves out what the contract's other fields state). Blank terms are not
   vague; if nothing else fixes the due date either, ``no_due_rule`` says so.

``contract_findings`` checks one contract; ``contract_checks_report`` checks every contract a user
may see in four queries (contacts, plans and open receivables are read in bulk) and words only the
page shown.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huikuan.customers.models import Contact, ContactRole

from .models import Contract, InstallmentNode, SealKind

VAGUE_TERMS = "vague_terms"
NO_SEAL = "no_seal"
NO_PAYMENT_CONTACT = "no_payment_contact"
NO_ACCEPTANCE_CRITERIA = "no_acceptance_criteria"
LONG_CREDIT_TERM = "long_credit_term"
NO_DUE_RULE = "no_due_rule"

# Short names of the checks, in the order pages show them.
CHECKS = {
    VAGUE_TERMS: gettext_lazy("Vague payment terms"),
    NO_DUE_RULE: gettext_lazy("No due-date rule"),
    LONG_CREDIT_TERM: gettext_lazy("Credit term longer than policy"),
    NO_SEAL: gettext_lazy("No contract seal"),
    NO_PAYMENT_CONTACT: gettext_lazy("No payment-responsible person"),
    NO_ACCEPTANCE_CRITERIA: gettext_lazy("No acceptance criteria"),
}

BINDING_SEALS = {SealKind.CONTRACT_SEAL, SealKind.COMPANY_SEAL}


@dataclass(frozen=True)
class Finding:
    code: str  # one of CHECKS
    field: str  # the contract field (or "customer") the finding is about
    message: str  # what is wrong, in the active language
    fix: str  # what to do about it

    @property
    def label(self) -> str:
        return str(CHECKS[self.code])


@dataclass(frozen=True)
class TermsReading:
    """What ``read_terms`` found in payment terms."""

    fixed: bool  # a date or day count fixes when the money is due, and nothing vague is said
    days: int | None  # the longest day count found (0 for cash terms); None when there is none
    vague_phrases: tuple[str, ...]  # the vague words found, as written (after normalising)
    has_date: bool  # a date naming a day was found
    blank: bool  # the text is empty


# --- Reading payment terms ---------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}

NUM = r"(\d{1,4}|[零〇一二两三四五六七八九十百千]{1,6})"  # Arabic or Chinese numerals
_UNITS_EN = "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
_TENS_EN = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ONES_EN = "one|two|three|four|five|six|seven|eight|nine"
EN_NUM = rf"(\d{{1,4}}|(?:{_TENS_EN})[- ](?:{_ONES_EN})|{_UNITS_EN})"
_MONTHS_EN = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
# Month names that stand for a month without a day ("may" is left out: it is also a verb).
_MONTHS_EN_ALONE = (
    "january|february|march|april|june|july|august|september|october|november|december"
)
_STOP = r"[^,;。;，、\n]"  # a character within the same clause

# Every kind of pattern comes in a Chinese and an English set; text without Latin letters skips the
# English set and text without Chinese characters the Chinese one.
VAGUE_PATTERNS = {
    "zh": [
        r"售完|卖完|销完|售罄|销售完|卖光|售出后|卖出后|销售后|动销",  # sale of the goods
        rf"视{_STOP}{{0,6}}情况|看{_STOP}{{0,6}}情况|根据销售|按销售情况|销售情况",
        r"另行协商|另行商定|另行约定|协商付款|付款时间另|另议|再议|待定|再定|商定后",
        r"年底|年末|年前|春节前|过年前|春节后",  # calendar or lunar year?
        rf"收到{_STOP}{{0,8}}?款(?:项)?后{_STOP}{{0,4}}?(?:付|支付|结)",  # paid when paid
        r"拨款后|预算下达后|资金到位|资金宽裕|资金到账后|有钱|审计后|决算后|结算审计",
        r"尽快|适时|方便时",
    ],
    "en": [
        r"\bwhen (?:\w+ )?sold\b|\bsold out\b",
        r"\bafter (?:the )?(?:goods )?(?:are |have been )?sold\b",
        r"\bupon (?:re)?sale\b|\bas (?:the goods are )?sold\b|\bsell[- ]through\b",
        r"\bdepend(?:s|ing)? on (?:the )?(?:sales|sell)|\bsales situation\b",
        r"\bto be (?:negotiated|agreed|determined|discussed|confirmed|decided)\b|\btbd\b",
        r"\bnegotiable\b|\b(?:agreed|negotiated) separately\b|\bseparately agreed\b",
        r"\byear[- ]end\b|\bend of (?:the )?year\b|\bchinese new year\b|\bspring festival\b",
        r"\bwhen (?:the )?(?:budget|funds?|money)\b|\bfunds? (?:allow|permit|are available)\b",
        r"\bpay[- ]when[- ]paid\b|\bafter (?:the )?(?:customer|end user|owner) pays\b",
        r"\bas soon as possible\b|\basap\b|\bwhen (?:convenient|possible)\b",
    ],
}
_NUMERIC_DATES = [
    r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)",
    r"(?<!\d)\d{1,2}[/.]\d{1,2}[/.]\d{4}(?!\d)",
]
DATE_PATTERNS = {
    "zh": [
        rf"(?:\d{{2,4}}|[零〇一二三四五六七八九]{{2,4}})\s*年\s*{NUM}\s*月\s*{NUM}\s*[日号]",
        *_NUMERIC_DATES,
        rf"(?:{NUM}\s*)?月\s*{NUM}\s*[日号]",  # 12月31日, 每月25日, 次月10号
        rf"(?:{NUM}\s*)?月\s*(?:底|末|最后一天|最后一日)",  # 10月底, 次月末, 每月月底
        rf"(?<![\d个]){NUM}\s*号",  # 25号前
        rf"(?<![\d个]){NUM}\s*日\s*(?:前|之前|以前)",  # 25日前: a day of the month
    ],
    "en": [
        *_NUMERIC_DATES,
        rf"\b(?:{_MONTHS_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s*\d{{4}})?",
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS_EN})\b\.?(?:,?\s*\d{{4}})?",
        rf"\bend of (?:the )?(?:{_MONTHS_EN_ALONE}|may)\b|\b(?:{_MONTHS_EN_ALONE}) end\b",
        r"\bend of (?:the |each |every |the following |the next |next )?month\b",
        r"\bmonth[- ]end\b",
        r"\b\d{1,2}(?:st|nd|rd|th)\s+(?:day\s+)?of\s+(?:the |each |every |the following |next )"
        r"?month\b",
    ],
}
# A month without a day, followed by a timing word (10月以后, 十月前, 10月份付清).
MONTH_ALONE_PATTERNS = {
    "zh": [
        rf"(?<![\d个]){NUM}\s*月(?:份)?\s*"
        r"(?:以后|之后|后|以前|之前|前|内|中旬|上旬|下旬|左右|初|中|间|付|结|支付|再|开始|起)"
    ],
    "en": [
        r"\b(?:after|before|by|in|until|till|from|during|around|beginning of|early|late|mid)"
        rf"[- ](?:{_MONTHS_EN_ALONE})\b"
    ],
}
CASH_PATTERNS = {
    "zh": [
        r"款到发货|先款后货|现款现货|现款提货|现金交易|一手交钱一手交货|全款预付|预付全款|款清发货",
        rf"收到{_STOP}{{0,6}}?款(?:项)?后{_STOP}{{0,2}}?发货",
        r"货到付款|见票即付|即付|当天付|当日付|当天结清|当日结清|发货前付|提货前付|发货前结清",
    ],
    "en": [
        r"\bcash on delivery\b|\bc\.o\.d\.?|\bcod\b|\bin advance\b|\badvance payment\b",
        r"\bprepa(?:id|yment|y)\b|\b(?:up)?on (?:delivery|receipt)\b|\bdue on receipt\b",
        r"\bcash before (?:delivery|shipment)\b|\bbefore (?:delivery|shipment)\b",
    ],
}
# (pattern, days per unit); the number is the pattern's first group.
DAY_COUNT_PATTERNS = {
    "zh": [
        (rf"(?<![\d.]){NUM}\s*个?\s*(?:工作日|自然日|日历日|天|日)", 1),
        (rf"(?<![\d.]){NUM}\s*个\s*(?:自然)?月", 30),
        (rf"(?<![\d.]){NUM}\s*个?\s*(?:周|星期|礼拜)", 7),
        (rf"(?<![\d.]){NUM}\s*年\s*(?:内|之内|以内)", 365),
    ],
    "en": [
        (r"(?<![a-z])net\s*-?\s*(\d{1,4})(?!\d)", 1),
        (
            rf"(?<![a-z0-9.]){EN_NUM}\s*(?:\(\d+\)\s*)?"
            r"(?:calendar |business |working |banking )?days?(?![a-z])",
            1,
        ),
        (rf"(?<![a-z0-9.]){EN_NUM}\s*(?:\(\d+\)\s*)?months?(?![a-z])", 30),
        (rf"(?<![a-z0-9.]){EN_NUM}\s*(?:\(\d+\)\s*)?weeks?(?![a-z])", 7),
    ],
}
# Durations without a number, taken out before the day counts are read.
HALF_PATTERNS = {
    "zh": [(r"半个月", 15), (r"半年\s*(?:内|之内|以内)", 180)],
    "en": [
        (r"\bhalf a month\b", 15),
        (r"\b(?:within|in) a month\b", 30),
        (r"\b(?:within|in) a week\b", 7),
        (r"\bhalf a year\b", 180),
    ],
}


def _one(patterns: dict) -> dict:
    return {lang: re.compile("|".join(alternatives)) for lang, alternatives in patterns.items()}


def _each(patterns: dict) -> dict:
    return {lang: [(re.compile(p), n) for p, n in pairs] for lang, pairs in patterns.items()}


_VAGUE = _one(VAGUE_PATTERNS)
_DATE = _one(DATE_PATTERNS)
_MONTH_ALONE = _one(MONTH_ALONE_PATTERNS)
_CASH = _one(CASH_PATTERNS)
_DAY_COUNTS = _each(DAY_COUNT_PATTERNS)
_HALVES = _each(HALF_PATTERNS)
_LATIN = re.compile(r"[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff〇]")
# Any number, in digits, Chinese or English words; "half" and "month end" count too.
_NUMERAL = re.compile(
    rf"[\d零〇一二两三四五六七八九十百千半]|月\s*[底末]|{_UNITS_EN}|\bhalf\b|\ba (?:month|week)\b"
    rf"|\b(?:month[- ]end|end of|{_MONTHS_EN_ALONE})\b"
)


def _number(text: str) -> int | None:
    """An Arabic, Chinese (三十, 一百二十, 两) or English (thirty, forty-five) number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    if "-" in text or " " in text:
        tens, ones = re.split(r"[- ]", text, maxsplit=1)
        return _EN_NUMBERS.get(tens, 0) + _EN_NUMBERS.get(ones, 0)
    if not any(ch in _CN_UNITS for ch in text):  # 二〇二六: digit by digit
        digits = [_CN_DIGITS.get(ch) for ch in text]
        return None if None in digits else int("".join(str(d) for d in digits))
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def normalise_terms(text: str) -> str:
    """Full-width characters to ASCII (NFKC) and English to lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


# Contracts copy their terms from a few templates, and the report reads every contract each time:
# remembering 65,536 readings (a few MB) keeps a second look at 10,000 contracts cheap.
@functools.lru_cache(maxsize=65536)
def read_terms(text: str) -> TermsReading:
    """Read payment terms as the module docstring describes: vague phrases, months without a day,
    dates, day counts and cash terms, and whether together they fix when the money is due."""
    text = normalise_terms(text).strip()
    if not text:
        return TermsReading(fixed=False, days=None, vague_phrases=(), has_date=False, blank=True)
    latin = bool(_LATIN.search(text))
    languages = ["zh"] if _HAN.search(text) or not latin else []
    languages += ["en"] if latin else []
    vague = [m.group(0) for lang in languages for m in _VAGUE[lang].finditer(text)]
    if not _NUMERAL.search(text):  # no number of any kind: no date, month or day count either
        cash = any(_CASH[lang].search(text) for lang in languages)
        return TermsReading(
            fixed=cash and not vague,
            days=0 if cash else None,
            vague_phrases=tuple(dict.fromkeys(vague)),
            has_date=False,
            blank=False,
        )
    rest, dates = text, 0
    for lang in languages:  # dates out first, so 12月31日 is not read as "31 days"
        rest, found = _DATE[lang].subn(" ", rest)
        dates += found
    vague += [m.group(0).strip() for lang in languages for m in _MONTH_ALONE[lang].finditer(rest)]
    days = []
    for lang in languages:
        for pattern, per_unit in _HALVES[lang]:
            if pattern.search(rest):
                days.append(per_unit)
                rest = pattern.sub(" ", rest)
        for pattern, per_unit in _DAY_COUNTS[lang]:
            for match in pattern.finditer(rest):
                value = _number(match.group(1))
                if value is not None:
                    days.append(value * per_unit)
        if _CASH[lang].search(rest):
            days.append(0)
    longest = max(days) if days else None
    return TermsReading(
        fixed=not vague and (bool(dates) or longest is not None),
        days=longest,
        vague_phrases=tuple(dict.fromkeys(vague)),
        has_date=bool(dates),
        blank=False,
    )


# --- The checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    """A finding before it is put into words: the report checks every contract but words only
    the page it shows."""

    code: str
    field: str
    detail: tuple = ()


def max_credit_term_days() -> int:
    return int(settings.HUIKUAN_MAX_CREDIT_TERM_DAYS)


def _terms_problems(text, term_days, has_installments, limit) -> list[_Problem]:
    reading = read_terms(text)
    problems = []
    if reading.vague_phrases:
        problems.append(_Problem(VAGUE_TERMS, "payment_terms", reading.vague_phrases))
    elif not (reading.blank or reading.fixed or term_days is not None or has_installments):
        problems.append(_Problem(VAGUE_TERMS, "payment_terms"))
    stated = {"term_days": term_days, "payment_terms": reading.days}
    stated = {field: days for field, days in stated.items() if days is not None}
    longest = max(stated, key=stated.get, default=None)
    if longest and stated[longest] > limit:
        problems.append(_Problem(LONG_CREDIT_TERM, longest, (stated[longest], limit)))
    if not has_installments and term_days is None and not reading.fixed:
        problems.append(_Problem(NO_DUE_RULE, "payment_terms"))
    return problems


def _problems(
    *,
    payment_terms,
    term_days,
    seal_kind,
    acceptance_criteria,
    has_payment_contact,
    has_installments,
    limit,
) -> list[_Problem]:
    problems = _terms_problems(payment_terms, term_days, has_installments, limit)
    if seal_kind not in BINDING_SEALS:
        problems.append(_Problem(NO_SEAL, "seal_kind", (seal_kind,)))
    if not has_payment_contact:
        problems.append(_Problem(NO_PAYMENT_CONTACT, "customer"))
    if not (acceptance_criteria or "").strip():
        problems.append(_Problem(NO_ACCEPTANCE_CRITERIA, "acceptance_criteria"))
    return problems


def _worded(problem: _Problem) -> Finding:
    """``problem`` as a finding, in the active language."""
    code, detail = problem.code, problem.detail
    if code == VAGUE_TERMS and detail:
        message = _("The payment terms tie payment to “%(phrases)s”, which fixes no date.") % {
            "phrases": "”, “".join(detail)
        }
        fix = _(
            "Replace it with a fixed due date (e.g. 2026年12月31日前付清) or a day count such as "
            "“within 60 days of delivery” (货到60天内付款), in a supplement sealed by the customer."
        )
    elif code == VAGUE_TERMS:
        message = _("The payment terms state neither a fixed date nor a day count.")
        fix = _(
            "Write a fixed due date or a day count such as “within 60 days of delivery” "
            "(货到60天内付款), in a supplement sealed by the customer."
        )
    elif code == LONG_CREDIT_TERM:
        days, limit = detail
        message = _(
            "The credit term of %(days)s days is longer than the policy's %(limit)s days."
        ) % {"days": days, "limit": limit}
        fix = _(
            "Agree a term of at most %(limit)s days, or split the money into installments due "
            "within %(limit)s days of each delivery; a longer term needs a manager's written "
            "approval on file."
        ) % {"limit": limit}
    elif code == NO_DUE_RULE:
        message = _(
            "Nothing says when the money is due: no installment plan, no days to pay and no "
            "fixed date or day count in the terms."
        )
        fix = _(
            "Enter the days to pay after delivery, or an installment plan with a due date for "
            "each payment, as the contract states them."
        )
    elif code == NO_SEAL:
        message = {
            SealKind.PERSONAL_STAMP: _(
                "The contract bears only a personal stamp, which may not bind the company."
            ),
            SealKind.SIGNATURE: _("The contract is only signed, which may not bind the company."),
        }.get(detail[0], _("The contract bears no seal."))
        fix = _(
            "Get the contract stamped with the customer's contract seal (合同专用章) or company "
            "seal (公章)."
        )
    elif code == NO_PAYMENT_CONTACT:
        message = _("The customer has no payment-responsible person (付款责任人) on record.")
        fix = _(
            "Add the person who answers for paying as a contact of the customer with the role "
            "“Payment-responsible person”, and name them in the contract."
        )
    else:  # NO_ACCEPTANCE_CRITERIA
        message = _(
            "The contract states no acceptance criteria, so the customer can hold back payment "
            "by disputing the delivery."
        )
        fix = _(
            "Write what counts as accepted and how long the customer has to object, e.g. "
            "“objections in writing within 7 days of receipt, otherwise accepted”."
        )
    return Finding(code, problem.field, message, fix)


def terms_findings(
    text: str,
    term_days: int | None,
    *,
    has_installments: bool = False,
    max_term_days: int | None = None,
) -> list[Finding]:
    """Findings about the payment terms: vague wording, a credit term longer than the policy and,
    with no installment plan, no rule at all for when the money is due.

    ``term_days`` is the contract's days to pay after delivery; ``max_term_days`` defaults to
    ``settings.HUIKUAN_MAX_CREDIT_TERM_DAYS``.
    """
    limit = max_credit_term_days() if max_term_days is None else max_term_days
    return [_worded(p) for p in _terms_problems(text, term_days, has_installments, limit)]


def findings_for(
    *,
    payment_terms: str,
    term_days: int | None,
    seal_kind: str,
    acceptance_criteria: str,
    has_payment_contact: bool,
    has_installments: bool,
    max_term_days: int | None = None,
) -> list[Finding]:
    """Every finding for a contract described by plain values: the terms' findings, then seal,
    payment-responsible person and acceptance criteria."""
    problems = _problems(
        payment_terms=payment_terms,
        term_days=term_days,
        seal_kind=seal_kind,
        acceptance_criteria=acceptance_criteria,
        has_payment_contact=has_payment_contact,
        has_installments=has_installments,
        limit=max_credit_term_days() if max_term_days is None else max_term_days,
    )
    return [_worded(p) for p in problems]


def _payment_contacts(customers, as_of: date | None) -> QuerySet:
    contacts = Contact.objects.filter(
        customer__in=customers, role=ContactRole.PAYMENT_RESPONSIBLE, is_active=True
    )
    if as_of is not None:
        contacts = contacts.filter(Q(left_on__isnull=True) | Q(left_on__gt=as_of))
    return contacts


def contract_findings(contract: Contract, *, as_of: date | None = None) -> list[Finding]:
    """Every finding for one contract, on ``as_of`` (a payment-responsible person who left on or
    before it no longer counts; without ``as_of`` every active one does)."""
    return findings_for(
        payment_terms=contract.payment_terms,
        term_days=contract.term_days,
        seal_kind=contract.seal_kind,
        acceptance_criteria=contract.acceptance_criteria,
        has_payment_contact=_payment_contacts([contract.customer_id], as_of).exists(),
        has_installments=contract.nodes.exists(),
    )


# --- The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedContract:
    contract_id: int
    open_amount: Decimal  # outstanding on the contract's receivables
    codes: tuple[str, ...]  # its findings' codes
    problems: tuple[_Problem, ...] = ()
    contract: Contract | None = None  # loaded by ``with_contracts`` for the page shown
    findings: tuple[Finding, ...] = ()  # worded by ``with_contracts``


@dataclass(frozen=True)
class ChecksReport:
    rows: list[CheckedContract]  # the contracts asked for, most open money first
    counts: dict[str, int]  # contracts with each finding, over every contract checked
    checked: int  # contracts checked
    with_findings: int  # contracts with at least one finding


ANY = "any"  # contracts with at least one finding
ALL = "all"  # every contract


def contract_checks_report(
    *, contracts: QuerySet[Contract], as_of: date, finding: str = ANY
) -> ChecksReport:
    """Check every contract in ``contracts`` (already limited to what the user may see).

    ``finding`` picks the rows: ``"any"`` (at least one finding), ``"all"``, or one check's code.
    Rows are sorted by open receivable amount (largest first), then newest signed first. Data is
    read in four queries whatever the number of contracts; ``with_contracts`` loads and words the
    rows of the page shown.
    """
    contracts = contracts.order_by()
    values = contracts.values_list(
        "pk",
        "customer_id",
        "signed_on",
        "payment_terms",
        "term_days",
        "seal_kind",
        "acceptance_criteria",
    )
    with_contact = set(
        _payment_contacts(contracts.values("customer_id"), as_of)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    with_plan = set(
        InstallmentNode.objects.filter(contract__in=contracts.values("pk"))
        .values_list("contract_id", flat=True)
        .distinct()
    )
    # Receivables belong to the ledger, a newer app: reached through the relation's name only.
    open_amounts = dict(
        contracts.filter(receivables__outstanding__gt=0)
        .values("pk")
        .annotate(open=Sum("receivables__outstanding"))
        .values_list("pk", "open")
    )
    limit = max_credit_term_days()
    counts = dict.fromkeys(CHECKS, 0)
    rows = []
    checked = with_findings = 0
    for pk, customer_id, signed_on, terms, term_days, seal, criteria in values:
        problems = _problems(
            payment_terms=terms,
            term_days=term_days,
            seal_kind=seal,
            acceptance_criteria=criteria,
            has_payment_contact=customer_id in with_contact,
            has_installments=pk in with_plan,
            limit=limit,
        )
        codes = tuple(p.code for p in problems)
        for code in set(codes):
            counts[code] += 1
        checked += 1
        with_findings += bool(codes)
        if finding == ALL or (finding == ANY and codes) or finding in codes:
            open_amount = open_amounts.get(pk) or Decimal("0.00")
            rows.append((-open_amount, -signed_on.toordinal(), pk, codes, problems))
    rows.sort(key=lambda r: r[:3])
    return ChecksReport(
        rows=[
            CheckedContract(pk, -negative_open, codes, tuple(problems))
            for negative_open, _signed, pk, codes, problems in rows
        ],
        counts=counts,
        checked=checked,
        with_findings=with_findings,
    )


def with_contracts(rows: list[CheckedContract]) -> list[CheckedContract]:
    """``rows`` (one page of a report) with their findings worded in the active language and their
    contracts and customers loaded, in one query."""
    loaded = Contract.objects.select_related("customer").in_bulk([r.contract_id for r in rows])
    return [
        replace(
            row,
            contract=loaded.get(row.contract_id),
            findings=tuple(_worded(p) for p in row.problems),
        )
        for row in rows
    ]
