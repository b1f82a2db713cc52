"""The morning posts to group chats: each team's digest and the managers' note about strong
warning signals — one per robot and day, whatever happens to the daily job."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from huikuan.dunning.models import Action, Promise, Task, TaskSource
from huikuan.dunning.tests.factories import make_customer, make_user
from huikuan.notifications.digest import alerts_for_signals_enqueue, digests_enqueue
from huikuan.notifications.models import Channel, Message, Purpose, Robot, RobotPurpose
from huikuan.org.models import Role
from huikuan.risk.models import Severity, Signal, SignalKind

from .letters_world import World

NOW = datetime(2026, 7, 2, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world(db):
    return World()


def robot(purpose, channel=Channel.WECOM, **kw):
    kw.setdefault("name", f"{purpose} {channel}")
    return Robot.objects.create(
        channel=channel, purpose=purpose, url="http://127.0.0.1:9/robot", **kw
    )


def task(world, customer, amount, action=Action.CALL, **kw):
    return Task.objects.create(
        key=f"t-{customer.pk}-{amount}-{action}",
        customer=customer,
        assignee=customer.owner,
        due_on=kw.pop("due_on", world.as_of),
        source=TaskSource.DUNNING,
        action=action,
        amount=Decimal(amount),
        **kw,
    )


def test_a_teams_digest_lists_each_rep_with_tasks_overdue_and_promises(world, settings):
    settings.LANGUAGE_CODE = "en"  # the digest speaks the site's language; read the English
    team_robot = robot(RobotPurpose.DIGEST, team=world.rep.team)
    task(world, world.customer, "12000.00", Action.VISIT)
    for n in range(6):  # six more small tasks: only the five largest are listed
        other = make_customer(owner=world.rep, name=f"小客户{n}")
        task(world, other, f"{100 + n}.00")
    task(world, world.customer, "99999.00", due_on=world.as_of + timedelta(days=3))  # not today
    Promise.objects.create(
        customer=world.customer, made_on=world.as_of - timedelta(days=3),
        due_on=world.as_of, amount=Decimal("500.00"), promised_by="陈会计",
    )  # fmt: skip
    colleague = make_user(Role.REP, team=world.rep.team, last_name="赵")

    assert digests_enqueue(as_of=world.as_of, now=NOW) == 1
    message = Message.objects.get()
    assert message.key == f"digest:{team_robot.pk}:2026-07-02"
    assert message.robot == team_robot and message.purpose == Purpose.DIGEST
    text = message.body_text
    assert "2026-07-02" in text
    assert str(world.rep) in text and str(colleague) in text
    assert str(world.other_rep) not in text  # another team
    rep_line = next(line for line in text.splitlines() if str(world.rep) in line)
    assert rep_line.endswith(": open tasks 7, overdue ¥12,000.00, promises due today 1")
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(listed) == 5
    assert "杭州康宁医药有限公司" in listed[0] and "¥12,000.00" in listed[0]
    assert "小客户0" not in text  # the smallest of the seven


def test_a_rerun_of_the_same_day_posts_no_second_digest(world):
    robot(RobotPurpose.DIGEST)
    robot(RobotPurpose.DIGEST, channel=Channel.DINGTALK, is_active=False)
    assert digests_enqueue(as_of=world.as_of, now=NOW) == 1
    assert digests_enqueue(as_of=world.as_of, now=NOW) == 0
    assert Message.objects.count() == 1
    assert digests_enqueue(as_of=world.as_of + timedelta(days=1), now=NOW) == 1


def test_a_robot_without_a_team_reports_on_every_rep(world):
    robot(RobotPurpose.DIGEST)
    digests_enqueue(as_of=world.as_of, now=NOW)
    text = Message.objects.get().body_text
    assert str(world.rep) in text and str(world.other_rep) in text


def test_strong_signals_of_the_day_go_to_every_alerts_robot_once(world):
    wecom = robot(RobotPurpose.ALERTS)
    ding = robot(RobotPurpose.ALERTS, channel=Channel.DINGTALK)
    robot(RobotPurpose.DIGEST)
    assert alerts_for_signals_enqueue(as_of=world.as_of, now=NOW) == 0  # nothing found today
    Signal.objects.create(
        customer=world.customer, kind=SignalKind.choices[0][0], severity=Severity.STRONG,
        detected_on=world.as_of, evidence="法定代表人变更，新老板拒绝对账",
    )  # fmt: skip
    Signal.objects.create(
        customer=world.foreign, kind=SignalKind.choices[0][0], severity=Severity.WATCH,
        detected_on=world.as_of, evidence="付款慢了几天",
    )  # fmt: skip
    assert alerts_for_signals_enqueue(as_of=world.as_of, now=NOW) == 2
    assert alerts_for_signals_enqueue(as_of=world.as_of, now=NOW) == 0
    messages = Message.objects.order_by("robot_id")
    assert [m.robot for m in messages] == [wecom, ding]
    assert all(m.purpose == Purpose.ALERT for m in messages)
    assert "杭州康宁医药有限公司" in messages[0].body_text
    assert "新老板拒绝对账" in messages[0].body_text
    assert "温州瓯海医院" not in messages[0].body_text  # a watch signal is not news


def test_the_daily_command_queues_the_days_digest_once_even_when_rerun(world):
    from io import StringIO

    from django.core.management import call_command

    robot(RobotPurpose.DIGEST)
    day = world.as_of.isoformat()
    first, second = StringIO(), StringIO()
    call_command("daily", "--as-of", day, "--format", "json", stdout=first)
    call_command("daily", "--as-of", day, "--format", "json", stdout=second)
    assert '"messages_queued": 1' in first.getvalue()
    assert '"already_done": true' in second.getvalue()
    assert '"messages_queued": 0' in second.getvalue()
    digest = Message.objects.get(purpose=Purpose.DIGEST)
    assert digest.key.endswith(day) and f"**{world.rep}**" in digest.body_text
