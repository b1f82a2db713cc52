"""The outbox worker in one process: what is due goes once, retries give up with an alert, a dead
worker's claims are taken back (resent only when nothing was handed over), two workers at once
share the queue without sending anything twice, and the send-outbox command."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.outbox import message_enqueue
from huikuan.notifications.tests.servers import http_server, smtp_server, use_smtp
from huikuan.notifications.worker import backoff_seconds, claim_due, send_due

NOW = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def queue(n=1, now=NOW, prefix="m"):
    return [
        message_enqueue(
            key=f"{prefix}{k}",
            channel=Channel.EMAIL,
            purpose=Purpose.DUNNING,
            recipient=f"cw{k}@customer.cn",
            subject=f"提醒 {k}",
            body_text="您好，请付款。",
            now=now,
        )
        for k in range(n)
    ]


def run(now=NOW, worker="w1", **kw):
    return send_due(worker_id=worker, now_fn=lambda: now, **kw)


def clock(*moments):
    """A now_fn answering the given moments in turn, then the last one for ever."""
    moments = list(moments)

    def now():
        return moments.pop(0) if len(moments) > 1 else moments[0]

    return now


@pytest.mark.django_db
def test_due_messages_go_once_later_ones_wait_and_a_rerun_sends_nothing(settings):
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        due = queue(3)
        later = queue(1, now=NOW + timedelta(minutes=5), prefix="later")
        assert run().sent == 3
        assert run().total == 0
        assert len(smtp.messages) == 3
        assert run(NOW + timedelta(minutes=5)).sent == 1
        assert run(NOW + timedelta(minutes=10)).total == 0
    assert sorted(smtp.message_ids()) == sorted(
        f"<huikuan.{m.pk}@localhost>" for m in [*due, *later]
    )
    attempt = DeliveryAttempt.objects.get(message=due[0])
    assert (attempt.number, attempt.worker, attempt.result) == (1, "w1", AttemptResult.SENT)


def test_the_wait_doubles_from_the_base_and_stops_at_an_hour(settings):
    settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS = 60
    assert [backoff_seconds(n) for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]


@pytest.mark.django_db
def test_after_the_last_try_the_message_fails_and_the_alert_reaches_the_managers_robot(settings):
    settings.HUIKUAN_OUTBOX_MAX_ATTEMPTS = 2
    settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS = 10
    with smtp_server(busy_data=5) as smtp, http_server() as http:
        use_smtp(settings, smtp)
        robot = Robot.objects.create(
            name="经理群",
            channel=Channel.WECOM,
            url=http.url("/alerts"),
            purpose=RobotPurpose.ALERTS,
        )
        [message] = queue(1)
        assert run().retried == 1
        result = run(NOW + timedelta(seconds=10))
        assert result.failed == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.FAILED and message.attempts == 2
        alert = Alert.objects.get(message=message)
        assert alert.kind == AlertKind.GAVE_UP
        assert "cw0@customer.cn" in alert.text and "451" in alert.text
        posted = Message.objects.get(purpose=Purpose.ALERT)
        assert posted.robot == robot and posted.key == f"alert:{alert.pk}:{robot.pk}"
        # the alert itself goes out on the next pass
        assert run(NOW + timedelta(seconds=11)).sent == 1
    [request] = http.requests_to("/alerts")
    assert "cw0@customer.cn" in request.json()["markdown"]["content"]
    assert smtp.messages == []


@pytest.mark.django_db
def test_an_alert_robot_that_fails_raises_an_alert_but_posts_no_further_messages():
    with http_server() as http:
        http.script("/alerts", [(400, {"errcode": 40008})])
        Robot.objects.create(
            name="经理群",
            channel=Channel.WECOM,
            url=http.url("/alerts"),
            purpose=RobotPurpose.ALERTS,
        )
        from huikuan.notifications.outbox import alert_raise

        alert_raise(kind=AlertKind.GAVE_UP, text="放弃发送", now=NOW)
        assert run().failed == 1
        assert run(NOW + timedelta(hours=1)).total == 0
    assert Alert.objects.count() == 2
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_a_dead_workers_claim_is_taken_back_after_the_lease_and_sent_by_another(settings):
    settings.HUIKUAN_OUTBOX_LEASE_SECONDS = 120
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        messages = queue(2)
        assert len(claim_due(worker_id="dead", now=NOW, limit=10)) == 2
        # the dead worker had handed the second one over: it may have gone out
        Message.objects.filter(pk=messages[1].pk).update(handed_over_at=NOW)
        assert run(NOW + timedelta(seconds=119)).total == 0  # still its lease
        result = run(NOW + timedelta(seconds=120), worker="w2")
        assert (result.sent, result.unknown) == (1, 1)
        assert run(NOW + timedelta(hours=1), worker="w3").total == 0
    first, second = (Message.objects.get(pk=m.pk) for m in messages)
    assert first.status == MessageStatus.SENT and first.attempts == 2
    assert list(first.delivery_attempts.values_list("worker", "result")) == [
        ("dead", "retry"),
        ("w2", "sent"),
    ]
    assert "dead" in first.delivery_attempts.first().detail
    assert second.status == MessageStatus.UNKNOWN
    assert Alert.objects.get(message=second).kind == AlertKind.UNKNOWN
    assert smtp.message_ids() == [f"<huikuan.{first.pk}@localhost>"]


@pytest.mark.django_db
def test_a_worker_whose_lease_ran_out_before_the_hand_over_sends_nothing(settings):
    settings.HUIKUAN_OUTBOX_LEASE_SECONDS = 60
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        [message] = queue(1)
        late = NOW + timedelta(seconds=61)
        result = send_due(worker_id="slow", now_fn=clock(NOW, NOW, late))
        assert result.total == 0
        assert smtp.messages == []
        message.refresh_from_db()
        assert message.status == MessageStatus.SENDING and message.handed_over_at is None
        # another worker takes it back and sends it
        assert run(late, worker="w2").sent == 1
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_stopped_worker_finishes_its_message_and_gives_back_the_rest(settings):
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        queue(4)
        asked = []
        result = run(stop=lambda: asked.append(1) or len(asked) > 1)
        assert result.sent == 1
        assert Message.objects.filter(status=MessageStatus.QUEUED, claimed_by="").count() == 3
        assert run(worker="w2").sent == 3
    assert len(set(smtp.message_ids())) == 4


@pytest.mark.django_db
def test_the_command_sends_what_is_due_and_prints_the_counts(settings, capsys):
    with smtp_server() as smtp, translation.override("en"):
        use_smtp(settings, smtp)
        # due in the past so the command's own clock finds them
        queue(3, now=NOW - timedelta(days=3650))
        call_command("send-outbox", "--limit", "2", "--worker-id", "cron")
    out = capsys.readouterr().out
    assert len(smtp.messages) == 3
    assert out.strip() == "Sent 3, to retry 0, failed 0, outcome unknown 0."
    assert set(DeliveryAttempt.objects.values_list("worker", flat=True)) == {"cron"}


@pytest.mark.django_db
def test_the_command_refuses_to_start_with_broken_settings(settings):
    settings.HUIKUAN_EMAIL_SECURITY = "tls1.0"
    with pytest.raises(CommandError):
        call_command("send-outbox")
    settings.HUIKUAN_EMAIL_SECURITY = "none"
    settings.HUIKUAN_SMS_PROVIDER = "huikuan.nowhere.Provider"
    with pytest.raises(CommandError):
        call_command("send-outbox")


def test_two_workers_at_once_share_the_queue_and_send_each_message_once(settings, flushable_db):
    settings.HUIKUAN_OUTBOX_LEASE_SECONDS = 30
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        messages = queue(40)
        start = threading.Barrier(2)
        errors = []

        def worker(name):
            try:
                start.wait()
                while run(worker=name, limit=4).total:
                    pass
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(f"t{n}",)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    ids = smtp.message_ids()
    assert sorted(ids) == sorted(f"<huikuan.{m.pk}@localhost>" for m in messages)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 40
    workers = set(DeliveryAttempt.objects.values_list("worker", flat=True))
    assert workers == {"t0", "t1"}
    assert DeliveryAttempt.objects.count() == 40
