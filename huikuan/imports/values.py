"""Turning one cell of an imported sheet into a value: text, date, amount, integer, yes/no, choice.

A cell arrives as python-calamine gives it (str, float, date, datetime, bool, "" when empty) or as
CSV text. Each parser returns the value, ``None`` for an empty cell (``""`` from
:func:`parse_text`), or raises :class:`CellError` with a translated sentence the import shows next
to the row number and column. They run once per cell of files of 100,000 rows, so the usual
spellings take a short path first and the slower, forgiving reading only follows when it fails.
"""

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from huikuan.core.money import LIMIT

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
WAN = Decimal(10000)
MAX_INT = 2_147_483_647  # what an integer column holds on every database
# Excel counts days from 1899-12-30 (it believes 1900 was a leap year, so serials before
# 1900-03-01 are one day off); 2958465 is 9999-12-31.
EXCEL_EPOCH = date(1899, 12, 30)
MAX_SERIAL = 2_958_465
FIRST_YEAR = 1900

_DATE = re.compile(
    r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_CHINESE_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_SCIENTIFIC = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+")

TRUE_WORDS = frozenset({"是", "y", "yes", "true", "t", "1", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "f", "0", "×", "✗", "✘"})


class CellError(Exception):
    """A cell whose content cannot be read; ``message`` is a translated sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _shown(value) -> str:
    """The cell as quoted in a message: short, on one line."""
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


# --- text ---------------------------------------------------------------------------------------


def parse_text(value, max_length: int = 0) -> str:
    """The cell as text, stripped; "" for an empty cell. Whole-number cells lose Excel's ".0",
    dates read as 2026-11-22. Refuses text longer than ``max_length`` (when given), text that
    starts with "=" (a formula pasted as text) and NUL characters, which no database stores."""
    if type(value) is str:
        text = value.strip()
    elif value is None:
        return ""
    else:
        text = _as_text(value)
    if not text:
        return ""
    if text[0] == "=":
        raise CellError(
            _("“%(value)s” looks like a formula; enter the value itself.") % {"value": _shown(text)}
        )
    if "\x00" in text:
        raise CellError(_("The text holds a NUL character."))
    if max_length and len(text) > max_length:
        raise CellError(_("Longer than %(n)s characters.") % {"n": max_length})
    return text


def _as_text(value) -> str:
    kind = type(value)
    if kind is float:
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is datetime:
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if kind is date or kind is time:
        return value.isoformat()
    return str(value).strip()


# --- dates --------------------------------------------------------------------------------------


def parse_date(value) -> date | None:
    """A date from a date cell, an Excel day number (1–2958465, also as text of up to 5 digits)
    or text: 2026-11-22, 2026/11/22, 2026.11.22, 2026-1-5, 2026年11月22日, 20261122, each maybe
    followed by a time of day. ``None`` for an empty cell. Refuses days that do not exist
    (2026-02-30) and years before 1900."""
    kind = type(value)
    if kind is date:
        return value
    if kind is datetime:
        return value.date()
    if kind is str:
        text = value.strip()
        if not text:
            return None
        # The usual spelling, 2026-11-22, without a regex.
        if len(text) == 10 and text[4] in "-/." and text[7] == text[4]:
            year, month, day = text[:4], text[5:7], text[8:]
            if year.isdecimal() and month.isdecimal() and day.isdecimal():
                return _date(int(year), int(month), int(day), text)
        return _date_from_text(text)
    if kind is float or kind is int:
        return _date_from_serial(value)
    if value is None:
        return None
    if kind is time or kind is timedelta:
        raise CellError(_("“%(value)s” is a time of day, not a date.") % {"value": _shown(value)})
    raise CellError(_not_a_date(value))


def _not_a_date(value) -> str:
    return _("“%(value)s” is not a date; write dates as 2026-11-22.") % {"value": _shown(value)}


def _date(year: int, month: int, day: int, shown) -> date:
    if year < FIRST_YEAR:
        raise CellError(
            _("“%(value)s” is a date before %(year)s; check the year.")
            % {"value": _shown(shown), "year": FIRST_YEAR}
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a real date: that day does not exist.") % {"value": _shown(shown)}
        ) from None


def _date_from_text(text: str) -> date:
    normal = unicodedata.normalize("NFKC", text)
    match = _DATE.fullmatch(normal)
    if match:
        return _date(int(match[1]), int(match[3]), int(match[4]), text)
    match = _CHINESE_DATE.fullmatch(normal)
    if match:
        return _date(int(match[1]), int(match[2]), int(match[3]), text)
    if normal.isdecimal():
        if len(normal) == 8:
            return _date(int(normal[:4]), int(normal[4:6]), int(normal[6:]), text)
        if len(normal) <= 5:
            return _date_from_serial(int(normal), shown=text)
    raise CellError(_not_a_date(text))


def _date_from_serial(number, shown=None) -> date:
    if not 1 <= number < MAX_SERIAL + 1:
        raise CellError(_not_a_date(number if shown is None else shown))
    days = int(number)
    if days == 60:  # Excel's 1900-02-29, a day that never was
        raise CellError(
            _("“%(value)s” is not a real date: that day does not exist.")
            % {"value": _shown(number if shown is None else shown)}
        )
    if days < 60:
        days += 1
    return EXCEL_EPOCH + timedelta(days=days)


# --- amounts ------------------------------------------------------------------------------------


def parse_amount(value, wan: bool = False) -> Decimal | None:
    """An amount of money as a two-place ``Decimal``; ``None`` for an empty cell.

    Reads numbers as they are, and text such as ``¥1,234.50``, ``￥1，234.50``, ``RMB 1234.5``,
    ``1234.50元``, ``-1234.5``, ``(1,234.50)`` or ``（1,234.50）`` (negative), ``12.5万`` /
    ``12.5万元``. With ``wan`` the column is in 万元 and every value is multiplied by 10,000.
    Refuses more than two decimal places (after that multiplication), scientific notation
    (Excel's 1.23E+11 has lost digits), misplaced thousands separators and amounts too large
    to store."""
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise CellError(_not_an_amount(value))
        amount = Decimal(repr(value))
        if wan:
            amount *= WAN
        if abs(amount) < LIMIT and amount != amount.quantize(CENT):
            # Excel shows 15 significant digits: a cell it stores as 0.30000000000000004 holds
            # the 0.3 the user typed and sees.
            amount = Decimal(format(value, ".15g"))
            if wan:
                amount *= WAN
        return _cents(amount, value)
    if kind is str:
        text = value.strip()
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount, wan = _amount_from_text(text, wan)
        else:
            if not amount.is_finite() or "e" in text or "E" in text or "_" in text:
                amount, wan = _amount_from_text(text, wan)
        if wan:
            amount *= WAN
        return _cents(amount, value)
    if kind is int:
        return _cents(Decimal(value) * WAN if wan else Decimal(value), value)
    if kind is Decimal:
        return _cents(value * WAN if wan else value, value)
    if value is None:
        return None
    raise CellError(_not_an_amount(value))


def _not_an_amount(value) -> str:
    return _("“%(value)s” is not an amount.") % {"value": _shown(value)}


def _cents(amount: Decimal, shown) -> Decimal:
    if not amount.is_finite():
        raise CellError(_not_an_amount(shown))
    if abs(amount) >= LIMIT:
        raise CellError(_("“%(value)s” is too large an amount.") % {"value": _shown(shown)})
    cents = amount.quantize(CENT)
    if cents != amount:
        raise CellError(
            _("“%(value)s” has more than two decimal places.") % {"value": _shown(shown)}
        )
    return cents if cents else ZERO


def _amount_from_text(text: str, wan: bool) -> tuple[Decimal, bool]:
    """The forgiving reading: full-width characters, currency signs and units, brackets for
    negative amounts, thousands separators. Returns the number and whether it is in 万元."""
    # NFKC makes ￥ ， （ ） １ into ¥ , ( ) 1; split() drops every kind of space.
    normal = "".join(unicodedata.normalize("NFKC", text).replace("\u2212", "-").split())
    negative = len(normal) > 2 and normal[0] == "(" and normal[-1] == ")"
    if negative:
        normal = normal[1:-1]
    sign = ""
    if normal[:1] in ("+", "-"):
        sign, normal = normal[0], normal[1:]
    upper = normal.upper()
    for currency in ("RMB", "CNY", "¥"):
        if upper.startswith(currency):
            normal = normal[len(currency) :]
            break
    if not sign and normal[:1] in ("+", "-"):
        sign, normal = normal[0], normal[1:]
    for unit, in_wan in (("万元", True), ("万", True), ("元", False)):
        if normal.endswith(unit):
            normal = normal[: -len(unit)]
            wan = wan or in_wan
            break
    if "," in normal:
        if not _GROUPED.fullmatch(normal):
            raise CellError(
                _("“%(value)s” has its thousands separators in the wrong places.")
                % {"value": _shown(text)}
            )
        normal = normal.replace(",", "")
    if _SCIENTIFIC.fullmatch(normal):
        raise CellError(
            _(
                "“%(value)s” is in scientific notation, which has lost digits; format the "
                "column as a number with two decimals and export it again."
            )
            % {"value": _shown(text)}
        )
    if not _NUMBER.fullmatch(normal) or (negative and sign):
        raise CellError(_not_an_amount(text))
    amount = Decimal(sign + normal)
    return (-amount if negative else amount), wan


# --- integers, yes/no, choices ------------------------------------------------------------------


def parse_int(value) -> int | None:
    """A whole number (1,000 and 12.0 too); ``None`` for an empty cell."""
    kind = type(value)
    if kind is str:
        text = value.strip()
        if not text:
            return None
        if text.isdecimal():
            number = int(text)
        else:
            amount = _plain_number(text)
            if amount is None or amount != amount.to_integral_value():
                raise CellError(_not_an_integer(text))
            number = int(amount)
    elif kind is float:
        if not value.is_integer():
            raise CellError(_not_an_integer(value))
        number = int(value)
    elif kind is int:
        number = value
    elif value is None:
        return None
    else:
        raise CellError(_not_an_integer(value))
    if abs(number) > MAX_INT:
        raise CellError(_("“%(value)s” is too large a number.") % {"value": _shown(value)})
    return number


def _not_an_integer(value) -> str:
    return _("“%(value)s” is not a whole number.") % {"value": _shown(value)}


def _plain_number(text: str) -> Decimal | None:
    normal = "".join(unicodedata.normalize("NFKC", text).replace("\u2212", "-").split())
    sign = ""
    if normal[:1] in ("+", "-"):
        sign, normal = normal[0], normal[1:]
    if "," in normal:
        if not _GROUPED.fullmatch(normal):
            return None
        normal = normal.replace(",", "")
    if not _NUMBER.fullmatch(normal):
        return None
    return Decimal(sign + normal)


def parse_bool(value) -> bool | None:
    """Yes or no from 是/否, Y/N, yes/no, true/false, 1/0, √/×; ``None`` for an empty cell."""
    kind = type(value)
    if kind is bool:
        return value
    if kind is str:
        word = value.strip().lower()
        if not word:
            return None
    elif kind is float or kind is int:
        word = _as_text(value)
    elif value is None:
        return None
    else:
        word = str(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(
        _("“%(value)s” is neither yes nor no; write 是 or 否.") % {"value": _shown(value)}
    )


def parse_choice(value, choices: dict[str, str]) -> str | None:
    """The code a cell names; ``None`` for an empty cell.

    ``choices`` maps each accepted word — a label, another name for it, or the code itself — to
    the code; words match whatever their case and width. A cell holding a code that is only a
    value of ``choices`` is accepted too."""
    text = value.strip() if type(value) is str else "" if value is None else _as_text(value)
    if not text:
        return None
    code = choices.get(text)
    if code is None:
        code = choices.get(text.lower())
    if code is not None:
        return code
    word = unicodedata.normalize("NFKC", text).casefold()
    for key, code in choices.items():
        if unicodedata.normalize("NFKC", str(key)).casefold() == word:
            return code
    for code in choices.values():
        if str(code).casefold() == word:
            return code
    codes = {str(code) for code in choices.values()}
    words = list(dict.fromkeys(str(key) for key in choices if str(key) not in codes)) or sorted(
        codes
    )
    listed = ", ".join(words[:12]) + (", …" if len(words) > 12 else "")
    raise CellError(
        _("“%(value)s” is not one of the accepted values: %(choices)s.")
        % {"value": _shown(value), "choices": listed}
    )
