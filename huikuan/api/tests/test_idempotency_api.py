"""Idempotency-Key: an ERP that resends a POST it never heard back from gets the first answer
again instead of a second payment."""

import threading
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.utils import timezone

from huikuan.api import apis
from huikuan.api.idempotency import idempotency_purge
from huikuan.api.models import IdempotencyRecord
from huikuan.ledger.models import Allocation, Payment, Receivable
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

from .conftest import ApiClient, fields, token_for

KEY = "3f1c2a9e-5b7d-4e0f-9a61-7c2d8e4b1a05"


@pytest.fixture
def customer(people):
    """C1 owes R-JAN 100.00 and R-FEB 200.00."""
    c1 = f.customer("C1", owner=people["rep"], region=people["region"])
    f.receivable(c1, number="R-JAN", amount="100.00", due=date(2026, 1, 31))
    f.receivable(c1, number="R-FEB", amount="200.00", due=date(2026, 2, 28))
    return c1


def payment(**overrides):
    body = {"customer": "C1", "number": "P1", "received_on": "2026-03-10", "amount": "150.00"}
    return {**body, **overrides}


def ledger_rows() -> tuple[int, int]:
    return Payment.objects.count(), Allocation.objects.count()


def test_a_resent_payment_answers_the_first_response_and_posts_once(customer, finance_api):
    first = finance_api.post("payments", payment(), key=KEY)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert ledger_rows() == (1, 2)

    again = finance_api.post("payments", payment(), key=KEY)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again.json()["number"] == "P1" and again.json()["allocated"] == "150.00"
    assert ledger_rows() == (1, 2)
    assert Receivable.objects.get(number="R-FEB").outstanding == 150


def test_without_a_key_a_resend_is_a_new_request(customer, finance_api):
    assert finance_api.post("payments", payment()).status_code == 201
    response = finance_api.post("payments", payment())
    assert response.status_code == 409 and fields(response) == ["number"]
    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_with_another_body_is_refused_and_posts_nothing(customer, finance_api):
    assert finance_api.post("payments", payment(), key=KEY).status_code == 201
    response = finance_api.post("payments", payment(number="P2", amount="10.00"), key=KEY)
    assert response.status_code == 422
    assert fields(response) == ["Idempotency-Key"]
    assert "Idempotent-Replayed" not in response
    assert list(Payment.objects.values_list("number", flat=True)) == ["P1"]
    assert ledger_rows() == (1, 2)


def test_the_same_key_on_another_path_is_refused(customer, finance_api):
    assert finance_api.post("payments", payment(), key=KEY).status_code == 201
    response = finance_api.post("credit-notes", payment(), key=KEY)
    assert response.status_code == 422
    assert fields(response) == ["Idempotency-Key"]
    assert ledger_rows() == (1, 2)


def test_keys_belong_to_their_user(customer, finance_api, people):
    other = ApiClient(token_for(f.user(Role.ADMIN, username="admin2")))
    assert finance_api.post("payments", payment(), key=KEY).status_code == 201
    response = other.post("payments", payment(number="P2", amount="10.00"), key=KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert sorted(Payment.objects.values_list("number", flat=True)) == ["P1", "P2"]


def test_a_refusal_is_answered_again_even_once_the_request_would_succeed(people, finance_api):
    # No customer C1 yet: 404. Creating it afterwards does not turn the resend into a posting.
    refused = finance_api.post("payments", payment(), key=KEY)
    assert refused.status_code == 404
    f.customer("C1", owner=people["rep"])
    again = finance_api.post("payments", payment(), key=KEY)
    assert again.status_code == 404
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == refused.content
    assert not Payment.objects.exists()
    # A new key is a new request.
    assert finance_api.post("payments", payment(), key="another-key").status_code == 201


def test_a_server_error_releases_the_key(customer, finance_api, monkeypatch):
    real = apis.payment_record

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(apis, "payment_record", broken)
    finance_api.client.raise_request_exception = False
    assert finance_api.post("payments", payment(), key=KEY).status_code == 500
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.setattr(apis, "payment_record", real)
    response = finance_api.post("payments", payment(), key=KEY)
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert ledger_rows() == (1, 2)


def test_a_lost_race_is_not_kept_so_the_resend_runs(customer, finance_api, monkeypatch):
    real = apis.payment_record

    def lost(**kwargs):
        monkeypatch.setattr(apis, "payment_record", real)
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(apis, "payment_record", lost)
    response = finance_api.post("payments", payment(), key=KEY)
    assert response.status_code == 409 and fields(response) == ["__all__"]
    again = finance_api.post("payments", payment(), key=KEY)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert ledger_rows() == (1, 2)


@pytest.mark.parametrize("key", ["", "x" * 256, "付款-1", "tab\there"])
def test_an_unusable_key_is_refused(customer, finance_api, key):
    response = finance_api.post("payments", payment(), key=key)
    assert response.status_code == 422
    assert fields(response) == ["Idempotency-Key"]
    assert ledger_rows() == (0, 0)


def test_a_key_of_255_characters_is_fine(customer, finance_api):
    assert finance_api.post("payments", payment(), key="k" * 255).status_code == 201
    assert finance_api.post("payments", payment(), key="k" * 255)["Idempotent-Replayed"] == "true"


def test_without_a_valid_token_the_key_is_not_taken(customer):
    response = ApiClient("hk_not-a-token").post("payments", payment(), key=KEY)
    assert response.status_code == 401
    assert fields(response) == ["Authorization"]
    assert not IdempotencyRecord.objects.exists()


def test_reads_ignore_the_key(customer, finance_api):
    response = finance_api.client.get(
        "/api/v1/payments", HTTP_IDEMPOTENCY_KEY=KEY, **finance_api.headers
    )
    assert response.status_code == 200
    assert not IdempotencyRecord.objects.exists()


def test_keys_older_than_a_day_are_purged_and_may_be_used_again(customer, finance_api):
    assert finance_api.post("payments", payment(), key=KEY).status_code == 201
    assert finance_api.post("payments", payment(), key="fresh").status_code == 409
    now = timezone.now()
    IdempotencyRecord.objects.filter(key=KEY).update(created_at=now - timedelta(hours=25))
    assert idempotency_purge(now=now) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    # The key is free again: the same request now runs and is refused as a duplicate number.
    response = finance_api.post("payments", payment(), key=KEY)
    assert response.status_code == 409 and fields(response) == ["number"]
    assert "Idempotent-Replayed" not in response


def test_post_operations_declare_the_header_in_the_schema(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    post = paths["/api/v1/payments"]["post"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in post] == [
        ("Idempotency-Key", "header", False)
    ]
    listing = paths["/api/v1/payments"]["get"]["parameters"]
    assert "Idempotency-Key" not in [p["name"] for p in listing]
    assert all(
        "Idempotency-Key" in [p["name"] for p in item["post"].get("parameters", [])]
        for item in paths.values()
        if "post" in item
    )


# --- Two requests at once ------------------------------------------------------------------


@pytest.fixture
def committed_world(flushable_db):
    finance = f.user(Role.FINANCE, username="finance")
    c1 = f.customer("C1")
    f.receivable(c1, number="R-JAN", amount="100.00", due=date(2026, 1, 31))
    f.receivable(c1, number="R-FEB", amount="200.00", due=date(2026, 2, 28))
    return token_for(finance)


def test_a_resend_while_the_first_is_still_running_gets_409(committed_world, monkeypatch):
    """The first request is held inside the endpoint; the resend gets 409 at once; the first
    then finishes, and a later resend gets its answer."""
    real = apis.payment_record
    inside, release = threading.Event(), threading.Event()

    def slow(**kwargs):
        inside.set()
        assert release.wait(timeout=30)
        return real(**kwargs)

    monkeypatch.setattr(apis, "payment_record", slow)
    answers = {}

    def first():
        try:
            answers["first"] = ApiClient(committed_world).post("payments", payment(), key=KEY)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        during = ApiClient(committed_world).post("payments", payment(), key=KEY)
    finally:
        release.set()
        thread.join(timeout=60)
    assert during.status_code == 409
    assert fields(during) == ["Idempotency-Key"]
    assert answers["first"].status_code == 201
    after = ApiClient(committed_world).post("payments", payment(), key=KEY)
    assert after["Idempotent-Replayed"] == "true"
    assert after.content == answers["first"].content
    assert ledger_rows() == (1, 2)


@pytest.mark.postgres
def test_eight_simultaneous_sends_of_one_request_post_it_once(committed_world):
    count = 8
    barrier = threading.Barrier(count)
    answers: list = [None] * count

    def send(i):
        try:
            client = ApiClient(committed_world)
            barrier.wait(timeout=30)
            answers[i] = client.post("payments", payment(), key=KEY)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    ran = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a]
    assert len(ran) == 1
    for answer in answers:
        if answer.status_code == 201:
            assert answer.content == ran[0].content
        else:
            assert answer.status_code == 409 and fields(answer) == ["Idempotency-Key"]
    assert ledger_rows() == (1, 2)
    assert IdempotencyRecord.objects.get().completed
