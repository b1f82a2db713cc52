from decimal import Decimal

import pytest

from huikuan.core.amount_words import amount_in_words

# Each value worked out by hand from the bill-writing rules in the module docstring.
CASES = [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("100", "壹佰元整"),
    ("1000001.01", "壹佰万零壹元零壹分"),
    ("120000", "壹拾贰万元整"),
    ("0.5", "伍角"),
    ("0.05", "伍分"),
    ("0.55", "伍角伍分"),
    ("10.05", "壹拾元零伍分"),
    ("10", "壹拾元整"),
    ("15", "壹拾伍元整"),
    ("101", "壹佰零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1001.10", "壹仟零壹元壹角"),
    ("20304.56", "贰万零叁佰零肆元伍角陆分"),
    ("51400.50", "伍万壹仟肆佰元伍角"),
    ("74857.28", "柒万肆仟捌佰伍拾柒元贰角捌分"),
    ("100000000", "壹亿元整"),
    ("105000000", "壹亿零伍佰万元整"),
    ("120000000", "壹亿贰仟万元整"),
    ("1000010000", "壹拾亿零壹万元整"),
    ("1000000000000", "壹万亿元整"),
]


@pytest.mark.parametrize(("value", "words"), CASES)
def test_amount_is_written_in_capital_numerals(value, words):
    assert amount_in_words(Decimal(value)) == words


def test_amount_is_rounded_to_the_fen_half_up_first():
    assert amount_in_words(Decimal("0.125")) == "壹角叁分"


def test_negative_amount_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-0.01"))


def test_float_is_refused():
    with pytest.raises(ValueError):
        amount_in_words(1.5)
