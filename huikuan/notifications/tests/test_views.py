"""The message pages: composing from a case (preview, send by email, SMS or post), the outbox and
a message's page with its delivery log, alerts, the message template editor, and the pieces
other pages include."""

import re
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from huikuan.documents.models import Document, DocumentKind
from huikuan.documents.selectors import overdue_data
from huikuan.dunning.models import Action, DunningLevel
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    MessageTemplate,
    Purpose,
    Robot,
    RobotPurpose,
)
from huikuan.notifications.outbox import alert_raise, message_enqueue
from huikuan.notifications.templating import money

from .letters_world import World

NOW = datetime(2026, 7, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def world(db):
    return World()


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"  # pages are Chinese unless one asks
    client.force_login(user)
    return client


def compose(client, world, headers=None, **data):
    fields = {
        "what": "message",
        "channel": "email",
        "emails": ["chen@kangning.cn"],
        "language": "zh-hans",
        "as_of": world.as_of.isoformat(),
        "action": "preview",
    }
    fields.update(data)
    return client.post(f"/cases/{world.customer.pk}/compose/", fields, headers=headers or {})


def text(response) -> str:
    return response.content.decode()


# --- Compose ------------------------------------------------------------------------------------


def test_the_compose_page_offers_the_cases_level_and_the_contacts(world):
    page = text(client_for(world.rep).get(f"/cases/{world.customer.pk}/compose/"))
    assert "Dunning message: level 0" in page
    assert "陈会计 &lt;chen@kangning.cn&gt;" in page and "李采购 &lt;li@kangning.cn&gt;" in page
    assert "陈会计 13812345678" in page
    assert 'value="lawyer-letter"' not in page  # a rep does not send lawyer's letters
    manager_page = text(client_for(world.manager).get(f"/cases/{world.customer.pk}/compose/"))
    assert 'value="lawyer-letter"' in manager_page


def test_another_reps_customer_cannot_be_written_to(world):
    response = client_for(world.rep).get(f"/cases/{world.foreign.pk}/compose/")
    assert response.status_code == 404


def test_previewing_a_message_shows_its_words_and_writes_nothing(world):
    response = compose(client_for(world.rep), world, headers={"HX-Request": "true"})
    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page  # the HTMX fragment only
    assert "陈会计您好" in page and "¥12,000.00" in page
    assert Message.objects.count() == 0 and Document.objects.count() == 0


def test_previewing_a_letter_links_a_pdf_rendered_without_storing_it(world):
    client = client_for(world.rep)
    page = text(compose(client, world, what="overdue-notice"))
    assert "随信附上我司《货款逾期通知单》" in page
    url = re.search(r'src="(/documents/preview\.pdf\?[^"]+)"', page).group(1)
    pdf = client.get(url.replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    words = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "杭州康宁医药有限公司" in words and "12,000.00" in words
    assert Document.objects.count() == 0


def test_a_letter_is_previewed_before_anyone_is_chosen_to_receive_it(world):
    page = text(compose(client_for(world.rep), world, what="overdue-notice", emails=[]))
    assert "随信附上我司《货款逾期通知单》" in page
    assert "Choose at least one contact with an email address." not in page
    assert Document.objects.count() == 0 and Message.objects.count() == 0


def test_sending_a_letter_by_email_issues_it_and_queues_its_email_together(world):
    client = client_for(world.rep)
    response = compose(
        client, world, what="overdue-notice", emails=["chen@kangning.cn", "li@kangning.cn"],
        action="send", token="form-1",
    )  # fmt: skip
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{message.pk}/"
    document = Document.objects.get()
    assert document.kind == DocumentKind.OVERDUE_NOTICE and document.total == world.overdue_total
    assert message.document == document and message.purpose == Purpose.DOCUMENT
    assert message.recipient == "chen@kangning.cn, li@kangning.cn"
    assert message.status == MessageStatus.QUEUED and document.sent_on is None
    # The same form sent twice (a double click) issues no second letter.
    compose(client, world, what="overdue-notice", action="send", token="form-1")
    assert Document.objects.count() == 1 and Message.objects.count() == 1
    page = text(client.get(response["Location"]))
    assert document.number in page and "Waiting to be sent" in page


def test_a_letter_for_post_is_issued_then_recorded_as_posted(world):
    client = client_for(world.rep)
    response = compose(client, world, what="confirmation", channel="post", action="send")
    document = Document.objects.get()
    assert response["Location"] == f"/documents/{document.pk}/mark-sent/"
    assert Message.objects.count() == 0
    page = client.get(response["Location"])
    assert document.number in text(page) and f"/documents/{document.pk}.pdf" in text(page)


def test_a_refused_letter_shows_why_and_leaves_nothing_behind(world):
    client = client_for(world.rep)
    world.customer.contacts.update(email="")
    nothing_overdue = world.foreign  # seen by the manager; nothing overdue before its due date
    manager = client_for(world.manager)
    response = manager.post(
        f"/cases/{world.customer.pk}/compose/",
        {"what": "overdue-notice", "channel": "email", "language": "zh-hans",
         "as_of": world.as_of.isoformat(), "action": "send"},
    )  # fmt: skip
    assert "Choose at least one contact with an email address." in text(response)
    response = compose(
        client, world, what="overdue-notice", channel="sms", phone="13812345678", emails=[]
    )
    assert "A letter goes by email (as a PDF) or by post." in text(response)
    early = (world.as_of - timedelta(days=60)).isoformat()
    response = compose(
        client, world, what="overdue-notice", channel="post", as_of=early, action="send", emails=[]
    )
    assert "has nothing overdue" in text(response)
    assert Document.objects.count() == 0 and Message.objects.count() == 0
    assert nothing_overdue.pk  # the foreign customer stays untouched


def test_a_dunning_sms_goes_to_the_contacts_mobile(world):
    client = client_for(world.rep)
    response = compose(client, world, channel="sms", phone="13812345678", action="send")
    message = Message.objects.get()
    assert response["Location"] == f"/messages/{message.pk}/"
    assert message.channel == Channel.SMS and message.recipient == "13812345678"
    assert "¥12,000.00" in message.body_text and message.subject == ""
    compose(client, world, channel="sms", phone="13812345678", action="send")
    assert Message.objects.count() == 1  # the same message the same day: once


def test_a_rep_cannot_send_a_lawyers_letter_but_a_manager_can(world):
    response = compose(client_for(world.rep), world, what="lawyer-letter", action="send")
    assert "Select a valid choice" in text(response)
    assert Document.objects.count() == 0
    response = compose(client_for(world.manager), world, what="lawyer-letter", action="send")
    assert response.status_code == 302
    assert Document.objects.get().kind == DocumentKind.LAWYER_LETTER


# --- The outbox ---------------------------------------------------------------------------------


def queue(world, key, customer=None, **kw):
    kw.setdefault("recipient", "chen@kangning.cn")
    return message_enqueue(
        key=key, channel=kw.pop("channel", Channel.EMAIL), purpose=Purpose.DUNNING, now=NOW,
        subject=kw.pop("subject", f"主题 {key}"), body_text="正文", customer=customer, **kw,
    )  # fmt: skip


def test_a_rep_sees_only_the_messages_of_own_customers(world):
    mine = queue(world, "mine", world.customer)
    theirs = queue(world, "theirs", world.foreign)
    wecom = Robot.objects.create(
        name="华东群", channel=Channel.WECOM, purpose=RobotPurpose.DIGEST, url="http://x.invalid/"
    )
    digest = message_enqueue(
        key="digest", channel=Channel.WECOM, purpose=Purpose.DIGEST, now=NOW, body_text="日报",
        robot=wecom,
    )  # fmt: skip
    rep = client_for(world.rep)
    page = text(rep.get("/messages/"))
    assert "主题 mine" in page and "主题 theirs" not in page and "华东群" not in page
    assert rep.get(f"/messages/{theirs.pk}/").status_code == 404
    assert rep.get(f"/messages/{digest.pk}/").status_code == 404
    assert rep.get(f"/messages/{mine.pk}/").status_code == 200
    manager = text(client_for(world.manager).get("/messages/"))
    assert "华东群" in manager and "主题 theirs" not in manager  # another region's rep
    finance = client_for(world.finance)
    assert "主题 theirs" in text(finance.get("/messages/"))
    assert finance.get(f"/messages/{digest.pk}/").status_code == 404
    filtered = text(finance.get("/messages/", {"q": "OH-003"}))
    assert "主题 theirs" in filtered and "主题 mine" not in filtered


def test_the_outbox_says_when_a_failed_message_is_retried_and_why_it_failed(world):
    waiting = queue(world, "waiting", world.customer)
    retrying = queue(world, "retrying", world.customer)
    Message.objects.filter(pk=retrying.pk).update(
        attempts=1,
        next_attempt_at=NOW + timedelta(minutes=2),
        last_error="cannot connect to mail.example.cn: Connection refused",
    )
    page = text(client_for(world.rep).get("/messages/"))
    rows = {
        m: page.split(f'data-message="{m.pk}"')[1].split("</tr>")[0] for m in (waiting, retrying)
    }
    retry_at = (NOW + timedelta(minutes=2)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    assert f"Failed, retry at {retry_at}" in rows[retrying]
    assert "Connection refused" in rows[retrying]
    assert "Waiting to be sent" in rows[waiting] and "retry" not in rows[waiting]


def test_the_message_page_shows_the_delivery_log_and_the_error(world):
    message = queue(world, "m1", world.customer)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, attempts=2, last_error="550 mailbox unavailable"
    )
    for number, result in ((1, AttemptResult.RETRY), (2, AttemptResult.FAILED)):
        DeliveryAttempt.objects.create(
            message=message, number=number, worker="w1", started_at=NOW, finished_at=NOW,
            result=result, detail=f"detail {number}",
        )  # fmt: skip
    page = text(client_for(world.rep).get(f"/messages/{message.pk}/"))
    assert "550 mailbox unavailable" in page
    assert 'data-attempt="1"' in page and "detail 2" in page and "Failed for good" in page
    assert "Send again" in page and "Cancel the message" in page


def test_an_unknown_message_is_sent_again_only_after_the_check_is_confirmed(world):
    message = queue(world, "m1", world.customer)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.UNKNOWN)
    alert = alert_raise(kind=AlertKind.UNKNOWN, text="interrupted", now=NOW, message=message)
    client = client_for(world.rep)
    response = client.post(f"/messages/{message.pk}/requeue/")
    assert response.status_code == 400 and "Check first" in text(response)
    assert Message.objects.get(pk=message.pk).status == MessageStatus.UNKNOWN
    client.post(f"/messages/{message.pk}/requeue/", {"checked": "on"})
    assert Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    alert.refresh_from_db()
    assert alert.resolved_by == world.rep  # requeueing deals with its alert


def test_a_waiting_message_can_be_cancelled(world):
    message = queue(world, "m1", world.customer)
    client_for(world.rep).post(f"/messages/{message.pk}/cancel/")
    assert Message.objects.get(pk=message.pk).status == MessageStatus.CANCELLED


def test_open_alerts_head_the_outbox_and_are_resolved_there(world):
    message = queue(world, "m1", world.customer)
    alert = alert_raise(kind=AlertKind.BOUNCED, text="退信：邮箱不存在", now=NOW, message=message)
    foreign = alert_raise(
        kind=AlertKind.BOUNCED, text="别人的退信", now=NOW, customer=world.foreign
    )
    client = client_for(world.rep)
    page = text(client.get("/messages/"))
    assert "退信：邮箱不存在" in page and "别人的退信" not in page
    assert client.post(f"/messages/alerts/{foreign.pk}/resolve/").status_code == 404
    client.post(f"/messages/alerts/{alert.pk}/resolve/", {"next": "/messages/"})
    assert Alert.objects.get(pk=alert.pk).resolved_at is not None
    assert "退信：邮箱不存在" not in text(client.get("/messages/"))


# --- Message templates --------------------------------------------------------------------------


def test_only_finance_and_admins_edit_message_templates(world):
    level = DunningLevel.objects.filter(policy__is_active=True, action=Action.CALL).first()
    url = f"/messages/templates/{level.pk}/email/zh-hans/"
    assert client_for(world.rep).get(url).status_code == 403
    assert client_for(world.manager).get(url).status_code == 403
    assert client_for(world.finance).get(url).status_code == 200
    assert (
        client_for(world.finance).get(f"/messages/templates/{level.pk}/fax/en/").status_code == 404
    )


def test_a_message_template_is_previewed_with_a_customers_figures_then_saved(world):
    level = DunningLevel.objects.filter(policy__is_active=True, action=Action.CALL).first()
    url = f"/messages/templates/{level.pk}/email/zh-hans/"
    client = client_for(world.admin)
    form = {"subject": "{{ customer }} 付款", "body": "请付 {{ amount }}，截止 {{ pay_by }}。"}
    page = text(client.post(url, {**form, "customer": "KN-001", "action": "preview"}))
    # The preview uses today's figures (the page's clock).
    due = overdue_data(customer=world.customer, as_of=timezone.localdate())
    assert "杭州康宁医药有限公司 付款" in page
    assert f"请付 {money(due.total)}，截止 {due.pay_by.isoformat()}。" in page
    assert MessageTemplate.objects.count() == 0
    broken = text(client.post(url, {**form, "body": "{% for x in %}", "action": "save"}))
    assert "Line 1" in broken and MessageTemplate.objects.count() == 0
    client.post(url, {**form, "action": "save"})
    assert MessageTemplate.objects.get().body == form["body"]
    assert "Custom wording" in text(client.get(url))
    client.post(url, {"action": "reset"})
    assert MessageTemplate.objects.count() == 0


# --- Pieces for other pages ---------------------------------------------------------------------


def render(source: str, **context) -> str:
    return Template("{% load notifications_tags %}" + source).render(Context(context))


def test_the_customer_page_piece_shows_letters_messages_and_failures_in_red(world):
    failed = queue(world, "m1", world.customer, subject="催款邮件")
    Message.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, last_error="550 no such user"
    )
    html = render("{% customer_letters customer %}", customer=world.customer)
    assert "催款邮件" in html and "550 no such user" in html
    assert 'class="text-danger"' in html and "data-failed-count" in html


def test_the_alerts_banner_counts_open_alerts_for_managers_only(world):
    alert_raise(kind=AlertKind.GAVE_UP, text="gave up", now=timezone.now())
    assert "data-alerts-banner" in render("{% alerts_banner %}", user=world.manager)
    assert "1 sending alert is open" in render("{% alerts_banner %}", user=world.admin)
    assert "data-alerts-banner" not in render("{% alerts_banner %}", user=world.rep)
