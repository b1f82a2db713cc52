import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, user, password=PASSWORD, **extra):
    return client.post(
        "/login/", {"username": user.username, "password": password, **extra}, follow=True
    )


def test_pages_send_anonymous_visitors_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_is_in_chinese_by_default(client):
    response = client.get("/login/")
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "用户名" in body and "密码" in body  # Django's own Chinese labels


def test_signing_in_lands_on_the_dashboard_in_chinese(client, rep):
    response = sign_in(client, rep)
    assert response.redirect_chain == [("/", 302)]
    assert response.templates[0].name == "web/dashboard.html"
    assert response["Content-Language"] == "zh-hans"
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "张三" in body


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="en">' in response.content.decode()


def test_signing_in_returns_to_the_page_asked_for(client, rep):
    response = sign_in(client, rep, next="/?as_of=2026-01-31")
    assert response.redirect_chain[-1] == ("/?as_of=2026-01-31", 302)


def test_a_wrong_password_keeps_the_visitor_on_the_login_page_with_an_error(client, rep):
    response = sign_in(client, rep, password="wrong")
    assert response.redirect_chain == []
    assert response.context["form"].errors["__all__"]
    assert "_auth_user_id" not in client.session


def test_the_language_switch_turns_the_app_to_english_and_back(client, rep):
    sign_in(client, rep)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert 'value="zh-hans"' in body  # the switch now offers Chinese
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_login_page_switches_to_english_too(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Username" in body


def test_signing_out_takes_a_post_and_ends_the_session(client, rep):
    sign_in(client, rep)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/", follow=True)
    assert response.redirect_chain[-1] == ("/login/", 302)
    assert client.get("/").status_code == 302


def test_sessions_end_after_thirty_idle_minutes_and_each_request_renews_them():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False


def test_a_request_pushes_the_idle_deadline_thirty_minutes_ahead(client, rep):
    sign_in(client, rep)
    session = Session.objects.get()
    session.expire_date = timezone.now() + timezone.timedelta(minutes=1)
    session.save()
    assert client.get("/").status_code == 200
    left = Session.objects.get().expire_date - timezone.now()
    assert left > timezone.timedelta(minutes=29)


def test_an_idle_session_past_its_deadline_asks_to_sign_in_again(client, rep):
    sign_in(client, rep)
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
