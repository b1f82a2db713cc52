"""`huikuan create-api-token USERNAME [--name NAME]`."""

import io

import pytest
from django.core.management import CommandError, call_command

from huikuan.api.models import ApiToken

from .conftest import ApiClient


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    assert "Authorization: Bearer" in err.getvalue()  # tells how to use the token, once
    return out.getvalue().strip()


def test_the_printed_token_works_against_the_api(people):
    raw = run("finance", "--name", "ERP sync")
    assert raw.startswith("hk_")
    token = ApiToken.objects.get()
    assert token.user == people["finance"] and token.name == "ERP sync"
    assert ApiClient(raw).get("customers").status_code == 200


def test_an_unknown_user_is_a_clear_error_and_creates_nothing(people):
    with pytest.raises(CommandError, match="ghost"):
        run("ghost")
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(people):
    people["rep"].is_active = False
    people["rep"].save()
    with pytest.raises(CommandError, match="rep"):
        run("rep")
    assert not ApiToken.objects.exists()


def test_the_documented_dashed_spelling_works_too(people):
    out, err = io.StringIO(), io.StringIO()
    call_command("create-api-token", "finance", stdout=out, stderr=err)
    assert ApiClient(out.getvalue().strip()).get("customers").status_code == 200
