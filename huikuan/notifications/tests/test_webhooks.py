"""Webhooks end to end: a change in Huikuan (a payment, a broken promise, a blocked order, a hold,
a class change seen by the daily step) becomes an event, the pump turns it into a message per
endpoint, ``send-outbox`` POSTs it, and a real HTTP receiver checks the signature and the body.
Then the ways it can go wrong: a 500 is retried, a 4xx fails with an alert, a rollback sends
nothing, a second dispatch queues nothing, a switched-off endpoint gets nothing."""

import hashlib
import hmac
import json
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from huikuan.core.models import Event, EventKind
from huikuan.dunning.run import dunning_run
from huikuan.dunning.services import promise_record
from huikuan.dunning.tests.factories import make_customer, make_payment, make_receivable, make_user
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    Channel,
    CustomerClassSeen,
    Message,
    MessageStatus,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.tests.servers import http_server
from huikuan.notifications.webhooks import (
    classes_track,
    events_dispatch,
    webhook_endpoint_create,
    webhook_endpoint_switch,
    webhook_secret_rotate,
    webhook_test_send,
)
from huikuan.notifications.worker import send_due
from huikuan.org.models import Role
from huikuan.risk.credit import credit_check
from huikuan.risk.services import hold_place

NOW = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
D = Decimal


# --- The receiving side, as a customer of the API would write it ---------------------------------


def verified(request, secret: str, tolerance: int = 300) -> dict:
    """The JSON body of a webhook request, after checking its signature and timestamp the way
    docs/webhooks.md tells receivers to; AssertionError when either is wrong."""
    timestamp = request.headers["X-Huikuan-Timestamp"]
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["X-Huikuan-Signature"], f"sha256={expected}")
    assert abs(time.time() - int(timestamp)) <= tolerance
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body.decode("utf-8"))
    assert request.headers["X-Huikuan-Event"] == body["event"]
    return body


def signature_ok(request, secret: str) -> bool:
    try:
        verified(request, secret)
    except AssertionError:
        return False
    return True


@pytest.fixture
def admin(db):
    return make_user(Role.ADMIN, username="webhook-admin")


@pytest.fixture
def receiver(settings):
    settings.HUIKUAN_WEBHOOK_TIMEOUT = 5
    settings.HUIKUAN_AUTO_REMINDERS = False
    with http_server() as server:
        yield server


def endpoint(receiver, admin, path="/hook", name="ERP", events=()):
    return webhook_endpoint_create(
        name=name, url=receiver.url(path), events=list(events), actor=admin
    )


def send_outbox() -> None:
    call_command("send-outbox", stdout=open("/dev/null", "w"))  # noqa: SIM115


def customer(code: str, **kw):
    return make_customer(code=code, first_deal_on=date(2023, 1, 1), **kw)


# --- Each kind of event, end to end --------------------------------------------------------------


def test_a_payment_arrives_signed_with_its_figures(receiver, admin):
    hook = endpoint(receiver, admin)
    buyer = customer("WH-PAY")
    make_receivable(buyer, "1000.00", issue_date=date(2026, 5, 1), number="WH-INV-1")
    payment = make_payment(buyer, "1500.00", date(2026, 7, 1), number="WH-PAY-1", reference="R9")
    send_outbox()
    [request] = receiver.requests_to("/hook")
    body = verified(request, hook.secret)
    message = Message.objects.get(webhook=hook)
    event = Event.objects.get()
    assert body == {
        "id": event.pk,
        "event": "payment.recorded",
        "occurred_at": body["occurred_at"],
        "customer": {"id": buyer.pk, "code": "WH-PAY"},
        "object": {"type": "payment", "id": payment.pk},
        "data": {
            "number": "WH-PAY-1",
            "received_on": "2026-07-01",
            "amount": "1500.00",
            "currency": "CNY",
            "method": "bank_transfer",
            "reference": "R9",
            "allocated": "1000.00",
            "unapplied": "500.00",
        },
    }
    assert datetime.fromisoformat(body["occurred_at"]).utcoffset() == timedelta(hours=8)
    assert request.method == "POST"
    assert request.headers["X-Huikuan-Delivery"] == str(message.pk)
    assert (message.status, message.channel, message.purpose) == (
        MessageStatus.SENT,
        Channel.WEBHOOK,
        Purpose.EVENT,
    )
    assert message.delivery_attempts.get().result == AttemptResult.SENT


def test_a_broken_promise_arrives_when_the_run_breaks_it(receiver, admin):
    hook = endpoint(receiver, admin, events=[EventKind.PROMISE_BROKEN])
    debtor = customer("WH-PRM")
    make_receivable(debtor, "2000.00", issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    promise = promise_record(
        customer=debtor,
        actor=debtor.owner,
        amount=D("800.00"),
        due_on=date(2026, 6, 20),
        promised_by="陈会计",
        made_on=date(2026, 6, 10),
    )
    make_payment(debtor, "300.00", date(2026, 6, 15))  # a payment: not what this endpoint wants
    dunning_run(as_of=date(2026, 6, 20))
    send_outbox()
    assert receiver.requests_to("/hook") == []  # due today: not broken yet
    dunning_run(as_of=date(2026, 6, 21))
    send_outbox()
    [request] = receiver.requests_to("/hook")
    body = verified(request, hook.secret)
    assert (body["event"], body["customer"], body["object"]) == (
        "promise.broken",
        {"id": debtor.pk, "code": "WH-PRM"},
        {"type": "promise", "id": promise.pk},
    )
    assert body["data"] == {
        "amount": "800.00",
        "paid": "300.00",
        "short": "500.00",
        "made_on": "2026-06-10",
        "due_on": "2026-06-20",
        "promised_by": "陈会计",
        "broken_on": "2026-06-21",
    }


def test_a_blocked_order_and_a_hold_arrive_as_credit_blocked(receiver, admin):
    hook = endpoint(receiver, admin, events=[EventKind.CREDIT_BLOCKED])
    buyer = customer("WH-CRD", credit_limit=D("10000.00"))
    credit_check(customer=buyer, amount=D("2000.00"), order_ref="SO-OK", as_of=date(2026, 7, 2))
    hold = hold_place(customer=buyer, reason="拖欠三个月", actor=admin)
    decision = credit_check(
        customer=buyer, amount=D("2000.00"), order_ref="SO-9", as_of=date(2026, 7, 2)
    )
    send_outbox()
    requests = receiver.requests_to("/hook")
    bodies = [verified(request, hook.secret) for request in requests]
    assert [(b["event"], b["object"]) for b in bodies] == [
        ("credit.blocked", {"type": "credit_hold", "id": hold.pk}),
        ("credit.blocked", {"type": "credit_decision", "id": decision.pk}),
    ]
    assert bodies[0]["data"] == {
        "source": "credit_hold",
        "reason": "拖欠三个月",
        "placed_by": "webhook-admin",
    }
    check = bodies[1]["data"]
    assert (check["source"], check["order_ref"], check["amount"], check["allowed_amount"]) == (
        "credit_check",
        "SO-9",
        "2000.00",
        "0.00",
    )
    assert check["reasons"][0]["code"] == "hold"
    assert check["credit_limit"] == "10000.00"


def test_a_class_change_found_by_the_daily_step_arrives(receiver, admin):
    hook = endpoint(receiver, admin)
    debtor = customer("WH-CLS")
    make_receivable(debtor, "5000.00", issue_date=date(2026, 5, 1), due_date=date(2026, 6, 1))
    call_command("daily", "--as-of", "2026-05-20", stdout=open("/dev/null", "w"))  # noqa: SIM115
    send_outbox()
    assert receiver.requests_to("/hook") == []  # first look: 未收款, nothing to compare with
    call_command("daily", "--as-of", "2026-06-10", stdout=open("/dev/null", "w"))  # noqa: SIM115
    send_outbox()
    [request] = receiver.requests_to("/hook")
    body = verified(request, hook.secret)
    assert (body["event"], body["customer"], body["object"]) == (
        "customer.class_changed",
        {"id": debtor.pk, "code": "WH-CLS"},
        {"type": "customer", "id": debtor.pk},
    )
    assert body["data"] == {"from": "current", "to": "overdue", "as_of": "2026-06-10"}
    # The same day again finds nothing new.
    call_command("daily", "--as-of", "2026-06-10", stdout=open("/dev/null", "w"))  # noqa: SIM115
    send_outbox()
    assert len(receiver.requests_to("/hook")) == 1


def test_the_test_event_goes_to_its_endpoint_only_and_a_new_secret_signs_it(receiver, admin):
    hook = endpoint(receiver, admin, path="/one")
    other = endpoint(receiver, admin, path="/two", name="BI")
    old_secret = hook.secret
    hook = webhook_secret_rotate(endpoint=hook, actor=admin)
    assert hook.secret != old_secret and hook.secret.startswith("whsec_")
    message = webhook_test_send(endpoint=hook, actor=admin, now=NOW)
    send_due(worker_id="t", now_fn=lambda: NOW)
    [request] = receiver.requests_to("/one")
    assert signature_ok(request, hook.secret)
    assert not signature_ok(request, old_secret)
    assert not signature_ok(request, other.secret)
    body = verified(request, hook.secret)
    assert (body["event"], body["customer"], body["object"]) == ("webhook.test", None, None)
    assert body["data"] == {"endpoint": "ERP", "sent_by": "webhook-admin"}
    assert request.headers["X-Huikuan-Delivery"] == str(message.pk)
    assert receiver.requests_to("/two") == []


# --- When it goes wrong --------------------------------------------------------------------------


def test_a_500_is_retried_after_the_backoff_with_the_same_delivery_id(receiver, admin, settings):
    settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS = 60
    hook = endpoint(receiver, admin)
    receiver.script("/hook", [(500, "database is down")])
    make_payment(customer("WH-RTY"), "100.00", date(2026, 7, 1))
    first = send_due(worker_id="w", now_fn=lambda: NOW)
    assert (first.sent, first.retried) == (0, 1)
    message = Message.objects.get(webhook=hook)
    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at == NOW + timedelta(seconds=60)
    assert "HTTP 500" in message.last_error
    assert send_due(worker_id="w", now_fn=lambda: NOW + timedelta(seconds=59)).total == 0
    second = send_due(worker_id="w", now_fn=lambda: NOW + timedelta(seconds=60))
    assert second.sent == 1
    requests = receiver.requests_to("/hook")
    assert len(requests) == 2
    assert all(signature_ok(request, hook.secret) for request in requests)
    assert {r.headers["X-Huikuan-Delivery"] for r in requests} == {str(message.pk)}
    assert requests[0].body == requests[1].body
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert list(message.delivery_attempts.values_list("result", flat=True)) == [
        AttemptResult.RETRY,
        AttemptResult.SENT,
    ]
    assert not Alert.objects.exists()


def test_a_refused_connection_and_a_timeout_are_retried_too(receiver, admin, settings):
    settings.HUIKUAN_WEBHOOK_TIMEOUT = 0.5
    hook = endpoint(receiver, admin)
    receiver.script("/hook", [(200, {}, 2.0)])  # answers after the timeout
    make_payment(customer("WH-TMO"), "100.00", date(2026, 7, 1))
    assert send_due(worker_id="w", now_fn=lambda: NOW).retried == 1
    message = Message.objects.get(webhook=hook)
    assert message.status == MessageStatus.QUEUED and "no answer" in message.last_error
    hook.url = "http://127.0.0.1:9/closed"  # nothing listens on the discard port
    hook.save()
    later = NOW + timedelta(hours=1)
    assert send_due(worker_id="w", now_fn=lambda: later).retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "cannot connect" in message.last_error


def test_a_4xx_fails_for_good_with_an_alert_to_the_managers(receiver, admin):
    hook = endpoint(receiver, admin)
    Robot.objects.create(
        name="管理群",
        channel=Channel.WECOM,
        url=receiver.url("/robot"),
        purpose=RobotPurpose.ALERTS,
    )
    receiver.script("/hook", [(410, "this endpoint is gone")])
    make_payment(customer("WH-410"), "100.00", date(2026, 7, 1))
    result = send_due(worker_id="w", now_fn=lambda: NOW)
    assert result.failed == 1
    message = Message.objects.get(webhook=hook)
    assert message.status == MessageStatus.FAILED
    assert "HTTP 410" in message.last_error
    alert = Alert.objects.get(message=message)
    assert alert.kind == AlertKind.UNREACHABLE
    assert "ERP" in alert.text and "HTTP 410" in alert.text
    # The alert reaches the managers' group robot on the next pass; the webhook is not retried.
    send_due(worker_id="w", now_fn=lambda: NOW + timedelta(hours=2))
    [post] = receiver.requests_to("/robot")
    assert "ERP" in post.json()["markdown"]["content"]
    assert len(receiver.requests_to("/hook")) == 1


def test_a_rolled_back_change_sends_nothing(receiver, admin):
    endpoint(receiver, admin)
    buyer = customer("WH-RBK")
    with pytest.raises(RuntimeError), transaction.atomic():
        make_payment(buyer, "100.00", date(2026, 7, 1))
        hold_place(customer=buyer, reason="试一下", actor=admin)
        raise RuntimeError("the import failed half-way")
    assert events_dispatch(now=NOW) == 0
    send_due(worker_id="w", now_fn=lambda: NOW)
    assert receiver.requests == []
    assert not Message.objects.filter(channel=Channel.WEBHOOK).exists()


def test_dispatching_twice_queues_once(receiver, admin):
    hook = endpoint(receiver, admin)
    buyer = customer("WH-TWC")
    make_payment(buyer, "100.00", date(2026, 7, 1))
    make_payment(buyer, "200.00", date(2026, 7, 1))
    assert events_dispatch(now=NOW) == 2
    assert events_dispatch(now=NOW) == 0
    # Even an event handed to the pump again (say, restored from a backup) is not queued twice.
    Event.objects.update(dispatched_at=None)
    assert events_dispatch(now=NOW) == 0
    assert Message.objects.filter(webhook=hook).count() == 2
    send_due(worker_id="w", now_fn=lambda: NOW)
    send_due(worker_id="w", now_fn=lambda: NOW)
    amounts = sorted(r.json()["data"]["amount"] for r in receiver.requests_to("/hook"))
    assert amounts == ["100.00", "200.00"]


def test_a_switched_off_endpoint_gets_nothing_and_its_waiting_messages_are_cancelled(
    receiver, admin
):
    on = endpoint(receiver, admin, path="/on", name="ERP")
    off = endpoint(receiver, admin, path="/off", name="Old ERP")
    picky = endpoint(receiver, admin, path="/picky", name="Risk", events=[EventKind.CREDIT_BLOCKED])
    buyer = customer("WH-OFF")
    make_payment(buyer, "100.00", date(2026, 7, 1))
    events_dispatch(now=NOW)  # queued for "on" and "off"; "picky" wants no payments
    webhook_endpoint_switch(endpoint=off, is_active=False, actor=admin)
    assert Message.objects.get(webhook=off).status == MessageStatus.CANCELLED
    make_payment(buyer, "200.00", date(2026, 7, 1))
    send_due(worker_id="w", now_fn=lambda: NOW)
    send_due(worker_id="w", now_fn=lambda: NOW)
    assert [r.json()["data"]["amount"] for r in receiver.requests_to("/on")] == [
        "100.00",
        "200.00",
    ]
    assert receiver.requests_to("/off") == []
    assert receiver.requests_to("/picky") == []
    assert not Message.objects.filter(webhook=picky).exists()
    assert Message.objects.filter(webhook=off).count() == 1
    # Switched on again, it gets what happens from then on, not what it missed.
    webhook_endpoint_switch(endpoint=off, is_active=True, actor=admin)
    make_payment(buyer, "300.00", date(2026, 7, 1))
    send_due(worker_id="w", now_fn=lambda: NOW)
    assert [r.json()["data"]["amount"] for r in receiver.requests_to("/off")] == ["300.00"]
    assert on.pk != off.pk


# --- Class changes -------------------------------------------------------------------------------


def test_class_tracking_reports_real_changes_only(db):
    debtor = customer("WH-TRK")
    make_receivable(debtor, "5000.00", issue_date=date(2026, 1, 1), due_date=date(2026, 2, 1))
    newcomer = customer("WH-NEW")
    assert classes_track(as_of=date(2026, 1, 15)) == 0  # first look: recorded silently
    assert CustomerClassSeen.objects.get(customer=debtor).debt_class == "current"
    assert not CustomerClassSeen.objects.filter(customer=newcomer).exists()  # nothing open
    assert classes_track(as_of=date(2026, 2, 10)) == 1
    assert classes_track(as_of=date(2026, 2, 10)) == 0  # the same day again
    assert classes_track(as_of=date(2026, 1, 20)) == 0  # an older day changes nothing
    assert classes_track(as_of=date(2026, 5, 10)) == 1  # 98 days: 准呆账
    make_payment(debtor, "5000.00", date(2026, 5, 11))
    assert classes_track(as_of=date(2026, 5, 12)) == 1  # all paid: nothing open
    changes = [
        e.payload
        for e in Event.objects.filter(kind=EventKind.CLASS_CHANGED, customer_id=debtor.pk).order_by(
            "pk"
        )
    ]
    assert changes == [
        {"from": "current", "to": "overdue", "as_of": "2026-02-10"},
        {"from": "overdue", "to": "doubtful", "as_of": "2026-05-10"},
        {"from": "doubtful", "to": None, "as_of": "2026-05-12"},
    ]
    # A new bill of a customer with nothing open is "not yet due": no news.
    make_receivable(debtor, "800.00", issue_date=date(2026, 5, 13), due_date=date(2026, 6, 13))
    assert classes_track(as_of=date(2026, 5, 14)) == 0
    assert CustomerClassSeen.objects.get(customer=debtor).debt_class == "current"


# --- Two pumps at once (PostgreSQL) --------------------------------------------------------------


@pytest.mark.postgres
def test_two_pumps_at_once_queue_each_event_once(settings, flushable_db):
    admin = make_user(Role.ADMIN)
    hooks = [
        webhook_endpoint_create(name=f"E{n}", url=f"http://127.0.0.1:9/{n}", events=[], actor=admin)
        for n in range(2)
    ]
    buyer = customer("WH-PG")
    for n in range(120):
        make_payment(buyer, f"{n + 1}.00", date(2026, 7, 1))
    start = threading.Barrier(2)
    counts, errors = [], []

    def pump():
        try:
            start.wait()
            counts.append(events_dispatch(now=NOW, limit=7))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pump) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == 240
    assert Message.objects.filter(channel=Channel.WEBHOOK).count() == 240
    assert not Event.objects.filter(dispatched_at__isnull=True).exists()
    for hook in hooks:
        assert Message.objects.filter(webhook=hook).count() == 120
