"""Money is integer fen in the database and a two-place Decimal in Python; floats never get in."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from huikuan.core.money import MoneyError, MoneyField, money_str, quantize, to_decimal, to_fen
from huikuan.ledger.models import Receivable
from huikuan.ledger.tests import factories as f

D = Decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("2.675", "2.68"),
        ("2.674999", "2.67"),
        ("-0.005", "-0.01"),
        ("1,234.5", "1234.50"),
        (" 7 ", "7.00"),
        (12, "12.00"),
        (D("3.14159"), "3.14"),
    ],
)
def test_amounts_round_half_up_to_the_fen(raw, expected):
    value = to_decimal(raw)
    assert value == D(expected)
    assert value.as_tuple().exponent == -2
    assert str(value) == expected


@pytest.mark.parametrize(
    "raw",
    [
        0.1,
        1.0,
        float("nan"),
        True,
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        D("NaN"),
        D("Infinity"),
        "abc",
        "",
        None,
        [1],
        "1e400",
        "1e15",
        "-1e15",
    ],
)
def test_floats_nan_infinity_and_non_numbers_are_not_money(raw):
    with pytest.raises(MoneyError):
        to_decimal(raw)


def test_the_largest_amount_a_bigint_of_fen_can_hold_is_accepted():
    # 15 integer digits: what the money form field allows (max_digits 17, 2 decimal places).
    assert to_fen("999999999999999.99") == 99999999999999999


def test_fen_conversion_is_exact():
    assert to_fen(D("12.34")) == 1234
    assert to_fen("0.10") == 10
    assert to_fen(D("19.999")) == 2000
    assert quantize(D("0.125")) == D("0.13")
    assert money_str(D("1234.5")) == "1234.50"
    assert money_str(None) == "0.00"


@pytest.mark.parametrize("raw", [0.1, D("NaN"), D("Infinity"), D("sNaN"), "NaN", "1e400", "x"])
def test_the_money_field_refuses_bad_values_with_a_validation_error(raw):
    with pytest.raises(ValidationError):
        MoneyField().to_python(raw)
    with pytest.raises(ValidationError):
        MoneyField().get_prep_value(raw)


def test_a_model_holding_a_float_or_nan_fails_validation_on_that_field(db):
    cust = f.customer()
    for bad in (0.1, D("NaN"), D("Infinity")):
        receivable = Receivable(
            customer=cust,
            number="X1",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 1, 31),
            amount=bad,
            outstanding=D("1.00"),
        )
        with pytest.raises(ValidationError) as excinfo:
            receivable.full_clean()
        assert "amount" in excinfo.value.message_dict


def test_filtering_by_a_float_amount_is_refused(db):
    with pytest.raises(ValidationError):
        list(Receivable.objects.filter(amount=0.1))


def test_a_decimal_round_trips_through_the_database_unchanged(db):
    for amount in ("0.01", "0.10", "1234567.89", "999999999999.99"):
        saved = f.receivable(amount=amount)
        loaded = Receivable.objects.get(pk=saved.pk)
        assert loaded.amount == D(amount)
        assert isinstance(loaded.amount, Decimal)
        assert loaded.amount.as_tuple().exponent == -2


def test_money_is_stored_as_an_integer_number_of_fen(db):
    saved = f.receivable(amount="12.34")
    f.payment(saved.customer, amount="2.30")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT amount, outstanding FROM ledger_receivable WHERE id = %s", [saved.pk]
        )
        amount, outstanding = cursor.fetchone()
    assert (amount, outstanding) == (1234, 1004)
    assert isinstance(amount, int)


def test_half_a_fen_is_rounded_up_before_it_is_stored(db):
    saved = f.receivable(amount="10.005")
    with connection.cursor() as cursor:
        cursor.execute("SELECT amount FROM ledger_receivable WHERE id = %s", [saved.pk])
        assert cursor.fetchone()[0] == 1001
    assert Receivable.objects.get(pk=saved.pk).amount == D("10.01")


def test_summing_a_thousand_ten_fen_amounts_in_the_database_is_exact(db):
    cust = f.customer()
    Receivable.objects.bulk_create(
        Receivable(
            customer=cust,
            number=f"DIME{i:04d}",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 1, 31),
            amount=D("0.10"),
            outstanding=D("0.10"),
        )
        for i in range(1000)
    )
    total = Receivable.objects.aggregate(total=Sum("amount"))["total"]
    assert total == D("100.00")
    assert isinstance(total, Decimal)
    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(amount) FROM ledger_receivable")
        assert cursor.fetchone()[0] == 10000
