"""The letter pages: downloading an issued PDF, recording a posted letter, the balance
confirmations with the customer's reply and its signed scan, and the template editor."""

import io

import pytest
from django.test import Client
from django.utils import timezone

from huikuan.documents.models import (
    BalanceConfirmation,
    ConfirmationStatus,
    Document,
    DocumentKind,
    DocumentTemplate,
)
from huikuan.documents.services import document_issue, document_mark_sent
from huikuan.documents.tests.helpers import pdf_text, png_bytes
from huikuan.dunning.models import Activity, InterruptionKind, LimitationEvent
from huikuan.notifications.tests.letters_world import World


@pytest.fixture
def world(db):
    return World()


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def issue(world, kind, customer=None):
    return document_issue(
        kind=kind, customer=customer or world.customer, as_of=world.as_of, actor=world.rep
    )


def page(response) -> str:
    return response.content.decode()


def test_an_issued_pdf_downloads_for_those_who_see_the_customer_only(world):
    document = issue(world, DocumentKind.STATEMENT)
    response = client_for(world.rep).get(f"/documents/{document.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert document.number in response["Content-Disposition"]
    assert response.content == bytes(Document.objects.get(pk=document.pk).pdf)
    assert client_for(world.other_rep).get(f"/documents/{document.pk}.pdf").status_code == 404


def test_a_posted_overdue_notice_is_recorded_once_as_a_written_demand(world):
    document = issue(world, DocumentKind.OVERDUE_NOTICE)
    client = client_for(world.rep)
    url = f"/documents/{document.pk}/mark-sent/"
    assert "Record as sent" in page(client.get(url))
    today = timezone.localdate().isoformat()
    client.post(url, {"on": today, "via": "post", "reference": "SF1234567890"})
    document.refresh_from_db()
    assert document.sent_via == "post" and document.sent_reference == "SF1234567890"
    demand = Activity.objects.get(customer=world.customer)
    assert demand.is_written_demand and document.number in demand.note
    assert "SF1234567890" in page(client.get(url))
    assert "Record as sent" not in page(client.get(url))
    assert client_for(world.other_rep).get(url).status_code == 404


def sent_confirmation(world):
    document = issue(world, DocumentKind.CONFIRMATION)
    document_mark_sent(document=document, on=world.as_of, via="post", actor=world.rep)
    return BalanceConfirmation.objects.get(document=document)


def test_the_confirmations_list_shows_days_waiting_and_filters_by_status(world):
    confirmation = sent_confirmation(world)
    client = client_for(world.rep)
    listing = page(client.get("/documents/confirmations/", {"status": "sent"}))
    waiting = (timezone.localdate() - world.as_of).days
    assert confirmation.document.number in listing
    assert f'<td class="num" data-days-waiting>{waiting}</td>' in listing
    assert confirmation.document.number not in page(
        client.get("/documents/confirmations/", {"status": "agreed"})
    )
    assert confirmation.document.number not in page(
        client_for(world.other_rep).get("/documents/confirmations/")
    )


def test_a_signed_reply_with_its_scan_restarts_the_limitation_period(world):
    confirmation = sent_confirmation(world)
    client = client_for(world.rep)
    scan = io.BytesIO(png_bytes())
    scan.name = "回函.png"
    response = client.post(
        f"/documents/confirmations/{confirmation.pk}/reply/",
        {"outcome": "agreed", "replied_on": world.as_of.isoformat(), "scan": scan},
    )
    assert response.status_code == 302
    confirmation.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.AGREED
    assert confirmation.scan_type == "image/png"
    event = LimitationEvent.objects.get(customer=world.customer)
    assert event.kind == InterruptionKind.CONFIRMATION and confirmation.limitation_event == event
    detail = page(client.get(f"/documents/confirmations/{confirmation.pk}/"))
    assert "Restarted on 2026-07-02" in detail and "回函.png" in detail
    download = client.get(f"/documents/confirmations/{confirmation.pk}/scan/")
    assert download.content == png_bytes() and download["Content-Type"] == "image/png"


def test_a_reply_with_a_file_that_is_no_scan_is_refused_and_nothing_changes(world):
    confirmation = sent_confirmation(world)
    fake = io.BytesIO(b"MZ\x90\x00 this is a program, not a scan")
    fake.name = "scan.pdf"
    response = client_for(world.rep).post(
        f"/documents/confirmations/{confirmation.pk}/reply/",
        {"outcome": "disagreed", "replied_on": world.as_of.isoformat(),
         "their_balance": "10,000.00", "scan": fake},
    )  # fmt: skip
    assert response.status_code == 400
    assert "The scan must be a PDF, JPEG or PNG file." in page(response)
    confirmation.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.SENT and not confirmation.scan_sha256
    assert not LimitationEvent.objects.exists()


def test_a_disagreement_without_a_scan_gets_its_scan_later(world):
    confirmation = sent_confirmation(world)
    client = client_for(world.rep)
    refused = client.post(
        f"/documents/confirmations/{confirmation.pk}/reply/",
        {"outcome": "disagreed", "replied_on": world.as_of.isoformat()},
    )
    assert "Give the balance the customer says it owes" in page(refused)
    client.post(
        f"/documents/confirmations/{confirmation.pk}/reply/",
        {"outcome": "disagreed", "replied_on": world.as_of.isoformat(),
         "their_balance": "10,000.00", "note": "对方说 KN-INV-1 已退货一部分"},
    )  # fmt: skip
    confirmation.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.DISAGREED
    assert str(confirmation.their_balance) == "10000.00"
    assert not LimitationEvent.objects.exists()
    assert "Attach the signed scan" in page(
        client.get(f"/documents/confirmations/{confirmation.pk}/")
    )
    scan = io.BytesIO(png_bytes())
    scan.name = "scan.png"
    client.post(f"/documents/confirmations/{confirmation.pk}/attach/", {"scan": scan})
    confirmation.refresh_from_db()
    assert confirmation.scan_sha256 and confirmation.limitation_event is not None


# --- The template editor ------------------------------------------------------------------------


def test_only_finance_and_admins_open_the_template_editor(world):
    assert client_for(world.rep).get("/documents/templates/").status_code == 403
    assert client_for(world.manager).get("/documents/templates/").status_code == 403
    listing = page(client_for(world.finance).get("/documents/templates/"))
    assert 'data-template="overdue-notice.zh-hans"' in listing
    assert 'data-cell="sms.en"' in listing  # the message templates too
    assert client_for(world.finance).get("/documents/templates/receipt/en/").status_code == 404


def test_an_edited_letter_template_is_previewed_saved_as_a_version_and_reset(world):
    client = client_for(world.admin)
    url = "/documents/templates/statement/zh-hans/"
    body = page(client.get(url))
    assert "The built-in template is in use." in body
    edited = "<html><body><h1>对账单 {{ customer.name }}</h1><p>{{ total }}</p></body></html>"
    preview = client.post(
        f"{url}preview.pdf", {"body": edited, "customer": "KN-001", "as_of": "2026-07-02"}
    )
    assert preview["Content-Type"] == "application/pdf"
    assert "对账单杭州康宁医药有限公司" in pdf_text(preview.content)
    assert not DocumentTemplate.objects.exists()

    broken = client.post(url, {"body": "<p>{% if total %}</p>", "action": "save"})
    assert broken.status_code == 400 and "Line 1" in page(broken)
    assert not DocumentTemplate.objects.exists()

    client.post(url, {"body": edited, "note": "简化版", "action": "save"})
    saved = DocumentTemplate.objects.get()
    assert saved.version == 1 and saved.created_by == world.admin and saved.note == "简化版"
    body = page(client.get(url))
    assert "Version 1 is in use." in body and 'data-version="1"' in body
    client.post(url, {"action": "reset"})
    assert DocumentTemplate.objects.order_by("-version").first().version == 2
    assert "对账单 {{ customer.name }}" in page(client.get(f"{url}?version=1"))


def test_a_template_preview_for_a_customer_one_cannot_see_is_refused(world):
    response = client_for(world.finance).post(
        "/documents/templates/statement/en/preview.pdf",
        {"body": "<p>x</p>", "customer": "NOPE-1"},
    )
    assert response.status_code == 400
    assert "There is no such customer among yours." in page(response)
