"""An amount in Chinese capital numerals (大写金额), as cheques and formal letters write it.

The rules we follow (those of the People's Bank for bills and vouchers):

* digits are the capital forms 零壹贰叁肆伍陆柒捌玖 with the units 拾佰仟, 万 and 亿;
* a ten is always written with its digit: 10 is 壹拾, never 拾;
* a run of zeros inside the number is read as one 零; zeros at the end of a group are silent;
* whole yuan end with 整 (壹佰元整); with jiao or fen there is no 整;
* a missing jiao before a fen is read as 零 (壹拾元零伍分); below one yuan only the jiao and fen
  are written (伍角, 伍分).
"""

from decimal import Decimal

from .money import quantize, to_decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Places inside one group of four digits, from the thousands down to the units.
PLACES = ("仟", "佰", "拾", "")
TEN_THOUSAND = 10**4
HUNDRED_MILLION = 10**8


def _group(number: int) -> str:
    """0 < number < 10,000 in words; inner zeros become one 零, trailing zeros nothing."""
    text = []
    pending_zero = False
    for place, digit in zip(PLACES, f"{number:04d}", strict=True):
        if digit == "0":
            pending_zero = bool(text)
            continue
        if pending_zero:
            text.append("零")
            pending_zero = False
        text.append(DIGITS[int(digit)] + place)
    return "".join(text)


def _whole(number: int) -> str:
    """A positive whole number of yuan in words, split at 亿 and 万."""
    if number >= HUNDRED_MILLION:
        high, low = divmod(number, HUNDRED_MILLION)
        text = _whole(high) + "亿"
        if low:
            # 壹亿零伍佰万: a gap in the ten-million place is read as 零.
            text += ("零" if low < HUNDRED_MILLION // 10 else "") + _whole(low)
        return text
    if number >= TEN_THOUSAND:
        high, low = divmod(number, TEN_THOUSAND)
        text = _group(high) + "万"
        if low:
            text += ("零" if low < TEN_THOUSAND // 10 else "") + _group(low)
        return text
    return _group(number)


def amount_in_words(value: Decimal) -> str:
    """``Decimal("1000001.01")`` -> ``"壹佰万零壹元零壹分"``; ``0`` -> ``"零元整"``.

    The value is rounded to the fen first (half up). A negative amount has no capital form on a
    bill, so it is refused with ``ValueError``; floats are refused as everywhere else.
    """
    amount = quantize(to_decimal(value))
    if amount < 0:
        raise ValueError(f"a capital amount cannot be negative: {value!r}")
    fen_total = int(amount * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    parts = []
    if yuan:
        parts.append(_whole(yuan) + "元")
        if not cents:
            parts.append("整")
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    if fen:
        parts.append(DIGITS[fen] + "分")
    return "".join(parts)
