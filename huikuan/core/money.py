"""Money: integer fen in the database, two-place ``Decimal`` in Python, never a float.

SQLite stores Django decimals as floating point and its sums drift, so every amount column is a
``MoneyField``: a ``BIGINT`` of fen that reads and writes ``Decimal`` with two places. All rounding
goes through :func:`quantize` (ROUND_HALF_UP, the rule Chinese invoices use).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FEN_PER_YUAN = 100
# 15 integer digits, as the money form field allows: far above any real amount, and the fen
# still fit a signed 64-bit integer column on every database.
LIMIT = Decimal("1e15")


class MoneyError(ValueError):
    """A value that cannot be an amount of money (a float, text that is not a number, NaN…)."""


def to_decimal(value) -> Decimal:
    """Turn an int, ``Decimal`` or numeric string into a two-place ``Decimal``; refuse floats."""
    if isinstance(value, (bool, float)):
        raise MoneyError(f"money must not be a float or bool: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {value!r}") from exc
    else:
        raise MoneyError(f"not an amount: {value!r}")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if abs(result) >= LIMIT:
        raise MoneyError(f"amount too large: {value!r}")
    return quantize(result)


def quantize(value: Decimal) -> Decimal:
    """Round to the fen, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(value) -> int:
    """Integer fen for an amount (``Decimal("12.34")`` -> 1234)."""
    return int(to_decimal(value) * FEN_PER_YUAN)


def from_fen(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(CENT)


def money_str(value: Decimal | None) -> str:
    """Plain two-place string for APIs and CSV: ``"1234.50"``."""
    return f"{(value if value is not None else ZERO):.2f}"


class MoneyField(models.BigIntegerField):
    """An amount in yuan as ``Decimal`` in Python, stored as integer fen."""

    description = _("Amount of money (stored as integer fen)")

    def from_db_value(self, value, expression, connection):
        return from_fen(value)

    def to_python(self, value):
        if value is None:
            return None
        try:
            return to_decimal(value)
        except MoneyError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        try:
            return to_fen(value)
        except MoneyError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def formfield(self, **kwargs):
        from django import forms

        defaults = {"form_class": forms.DecimalField, "max_digits": 17, "decimal_places": 2}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)

    def get_internal_type(self):
        return "BigIntegerField"
