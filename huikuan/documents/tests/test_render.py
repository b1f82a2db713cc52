"""Each letter as a real PDF: the text read back from it names the customer and states the
right totals (worked out here from the rows the test made) and the amount in capitals, and the
Chinese font travels inside the file."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.core.amount_words import amount_in_words
from huikuan.customers.models import ContactRole
from huikuan.documents.models import DocumentTemplate
from huikuan.documents.render import html_to_pdf, render_html, template_source
from huikuan.dunning.tests.factories import (
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
    refused,
)

from .helpers import embedded_font_files, fill_letterhead, pdf_text

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 22)


@pytest.fixture
def customer():
    fill_letterhead()
    customer = make_customer(name="宁波东海五金贸易有限公司", address="宁波市中山东路99号")
    make_contact(customer, role=ContactRole.FINANCE, name="李敏")
    make_receivable(customer, "12800.00", issue_date=date(2026, 6, 3), number="INV-A")
    make_receivable(customer, "45600.50", issue_date=date(2026, 8, 12), number="INV-B")
    make_receivable(customer, "23456.78", issue_date=date(2026, 10, 30), number="INV-C")
    make_payment(customer, "10000.00", date(2026, 9, 25))
    return customer


def _amounts():
    billed = [Decimal("12800.00"), Decimal("45600.50"), Decimal("23456.78")]
    balance = sum(billed) - Decimal("10000.00")
    # INV-C (issued 10-30) is due 11-29: not overdue on 11-22. The payment settled INV-A's
    # first 10,000 (oldest first).
    overdue = Decimal("2800.00") + Decimal("45600.50")
    return balance, overdue


def _render(kind, customer, language="zh-hans", **kw):
    rendered = render_html(
        kind=kind, customer=customer, as_of=AS_OF, language=language, number="T-1", **kw
    )
    pdf = html_to_pdf(rendered.html)
    assert pdf.startswith(b"%PDF-")
    return rendered, pdf_text(pdf), pdf


def test_statement_pdf_states_closing_balance_in_figures_and_words(customer):
    balance, _overdue = _amounts()
    rendered, text, _pdf = _render("statement", customer, date_from=date(2026, 6, 1))
    assert rendered.total == balance
    assert rendered.template_version == 0
    assert "对账单" in text
    assert customer.name in text
    assert f"¥{balance:,.2f}" in text
    assert amount_in_words(balance) in text
    assert "请核对，如有不符请于15日内告知" in text
    assert "INV-A" in text and "INV-C" in text


def test_the_chinese_font_is_embedded_in_the_pdf(customer):
    _rendered, _text, pdf = _render("overdue-notice", customer)
    fonts = embedded_font_files(pdf)
    # Every font used is embedded, and they are our Noto SC faces (CFF outlines: FontFile3).
    assert fonts, "no embedded font"
    assert all("Huikuan-" in name for name in fonts), fonts
    assert set(fonts.values()) <= {"/FontFile", "/FontFile2", "/FontFile3"}


def test_confirmation_pdf_has_our_balance_and_the_reply_slip(customer):
    balance, _overdue = _amounts()
    rendered, text, _pdf = _render("confirmation", customer)
    assert rendered.total == balance
    assert customer.name in text and "李敏" in text
    assert f"¥{balance:,.2f}" in text
    assert amount_in_words(balance) in text
    assert "信息证明无误" in text
    assert "信息不符，请列明不符项目及具体内容" in text
    assert "杭州市西湖区文三路188号财务部" in text  # the reply address
    assert "T-1" in text


def test_overdue_notice_pdf_demands_the_overdue_total_by_a_date(customer):
    _balance, overdue = _amounts()
    rendered, text, _pdf = _render("overdue-notice", customer)
    assert rendered.total == overdue
    assert "货款逾期通知单" in text
    assert customer.name in text
    assert f"¥{overdue:,.2f}" in text
    assert amount_in_words(overdue) in text
    assert "2026-11-30" in text  # 11-22 + 7 is a Sunday: the Monday after
    assert "1202021209900123456" in text
    assert "如已付款请忽略" in text
    assert "INV-C" not in text  # not due yet


def test_lawyer_letter_pdf_comes_from_the_law_firm_and_cites_the_civil_code(customer):
    _balance, overdue = _amounts()
    rendered, text, _pdf = _render("lawyer-letter", customer)
    assert rendered.total == overdue
    assert "浙江明理律师事务所" in text and "杭州汇宽机电设备有限公司" in text
    assert f"¥{overdue:,.2f}" in text
    assert amount_in_words(overdue) in text
    assert "第五百七十七条" in text


def test_english_letters_use_the_english_template(customer):
    _balance, overdue = _amounts()
    _rendered, text, _pdf = _render("overdue-notice", customer, language="en")
    assert "NoticeofOverduePayment" in text
    assert f"¥{overdue:,.2f}" in text
    assert "Pleasepayby2026-11-30" in text


def test_pages_are_numbered_in_the_footer(customer):
    _rendered, text, _pdf = _render("confirmation", customer)
    assert "第1页/共" in text


def test_a_demand_to_a_customer_with_nothing_overdue_is_refused():
    customer = make_customer()
    make_receivable(customer, "100.00", issue_date=date(2026, 11, 1))  # due 12-01
    with refused("kind", match="nothing overdue"):
        render_html(kind="overdue-notice", customer=customer, as_of=AS_OF)


def test_unknown_kind_or_language_or_backwards_period_is_refused(customer):
    with refused("kind"):
        render_html(kind="invoice", customer=customer, as_of=AS_OF)
    with refused("language"):
        render_html(kind="statement", customer=customer, as_of=AS_OF, language="fr")
    with refused("date_from"):
        render_html(kind="statement", customer=customer, as_of=AS_OF, date_from=date(2026, 12, 1))


def test_a_saved_template_version_is_used_and_a_preview_body_overrides_it(customer):
    body, version = template_source("statement", "zh-hans")
    assert version == 0 and "对 账 单" in body
    DocumentTemplate.objects.create(
        kind="statement", language="zh-hans", version=1, body="<p>版本一 {{ customer.name }}</p>"
    )
    rendered = render_html(kind="statement", customer=customer, as_of=AS_OF)
    assert rendered.template_version == 1
    assert f"版本一 {customer.name}" in rendered.html
    preview = render_html(
        kind="statement", customer=customer, as_of=AS_OF, body="<p>{{ total_words }}</p>"
    )
    assert preview.html == f"<p>{amount_in_words(_amounts()[0])}</p>"
    assert preview.template_version == 0
