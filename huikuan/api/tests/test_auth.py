"""Bearer tokens: who gets in, who is turned away (always with a JSON 401), and who is recorded."""

from datetime import date

from huikuan.api.models import ApiToken, hash_token
from huikuan.api.services import api_token_revoke
from huikuan.audit.models import AuditEntry
from huikuan.ledger.models import Payment
from huikuan.ledger.tests import factories as f

from .conftest import ApiClient, fields, token_for


def test_a_request_without_a_token_gets_a_json_401(people):
    response = ApiClient(None).get("customers")
    assert response.status_code == 401
    assert fields(response) == ["Authorization"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_gets_a_json_401(people):
    response = ApiClient("hk_not-a-real-token").get("customers")
    assert response.status_code == 401
    assert fields(response) == ["Authorization"]


def test_a_basic_auth_header_is_not_a_bearer_token(people):
    api = ApiClient(None)
    api.headers["HTTP_AUTHORIZATION"] = "Basic ZmluYW5jZTp4"
    assert api.get("customers").status_code == 401


def test_a_revoked_token_is_refused(people):
    raw = token_for(people["finance"])
    assert ApiClient(raw).get("customers").status_code == 200
    api_token_revoke(token=ApiToken.objects.get(key_hash=hash_token(raw)))
    response = ApiClient(raw).get("customers")
    assert response.status_code == 401
    assert fields(response) == ["Authorization"]


def test_the_token_of_an_inactive_user_is_refused(people):
    raw = token_for(people["finance"])
    people["finance"].is_active = False
    people["finance"].save()
    assert ApiClient(raw).get("customers").status_code == 401


def test_only_the_hash_of_a_token_is_stored_and_its_use_is_recorded(people):
    raw = token_for(people["finance"])
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(raw) and raw not in {token.key_hash, token.name}
    assert token.last_used_at is None
    ApiClient(raw).get("customers")
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # A second request within the minute does not write again.
    ApiClient(raw).get("customers")
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_the_audit_trail_records_the_token_user_as_the_one_who_posted(people, finance_api):
    f.customer("C1", owner=people["rep"])
    response = finance_api.post(
        "payments",
        {"customer": "C1", "number": "P1", "received_on": "2026-02-01", "amount": "10.00"},
    )
    assert response.status_code == 201
    payment = Payment.objects.get(number="P1")
    entry = AuditEntry.objects.get(action="payment.record", object_id=str(payment.pk))
    assert entry.actor == people["finance"]
    assert payment.created_by == people["finance"]
    assert payment.received_on == date(2026, 2, 1)
