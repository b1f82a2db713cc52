"""The webhook pages: administrators set up, change, re-key, test and switch off endpoints and
read the delivery log; nobody else may open them or change anything through them."""

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from huikuan.dunning.tests.factories import make_customer, make_payment, make_user
from huikuan.notifications.models import (
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    Purpose,
    WebhookEndpoint,
)
from huikuan.notifications.tests.servers import http_server
from huikuan.notifications.webhooks import events_dispatch, webhook_endpoint_create
from huikuan.notifications.worker import send_due
from huikuan.org.models import Role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, username="wh-admin")


@pytest.fixture
def hook(admin):
    return webhook_endpoint_create(
        name="Kingdee ERP",
        url="https://erp.example.cn/huikuan",
        events=["payment.recorded"],
        actor=admin,
    )


def pages(hook) -> list[str]:
    return [
        reverse("notifications:webhooks"),
        reverse("notifications:webhook_new"),
        reverse("notifications:webhook", args=[hook.pk]),
        reverse("notifications:webhook_deliveries"),
    ]


def posts(hook) -> list[tuple[str, dict]]:
    return [
        (reverse("notifications:webhook_new"), {"name": "Evil", "url": "http://evil.example/"}),
        (
            reverse("notifications:webhook", args=[hook.pk]),
            {"name": "Evil", "url": "http://evil.example/", "is_active": "on"},
        ),
        (reverse("notifications:webhook_rotate", args=[hook.pk]), {}),
        (reverse("notifications:webhook_switch", args=[hook.pk]), {"active": "0"}),
        (reverse("notifications:webhook_test", args=[hook.pk]), {}),
    ]


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.FINANCE])
def test_only_administrators_may_open_or_use_the_pages(role, hook):
    client = client_for(make_user(role))
    for url in pages(hook):
        assert client.get(url).status_code == 403, url
    secret = hook.secret
    for url, data in posts(hook):
        assert client.post(url, data).status_code == 403, url
    hook.refresh_from_db()
    assert (hook.name, hook.url, hook.secret, hook.is_active) == (
        "Kingdee ERP",
        "https://erp.example.cn/huikuan",
        secret,
        True,
    )
    assert WebhookEndpoint.objects.count() == 1
    assert not Message.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(hook):
    client = client_for(None)
    for url in pages(hook):
        answer = client.get(url)
        assert answer.status_code == 302 and "login" in answer["Location"], url


def test_a_superuser_may_open_them(hook):
    boss = make_user(Role.REP, username="root", is_superuser=True)
    assert client_for(boss).get(reverse("notifications:webhooks")).status_code == 200


def test_an_administrator_sets_up_an_endpoint_and_sees_its_secret(admin):
    client = client_for(admin)
    answer = client.post(
        reverse("notifications:webhook_new"),
        {
            "name": "用友 ERP",
            "url": "https://erp.example.cn/events",
            "events": ["payment.recorded", "credit.blocked"],
        },
    )
    hook = WebhookEndpoint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("notifications:webhook", args=[hook.pk])
    assert (hook.name, hook.url, hook.events, hook.is_active, hook.created_by) == (
        "用友 ERP",
        "https://erp.example.cn/events",
        ["payment.recorded", "credit.blocked"],
        True,
        admin,
    )
    page = client.get(answer["Location"]).content.decode()
    assert hook.secret in page
    listing = client.get(reverse("notifications:webhooks")).content.decode()
    assert "用友 ERP" in listing and "https://erp.example.cn/events" in listing
    assert hook.secret not in listing


@pytest.mark.parametrize(
    "url", ["ftp://erp.example.cn/x", "erp.example.cn/hook", "javascript:alert(1)", ""]
)
def test_an_address_that_is_not_http_is_refused(admin, url):
    answer = client_for(admin).post(
        reverse("notifications:webhook_new"), {"name": "ERP", "url": url}
    )
    assert answer.status_code == 200
    [error] = answer.context["form"].errors["url"]
    assert "http" in error if url else "required" in error
    assert not WebhookEndpoint.objects.exists()


def test_an_administrator_changes_rotates_and_switches_off(admin, hook):
    client = client_for(admin)
    url = reverse("notifications:webhook", args=[hook.pk])
    answer = client.post(
        url,
        {
            "name": "Kingdee ERP (new)",
            "url": "https://erp2.example.cn/h",
            "events": [],
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.url, hook.events) == (
        "Kingdee ERP (new)",
        "https://erp2.example.cn/h",
        [],
    )
    old = hook.secret
    client.post(reverse("notifications:webhook_rotate", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old
    page = client.get(url).content.decode()
    assert hook.secret in page and old not in page
    client.post(reverse("notifications:webhook_switch", args=[hook.pk]), {"active": "0"})
    hook.refresh_from_db()
    assert not hook.is_active
    # Switched off, it cannot be tested.
    answer = client.post(reverse("notifications:webhook_test", args=[hook.pk]), follow=True)
    assert "switched off" in answer.content.decode()
    assert not Message.objects.exists()


def test_a_test_event_is_sent_and_shows_in_the_delivery_log(admin, settings):
    settings.HUIKUAN_WEBHOOK_TIMEOUT = 5
    client = client_for(admin)
    with http_server() as receiver:
        receiver.script("/hook", [(503, "busy")])
        hook = webhook_endpoint_create(name="BI", url=receiver.url("/hook"), events=[], actor=admin)
        answer = client.post(reverse("notifications:webhook_test", args=[hook.pk]))
        message = Message.objects.get(webhook=hook)
        assert answer["Location"] == reverse("notifications:message", args=[message.pk])
        assert (message.purpose, message.subject) == (Purpose.EVENT, "webhook.test")
        send_due(worker_id="w")
        assert len(receiver.requests_to("/hook")) == 1
    log = client.get(reverse("notifications:webhook_deliveries")).content.decode()
    assert f'data-message="{message.pk}"' in log
    assert "webhook.test" in log and "HTTP 503" in log
    assert reverse("notifications:message", args=[message.pk]) in log
    # The message's own page (the outbox's) shows the attempt and the JSON body.
    detail = client.get(reverse("notifications:message", args=[message.pk])).content.decode()
    assert "HTTP 503" in detail and "webhook.test" in detail
    assert DeliveryAttempt.objects.get(message=message).result == "retry"


def test_the_delivery_log_filters_by_endpoint_and_status(admin):
    erp = webhook_endpoint_create(name="ERP", url="http://127.0.0.1:9/a", events=[], actor=admin)
    bi = webhook_endpoint_create(name="BI", url="http://127.0.0.1:9/b", events=[], actor=admin)
    make_payment(make_customer(code="WL-1"), "10.00", date(2026, 7, 1))
    events_dispatch()
    to_erp = Message.objects.get(webhook=erp)
    to_bi = Message.objects.get(webhook=bi)
    Message.objects.filter(pk=to_bi.pk).update(status=MessageStatus.FAILED)
    client = client_for(admin)
    url = reverse("notifications:webhook_deliveries")

    def shown(query: dict) -> set[int]:
        page = client.get(url, query).content.decode()
        return {m for m in (to_erp.pk, to_bi.pk) if f'data-message="{m}"' in page}

    assert shown({}) == {to_erp.pk, to_bi.pk}
    assert shown({"endpoint": erp.pk}) == {to_erp.pk}
    assert shown({"status": "failed"}) == {to_bi.pk}
    assert shown({"endpoint": erp.pk, "status": "failed"}) == set()
    assert Message.objects.filter(channel=Channel.WEBHOOK).count() == 2
    # The list counts what failed per endpoint.
    listing = client.get(reverse("notifications:webhooks")).content.decode()
    assert f"{url}?endpoint={bi.pk}&amp;status=failed" in listing


def test_the_delivery_log_exports_to_excel_with_its_filters(admin):
    webhook_endpoint_create(name="ERP", url="http://127.0.0.1:9/a", events=[], actor=admin)
    bi = webhook_endpoint_create(name="=BI", url="http://127.0.0.1:9/b", events=[], actor=admin)
    make_payment(make_customer(code="WX-1"), "10.00", date(2026, 7, 1))
    events_dispatch()
    to_bi = Message.objects.get(webhook=bi)
    Message.objects.filter(pk=to_bi.pk).update(status=MessageStatus.FAILED)
    client = client_for(admin)
    url = reverse("notifications:webhook_deliveries")
    page = client.get(url, {"status": "failed"}).content.decode()
    assert "export=xlsx" in page

    def exported(query: dict) -> list[list]:
        response = client.get(url, {**query, "export": "xlsx"})
        assert response["Content-Disposition"].startswith('attachment; filename="webhook-')
        book = CalamineWorkbook.from_object(io.BytesIO(response.getvalue()))
        rows = book.get_sheet_by_index(0).to_python()
        header = next(i for i, row in enumerate(rows) if "Endpoint" in row)
        return [row for row in rows[header + 1 :] if any(row)]

    everything = exported({})
    assert sorted(row[1] for row in everything) == ["'=BI", "ERP"]
    assert {row[2] for row in everything} == {"payment.recorded"}
    failed = exported({"status": "failed"})
    assert [(row[1], int(row[3])) for row in failed] == [("'=BI", to_bi.pk)]
    assert client_for(make_user(Role.FINANCE)).get(url, {"export": "xlsx"}).status_code == 403
