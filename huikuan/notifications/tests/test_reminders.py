"""The ladder's reminder messages go out by themselves: the daily run makes a "Reminder message"
task a week before a bill falls due, and the reminder pass emails it to the customer's finance
contact, closes the task and notes the email on the case — once, whatever reruns."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import translation

from huikuan.customers.models import ContactRole
from huikuan.dunning.models import (
    Action,
    Activity,
    DunningLevel,
    LimitationEvent,
    Outcome,
    Task,
    TaskSource,
    TaskStatus,
)
from huikuan.dunning.models import Channel as ActivityChannel
from huikuan.dunning.run import dunning_run
from huikuan.dunning.tests.factories import make_contact, make_customer, make_receivable
from huikuan.notifications.digest import day_messages_enqueue
from huikuan.notifications.models import Channel, Message, MessageStatus, Purpose
from huikuan.notifications.reminders import reminders_run, reminders_send
from huikuan.notifications.templating import message_for_level
from huikuan.notifications.tests.servers import smtp_server, use_smtp
from huikuan.notifications.worker import send_due

from .letters_world import World

NOW = datetime(2026, 7, 2, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world(db):
    return World()


def coming_due(world, name, *, email="", amount="5000.00", days=7):
    """A customer of the world's rep with one bill falling due in ``days`` days and, when
    ``email`` is given, a finance contact with that address (a buyer without one first)."""
    customer = make_customer(owner=world.rep, name=name, region=world.rep.region)
    make_receivable(
        customer,
        amount=amount,
        number=f"{customer.code}-INV",
        issue_date=world.as_of - timedelta(days=20),
        due_date=world.as_of + timedelta(days=days),
    )
    make_contact(customer, role=ContactRole.PURCHASING, name="刘采购", phone="13700000000")
    if email:
        make_contact(customer, name="赵出纳", email=email)
    return customer


def reminder_task(customer) -> Task:
    return Task.objects.get(customer=customer, action=Action.REMINDER)


def test_a_reminder_due_today_is_emailed_to_the_finance_contact_and_the_task_is_done(world):
    customer = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    dunning_run(as_of=world.as_of)
    task = reminder_task(customer)
    assert task.source == TaskSource.REMINDER and task.status == TaskStatus.OPEN

    assert reminders_send(as_of=world.as_of, now=NOW) == 1

    message = Message.objects.get(customer=customer)
    assert message.key == f"reminder:{task.key}"
    assert message.channel == Channel.EMAIL and message.purpose == Purpose.DUNNING
    assert message.recipient == "zhao@yongjiang.cn"
    assert message.status == MessageStatus.QUEUED and message.language == "zh-hans"
    # the rung's own words, exactly as the compose page shows them
    level = DunningLevel.objects.get(policy__segment="default", number=task.level)
    words = message_for_level(
        level=level, channel=Channel.EMAIL, language="zh-hans", customer=customer, as_of=world.as_of
    )
    assert (message.subject, message.body_text) == (words.subject, words.text)
    assert message.subject == "【杭州回款医药有限公司】付款提醒：宁波甬江药房"
    assert "即将到期，合计 ¥5,000.00" in message.body_text
    assert "到期日 2026-07-09" in message.body_text

    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_by is None
    assert task.note.startswith("2026-07-02")
    assert "赵出纳 <zhao@yongjiang.cn>" in task.note and f"#{message.pk}" in task.note

    activity = Activity.objects.get(customer=customer)
    assert activity.task == task and activity.contact.name == "赵出纳"
    assert activity.channel == ActivityChannel.EMAIL and activity.happened_on == world.as_of
    assert activity.outcome == Outcome.NO_ANSWER and activity.created_by is None
    assert "zhao@yongjiang.cn" in activity.note
    # a friendly reminder is not a written demand: the limitation period runs on
    assert not activity.is_written_demand
    assert not LimitationEvent.objects.filter(customer=customer).exists()


def test_a_rerun_of_the_day_sends_nothing_more(world):
    customer = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    dunning_run(as_of=world.as_of)
    assert reminders_send(as_of=world.as_of, now=NOW) == 1
    assert reminders_send(as_of=world.as_of, now=NOW + timedelta(hours=1)) == 0
    assert day_messages_enqueue(as_of=world.as_of, now=NOW) == 0
    assert Message.objects.filter(customer=customer).count() == 1
    assert Activity.objects.filter(customer=customer).count() == 1


def test_a_customer_without_an_email_contact_keeps_its_task_for_the_rep(world):
    mailless = coming_due(world, "余姚小药铺")  # only a buyer with a phone
    emailed = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    dunning_run(as_of=world.as_of)

    result = reminders_run(as_of=world.as_of, now=NOW)

    assert (result.queued, result.no_email, result.failed) == (1, 1, 0)
    assert reminder_task(mailless).status == TaskStatus.OPEN
    assert reminder_task(emailed).status == TaskStatus.DONE
    assert not Message.objects.filter(customer=mailless).exists()
    assert not Activity.objects.filter(customer=mailless).exists()


def test_a_contact_who_has_left_is_not_written_to(world):
    customer = coming_due(world, "宁波甬江药房")
    make_contact(customer, name="前任会计", email="old@yongjiang.cn", is_active=False)
    dunning_run(as_of=world.as_of)
    assert reminders_run(as_of=world.as_of, now=NOW).no_email == 1
    assert reminder_task(customer).status == TaskStatus.OPEN


def test_with_the_setting_off_nothing_is_sent(world, settings):
    settings.HUIKUAN_AUTO_REMINDERS = False
    customer = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    dunning_run(as_of=world.as_of)
    assert reminders_send(as_of=world.as_of, now=NOW) == 0
    assert day_messages_enqueue(as_of=world.as_of, now=NOW) == 0
    assert reminder_task(customer).status == TaskStatus.OPEN
    assert not Message.objects.exists() and not Activity.objects.exists()


def test_other_actions_and_other_days_are_left_to_the_rep(world):
    # a bill one day overdue: the ladder's second rung is a phone call, not an email
    late = coming_due(world, "慈溪康复诊所", email="cw@cixi.cn", days=-1)
    later = coming_due(world, "奉化药店", email="cw@fenghua.cn")
    dunning_run(as_of=world.as_of)
    call = Task.objects.get(customer=late)
    assert call.action == Action.CALL
    # a reminder due another day is not today's
    Task.objects.filter(customer=later).update(due_on=world.as_of + timedelta(days=1))

    assert reminders_send(as_of=world.as_of, now=NOW) == 0

    call.refresh_from_db()
    assert call.status == TaskStatus.OPEN and call.note == ""
    assert reminder_task(later).status == TaskStatus.OPEN
    assert not Message.objects.exists() and not Activity.objects.exists()


def test_a_rep_made_follow_up_reminder_stays_the_reps(world):
    customer = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn", days=40)
    Task.objects.create(
        key="follow:1", customer=customer, assignee=world.rep, due_on=world.as_of,
        source=TaskSource.FOLLOW_UP, action=Action.REMINDER,
    )  # fmt: skip
    assert reminders_send(as_of=world.as_of, now=NOW) == 0
    assert Task.objects.get(key="follow:1").status == TaskStatus.OPEN


def test_a_reminder_task_without_a_level_uses_the_ladders_reminder_words(world):
    customer = coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn", days=40)
    Task.objects.create(
        key="dun:manual", customer=customer, assignee=world.rep, due_on=world.as_of,
        source=TaskSource.DUNNING, action=Action.REMINDER, level=None,
    )  # fmt: skip
    assert reminders_send(as_of=world.as_of, now=NOW) == 1
    message = Message.objects.get(key="reminder:dun:manual")
    assert message.subject == "【杭州回款医药有限公司】付款提醒：宁波甬江药房"  # the friendly rung


def test_one_customers_bad_address_does_not_stop_the_others(world):
    broken = coming_due(world, "宁波甬江药房", email="zhao at yongjiang")  # imported badly
    fine = coming_due(world, "奉化药店", email="cw@fenghua.cn")
    dunning_run(as_of=world.as_of)

    result = reminders_run(as_of=world.as_of, now=NOW)

    assert (result.queued, result.failed) == (1, 1)
    assert reminder_task(broken).status == TaskStatus.OPEN
    assert not Message.objects.filter(customer=broken).exists()
    assert not Activity.objects.filter(customer=broken).exists()
    assert reminder_task(fine).status == TaskStatus.DONE
    assert Message.objects.get(customer=fine).recipient == "cw@fenghua.cn"


def test_the_daily_command_counts_the_reminders_among_the_messages_queued(world):
    coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    day = world.as_of.isoformat()
    first, second = StringIO(), StringIO()
    with translation.override("en"):
        call_command("daily", "--as-of", day, stdout=first)
    call_command("daily", "--as-of", day, "--format", "json", stdout=second)
    assert "  messages queued: 1\n" in first.getvalue()
    assert '"already_done": true' in second.getvalue()
    assert '"messages_queued": 0' in second.getvalue()
    assert Message.objects.get().purpose == Purpose.DUNNING


def test_the_queued_reminder_arrives_by_smtp(world, settings):
    coming_due(world, "宁波甬江药房", email="zhao@yongjiang.cn")
    dunning_run(as_of=world.as_of)
    reminders_send(as_of=world.as_of, now=NOW)
    with smtp_server() as smtp:
        use_smtp(settings, smtp, HUIKUAN_EMAIL_FROM="回款 应收部 <ar@huikuan.example>")
        result = send_due(worker_id="test-worker", now_fn=lambda: NOW)
    assert result.sent == 1
    [mail] = smtp.messages
    assert mail.envelope_to == ["zhao@yongjiang.cn"]
    assert mail.message["To"] == "zhao@yongjiang.cn"
    assert mail.message["Subject"] == "【杭州回款医药有限公司】付款提醒：宁波甬江药房"
    assert "即将到期，合计 ¥5,000.00" in mail.text()
    assert "¥5,000.00" in mail.html()
    assert Message.objects.get().status == MessageStatus.SENT
