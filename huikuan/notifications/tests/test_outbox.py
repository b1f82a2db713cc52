"""Putting messages into the outbox: validation, idempotent keys, rollback, cancel and requeue,
alerts."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from huikuan.audit.models import AuditEntry
from huikuan.dunning.tests.factories import make_customer, make_user
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    Channel,
    Message,
    MessageStatus,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.outbox import (
    alert_raise,
    alert_resolve,
    message_cancel,
    message_enqueue,
    message_requeue,
)
from huikuan.notifications.tests.servers import smtp_server, use_smtp
from huikuan.notifications.worker import send_due
from huikuan.org.models import Role

NOW = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def email(key="k1", recipient="finance@customer.cn", **kw):
    kw.setdefault("purpose", Purpose.DUNNING)
    kw.setdefault("subject", "货款提醒")
    kw.setdefault("body_text", "您好，贵司有一笔货款已到期。")
    return message_enqueue(key=key, channel=Channel.EMAIL, recipient=recipient, now=NOW, **kw)


def robot(channel=Channel.WECOM, purpose=RobotPurpose.ALERTS, **kw):
    kw.setdefault("name", f"{channel} {purpose}")
    kw.setdefault("url", "http://127.0.0.1:9/robot")
    return Robot.objects.create(channel=channel, purpose=purpose, **kw)


@pytest.mark.django_db
def test_enqueued_email_waits_in_the_queue_due_now_with_tidy_addresses():
    customer = make_customer()
    message = email(recipient=" a@customer.cn ; b@customer.cn ", customer=customer)
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.recipient == "a@customer.cn, b@customer.cn"
    assert message.next_attempt_at == NOW
    assert message.attempts == 0
    assert message.customer == customer
    assert AuditEntry.objects.filter(action="message.enqueue", object_id=str(message.pk)).exists()


@pytest.mark.django_db
def test_the_same_key_twice_gives_the_one_message_untouched():
    first = email(key="dunning:C1:L2")
    second = email(key="dunning:C1:L2", recipient="other@customer.cn", body_text="不同的内容")
    assert second.pk == first.pk
    assert Message.objects.count() == 1
    assert Message.objects.get().recipient == "finance@customer.cn"


@pytest.mark.django_db
def test_sms_takes_a_mainland_mobile_with_or_without_country_code():
    message = message_enqueue(
        key="s1",
        channel=Channel.SMS,
        purpose=Purpose.DUNNING,
        recipient="+86 138-0013-8000",
        body_text="【回款】您好",
        now=NOW,
    )
    assert message.recipient == "13800138000"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"recipient": "not-an-address"}, "recipient"),
        ({"recipient": ""}, "recipient"),
        ({"recipient": ",".join(f"p{n}@customer.cn" for n in range(11))}, "recipient"),
        ({"body_text": "  "}, "body_text"),
        ({"key": ""}, "key"),
        ({"purpose": "gossip"}, "purpose"),
        ({"language": "fr"}, "language"),
    ],
)
def test_a_bad_email_is_refused_and_nothing_is_queued(kwargs, field):
    with pytest.raises(ValidationError) as error:
        email(**kwargs)
    assert field in error.value.message_dict
    assert Message.objects.count() == 0
    assert not AuditEntry.objects.filter(action="message.enqueue").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["12800138000", "1380013800", "+1 415 555 0100", ""])
def test_sms_to_something_that_is_not_a_mainland_mobile_is_refused(number):
    with pytest.raises(ValidationError) as error:
        message_enqueue(
            key="s1",
            channel=Channel.SMS,
            purpose=Purpose.DUNNING,
            recipient=number,
            body_text="您好",
            now=NOW,
        )
    assert "recipient" in error.value.message_dict
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_robot_messages_need_an_active_robot_of_their_own_kind():
    wecom = robot(Channel.WECOM)
    off = robot(Channel.DINGTALK, is_active=False)

    def post(channel, to):
        return message_enqueue(
            key=f"r-{channel}-{to}",
            channel=channel,
            purpose=Purpose.ALERT,
            body_text="提醒",
            robot=to,
            now=NOW,
        )

    for channel, to in [(Channel.WECOM, None), (Channel.DINGTALK, wecom), (Channel.DINGTALK, off)]:
        with pytest.raises(ValidationError) as error:
            post(channel, to)
        assert "robot" in error.value.message_dict
    with pytest.raises(ValidationError):
        email(robot=wecom)
    assert Message.objects.count() == 0
    assert post(Channel.WECOM, wecom).robot == wecom


@pytest.mark.django_db
def test_only_an_email_carries_a_document_and_only_of_its_own_customer():
    from huikuan.notifications.tests.test_channels import issued_document

    document = issued_document()
    other = make_customer()
    with pytest.raises(ValidationError) as error:
        email(document=document, customer=other)
    assert "document" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        message_enqueue(
            key="s",
            channel=Channel.SMS,
            purpose=Purpose.DOCUMENT,
            recipient="13800138000",
            body_text="x",
            document=document,
            now=NOW,
        )
    assert "document" in error.value.message_dict
    assert Message.objects.count() == 0
    # the customer is taken from the document when not given
    assert email(document=document).customer == document.customer


@pytest.mark.django_db
def test_a_rolled_back_transaction_queues_and_sends_nothing(settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        email(key="doomed")
        raise RuntimeError("the caller failed after enqueueing")
    assert Message.objects.count() == 0
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        assert send_due(worker_id="w", now_fn=lambda: NOW).total == 0
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_queued_failed_or_unknown_message_can_be_cancelled_but_not_a_sent_one():
    user = make_user(Role.MANAGER)
    message = email()
    assert message_cancel(message=message, actor=user).status == MessageStatus.CANCELLED
    sent = email(key="k2")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT, sent_at=NOW)
    with pytest.raises(ValidationError):
        message_cancel(message=sent, actor=user)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert not AuditEntry.objects.filter(action="message.cancel", object_id=str(sent.pk)).exists()


@pytest.mark.django_db
def test_requeue_sends_a_failed_message_again_keeping_its_attempts_and_resolving_alerts():
    user = make_user(Role.MANAGER)
    message = email()
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.UNKNOWN, attempts=3, handed_over_at=NOW
    )
    alert = alert_raise(kind=AlertKind.UNKNOWN, text="不确定", message=message, now=NOW)
    later = NOW + timedelta(hours=2)
    message = message_requeue(message=message, actor=user, now=later)
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 3
    assert message.next_attempt_at == later
    assert message.handed_over_at is None
    alert.refresh_from_db()
    assert alert.resolved_at == later and alert.resolved_by == user
    with pytest.raises(ValidationError):
        message_requeue(message=message, actor=user, now=later)


@pytest.mark.django_db
def test_an_alert_is_posted_to_every_active_alerts_robot_once():
    wecom = robot(Channel.WECOM)
    ding = robot(Channel.DINGTALK)
    robot(Channel.WECOM, is_active=False)
    robot(Channel.WECOM, purpose=RobotPurpose.DIGEST)
    customer = make_customer()
    message = email(customer=customer)
    alert = alert_raise(kind=AlertKind.BOUNCED, text="退信：地址不存在", message=message, now=NOW)
    assert alert.customer == customer
    posted = Message.objects.filter(purpose=Purpose.ALERT).order_by("robot_id")
    assert [(m.robot, m.key) for m in posted] == [
        (wecom, f"alert:{alert.pk}:{wecom.pk}"),
        (ding, f"alert:{alert.pk}:{ding.pk}"),
    ]
    assert all("退信：地址不存在" in m.body_text for m in posted)


@pytest.mark.django_db
def test_an_alert_about_an_alert_message_is_recorded_but_not_posted_again():
    wecom = robot(Channel.WECOM)
    alert_raise(kind=AlertKind.GAVE_UP, text="第一次", now=NOW)
    alert_message = Message.objects.get(robot=wecom)
    alert_raise(kind=AlertKind.UNREACHABLE, text="机器人不可用", message=alert_message, now=NOW)
    assert Alert.objects.count() == 2
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_an_alert_is_resolved_once():
    user = make_user(Role.MANAGER)
    alert = alert_raise(kind=AlertKind.GAVE_UP, text="放弃", now=NOW)
    alert_resolve(alert=alert, actor=user, now=NOW)
    with pytest.raises(ValidationError):
        alert_resolve(alert=alert, actor=user, now=NOW + timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.resolved_at == NOW


@pytest.mark.postgres
def test_two_callers_racing_with_one_key_get_one_message(flushable_db):
    barrier = threading.Barrier(4)
    ids, errors = [], []

    def enqueue():
        try:
            barrier.wait()
            with transaction.atomic():
                ids.append(email(key="race").pk)
                # the caller's transaction goes on after a lost race
                Message.objects.count()
        except Exception as exc:  # the test reports it below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1 and len(ids) == 4
    assert Message.objects.filter(key="race").count() == 1
