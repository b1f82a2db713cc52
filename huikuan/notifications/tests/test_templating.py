"""The words of dunning messages: built-in wording for every action, tone, channel and language,
a level's own template overriding it, and the template service's refusals."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from huikuan.audit.models import AuditEntry
from huikuan.dunning.models import Action, Case, DunningLevel, Tone
from huikuan.dunning.selectors import current_level
from huikuan.notifications import defaults
from huikuan.notifications.models import Channel, MessageTemplate
from huikuan.notifications.services import message_template_reset, message_template_save
from huikuan.notifications.templating import message_for_level

from .letters_world import World


@pytest.fixture
def world(db):
    return World()


def level_for(action):
    return DunningLevel.objects.filter(policy__is_active=True, action=action).first()


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("tone", list(Tone.values))
@pytest.mark.parametrize("action", list(Action.values))
def test_every_action_tone_channel_and_language_has_built_in_wording(
    action, tone, channel, language
):
    subject, body = defaults.default_wording(
        action=action, tone=tone, channel=channel, language=language
    )
    assert body.strip()
    assert bool(subject) == (channel == Channel.EMAIL)


def test_the_email_states_the_overdue_bill_total_pay_by_date_and_rep(world):
    level = level_for(Action.WRITTEN_NOTICE)
    words = message_for_level(
        level=level, channel=Channel.EMAIL, language="zh-hans", customer=world.customer,
        as_of=world.as_of,
    )  # fmt: skip
    assert "杭州康宁医药有限公司" in words.subject and "杭州回款医药有限公司" in words.subject
    assert "陈会计您好" in words.text
    assert "KN-INV-1" in words.text and "逾期 40 天" in words.text
    assert "¥12,000.00" in words.text
    assert "KN-INV-2" not in words.text  # not due yet: not demanded
    assert "王业务（电话 13900001111）" in words.text
    assert "《货款逾期通知单》" in words.text  # the action's sentence
    assert "<p>" in words.html and "KN-INV-1" in words.html
    assert not words.is_custom


def test_the_greeting_names_the_contact_the_message_goes_to(world):
    level = level_for(Action.REMINDER)

    def greeting(recipient):
        return message_for_level(
            level=level, channel=Channel.EMAIL, language="zh-hans", customer=world.customer,
            as_of=world.as_of, recipient=recipient,
        ).text.splitlines()[0]  # fmt: skip

    assert "李采购" in greeting("li@kangning.cn, chen@kangning.cn")  # the first one reads it
    assert "陈会计" in greeting("chen@kangning.cn")
    assert "陈会计" in greeting("someone@else.cn")  # nobody on file: the finance contact


def test_a_friendly_reminder_before_the_due_date_lists_what_falls_due(world):
    level = level_for(Action.REMINDER)
    words = message_for_level(
        level=level, channel=Channel.EMAIL, language="en", customer=world.foreign,
        as_of=date(2026, 5, 28),
    )  # fmt: skip
    assert "The following amounts fall due soon, ¥8,000.00 in all" in words.text
    assert "- OH-INV-1: due 2026-06-02, ¥8,000.00" in words.text
    assert words.subject.endswith("payment reminder for 温州瓯海医院")


def test_the_sms_is_one_short_paragraph_without_subject_or_html(world):
    level = level_for(Action.STOP_SUPPLY)
    words = message_for_level(
        level=level, channel=Channel.SMS, language="zh-hans", customer=world.customer,
        as_of=world.as_of,
    )  # fmt: skip
    assert words.subject == "" and words.html == ""
    assert "\n" not in words.text
    assert "¥12,000.00" in words.text and "暂停向贵司供货" in words.text
    assert len(words.text) < 200


def test_the_html_part_escapes_what_the_text_contains(world):
    level = level_for(Action.CALL)
    message_template_save(
        level=level, channel=Channel.EMAIL, language="en", subject="Hi {{ customer }}",
        body="<script>alert(1)</script> {{ amount }}", actor=world.finance,
    )  # fmt: skip
    words = message_for_level(
        level=level, channel=Channel.EMAIL, language="en", customer=world.customer,
        as_of=world.as_of,
    )  # fmt: skip
    assert words.text.startswith("<script>")  # the text is plain text
    assert "<script>" not in words.html and "&lt;script&gt;" in words.html


def test_a_saved_template_replaces_the_built_in_words_until_reset(world):
    level = level_for(Action.VISIT)
    saved = message_template_save(
        level=level, channel=Channel.EMAIL, language="zh-hans",
        subject="{{ customer }} 对账提醒", body="请于 {{ pay_by }} 前支付 {{ amount }}。",
        actor=world.finance,
    )  # fmt: skip
    assert saved.updated_by == world.finance
    words = message_for_level(
        level=level, channel=Channel.EMAIL, language="zh-hans", customer=world.customer,
        as_of=world.as_of,
    )  # fmt: skip
    assert words.is_custom
    assert words.subject == "杭州康宁医药有限公司 对账提醒"
    assert words.text == "请于 2026-07-09 前支付 ¥12,000.00。"  # 7 days on, a Thursday
    # Saving again edits the same row; the other language keeps the built-in words.
    message_template_save(
        level=level, channel=Channel.EMAIL, language="zh-hans", subject="新主题",
        body="新的正文", actor=world.finance,
    )  # fmt: skip
    assert MessageTemplate.objects.count() == 1
    english = message_for_level(
        level=level, channel=Channel.EMAIL, language="en", customer=world.customer,
        as_of=world.as_of,
    )  # fmt: skip
    assert not english.is_custom
    message_template_reset(
        level=level, channel=Channel.EMAIL, language="zh-hans", actor=world.finance
    )
    assert MessageTemplate.objects.count() == 0
    assert AuditEntry.objects.filter(action="message_template.reset").count() == 1


@pytest.mark.parametrize(
    ("subject", "body", "field", "text"),
    [
        ("主题", "{% if amount %}没有结束", "body", "Line 1"),
        ("主题", "   ", "body", "empty"),
        ("", "正文", "subject", "subject"),
        ("{% if customer %}主题", "正文", "subject", "Line 1"),
    ],
)
def test_a_broken_message_template_is_refused_and_nothing_is_written(
    world, subject, body, field, text
):
    level = level_for(Action.CALL)
    audits = AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        message_template_save(
            level=level, channel=Channel.EMAIL, language="zh-hans", subject=subject, body=body,
            actor=world.finance,
        )  # fmt: skip
    assert field in refused.value.message_dict
    assert text in " ".join(refused.value.message_dict[field])
    assert MessageTemplate.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_resetting_built_in_wording_is_refused(world):
    with pytest.raises(ValidationError):
        message_template_reset(
            level=level_for(Action.CALL), channel=Channel.SMS, language="en", actor=world.finance
        )


def test_the_current_level_is_the_open_cases_level(world):
    assert current_level(world.customer).number == 0  # no case yet: the reminder
    Case.objects.create(customer=world.customer, opened_on=world.as_of, level=3)
    level = current_level(world.customer)
    assert level.number == 3 and level.action == Action.WRITTEN_NOTICE
