"""Excel workbooks for every export: one writer, so every list and report comes out the same way.

A workbook has one or more sheets. Each sheet opens with a title line (what, as of when, for whom,
with which filters), then a frozen header row with a filter button, then one row per object. The
columns are typed: text, money (a real number shown as ``¥1,234.56``), date (``yyyy-mm-dd``),
date and time, whole number, percentage and a one-place figure — so the numbers add up in Excel
and the dates sort.

The writer keeps memory flat however long the table: xlsxwriter's ``constant_memory`` mode
flushes each row to a temporary file as soon as the next one starts, querysets are read with
``.iterator()``, and the finished file is streamed to the browser from a temporary file.

Text that a spreadsheet would read as a formula (a customer named ``=HYPERLINK(…)``, ``+1``,
``-2`` or ``@SUM(A1)``) is written as text with a leading ``'``: opened, edited or saved as CSV,
it never runs.
"""

import operator
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .money import to_decimal

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
INT_FORMAT = "0"
PERCENT_FORMAT = "0.0%"
DECIMAL_FORMAT = "#,##0.0"

TEXT = "text"
MONEY = "money"
DATE = "date"
DATETIME = "datetime"
INT = "int"
PERCENT = "percent"
DECIMAL = "decimal"  # a figure with one decimal place, such as DSO in days
KINDS = (TEXT, MONEY, DATE, DATETIME, INT, PERCENT, DECIMAL)

# First characters that make Excel, LibreOffice or WPS read a cell as a formula (tab and carriage
# return hide one behind whitespace).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 1_048_576  # rows in one Excel sheet; a longer table continues on the next sheet
CHUNK_SIZE = 2000  # rows fetched per database round trip
EXPORT_PARAMETER = "export"
EXPORT_VALUE = "xlsx"

_WIDTHS = {TEXT: 22, MONEY: 16, DATE: 12, DATETIME: 17, INT: 10, PERCENT: 10, DECIMAL: 10}
_SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    """One column: its header, its type and how to read its value from a row — an attribute
    path such as ``"customer.name"`` or a function of the row. ``None`` leaves the cell empty."""

    title: str
    kind: str
    value: Callable
    width: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")
        if isinstance(self.value, str):
            object.__setattr__(self, "value", operator.attrgetter(self.value))


def text(title, value, width=None) -> Column:
    return Column(title, TEXT, value, width)


def money(title, value, width=None) -> Column:
    return Column(title, MONEY, value, width)


def day(title, value, width=None) -> Column:
    return Column(title, DATE, value, width)


def moment(title, value, width=None) -> Column:
    return Column(title, DATETIME, value, width)


def integer(title, value, width=None) -> Column:
    return Column(title, INT, value, width)


def percent(title, value, width=None) -> Column:
    return Column(title, PERCENT, value, width)


def decimal(title, value, width=None) -> Column:
    return Column(title, DECIMAL, value, width)


@dataclass
class Sheet:
    """A sheet to write: ``rows`` is any iterable (a queryset is read in chunks); ``total``, when
    given, is a closing line of values in column order; the first ``freeze_columns`` columns stay
    in view when scrolling sideways."""

    name: str
    title: str
    columns: Sequence[Column]
    rows: Iterable
    total: Sequence | None = None
    freeze_columns: int = 0


def neutralise(value: str) -> str:
    """``value`` made safe to hand to a spreadsheet: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading ``'`` so it can never be taken for a
    formula; anything else is returned as it is."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _sheet_name(name: str, number: int) -> str:
    name = str(name).translate(_SHEET_NAME_FORBIDDEN).strip("' ") or "Sheet"
    suffix = f" ({number})" if number > 1 else ""
    return name[: 31 - len(suffix)] + suffix


def _local(value: datetime) -> datetime:
    """An aware moment in the site's time zone, without the zone (Excel has no time zones)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


class _Writer:
    def __init__(self, workbook):
        self.workbook = workbook
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 12})
        self.header = add(
            {"bold": True, "bg_color": "#E9ECEF", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.header_number = add(
            {
                "bold": True,
                "bg_color": "#E9ECEF",
                "bottom": 1,
                "text_wrap": True,
                "valign": "top",
                "align": "right",
            }
        )
        self.cell = {
            TEXT: None,
            MONEY: add({"num_format": MONEY_FORMAT}),
            DATE: add({"num_format": DATE_FORMAT}),
            DATETIME: add({"num_format": DATETIME_FORMAT}),
            INT: add({"num_format": INT_FORMAT}),
            PERCENT: add({"num_format": PERCENT_FORMAT}),
            DECIMAL: add({"num_format": DECIMAL_FORMAT}),
        }
        self.total = {
            TEXT: add({"bold": True, "top": 1}),
            MONEY: add({"bold": True, "top": 1, "num_format": MONEY_FORMAT}),
            DATE: add({"bold": True, "top": 1, "num_format": DATE_FORMAT}),
            DATETIME: add({"bold": True, "top": 1, "num_format": DATETIME_FORMAT}),
            INT: add({"bold": True, "top": 1, "num_format": INT_FORMAT}),
            PERCENT: add({"bold": True, "top": 1, "num_format": PERCENT_FORMAT}),
            DECIMAL: add({"bold": True, "top": 1, "num_format": DECIMAL_FORMAT}),
        }

    def write(self, spec: Sheet) -> None:
        rows = spec.rows
        if isinstance(rows, QuerySet):
            rows = rows.iterator(chunk_size=CHUNK_SIZE)
        rows = iter(rows)
        number = 1
        while True:
            sheet, line = self._start(spec, number)
            first = line
            for row in rows:
                for col, column in enumerate(spec.columns):
                    self.cell_write(sheet, line, col, column.kind, column.value(row))
                line += 1
                if line == MAX_ROWS:
                    break
            else:
                if line > first:
                    sheet.autofilter(first - 1, 0, line - 1, len(spec.columns) - 1)
                if spec.total is not None:
                    for col, column in enumerate(spec.columns):
                        value = spec.total[col] if col < len(spec.total) else None
                        self.cell_write(sheet, line, col, column.kind, value, self.total)
                return
            sheet.autofilter(first - 1, 0, line - 1, len(spec.columns) - 1)
            number += 1

    def _start(self, spec: Sheet, number: int):
        sheet = self.workbook.add_worksheet(_sheet_name(spec.name, number))
        for col, column in enumerate(spec.columns):
            sheet.set_column(col, col, column.width or _WIDTHS[column.kind])
        sheet.freeze_panes(2, spec.freeze_columns)
        sheet.write_string(0, 0, neutralise(str(spec.title)), self.title)
        for col, column in enumerate(spec.columns):
            style = self.header if column.kind in (TEXT, DATE, DATETIME) else self.header_number
            sheet.write_string(1, col, neutralise(str(column.title)), style)
        return sheet, 2

    def cell_write(self, sheet, line, col, kind, value, styles=None) -> None:
        style = (styles or self.cell)[kind]
        if value is None or value == "":
            if styles is not None:
                sheet.write_blank(line, col, None, style)
            return
        if kind == TEXT:
            sheet.write_string(line, col, neutralise(str(value)), style)
        elif kind == MONEY:
            sheet.write_number(line, col, to_decimal(value), style)
        elif kind in (INT, PERCENT, DECIMAL):
            if isinstance(value, bool | float):
                raise TypeError(f"{kind} cells take int or Decimal, not {value!r}")
            sheet.write_number(line, col, int(value) if kind == INT else Decimal(value), style)
        elif kind == DATE:
            if isinstance(value, datetime):
                value = _local(value).date()
            sheet.write_datetime(line, col, value, style)
        else:  # DATETIME
            if not isinstance(value, datetime):
                value = datetime.combine(value, datetime.min.time())
            sheet.write_datetime(line, col, _local(value), style)


def write_workbook(target, sheets: Iterable[Sheet]) -> None:
    """Write ``sheets`` as an .xlsx workbook to ``target`` (a path or a binary file object)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # Values go in through typed calls only; never let a string become a formula, a link
            # or a number behind our back.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        writer = _Writer(workbook)
        for spec in sheets:
            writer.write(spec)
    finally:
        workbook.close()


def workbook_bytes(*sheets: Sheet) -> bytes:
    """The workbook as bytes (for small files and tests; pages use :func:`response`)."""
    with tempfile.TemporaryFile() as handle:
        write_workbook(handle, sheets)
        handle.seek(0)
        return handle.read()


def filename(name: str, on: date) -> str:
    """``receivables-2026-11-23.xlsx``: what it is and the day it is about."""
    return f"{name}-{on:%Y-%m-%d}.xlsx"


def response(*sheets: Sheet, name: str, on: date) -> FileResponse:
    """An attachment download of the workbook, streamed from a temporary file that disappears
    once sent; the file is named ``<name>-<on>.xlsx``."""
    # Not a ``with`` block: the response closes (and so deletes) the file once it is sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        write_workbook(handle, sheets)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    answer = FileResponse(
        handle, as_attachment=True, filename=filename(name, on), content_type=CONTENT_TYPE
    )
    answer["Cache-Control"] = "private, no-store"
    return answer


def wanted(request) -> bool:
    """Whether the page was asked for as a workbook (``?export=xlsx``)."""
    return request.GET.get(EXPORT_PARAMETER) == EXPORT_VALUE


def chunks(rows: Iterable, size: int = 500) -> Iterator[list]:
    """``rows`` in lists of ``size``, for exports that fetch more data per batch of rows (one
    query per batch, never one per row). A queryset is read with ``.iterator()``."""
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=max(size, 100))
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def person(user) -> str:
    """Who a workbook was made for, as its title line says it: name and role."""
    role = user.get_role_display() if getattr(user, "role", "") else ""
    if not role:
        return str(user)
    return _("%(name)s (%(role)s)") % {"name": user, "role": role}


def form_filters(form) -> list[str]:
    """The filters set on a bound filter form, as ``"Label: value"`` (choices by their label,
    objects by their name, dates as yyyy-mm-dd); blank ones and invalid ones are left out, as
    the page leaves them out."""
    if form is None or not form.is_bound:
        return []
    form.is_valid()
    found = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False) or name == EXPORT_PARAMETER:
            continue
        if value is True:
            shown = _("yes")
        elif isinstance(value, date):
            shown = value.isoformat()
        elif getattr(field, "choices", None) is not None and not hasattr(field, "queryset"):
            shown = str(dict(field.choices).get(value, value))
        else:
            shown = str(value)
        found.append(f"{field.label}: {shown}")
    return found


def title_line(what, *, as_of: date, user, filters: Sequence[str] = ()) -> str:
    """The first line of a sheet: what it is, as of which day, for whom, and with which filters
    — so a printed or forwarded file still says what it holds."""
    line = _("%(what)s as of %(date)s, for %(user)s.") % {
        "what": what,
        "date": as_of.isoformat(),
        "user": person(user),
    }
    if filters:
        line += " " + _("Filters: %(filters)s.") % {"filters": "; ".join(filters)}
    return line
