"""A small world for API tests: a region, a team, two reps, their manager, a finance clerk, and a
bearer token for each, plus a client that speaks JSON."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart

from huikuan.api.services import api_token_create
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role


class ApiClient:
    """Calls /api/v1/ with a bearer token; messages in English so tests can read them."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if token is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1/{path.lstrip('/')}", params, **self.headers)

    def post(self, path: str, body=None, *, raw: str | None = None, key: str | None = None):
        """POST a JSON body; ``key`` is sent as the Idempotency-Key header."""
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            f"/api/v1/{path.lstrip('/')}",
            data,
            content_type="application/json",
            **self._with_key(key),
        )

    def upload(self, path: str, fields: dict, *, key: str | None = None, boundary=BOUNDARY):
        """POST multipart/form-data; a ``bytes`` value in ``fields`` is sent as a file named
        ``<field>.xlsx`` unless given as ``(name, bytes)``."""
        data = {}
        for name, value in fields.items():
            if isinstance(value, tuple):
                value = SimpleUploadedFile(value[0], value[1])
            elif isinstance(value, bytes):
                value = SimpleUploadedFile(f"{name}.xlsx", value)
            data[name] = value
        return self.client.post(
            f"/api/v1/{path.lstrip('/')}",
            encode_multipart(boundary, data),
            content_type=f"multipart/form-data; boundary={boundary}",
            **self._with_key(key),
        )

    def _with_key(self, key: str | None) -> dict:
        if key is None:
            return self.headers
        return {**self.headers, "HTTP_IDEMPOTENCY_KEY": key}


def token_for(user) -> str:
    return api_token_create(user=user)[1]


def fields(response) -> list[str]:
    """The fields named by an error answer, checking the error format on the way."""
    body = response.json()
    assert set(body) == {"detail"}, body
    assert all(set(item) == {"field", "message"} and item["message"] for item in body["detail"])
    return [item["field"] for item in body["detail"]]


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # The test users' passwords are never checked here; real hashing costs seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db):
    region = f.region("EAST")
    team = f.team("华东一组", region)
    manager = f.user(Role.MANAGER, username="manager", region=region, team=team)
    rep = f.user(Role.REP, username="rep", region=region, team=team, manager=manager)
    other_rep = f.user(Role.REP, username="other_rep", region=f.region("SOUTH"))
    finance = f.user(Role.FINANCE, username="finance")
    return {
        "region": region,
        "manager": manager,
        "rep": rep,
        "other_rep": other_rep,
        "finance": finance,
    }


@pytest.fixture
def finance_api(people):
    return ApiClient(token_for(people["finance"]))


@pytest.fixture
def rep_api(people):
    return ApiClient(token_for(people["rep"]))


@pytest.fixture
def manager_api(people):
    return ApiClient(token_for(people["manager"]))
