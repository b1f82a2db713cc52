"""Reading one cell: the spellings of dates, amounts, numbers, yes/no and choices found in real
exports, and a clear message for each cell that cannot be read."""

from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal

import pytest
from django.utils import translation

from huikuan.imports.values import (
    CellError,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def error(parse, *args) -> str:
    with pytest.raises(CellError) as caught:
        parse(*args)
    return caught.value.message


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        ("  华为技术有限公司 ", "华为技术有限公司"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (13800138000.0, "13800138000"),  # a phone number Excel stored as a number
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (date(2026, 11, 22), "2026-11-22"),
        (datetime(2026, 11, 22), "2026-11-22"),
        (datetime(2026, 11, 22, 9, 30), "2026-11-22 09:30:00"),
        (True, "TRUE"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
    ],
)
def test_text_cells(cell, text):
    assert parse_text(cell, 100) == text


def test_text_starting_with_equals_is_refused_as_a_formula():
    assert "“=HYPERLINK(…)” looks like a formula" in error(parse_text, "=HYPERLINK(…)", 100)


def test_text_longer_than_the_field_is_refused():
    assert parse_text("一二三", 3) == "一二三"
    assert error(parse_text, "一二三四", 3) == "Longer than 3 characters."


def test_text_without_a_limit_takes_any_length():
    assert parse_text("x" * 5000, 0) == "x" * 5000


def test_text_with_a_nul_character_is_refused():
    assert "NUL" in error(parse_text, "a\x00b", 10)


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        date(2026, 11, 22),
        datetime(2026, 11, 22, 18, 5),
        "2026-11-22",
        " 2026-11-22 ",
        "2026/11/22",
        "2026.11.22",
        "2026年11月22日",
        "2026 年 11 月 22 日",
        "20261122",
        "2026-11-22 00:00:00",
        "2026/11/22 14:30",
        "２０２６－１１－２２",
        46348,
        46348.0,
        46348.75,
        "46348",
    ],
)
def test_dates_in_every_usual_spelling(cell):
    assert parse_date(cell) == date(2026, 11, 22)


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2026-1-5", date(2026, 1, 5)),
        ("2026/1/05", date(2026, 1, 5)),
        ("2026年1月5日", date(2026, 1, 5)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (45659.0, date(2025, 1, 2)),  # what python-calamine reads for serial 45659
        (2958465, date(9999, 12, 31)),
    ],
)
def test_short_spellings_and_excel_day_numbers(cell, day):
    assert parse_date(cell) == day


@pytest.mark.parametrize("cell", ["", "  ", None])
def test_an_empty_date_cell_is_none(cell):
    assert parse_date(cell) is None


@pytest.mark.parametrize("cell", ["2026-02-30", "2026-13-01", "20260230", "2026年2月29日", 60])
def test_days_that_do_not_exist_are_refused(cell):
    assert "that day does not exist" in error(parse_date, cell)


@pytest.mark.parametrize(
    "cell", ["明天", "22/11/2026", "11/22/26", "2026-11", "0", 0, -5, 2958466, "123456", True]
)
def test_what_is_not_a_date_is_refused_with_the_format_to_use(cell):
    assert "write dates as 2026-11-22" in error(parse_date, cell)


def test_a_year_before_1900_is_refused_as_a_typo():
    assert "before 1900" in error(parse_date, "0226-11-22")


def test_a_time_of_day_is_not_a_date():
    assert "time of day" in error(parse_date, clock(14, 30))


# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "amount"),
    [
        (1234.5, "1234.50"),
        (1234.56, "1234.56"),
        (0.1 + 0.2, "0.30"),
        (1e12, "1000000000000.00"),
        (8, "8.00"),
        (Decimal("12.3"), "12.30"),
        ("1234.5", "1234.50"),
        ("-1234.5", "-1234.50"),
        ("+7", "7.00"),
        (".5", "0.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567.00"),
        ("¥1,234.50", "1234.50"),
        ("￥1，234.50", "1234.50"),
        ("￥ 1 234.50", "1234.50"),
        ("RMB 1234.5", "1234.50"),
        ("rmb1234.5", "1234.50"),
        ("CNY 88", "88.00"),
        ("1234.50元", "1234.50"),
        ("(1,234.50)", "-1234.50"),
        ("（1,234.50）", "-1234.50"),
        ("-¥1,234.50", "-1234.50"),
        ("¥-1,234.50", "-1234.50"),
        ("１２３４．５", "1234.50"),
        ("12.5万", "125000.00"),
        ("12.5万元", "125000.00"),
        ("0", "0.00"),
        ("-0", "0.00"),
        ("−3", "-3.00"),  # the typographic minus sign
    ],
)
def test_amounts_in_every_usual_spelling(cell, amount):
    result = parse_amount(cell)

    assert result == Decimal(amount)
    assert str(result) == amount


@pytest.mark.parametrize(
    ("cell", "amount"),
    [(1.5, "15000.00"), ("1.2345", "12345.00"), (12, "120000.00"), ("3万元", "30000.00")],
)
def test_amounts_in_a_wan_column_are_multiplied_once(cell, amount):
    assert parse_amount(cell, wan=True) == Decimal(amount)


@pytest.mark.parametrize("cell", ["", "   ", None])
def test_an_empty_amount_cell_is_none(cell):
    assert parse_amount(cell) is None


@pytest.mark.parametrize(("cell", "wan"), [("1.234", False), (1.005, False), ("1.2345678", True)])
def test_more_than_two_decimal_places_are_refused(cell, wan):
    assert "more than two decimal places" in error(parse_amount, cell, wan)


def test_scientific_notation_is_refused_because_digits_are_lost():
    assert "scientific notation" in error(parse_amount, "1.23457E+11")


@pytest.mark.parametrize("cell", ["12,34", "1,23,456.00", "1234,567"])
def test_misplaced_thousands_separators_are_refused(cell):
    assert "thousands separators" in error(parse_amount, cell)


@pytest.mark.parametrize(
    "cell", ["abc", "NaN", "Infinity", "1_000", "$12", "(-5)", "1.2.3", True, float("nan")]
)
def test_what_is_not_an_amount_is_refused(cell):
    assert "is not an amount" in error(parse_amount, cell)


def test_an_amount_too_large_to_store_is_refused():
    assert "too large" in error(parse_amount, "1000000000000000")
    assert "too large" in error(parse_amount, 1e300)


# --- integers, yes/no, choices ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "number"),
    [("30", 30), (" 30 ", 30), (30.0, 30), (7, 7), ("1,000", 1000), ("-5", -5), ("12.0", 12)],
)
def test_whole_numbers(cell, number):
    assert parse_int(cell) == number


@pytest.mark.parametrize("cell", ["12.5", 12.5, "abc", True, "1,00"])
def test_what_is_not_a_whole_number_is_refused(cell):
    assert "is not a whole number" in error(parse_int, cell)


def test_a_whole_number_too_large_for_the_database_is_refused():
    assert "too large" in error(parse_int, "99999999999")


@pytest.mark.parametrize("cell", ["是", "Y", "yes", "TRUE", "true", "1", 1.0, "√", True])
def test_yes(cell):
    assert parse_bool(cell) is True


@pytest.mark.parametrize("cell", ["否", "N", "no", "FALSE", "0", 0.0, "×", False])
def test_no(cell):
    assert parse_bool(cell) is False


def test_neither_yes_nor_no_is_refused():
    assert parse_bool("") is None
    assert "neither yes nor no" in error(parse_bool, "也许")


METHODS = {  # as the import builds its tables: every accepted word, lower case, to the code
    "bank_transfer": "bank_transfer",
    "银行转账": "bank_transfer",
    "转账": "bank_transfer",
    "cash": "cash",
    "现金": "cash",
}


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("银行转账", "bank_transfer"),
        (" 转账 ", "bank_transfer"),
        ("现金", "cash"),
        ("CASH", "cash"),
        ("Bank_Transfer", "bank_transfer"),
        ("ｃａｓｈ", "cash"),
    ],
)
def test_choices_by_label_other_word_or_code_whatever_the_case(cell, code):
    assert parse_choice(cell, METHODS) == code


def test_a_choice_table_keyed_by_code_accepts_the_codes():
    assert parse_choice("Open", {"open": "打开", "closed": "关闭"}) == "打开"
    assert parse_choice("关闭", {"open": "打开", "closed": "关闭"}) == "关闭"


def test_an_unknown_choice_is_refused_listing_the_accepted_words():
    message = error(parse_choice, "支票", METHODS)

    assert message == "“支票” is not one of the accepted values: 银行转账, 转账, 现金."
    assert parse_choice("", METHODS) is None
