"""Contract checks: reading payment terms (vague or fixed, and the day count), each finding with
what to fix, findings on the contract's page after saving, and the contract-check report."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from huikuan.contracts import checks
from huikuan.contracts.checks import contract_findings, read_terms, terms_findings
from huikuan.contracts.models import Contract
from huikuan.contracts.services import contract_create
from huikuan.customers.models import Contact, ContactRole
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

AS_OF = date(2026, 5, 1)
REPORT = reverse("contracts:checks")

# (terms as written, fixed?, day count found — None where the terms give none)
PHRASINGS = [
    # vague: tied to selling the goods, to later agreement, to a month or the year's end
    ("售完后付款", False, None),
    ("卖完再结", False, None),
    ("10月以后付款", False, None),
    ("十月以后付款", False, None),
    ("１０月份付清", False, None),
    ("另行协商", False, None),
    ("付款时间双方另行商定", False, None),
    ("货到付款后视销售情况", False, 0),
    ("视资金情况付款", False, None),
    ("年底结清", False, None),
    ("春节前付清", False, None),
    ("售完后30天内付款", False, 30),
    ("收到业主付款后支付", False, None),
    ("货到验收合格后付款", False, None),
    ("月结", False, None),
    ("pay when sold", False, None),
    ("Payment terms to be agreed", False, None),
    ("Payment after October", False, None),
    ("30% on delivery, balance by year end", False, 0),
    ("Payment after acceptance", False, None),
    ("Cash on delivery, balance after October", False, 0),
    # fixed: a day count, a date naming a day, or cash terms
    ("款到发货", True, 0),
    ("现款现货", True, 0),
    ("货到付款", True, 0),
    ("月结60天", True, 60),
    ("货到30天内付款", True, 30),
    ("货到30日内付款", True, 30),
    ("货到后３０天内付款", True, 30),
    ("三十天内付清", True, 30),
    ("签收之日起六十日内付清", True, 60),
    ("验收合格后30个工作日内付款", True, 30),
    ("三个月内付清", True, 90),
    ("两周内付款", True, 14),
    ("一百二十天内付清", True, 120),
    ("预付30%,余款货到60天内付清", True, 60),
    ("2026年12月31日前付清", True, None),
    ("２０２６年１２月３１日前付清", True, None),
    ("二〇二六年十二月三十一日前付清", True, None),
    ("分三期付款:2026年3月31日、6月30日、9月30日各付三分之一", True, None),
    ("10月底前付清", True, None),
    ("每月25日前付上月货款", True, None),
    ("3月份的货款于4月10日前付清", True, None),
    ("于2026-12-31前付清", True, None),
    ("Net 30", True, 30),
    ("Payment due within 45 days of delivery", True, 45),
    ("Payment within thirty (30) days of invoice", True, 30),
    ("Payment within forty-five days", True, 45),
    ("50% in advance, balance 60 days after acceptance", True, 60),
    ("Payment by 31 December 2026", True, None),
    ("Payment on the 25th of each month", True, None),
    ("Cash on delivery", True, 0),
]


@pytest.mark.parametrize(("text", "fixed", "days"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_payment_terms_are_read_as_vague_or_fixed_with_their_day_count(text, fixed, days):
    reading = read_terms(text)
    assert (reading.fixed, reading.days) == (fixed, days)
    codes = [finding.code for finding in terms_findings(text, None)]
    assert (checks.VAGUE_TERMS in codes) is not fixed


def test_a_vague_finding_quotes_the_words_and_says_how_to_fix_them():
    with translation.override("en"):
        [vague, *_rest] = terms_findings("售完后付款", None)
    assert vague.code == checks.VAGUE_TERMS and vague.field == "payment_terms"
    assert "售完" in vague.message
    assert "within 60 days of delivery" in vague.fix


def test_terms_that_only_leave_the_timing_out_are_fine_when_days_to_pay_are_entered():
    assert not [f.code for f in terms_findings("货到验收合格后付款", 30)]
    assert [f.code for f in terms_findings("货到验收合格后付款", None, has_installments=True)] == []


def test_vague_words_are_flagged_even_when_days_to_pay_are_entered():
    assert [f.code for f in terms_findings("售完后付款", 30)] == [checks.VAGUE_TERMS]


def test_blank_terms_are_not_vague_but_without_any_rule_nothing_says_when_money_is_due():
    assert [f.code for f in terms_findings("", None)] == [checks.NO_DUE_RULE]
    assert terms_findings("", 30) == []
    assert terms_findings("", None, has_installments=True) == []


def test_vague_terms_with_no_other_rule_also_lack_a_due_date_rule():
    codes = [f.code for f in terms_findings("卖完再结", None)]
    assert codes == [checks.VAGUE_TERMS, checks.NO_DUE_RULE]


@pytest.mark.parametrize(
    ("text", "term_days", "field"),
    [("", 120, "term_days"), ("月结120天", None, "payment_terms"), ("Net 30", 91, "term_days")],
)
def test_a_credit_term_longer_than_the_policy_is_flagged(text, term_days, field):
    with translation.override("en"):
        [long] = [f for f in terms_findings(text, term_days) if f.code == checks.LONG_CREDIT_TERM]
    assert long.field == field
    assert "90" in long.message and "90" in long.fix


def test_the_credit_term_policy_is_a_setting_and_its_limit_itself_is_allowed(settings):
    assert not [f for f in terms_findings("", 90) if f.code == checks.LONG_CREDIT_TERM]
    settings.HUIKUAN_MAX_CREDIT_TERM_DAYS = 150
    assert not [f for f in terms_findings("货到120天内付款", None)]
    assert [f.code for f in terms_findings("货到151天内付款", None)] == [checks.LONG_CREDIT_TERM]


def clean_values(**overrides):
    values = {
        "payment_terms": "货到30天内付款",
        "term_days": 30,
        "seal_kind": "contract_seal",
        "acceptance_criteria": "收货后7日内书面提出异议,逾期视为验收合格",
        "has_payment_contact": True,
        "has_installments": False,
    }
    values.update(overrides)
    return values


def test_a_well_made_contract_has_no_findings():
    assert checks.findings_for(**clean_values()) == []


@pytest.mark.parametrize("seal", ["personal_stamp", "signature", "none"])
def test_a_personal_stamp_a_signature_or_no_seal_is_flagged(seal):
    with translation.override("en"):
        [finding] = checks.findings_for(**clean_values(seal_kind=seal))
    assert (finding.code, finding.field) == (checks.NO_SEAL, "seal_kind")
    assert "合同专用章" in finding.fix


def test_the_company_seal_binds_as_well_as_the_contract_seal():
    assert checks.findings_for(**clean_values(seal_kind="company_seal")) == []


def test_no_payment_responsible_person_is_flagged():
    [finding] = checks.findings_for(**clean_values(has_payment_contact=False))
    assert (finding.code, finding.field) == (checks.NO_PAYMENT_CONTACT, "customer")


@pytest.mark.parametrize("criteria", ["", "  \n "])
def test_missing_acceptance_criteria_are_flagged(criteria):
    [finding] = checks.findings_for(**clean_values(acceptance_criteria=criteria))
    assert (finding.code, finding.field) == (checks.NO_ACCEPTANCE_CRITERIA, "acceptance_criteria")


# --- Contracts in the database -------------------------------------------------------------------


def make_contract(customer, number, *, installments=(), signed_on=date(2026, 1, 5), **fields):
    values = {
        "payment_terms": "货到30天内付款",
        "term_days": 30,
        "seal_kind": "contract_seal",
        "acceptance_criteria": "收货后7日内书面提出异议",
    }
    values.update(fields)
    return contract_create(
        customer=customer,
        number=number,
        signed_on=signed_on,
        installments=installments,
        **values,
    )


def payer(customer, **fields):
    return Contact.objects.create(
        customer=customer, role=ContactRole.PAYMENT_RESPONSIBLE, name="王会计", **fields
    )


@pytest.mark.django_db
def test_only_a_payment_responsible_person_still_there_on_the_day_counts():
    customer = f.customer()
    contract = make_contract(customer, "HT-1")
    Contact.objects.create(customer=customer, role=ContactRole.FINANCE, name="财务")
    assert [x.code for x in contract_findings(contract, as_of=AS_OF)] == [checks.NO_PAYMENT_CONTACT]
    leaving = payer(customer, left_on=date(2026, 4, 30))
    assert [x.code for x in contract_findings(contract, as_of=AS_OF)] == [checks.NO_PAYMENT_CONTACT]
    assert contract_findings(contract, as_of=date(2026, 4, 29)) == []
    leaving.is_active = False
    leaving.save()
    assert contract_findings(contract, as_of=date(2026, 4, 29)) != []


@pytest.mark.django_db
def test_an_installment_plan_is_a_due_date_rule():
    customer = f.customer()
    payer(customer)
    planned = make_contract(
        customer, "HT-P", payment_terms="", term_days=None, installments=[(AS_OF, "100")]
    )
    bare = make_contract(customer, "HT-N", payment_terms="", term_days=None)
    assert contract_findings(planned, as_of=AS_OF) == []
    assert [x.code for x in contract_findings(bare, as_of=AS_OF)] == [checks.NO_DUE_RULE]


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    team = f.team("东一")
    manager = f.user(Role.MANAGER, username="manager", team=team)
    rep_a = f.user(Role.REP, username="jia", team=team, manager=manager)
    rep_b = f.user(Role.REP, username="yi")
    a = f.customer("A", name="客户甲", owner=rep_a)
    b = f.customer("B", name="客户乙", owner=rep_b)
    payer(a)
    return {
        "manager": manager,
        "rep_a": rep_a,
        "finance": f.user(Role.FINANCE, username="finance"),
        "a": a,
        "b": b,
        "a_vague": make_contract(a, "HT-A-VAGUE", payment_terms="售完后付款"),
        "a_clean": make_contract(a, "HT-A-CLEAN"),
        "b_stamp": make_contract(b, "HT-B-STAMP", seal_kind="personal_stamp"),
    }


def rows(response):
    page = response.context["page"]
    return [(row.contract.number, [x.code for x in row.findings]) for row in page]


def test_a_rep_sees_only_the_findings_on_their_own_customers_contracts(client, world):
    client.force_login(world["rep_a"])
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch
    response = client.get(REPORT)
    assert response.status_code == 200
    assert rows(response) == [("HT-A-VAGUE", [checks.VAGUE_TERMS])]
    html = response.content.decode()
    assert 'data-contract="HT-A-VAGUE"' in html
    assert "HT-B-STAMP" not in html and "客户乙" not in html
    with translation.override("en"):
        [vague] = terms_findings("售完后付款", 30)
    assert escape(vague.fix) in html
    assert reverse("contracts:detail", args=[world["a_vague"].pk]) in html
    assert 'data-code="vague_terms" data-count="1"' in html
    assert 'data-code="no_seal" data-count="0"' in html


def test_finance_filters_the_report_by_one_finding(client, world):
    client.force_login(world["finance"])
    response = client.get(REPORT, {"finding": checks.NO_SEAL})
    assert rows(response) == [("HT-B-STAMP", [checks.NO_SEAL, checks.NO_PAYMENT_CONTACT])]
    assert response.context["report"].counts[checks.NO_PAYMENT_CONTACT] == 1
    everything = client.get(REPORT, {"finding": "all"})
    assert {number for number, _codes in rows(everything)} == {
        "HT-A-VAGUE",
        "HT-A-CLEAN",
        "HT-B-STAMP",
    }


def test_the_report_puts_the_contracts_with_most_open_money_first(client, world):
    f.receivable(world["a"], amount="500.00", contract=world["a_vague"])
    f.receivable(world["b"], amount="900.00", contract=world["b_stamp"])
    f.receivable(world["b"], amount="200.00", contract=world["b_stamp"])
    client.force_login(world["finance"])
    page = client.get(REPORT).context["page"]
    assert [(r.contract.number, r.open_amount) for r in page] == [
        ("HT-B-STAMP", Decimal("1100.00")),
        ("HT-A-VAGUE", Decimal("500.00")),
    ]


def test_the_report_reads_in_the_same_few_queries_however_many_contracts(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["finance"])
    for n in range(60):
        make_contract(world["b"], f"HT-MANY-{n:03d}", acceptance_criteria="")
    with django_assert_max_num_queries(15):
        response = client.get(REPORT, {"page": "2"})
    assert response.context["report"].with_findings == 62
    assert len(response.context["page"].object_list) == 12


def test_a_contract_saved_through_the_form_shows_what_to_fix(client, world):
    client.force_login(world["manager"])
    data = {
        "customer": world["a"].pk,
        "number": "HT-2026-009",
        "signed_on": "2026-03-01",
        "amount": "3000.00",
        "payment_terms": "卖完再结",
        "term_days": "",
        "late_fee_per_day_bp": "0",
        "seal_kind": "signature",
        "acceptance_criteria": "",
        "nodes-TOTAL_FORMS": "1",
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
        "nodes-0-due_date": "",
        "nodes-0-amount": "",
    }
    response = client.post(reverse("contracts:create"), data, follow=True)
    contract = Contract.objects.get(number="HT-2026-009")  # saved despite the findings
    assert response.redirect_chain[-1][0] == reverse("contracts:detail", args=[contract.pk])
    shown = [x.code for x in response.context["findings"]]
    assert shown == [
        checks.VAGUE_TERMS,
        checks.NO_DUE_RULE,
        checks.NO_SEAL,
        checks.NO_ACCEPTANCE_CRITERIA,
    ]
    html = response.content.decode()
    assert all(f'data-code="{code}"' in html for code in shown)
    assert 'data-count="4"' in html
    [message] = list(response.context["messages"])
    assert message.level_tag == "warning" and "HT-2026-009" in str(message)


def test_the_contract_page_lists_the_current_findings(client, world):
    client.force_login(world["finance"])
    url = reverse("contracts:detail", args=[world["b_stamp"].pk])
    html = client.get(url).content.decode()
    assert 'data-code="no_payment_contact"' in html and 'data-code="no_seal"' in html
    payer(world["b"])
    html = client.get(url).content.decode()
    assert 'data-code="no_payment_contact"' not in html and 'data-code="no_seal"' in html
