"""The Excel writer: workbooks read back with python-calamine (the reader imports use) and their
raw XML, as a spreadsheet program would see them."""

import io
import re
import tracemalloc
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from python_calamine import CalamineWorkbook

from huikuan.core import xlsx
from huikuan.core.money import MoneyError
from huikuan.org.models import Region, Role, User

HOSTILE = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tcmd", "\r=1+1"]


def read_book(content: bytes) -> dict[str, list[list]]:
    """Every sheet of a workbook as rows of Python values (str, float, date, datetime, "")."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def sheet_xml(content: bytes) -> str:
    """The XML of every worksheet of the workbook, one after the other."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def has_formula(content: bytes) -> bool:
    return re.search(r"<f[ >/]", sheet_xml(content)) is not None


class Row:
    def __init__(self, **kw):
        self.__dict__.update(kw)


COLUMNS = [
    xlsx.text("Name", "name"),
    xlsx.money("Amount", "amount"),
    xlsx.day("Due", "due"),
    xlsx.moment("At", "at"),
    xlsx.integer("Days", "days"),
    xlsx.percent("Rate", "rate"),
]


def one_sheet(rows, **kw) -> bytes:
    sheet = xlsx.Sheet(
        name="Test", title="Receivables as of 2026-11-23", columns=COLUMNS, rows=rows
    )
    for key, value in kw.items():
        setattr(sheet, key, value)
    return xlsx.workbook_bytes(sheet)


def test_cells_come_back_with_their_types():
    row = Row(
        name="客户甲",
        amount=Decimal("1234567.89"),
        due=date(2026, 11, 23),
        at=datetime(2026, 11, 23, 1, 30, tzinfo=UTC),  # 09:30 in Shanghai
        days=42,
        rate=Decimal("0.8750"),
    )
    content = one_sheet([row])
    rows = read_book(content)["Test"]
    assert rows[0][0] == "Receivables as of 2026-11-23"
    assert rows[1] == ["Name", "Amount", "Due", "At", "Days", "Rate"]
    name, amount, due, at, days, rate = rows[2]
    assert name == "客户甲"
    assert Decimal(repr(amount)) == Decimal("1234567.89")
    assert due == date(2026, 11, 23)
    assert at == datetime(2026, 11, 23, 9, 30)
    assert days == 42
    assert Decimal(repr(rate)) == Decimal("0.875")


def test_a_one_place_figure_stays_a_number():
    sheet = xlsx.Sheet(
        name="T", title="t", columns=[xlsx.decimal("DSO", "dso")], rows=[Row(dso=Decimal("93.4"))]
    )
    content = xlsx.workbook_bytes(sheet)
    assert read_book(content)["T"][2] == [93.4]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert 'formatCode="#,##0.0"' in archive.read("xl/styles.xml").decode()


def test_amounts_dates_and_rates_carry_their_display_formats():
    content = one_sheet(
        [Row(name="x", amount=Decimal("1"), due=date(2026, 1, 1), at=None, days=1, rate=1)]
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        styles = archive.read("xl/styles.xml").decode()
    assert 'formatCode="&quot;¥&quot;#,##0.00;-&quot;¥&quot;#,##0.00"' in styles
    assert 'formatCode="yyyy-mm-dd"' in styles
    assert 'formatCode="0.0%"' in styles


def test_empty_values_leave_empty_cells():
    content = one_sheet([Row(name=None, amount=None, due=None, at=None, days=None, rate=None)])
    rows = read_book(content)["Test"]
    assert len(rows) == 2 or all(value == "" for value in rows[2])


def test_header_is_frozen_under_the_title_with_a_filter_button():
    rows = [Row(name=f"n{i}", amount=i, due=None, at=None, days=i, rate=None) for i in range(3)]
    xml = sheet_xml(one_sheet(rows, freeze_columns=1))
    assert re.search(r'<pane [^>]*xSplit="1" ySplit="2"[^>]*state="frozen"', xml)
    assert '<autoFilter ref="A2:F5"/>' in xml


@pytest.mark.parametrize("hostile", HOSTILE)
def test_text_that_looks_like_a_formula_is_written_as_quoted_text(hostile):
    sheet = xlsx.Sheet(
        name="Test",
        title=hostile,
        columns=[xlsx.text(hostile, "name")],
        rows=[Row(name=hostile)],
    )
    content = xlsx.workbook_bytes(sheet)
    rows = read_book(content)["Test"]
    assert [rows[0][0], rows[1][0], rows[2][0]] == ["'" + hostile] * 3
    assert not has_formula(content)


def test_ordinary_text_is_left_alone():
    for value in ("客户甲", "A-1", "1+1", " =x", "'quoted", "ＡＢＣ＝"):
        assert xlsx.neutralise(value) == value


def test_a_float_is_refused_as_money():
    with pytest.raises(MoneyError):
        one_sheet([Row(name="x", amount=0.1, due=None, at=None, days=None, rate=None)])
    with pytest.raises(TypeError):
        one_sheet([Row(name="x", amount=None, due=None, at=None, days=1.5, rate=None)])


def test_a_closing_total_line_is_written_after_the_rows_and_outside_the_filter():
    rows = [Row(name="a", amount=Decimal("1.10"), due=None, at=None, days=1, rate=None)] * 2
    content = one_sheet(rows, total=["Total", Decimal("2.20")])
    table = read_book(content)["Test"]
    assert table[-1][:2] == ["Total", 2.2]
    assert '<autoFilter ref="A2:F4"/>' in sheet_xml(content)


def test_a_table_longer_than_a_sheet_continues_on_the_next(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 6)  # title, header and four rows per sheet
    rows = [Row(name=str(i), amount=i, due=None, at=None, days=i, rate=None) for i in range(10)]
    book = read_book(one_sheet(rows))
    assert list(book) == ["Test", "Test (2)", "Test (3)"]
    names = [row[0] for sheet in book.values() for row in sheet[2:]]
    assert names == [str(i) for i in range(10)]
    assert all(sheet[1][0] == "Name" for sheet in book.values())


def test_sheet_names_are_made_acceptable_to_excel():
    sheet = xlsx.Sheet(name="a/b[c]:d*e?f\\" + "x" * 40, title="t", columns=COLUMNS[:1], rows=[])
    (name,) = read_book(xlsx.workbook_bytes(sheet))
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


@pytest.mark.django_db
def test_a_queryset_is_streamed_not_loaded(django_assert_num_queries):
    for code in ("E", "W", "N"):
        Region.objects.create(code=code, name=f"区域{code}")
    regions = Region.objects.order_by("code")
    sheet = xlsx.Sheet(name="Regions", title="t", columns=[xlsx.text("Code", "code")], rows=regions)
    with django_assert_num_queries(1):
        content = xlsx.workbook_bytes(sheet)
    assert regions._result_cache is None  # read with .iterator(), never cached whole
    assert [row[0] for row in read_book(content)["Regions"][2:]] == ["E", "N", "W"]


def test_memory_stays_flat_however_many_rows():
    def peak(count: int) -> int:
        rows = (
            Row(name=f"客户{i}", amount=Decimal(i), due=date(2026, 1, 1), at=None, days=i, rate=1)
            for i in range(count)
        )
        tracemalloc.start()
        try:
            xlsx.workbook_bytes(xlsx.Sheet(name="T", title="t", columns=COLUMNS, rows=rows))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(20_000)
    # Kept in memory, 20,000 rows of six cells would take well over ten megabytes.
    assert large < small * 2 and large < 4_000_000, (small, large)


def test_the_download_is_named_after_the_day_and_streams_a_workbook():
    sheet = xlsx.Sheet(name="T", title="t", columns=COLUMNS[:1], rows=[Row(name="=1")])
    answer = xlsx.response(sheet, name="receivables", on=date(2026, 11, 23))
    assert answer["Content-Type"] == xlsx.CONTENT_TYPE
    assert 'filename="receivables-2026-11-23.xlsx"' in answer["Content-Disposition"]
    assert answer["Content-Disposition"].startswith("attachment")
    content = b"".join(answer.streaming_content)
    assert read_book(content)["T"][2] == ["'=1"]


class _Filters(forms.Form):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All"), ("open", "Open")]
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    due_from = forms.DateField(label="Due from", required=False)


def test_the_title_line_says_what_when_for_whom_and_which_filters():
    user = User(username="zs", last_name="张", first_name="三", role=Role.REP)
    form = _Filters({"q": "甲", "status": "open", "overdue": "on", "due_from": "2026-13-01"})
    with translation.override("en"):
        line = xlsx.title_line(
            "Receivables", as_of=date(2026, 11, 23), user=user, filters=xlsx.form_filters(form)
        )
    assert line == (
        "Receivables as of 2026-11-23, for 张三 (Sales rep)."
        " Filters: Search: 甲; Status: Open; Overdue only: yes."
    )
    assert xlsx.form_filters(_Filters()) == []


def test_wanted_only_for_the_export_parameter(rf):
    assert xlsx.wanted(rf.get("/x/", {"export": "xlsx", "page": "2"}))
    assert not xlsx.wanted(rf.get("/x/", {"export": "csv"}))
    assert not xlsx.wanted(rf.get("/x/"))
