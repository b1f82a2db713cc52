"""Letters and messages in the browser: a rep composes an overdue notice by email from a case,
previews it (the PDF preview loads), sends it and watches it wait in the outbox; the worker
delivers it to a real local SMTP server and the page then says "Sent"; a balance confirmation's
signed reply is recorded with its scan uploaded."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from huikuan.documents.models import BalanceConfirmation, ConfirmationStatus, DocumentKind
from huikuan.documents.services import document_issue, document_mark_sent
from huikuan.documents.tests.helpers import pdf_text, png_bytes
from huikuan.notifications.models import Message, MessageStatus
from huikuan.notifications.tests.letters_world import World
from huikuan.notifications.tests.servers import smtp_server, use_smtp
from huikuan.notifications.worker import send_due

from .helpers import sign_in


@pytest.fixture
def world(flushable_db):
    return World(as_of=timezone.localdate())


def test_a_rep_sends_an_overdue_notice_by_email_and_sees_it_delivered(open_page, world, settings):
    page = open_page()
    sign_in(page, world.rep)
    page.goto(f"/cases/{world.customer.pk}/")
    page.goto(f"/cases/{world.customer.pk}/compose/")

    form = page.locator("#compose-form")
    form.get_by_label("Overdue notice").check()
    # Only the fields that apply show: a letter by SMS asks for a mobile, by email for addresses
    form.get_by_label("SMS", exact=True).check()
    assert form.get_by_label("SMS to").is_visible()
    assert not form.get_by_label("陈会计 <chen@kangning.cn>").is_visible()
    assert not form.get_by_label("Statement period from").is_visible()
    form.get_by_label("Email", exact=True).check()
    assert not form.get_by_label("SMS to").is_visible()
    form.get_by_label("陈会计 <chen@kangning.cn>").check()
    form.get_by_role("button", name="Preview").click()
    preview = page.locator("[data-preview]")
    preview.wait_for()
    assert "¥12,000.00" in preview.inner_text()
    frame = page.locator("iframe[data-preview-pdf]")
    pdf = page.request.get(frame.get_attribute("src"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert "杭州康宁医药有限公司" in pdf_text(pdf.body())
    assert Message.objects.count() == 0  # a preview writes nothing

    form.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    assert "Waiting to be sent" in page.locator("h1").inner_text()
    message = Message.objects.get()
    number = message.document.number

    page.goto("/messages/")
    row = page.locator(f"tr[data-message='{message.pk}']")
    assert "Waiting to be sent" in row.inner_text() and number in row.inner_text()

    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        result = send_due(worker_id="browser-test")
        assert result.sent == 1
        [mail] = smtp.messages
    assert mail.envelope_to == ["chen@kangning.cn"]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == f"{number}.pdf"
    assert "12,000.00" in pdf_text(attachment.get_content())
    assert Message.objects.get().status == MessageStatus.SENT

    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/messages/{message.pk}/$"))
    assert page.locator("h1 [data-status]").inner_text() == "Sent"
    assert "Sent" in page.locator("tr[data-attempt='1']").inner_text()


def test_a_rep_records_a_signed_confirmation_with_its_scan(open_page, world, tmp_path):
    document = document_issue(
        kind=DocumentKind.CONFIRMATION, customer=world.customer, as_of=world.as_of,
        actor=world.rep,
    )  # fmt: skip
    document_mark_sent(
        document=document, on=world.as_of - timedelta(days=3), via="post", actor=world.rep
    )
    scan = tmp_path / "回函.png"
    scan.write_bytes(png_bytes())

    page = open_page()
    sign_in(page, world.rep)
    page.goto("/documents/confirmations/?status=sent")
    row = page.locator(f"tr[data-confirmation='{document.number}']")
    assert row.locator("[data-days-waiting]").inner_text() == "3"
    row.get_by_role("link", name=document.number).click()

    form = page.locator("#reply-form")
    form.get_by_label("Agreed: the balance is right").check()
    form.get_by_label(re.compile("^Reply date")).fill(world.as_of.isoformat())
    form.get_by_label(re.compile("^Signed and stamped reply")).set_input_files(str(scan))
    form.get_by_role("button", name="Save the reply").click()
    page.wait_for_url(re.compile(r"/documents/confirmations/\d+/$"))

    assert page.locator("[data-status]").inner_text() == "Customer agreed"
    assert world.as_of.isoformat() in page.locator("[data-limitation]").inner_text()
    assert "回函.png" in page.locator("[data-scan]").inner_text()
    confirmation = BalanceConfirmation.objects.get(document=document)
    assert confirmation.status == ConfirmationStatus.AGREED
    assert bytes(confirmation.scan) == png_bytes()
