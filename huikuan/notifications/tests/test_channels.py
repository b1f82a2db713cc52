"""What reaches the other side, checked on real local servers: the bytes of an email at an SMTP
server, the JSON a WeCom or DingTalk robot receives, an SMS gateway's request — and how each
kind of refusal or silence is recorded."""

import base64
import hashlib
import hmac
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from huikuan.documents.models import DocumentKind
from huikuan.documents.services import document_issue
from huikuan.dunning.models import InterruptionKind, LimitationEvent
from huikuan.dunning.tests.factories import make_customer, make_receivable
from huikuan.notifications.channels import Connections, LeaseLost, email, robots
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    Channel,
    DeliveryAttempt,
    MessageStatus,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.outbox import message_enqueue
from huikuan.notifications.tests.servers import Reply, http_server, smtp_server, use_smtp
from huikuan.notifications.worker import send_due

NOW = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
AS_OF = date(2026, 7, 2)


def issued_document(kind=DocumentKind.OVERDUE_NOTICE, customer=None):
    """A real overdue notice: two overdue bills (1,234.50 + 2,000.00) and one not yet due."""
    customer = customer or make_customer(name="上海远东机电有限公司")
    make_receivable(customer, "1234.50", issue_date=date(2026, 3, 1), due_date=date(2026, 4, 1))
    make_receivable(customer, "2000.00", issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    make_receivable(customer, "999.00", issue_date=date(2026, 6, 20), due_date=date(2026, 8, 1))
    return document_issue(kind=kind, customer=customer, as_of=AS_OF, actor=None)


def queue_email(key="m1", recipient="cw@yuandong.cn", **kw):
    kw.setdefault("purpose", Purpose.DUNNING)
    kw.setdefault("subject", "货款逾期通知 — 请尽快安排付款")
    kw.setdefault("body_text", "尊敬的客户：\n贵司有逾期货款，详见附件。\n.以点开头的一行")
    return message_enqueue(key=key, channel=Channel.EMAIL, recipient=recipient, now=NOW, **kw)


def run(now=NOW):
    return send_due(worker_id="test-worker", now_fn=lambda: now)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- email ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_arrives_with_chinese_subject_both_parts_and_the_letter_as_pdf(settings):
    document = issued_document()
    with smtp_server() as smtp:
        use_smtp(settings, smtp, HUIKUAN_EMAIL_FROM="回款 应收部 <ar@huikuan.example>")
        message = queue_email(
            recipient="cw@yuandong.cn, boss@yuandong.cn",
            body_html="<p>尊敬的客户：</p><p>贵司有逾期货款。</p>",
            document=document,
        )
        result = run()
    assert result.sent == 1
    [mail] = smtp.messages
    assert mail.envelope_from == "ar@huikuan.example"
    assert mail.envelope_to == ["cw@yuandong.cn", "boss@yuandong.cn"]
    assert mail.message["Subject"] == "货款逾期通知 — 请尽快安排付款"
    assert mail.message["From"].addresses[0].display_name == "回款 应收部"
    assert mail.message["To"] == "cw@yuandong.cn, boss@yuandong.cn"
    assert mail.message_id == f"<huikuan.{message.pk}@huikuan.example>"
    assert mail.message["X-Huikuan-Message"] == str(message.pk)
    assert mail.text().splitlines()[-1] == ".以点开头的一行"  # dot-stuffing undone
    assert "<p>贵司有逾期货款。</p>" in mail.html()
    [(name, content_type, data)] = mail.attachments()
    assert name == f"{document.number}.pdf" and content_type == "application/pdf"
    assert data == bytes(document.pdf)
    text = pdf_text(data)
    assert "上海远东机电有限公司" in text
    assert "3,234.50" in text  # the overdue total: 1,234.50 + 2,000.00, not the 999.00 not due
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.sent_at == NOW
    assert "Accepted" in message.provider_ref
    # the letter went out by email: sent once, and the written demand restarts the limitation
    document.refresh_from_db()
    assert document.sent_on == AS_OF and document.sent_via == "email"
    assert f"message {message.pk}" in document.sent_reference
    event = LimitationEvent.objects.get(customer=document.customer)
    assert event.kind == InterruptionKind.WRITTEN_DEMAND and event.happened_on == AS_OF


@pytest.mark.django_db
def test_a_document_already_marked_sent_is_left_as_it_was(settings):
    from huikuan.documents.services import document_mark_sent

    document = issued_document()
    document_mark_sent(document=document, on=date(2026, 7, 1), via="post", actor=None)
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        queue_email(document=document)
        assert run().sent == 1
    document.refresh_from_db()
    assert (document.sent_on, document.sent_via) == (date(2026, 7, 1), "post")
    assert LimitationEvent.objects.filter(customer=document.customer).count() == 1


@pytest.mark.django_db
def test_one_smtp_session_carries_the_whole_batch_and_logs_in_when_configured(settings):
    with smtp_server(credentials=("ar", "s3cret")) as smtp:
        use_smtp(settings, smtp, HUIKUAN_EMAIL_USER="ar", HUIKUAN_EMAIL_PASSWORD="s3cret")
        for n in range(3):
            queue_email(key=f"m{n}")
        assert run().sent == 3
    assert smtp.connections == 1
    assert smtp.logins == ["ar"]
    assert len(set(smtp.message_ids())) == 3


@pytest.mark.django_db
def test_a_wrong_smtp_password_is_retried_later_not_lost(settings):
    with smtp_server(credentials=("ar", "s3cret")) as smtp:
        use_smtp(settings, smtp, HUIKUAN_EMAIL_USER="ar", HUIKUAN_EMAIL_PASSWORD="wrong")
        message = queue_email()
        assert run().retried == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert "login refused" in message.last_error
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_refused_recipient_is_a_bounce_alert_and_nothing_is_sent(settings):
    customer = make_customer()
    with smtp_server(refuse={"gone@yuandong.cn"}) as smtp:
        use_smtp(settings, smtp)
        message = queue_email(recipient="cw@yuandong.cn, gone@yuandong.cn", customer=customer)
        ok = queue_email(key="m2")
        result = run()
    assert (result.sent, result.failed) == (1, 1)
    assert [m.message_id for m in smtp.messages] == [f"<huikuan.{ok.pk}@localhost>"]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "gone@yuandong.cn" in message.last_error and "550" in message.last_error
    alert = Alert.objects.get(message=message)
    assert alert.kind == AlertKind.BOUNCED and alert.customer == customer
    assert "gone@yuandong.cn" in alert.text
    attempt = DeliveryAttempt.objects.get(message=message)
    assert attempt.result == AttemptResult.FAILED and attempt.finished_at == NOW


@pytest.mark.django_db
def test_a_busy_mail_server_is_retried_with_doubling_waits_then_delivered(settings):
    settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS = 60
    with smtp_server(busy_rcpt=1, busy_data=1) as smtp:
        use_smtp(settings, smtp)
        message = queue_email()
        assert run().retried == 1  # 451 at RCPT
        message.refresh_from_db()
        assert message.status == MessageStatus.QUEUED
        assert message.next_attempt_at == NOW + timedelta(seconds=60)
        assert run(NOW + timedelta(seconds=59)).total == 0  # not due yet
        second = NOW + timedelta(seconds=60)
        assert run(second).retried == 1  # 451 after DATA
        message.refresh_from_db()
        assert message.next_attempt_at == second + timedelta(seconds=120)
        assert message.handed_over_at is None
        assert run(second + timedelta(seconds=120)).sent == 1
    assert len(smtp.messages) == 1
    results = list(message.delivery_attempts.values_list("number", "result"))
    assert results == [(1, "retry"), (2, "retry"), (3, "sent")]


@pytest.mark.django_db
def test_a_message_refused_after_data_is_a_bounce(settings):
    with smtp_server(reject_data=True) as smtp:
        use_smtp(settings, smtp)
        message = queue_email()
        assert run().failed == 1
    assert Alert.objects.get(message=message).kind == AlertKind.BOUNCED
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_connection_lost_during_data_leaves_the_message_unknown_with_an_alert(settings):
    with smtp_server(drop_data=True) as smtp:
        use_smtp(settings, smtp)
        message = queue_email()
        assert run().unknown == 1
        # a later pass does not send it again
        smtp.drop_data = False
        assert run(NOW + timedelta(hours=1)).total == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert message.handed_over_at == NOW
    assert Alert.objects.get(message=message).kind == AlertKind.UNKNOWN
    assert smtp.messages == []


@pytest.mark.django_db
def test_without_a_lease_the_email_channel_sends_nothing_and_the_session_stays_usable(settings):
    with smtp_server() as smtp:
        use_smtp(settings, smtp)
        message = queue_email()
        connections = Connections()
        with pytest.raises(LeaseLost):
            email.send(message, connections, lambda: False)
        assert email.send(message, connections, lambda: True).provider_ref
        connections.close()
    assert len(smtp.messages) == 1 and smtp.connections == 1


@pytest.mark.django_db
def test_with_no_mail_server_each_email_is_dropped_as_an_eml_file(settings, tmp_path):
    settings.HUIKUAN_EMAIL_HOST = ""
    settings.VAR_DIR = tmp_path
    message = queue_email()
    assert run().sent == 1
    dropped = tmp_path / "mail-drop" / f"message-{message.pk}.eml"
    assert b"X-Huikuan-Message: " + str(message.pk).encode() in dropped.read_bytes()
    message.refresh_from_db()
    assert message.provider_ref == f"drop:{dropped.name}"


# --- group robots --------------------------------------------------------------------------------


def queue_robot(robot, key="r1", subject="逾期提醒", text="张三：3 个客户逾期，合计 ¥12,000.00"):
    return message_enqueue(
        key=key,
        channel=robot.channel,
        purpose=Purpose.DIGEST,
        subject=subject,
        body_text=text,
        robot=robot,
        now=NOW,
    )


def make_robot(http, channel, path="/robot", **kw):
    kw.setdefault("purpose", RobotPurpose.DIGEST)
    url = http.url(f"{path}?key=abc" if channel == Channel.WECOM else f"{path}?access_token=t0k")
    return Robot.objects.create(name=f"{channel}群", channel=channel, url=url, **kw)


@pytest.mark.django_db
def test_a_wecom_robot_receives_markdown_with_the_subject_in_bold():
    with http_server() as http:
        message = queue_robot(make_robot(http, Channel.WECOM))
        assert run().sent == 1
    [request] = http.requests
    assert request.method == "POST" and request.query == {"key": ["abc"]}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"content": "**逾期提醒**\n\n张三：3 个客户逾期，合计 ¥12,000.00"},
    }
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


@pytest.mark.django_db
def test_a_dingtalk_robot_with_a_secret_gets_a_signature_it_can_check():
    secret = "SEC0123456789abcdef"
    with http_server() as http:
        queue_robot(make_robot(http, Channel.DINGTALK, secret=secret))
        assert run().sent == 1
    [request] = http.requests
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": "逾期提醒",
            "text": "**逾期提醒**\n\n张三：3 个客户逾期，合计 ¥12,000.00",
        },
    }
    timestamp = request.query["timestamp"][0]
    assert abs(int(timestamp) / 1000 - datetime.now().timestamp()) < 60
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == [expected]  # parse_qs undid the URL quoting
    assert request.query["access_token"] == ["t0k"]


@pytest.mark.django_db
def test_a_robot_refusing_with_an_errcode_fails_with_an_unreachable_alert():
    with http_server() as http:
        http.script("/robot", [(200, {"errcode": 93000, "errmsg": "invalid webhook url"})])
        message = queue_robot(make_robot(http, Channel.WECOM))
        assert run().failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and "93000" in message.last_error
    assert Alert.objects.get(message=message).kind == AlertKind.UNREACHABLE


@pytest.mark.django_db
def test_a_robot_answering_503_is_retried_after_the_backoff_then_sent(settings):
    settings.HUIKUAN_OUTBOX_BACKOFF_SECONDS = 30
    with http_server() as http:
        http.script("/robot", [(503, "busy"), (429, {"errcode": 45009}), (200, {"errcode": 0})])
        message = queue_robot(make_robot(http, Channel.WECOM))
        assert run().retried == 1
        message.refresh_from_db()
        assert message.next_attempt_at == NOW + timedelta(seconds=30)
        second = NOW + timedelta(seconds=30)
        assert run(second).retried == 1
        message.refresh_from_db()
        assert message.next_attempt_at == second + timedelta(seconds=60)
        assert run(second + timedelta(seconds=60)).sent == 1
    assert len(http.requests) == 3
    assert list(message.delivery_attempts.values_list("result", flat=True)) == [
        "retry",
        "retry",
        "sent",
    ]


@pytest.mark.django_db
def test_a_robot_address_that_is_gone_fails_and_a_closed_port_is_retried():
    with http_server() as http:
        http.script("/robot", [(404, "not found")])
        gone = queue_robot(make_robot(http, Channel.WECOM))
        closed = queue_robot(
            Robot.objects.create(
                name="关闭",
                channel=Channel.WECOM,
                url="http://127.0.0.1:9/robot",
                purpose=RobotPurpose.DIGEST,
            ),
            key="r2",
        )
        result = run()
    assert (result.failed, result.retried) == (1, 1)
    gone.refresh_from_db()
    closed.refresh_from_db()
    assert gone.status == MessageStatus.FAILED and "404" in gone.last_error
    assert closed.status == MessageStatus.QUEUED and "cannot connect" in closed.last_error


@pytest.mark.django_db
def test_a_robot_that_times_out_after_the_request_is_unknown(settings):
    settings.HUIKUAN_WEBHOOK_TIMEOUT = 0.3
    with http_server() as http:
        http.script("/robot", [Reply(delay=0.8)])
        message = queue_robot(make_robot(http, Channel.WECOM))
        assert run().unknown == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert Alert.objects.get(message=message).kind == AlertKind.UNKNOWN


def test_robot_markdown_is_cut_to_4096_bytes_with_an_ellipsis():
    text = "欠" * 3000  # 9,000 bytes of UTF-8
    cut = robots.truncate_utf8(text)
    assert cut.endswith("…") and len(cut.encode("utf-8")) <= 4096
    assert cut[:-1] == "欠" * len(cut[:-1])
    assert robots.truncate_utf8("short") == "short"


# --- SMS -----------------------------------------------------------------------------------------


def queue_sms(key="s1", recipient="13800138000", text="【回款】贵司货款已逾期，请尽快付款。"):
    return message_enqueue(
        key=key,
        channel=Channel.SMS,
        purpose=Purpose.DUNNING,
        recipient=recipient,
        body_text=text,
        now=NOW,
    )


@pytest.mark.django_db
def test_the_http_sms_gateway_gets_number_text_and_token(settings):
    with http_server() as http:
        settings.HUIKUAN_SMS_PROVIDER = "huikuan.notifications.channels.sms.HttpJsonProvider"
        settings.HUIKUAN_SMS_URL = http.url("/sms")
        settings.HUIKUAN_SMS_TOKEN = "tok-1"
        http.script("/sms", [(502, {}), (202, {"id": "gw-778"})])
        message = queue_sms()
        assert run().retried == 1
        assert run(NOW + timedelta(hours=1)).sent == 1
    request = http.requests_to("/sms")[-1]
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.json() == {"to": "13800138000", "text": "【回款】贵司货款已逾期，请尽快付款。"}
    message.refresh_from_db()
    assert message.provider_ref == "gw-778"


@pytest.mark.django_db
def test_the_default_sms_provider_writes_the_text_to_a_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    message = queue_sms()
    assert run().sent == 1
    message.refresh_from_db()
    dropped = tmp_path / "sms-drop" / message.provider_ref.removeprefix("drop:")
    assert "【回款】贵司货款已逾期" in Path(dropped).read_text(encoding="utf-8")
