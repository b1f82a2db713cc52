"""The outbox in the admin: robots and message templates are edited there; messages, their
delivery log and alerts can be looked at but not changed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from huikuan.dunning.models import DunningLevel
from huikuan.notifications.models import (
    Alert,
    Channel,
    DeliveryAttempt,
    Message,
    MessageTemplate,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.outbox import alert_raise, message_enqueue
from huikuan.notifications.worker import claim_due

NOW = datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def url(model, view, *args):
    return reverse(f"admin:notifications_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def outbox(db):
    message = message_enqueue(
        key="a1",
        channel=Channel.EMAIL,
        purpose=Purpose.DUNNING,
        recipient="cw@customer.cn",
        subject="付款提醒",
        body_text="您好",
        now=NOW,
    )
    claim_due(worker_id="w1", now=NOW, limit=1)
    alert = alert_raise(kind="unknown", text="请核实是否收到", message=message, now=NOW)
    return message, alert


def test_every_outbox_page_opens_and_the_sending_log_is_view_only(admin_client, outbox):
    message, alert = outbox
    attempt = DeliveryAttempt.objects.get()
    for model, obj in [(Message, message), (DeliveryAttempt, attempt), (Alert, alert)]:
        assert admin_client.get(url(model, "changelist")).status_code == 200
        page = admin_client.get(url(model, "change", obj.pk))
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert admin_client.get(url(model, "add")).status_code == 403
    assert "付款提醒" in admin_client.get(url(Message, "changelist")).content.decode()
    assert "w1" in admin_client.get(url(Message, "change", message.pk)).content.decode()


def test_an_administrator_adds_a_dingtalk_robot_with_its_secret(admin_client, db):
    response = admin_client.post(
        url(Robot, "add"),
        {
            "name": "华东经理群",
            "channel": Channel.DINGTALK,
            "purpose": RobotPurpose.ALERTS,
            "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "secret": "SECabc",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    robot = Robot.objects.get()
    assert (robot.channel, robot.secret, robot.team) == (Channel.DINGTALK, "SECabc", None)


def test_a_message_template_with_a_template_error_is_refused(admin_client, admin_user, db):
    level = DunningLevel.objects.first()  # the built-in ladder's first level
    form = {"level": level.pk, "channel": "email", "language": "zh-hans", "subject": "提醒"}
    bad = admin_client.post(url(MessageTemplate, "add"), {**form, "body": "{% if x %}未闭合"})
    assert bad.status_code == 200 and MessageTemplate.objects.count() == 0
    good = admin_client.post(url(MessageTemplate, "add"), {**form, "body": "{{ customer }}您好"})
    assert good.status_code == 302
    assert MessageTemplate.objects.get().updated_by == admin_user
