"""Template filters that show money and ratios the one way Huikuan shows them.

    {% load money %}
    {{ receivable.outstanding|money }}   ¥1,234.56   (-¥1,234.56 when negative, — when empty)
    {{ total|wan }}                       12.35       (in 万元; the page states the unit, e.g. in
                                                       the column heading "Amount (10k yuan)")
    {{ rate|percent }}                    87.5%       (a 0–1 ratio; — when empty)

Amounts are ``Decimal`` (or int / numeric string); a float is refused by ``to_decimal`` and shown
as — rather than silently rounded.
"""

from decimal import Decimal

from django import template

from huikuan.core.money import MoneyError, quantize, to_decimal

register = template.Library()

EMPTY = "—"
TEN_THOUSAND = Decimal(10000)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return to_decimal(value)
    except MoneyError:
        return None


@register.filter
def money(value, symbol: str = "¥") -> str:
    """``Decimal("-1234.5")`` -> ``-¥1,234.50``; ``None`` -> ``—``."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.filter
def wan(value) -> str:
    """An amount in 万元 (ten thousand yuan), two places: ``123456`` -> ``12.35``.

    The number carries no unit so the page can say it once (a heading "金额（万元）")."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    return f"{quantize(amount / TEN_THOUSAND):,.2f}"


@register.filter
def percent(value, places: int = 1) -> str:
    """A ratio as a percentage: ``Decimal("0.875")`` -> ``87.5%``; ``None`` -> ``—``."""
    if value is None or value == "" or isinstance(value, float):
        return EMPTY
    try:
        ratio = Decimal(value)
    except (ArithmeticError, ValueError, TypeError):
        return EMPTY
    return f"{ratio * 100:.{int(places)}f}%"


@register.filter
def money_plain(value) -> str:
    """Two places, no symbol, no separators (for data attributes and inputs): ``1234.50``."""
    amount = _decimal(value)
    return "" if amount is None else f"{amount:.2f}"
