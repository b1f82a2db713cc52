from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from huikuan.web.models import LoginLock
from huikuan.web.services import (
    login_failure_record,
    login_locked_until,
    login_success_record,
)

from .conftest import PASSWORD

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("rule"),
]

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def rule():
    with override_settings(
        HUIKUAN_LOGIN_MAX_FAILURES=5, HUIKUAN_LOGIN_WINDOW_MINUTES=15, HUIKUAN_LOGIN_LOCK_MINUTES=15
    ):
        yield


def fail(times, *, start=T0, every=timedelta(minutes=1), username="zhang"):
    until = None
    for i in range(times):
        until = login_failure_record(username=username, now=start + i * every)
    return until


def test_four_failures_do_not_lock():
    assert fail(4) is None
    assert login_locked_until(username="zhang", now=T0 + timedelta(minutes=4)) is None


def test_the_fifth_failure_within_fifteen_minutes_locks_for_fifteen_minutes():
    until = fail(5)
    assert until == T0 + timedelta(minutes=4 + 15)
    assert login_locked_until(username="zhang", now=until - timedelta(seconds=1)) == until
    assert login_locked_until(username="zhang", now=until) is None


def test_attempts_while_locked_do_not_extend_the_lock():
    until = fail(5)
    assert login_failure_record(username="zhang", now=until - timedelta(minutes=1)) == until


def test_failures_spread_wider_than_the_window_do_not_lock():
    assert fail(8, every=timedelta(minutes=4)) is None  # the count restarts every 15 minutes


def test_after_a_lock_runs_out_the_count_starts_again():
    until = fail(5)
    assert fail(1, start=until + timedelta(minutes=1)) is None
    assert LoginLock.objects.get(username="zhang").failures == 1


def test_success_clears_the_failures():
    fail(4)
    login_success_record(username="zhang")
    assert fail(1, start=T0 + timedelta(minutes=5)) is None
    assert LoginLock.objects.get().failures == 1


def test_case_and_spaces_in_the_user_name_share_one_count():
    for i, name in enumerate(["Zhang", "zhang ", " ZHANG", "zhang", "zHang"]):
        until = login_failure_record(username=name, now=T0 + timedelta(seconds=i))
    assert until is not None
    assert LoginLock.objects.count() == 1


def test_other_accounts_are_not_affected():
    fail(5)
    assert login_locked_until(username="li", now=T0 + timedelta(minutes=5)) is None


def codes(response):
    return [error.code for error in response.context["form"].errors.as_data()["__all__"]]


def sign_in(client, user, password):
    return client.post("/login/", {"username": user.username, "password": password})


def test_the_login_page_locks_after_five_wrong_passwords_and_says_until_when(client, rep):
    for _ in range(4):
        response = sign_in(client, rep, "wrong")
        assert codes(response) == ["invalid_login"]
    response = sign_in(client, rep, "wrong")
    lock = LoginLock.objects.get(username=rep.username)
    assert codes(response) == ["locked"]
    errors = response.context["form"].non_field_errors()
    # The time is shown in Beijing time as 2026-11-22 09:15.
    shown = lock.locked_until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert shown in errors[0]
    assert shown in response.content.decode()


def test_the_right_password_is_refused_while_the_account_is_locked(client, rep):
    for _ in range(5):
        sign_in(client, rep, "wrong")
    response = sign_in(client, rep, PASSWORD)
    assert response.status_code == 200
    assert codes(response) == ["locked"]
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_count(client, rep):
    for _ in range(4):
        sign_in(client, rep, "wrong")
    assert sign_in(client, rep, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        sign_in(client, rep, "wrong")
    assert sign_in(client, rep, PASSWORD).status_code == 302


def test_an_empty_password_neither_counts_nor_resets(client, rep):
    for _ in range(4):
        sign_in(client, rep, "wrong")
    response = sign_in(client, rep, "")
    assert response.context["form"].errors["password"]
    assert LoginLock.objects.get(username=rep.username).failures == 4
