from decimal import Decimal

import pytest
from django.template import Context, Template

from huikuan.web.templatetags.money import money, percent, wan


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.56"), "¥1,234.56"),
        (Decimal("-1234.5"), "-¥1,234.50"),
        (Decimal("0"), "¥0.00"),
        (1234567, "¥1,234,567.00"),
        ("89.999", "¥90.00"),
        (None, "—"),
        ("", "—"),
        (0.1, "—"),  # a float is never shown as money
    ],
)
def test_money_shows_yuan_with_separators_and_two_places(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("123456"), "12.35"),
        (Decimal("1234567890.12"), "123,456.79"),
        (Decimal("-50000"), "-5.00"),
        (None, "—"),
    ],
)
def test_wan_shows_ten_thousands_of_yuan_with_two_places(value, shown):
    assert wan(value) == shown


def test_percent_shows_a_ratio_with_one_place():
    assert percent(Decimal("0.2308")) == "23.1%"
    assert percent(Decimal("1")) == "100.0%"
    assert percent(None) == "—"


def test_filters_are_available_in_templates():
    rendered = Template("{% load money %}{{ a|money }} {{ a|wan }}").render(
        Context({"a": Decimal("98765.40")})
    )
    assert rendered == "¥98,765.40 9.88"
