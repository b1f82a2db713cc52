"""The letter and message endpoints: issuing a document and downloading its PDF, recording the
sending, confirmation replies, queueing messages, reading the delivery log, late bounces and
alerts — each seen only by those who see the customer."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from huikuan.api.tests.conftest import ApiClient, fields, token_for
from huikuan.documents.models import BalanceConfirmation, Document
from huikuan.dunning.models import Activity
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    DeliveryAttempt,
    Message,
    MessageStatus,
)
from huikuan.notifications.tests.letters_world import World

NOW = datetime(2026, 7, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world(db):
    return World()


def api(user) -> ApiClient:
    return ApiClient(token_for(user))


def test_a_document_is_issued_downloaded_and_recorded_as_sent(world):
    rep = api(world.rep)
    response = rep.post(
        "/documents", {"kind": "overdue-notice", "customer": "KN-001", "as_of": "2026-07-02"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("YQ-20260702-") and body["total"] == "12000.00"
    assert body["customer"] == "KN-001" and body["sent_on"] is None
    pdf = rep.get(body["url"].removeprefix("/api/v1"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert api(world.other_rep).get(body["url"].removeprefix("/api/v1")).status_code == 404

    sent = rep.post(
        f"/documents/{body['number']}/sent",
        {"on": "2026-07-03", "via": "post", "reference": "EMS1"},
    )
    assert sent.status_code == 200 and sent.json()["sent_on"] == "2026-07-03"
    assert Activity.objects.get(customer=world.customer).is_written_demand
    again = rep.post(f"/documents/{body['number']}/sent", {"via": "post"})
    assert again.status_code == 422 and fields(again) == ["document"]


def test_refusals_name_the_field_and_write_nothing(world):
    rep = api(world.rep)
    lawyer = rep.post("/documents", {"kind": "lawyer-letter", "customer": "KN-001"})
    assert lawyer.status_code == 403
    nothing = rep.post(
        "/documents", {"kind": "overdue-notice", "customer": "KN-001", "as_of": "2026-05-01"}
    )
    assert nothing.status_code == 422 and fields(nothing) == ["kind"]
    foreign = rep.post("/documents", {"kind": "statement", "customer": "OH-003"})
    assert foreign.status_code == 404
    assert not Document.objects.exists()
    manager = api(world.manager).post("/documents", {"kind": "lawyer-letter", "customer": "KN-001"})
    assert manager.status_code == 201


def test_a_confirmation_reply_is_recorded_and_listed(world):
    rep = api(world.rep)
    number = rep.post("/documents", {"kind": "confirmation", "customer": "KN-001",
                                     "as_of": "2026-07-02"}).json()["number"]  # fmt: skip
    early = rep.post(f"/confirmations/{number}/reply", {"outcome": "agreed",
                                                         "replied_on": "2026-07-05"})  # fmt: skip
    assert early.status_code == 422  # not sent yet
    rep.post(f"/documents/{number}/sent", {"on": "2026-07-02", "via": "email"})
    listed = rep.get("/confirmations", status="sent").json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == number
    assert listed["items"][0]["our_balance"] == "15000.00"
    reply = rep.post(
        f"/confirmations/{number}/reply",
        {"outcome": "disagreed", "replied_on": "2026-07-05", "their_balance": "14000.00",
         "note": "少算一笔退货"},
    )  # fmt: skip
    assert reply.status_code == 200, reply.json()
    assert reply.json()["status"] == "disagreed" and reply.json()["their_balance"] == "14000.00"
    assert reply.json()["limitation_restarted_on"] is None  # no signed scan yet
    assert BalanceConfirmation.objects.get().reply_note == "少算一笔退货"
    assert api(world.other_rep).get("/confirmations").json()["count"] == 0


def test_messages_are_queued_listed_and_read_with_their_delivery_log(world):
    rep = api(world.rep)
    created = rep.post(
        "/messages", {"customer": "KN-001", "channel": "email", "recipient": "chen@kangning.cn",
                      "as_of": "2026-07-02"},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "queued" and "¥12,000.00" in body["body_text"]
    assert body["delivery_attempts"] == []
    same = rep.post(
        "/messages", {"customer": "KN-001", "channel": "email", "recipient": "chen@kangning.cn",
                      "as_of": "2026-07-02"},
    )  # fmt: skip
    assert same.json()["id"] == body["id"]

    bad = rep.post("/messages", {"customer": "KN-001", "channel": "sms", "recipient": "12345"})
    assert bad.status_code == 422 and fields(bad) == ["recipient"]

    number = rep.post("/documents", {"kind": "statement", "customer": "KN-001"}).json()["number"]
    letter = rep.post(
        "/messages", {"customer": "KN-001", "channel": "email", "recipient": "li@kangning.cn",
                      "document": number},
    )  # fmt: skip
    assert letter.status_code == 201 and letter.json()["document"] == number

    message = Message.objects.get(pk=body["id"])
    DeliveryAttempt.objects.create(
        message=message, number=1, worker="w1", started_at=NOW, finished_at=NOW,
        result=AttemptResult.RETRY, detail="451 try later",
    )  # fmt: skip
    detail = rep.get(f"/messages/{message.pk}").json()
    assert detail["delivery_attempts"][0]["detail"] == "451 try later"
    listing = rep.get("/messages", channel="email").json()
    assert listing["count"] == 2
    assert api(world.other_rep).get("/messages").json()["count"] == 0
    assert api(world.other_rep).get(f"/messages/{message.pk}").status_code == 404


def test_cancel_requeue_and_a_late_bounce(world):
    rep = api(world.rep)
    message_id = rep.post(
        "/messages", {"customer": "KN-001", "channel": "email", "recipient": "chen@kangning.cn"}
    ).json()["id"]
    refused = rep.post(f"/messages/{message_id}/requeue")
    assert refused.status_code == 422  # waiting, not failed
    bounce_early = rep.post(f"/messages/{message_id}/bounce", {"detail": "550 user unknown"})
    assert bounce_early.status_code == 422 and not Alert.objects.exists()

    Message.objects.filter(pk=message_id).update(status=MessageStatus.SENT, sent_at=NOW)
    bounce = rep.post(f"/messages/{message_id}/bounce", {"detail": "550 5.1.1 user unknown"})
    assert bounce.status_code == 201
    assert bounce.json()["kind"] == AlertKind.BOUNCED and bounce.json()["message"] == message_id
    assert Message.objects.get(pk=message_id).status == MessageStatus.SENT
    alerts = rep.get("/alerts").json()
    assert alerts["count"] == 1 and "550 5.1.1 user unknown" in alerts["items"][0]["text"]
    assert api(world.other_rep).get("/alerts").json()["count"] == 0

    Message.objects.filter(pk=message_id).update(status=MessageStatus.FAILED)
    assert rep.post(f"/messages/{message_id}/requeue").json()["status"] == "queued"
    assert rep.post(f"/messages/{message_id}/cancel").json()["status"] == "cancelled"
