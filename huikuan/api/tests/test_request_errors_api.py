"""Bad requests: each is a 4xx with {"detail": [{"field", "message"}]} naming the field, never a
500, and none writes anything."""

import pytest

from huikuan.customers.models import Customer
from huikuan.ledger.models import Allocation, Payment
from huikuan.ledger.tests import factories as f

from .conftest import fields


@pytest.fixture
def customer(people):
    c1 = f.customer("C1", owner=people["rep"])
    f.receivable(c1, number="R1", amount="500.00")
    return c1


def pay(finance_api, **fields_):
    body = {"customer": "C1", "number": "P1", "received_on": "2026-03-01", "amount": "100.00"}
    body.update(fields_)
    return finance_api.post("payments", body)


def refused(response, status: int = 422) -> list[str]:
    assert response.status_code == status, response.content
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    return fields(response)


def message(response) -> str:
    return response.json()["detail"][0]["message"]


def test_malformed_json_is_a_400_naming_the_body(customer, finance_api):
    response = finance_api.post("payments", raw='{"customer": "C1", "amount": ')
    assert refused(response, 400) == ["body"]
    assert "JSON" in message(response)


def test_an_empty_body_is_named(customer, finance_api):
    assert refused(finance_api.post("payments", raw="")) == ["body"]


def test_a_list_instead_of_an_object_is_named(customer, finance_api):
    assert refused(finance_api.post("payments", raw="[]")) == ["body"]


def test_missing_fields_are_each_named(customer, finance_api):
    response = finance_api.post("payments", {"customer": "C1"})
    assert sorted(refused(response)) == ["amount", "number", "received_on"]


def test_a_misspelt_field_is_refused_not_ignored(customer, finance_api):
    response = pay(finance_api, recieved_on="2026-03-01")
    assert refused(response) == ["recieved_on"]


def test_a_json_float_is_refused_because_money_is_never_a_float(customer, finance_api):
    response = pay(finance_api, amount=100.5)
    assert refused(response) == ["amount"]
    assert "浮点数" in message(response)  # Chinese is the default language


def test_a_json_integer_is_exact_and_accepted(customer, finance_api):
    response = pay(finance_api, amount=100)
    assert response.status_code == 201
    assert response.json()["amount"] == "100.00"


@pytest.mark.parametrize("amount", ["12.345", "0.001", "1e3", "12,5", "abc", "", "NaN", True])
def test_amounts_that_are_not_exact_two_place_decimals_are_refused(customer, finance_api, amount):
    assert refused(pay(finance_api, amount=amount)) == ["amount"]


def test_more_than_two_places_is_an_error_not_rounding(customer, finance_api):
    response = pay(finance_api, amount="99.999")
    assert refused(response) == ["amount"]
    assert "两位小数" in message(response)


def test_trailing_zeros_lose_nothing_and_are_accepted(customer, finance_api):
    assert pay(finance_api, amount="12.300").json()["amount"] == "12.30"


def test_an_absurdly_large_amount_is_refused_rather_than_overflowing(customer, finance_api):
    assert refused(pay(finance_api, amount="1" * 30)) == ["amount"]


def test_a_negative_amount_is_refused_by_the_ledger(customer, finance_api):
    assert refused(pay(finance_api, amount="-5.00")) == ["amount"]


@pytest.mark.parametrize("day", ["2026-02-30", "01/03/2026", "2026-3-1", 20260301, "0001-01-01"])
def test_bad_dates_are_named(customer, finance_api, day):
    assert refused(pay(finance_api, received_on=day)) == ["received_on"]


@pytest.mark.parametrize(
    "allocate",
    [
        "oldest",
        {"receivable": "R1"},
        [{"receivable": "R1"}],
        [{"receivable": "R1", "amount": 10.5}],
        [{"receivable": "R1", "amount": "10.00", "note": "x"}],
        [{"receivable": "", "amount": "10.00"}],
        [{"receivable": "R404", "amount": "10.00"}],
        [{"receivable": "R1", "amount": "5.00"}, {"receivable": "R1", "amount": "5.00"}],
    ],
)
def test_bad_allocation_lines_are_named(customer, finance_api, allocate):
    assert refused(pay(finance_api, allocate=allocate)) == ["allocate"]


def test_nul_characters_are_refused_before_they_reach_the_database(customer, finance_api):
    assert refused(pay(finance_api, number="P\u00001")) == ["number"]
    response = finance_api.get("customers/C\u00001")
    assert response.status_code == 422
    assert fields(response) == ["code"]


def test_a_text_field_given_a_number_is_named(people, finance_api):
    response = finance_api.post("customers", {"code": 42, "name": "x"})
    assert response.status_code == 422
    assert fields(response) == ["code"]
    assert not Customer.objects.exists()


def test_pagination_limits_are_checked(customer, finance_api):
    for params, field in (
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        response = finance_api.get("receivables", **params)
        assert response.status_code == 422
        assert fields(response) == [field]
    assert finance_api.get("receivables", open="maybe").status_code == 422


def test_an_unknown_endpoint_is_a_json_404(people, finance_api):
    response = finance_api.get("invoices/1")
    assert response.status_code == 404
    assert fields(response) == ["__all__"]


def test_a_method_the_path_does_not_support_is_a_json_405(people, finance_api):
    response = finance_api.client.delete("/api/v1/customers", **finance_api.headers)
    assert response.status_code == 405
    assert fields(response) == ["__all__"]
    assert "GET" in response["Allow"] and "POST" in response["Allow"]


def test_the_api_root_is_a_json_404(people, finance_api):
    response = finance_api.get("")
    assert response.status_code == 404
    assert fields(response) == ["__all__"]


def test_a_write_that_loses_a_race_is_a_409_not_a_500(people, finance_api, monkeypatch):
    from django.db import IntegrityError

    from huikuan.api import apis

    def lose_the_race(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(apis, "customer_create", lose_the_race)
    response = finance_api.post("customers", {"code": "C9", "name": "x"})
    assert response.status_code == 409
    assert fields(response) == ["__all__"]
