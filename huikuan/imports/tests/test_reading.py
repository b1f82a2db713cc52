"""Reading uploaded files: real workbooks and CSV in the encodings offices use, and the hostile
files an import must refuse quickly, saying what and where, without loading them."""

import io
import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest
import xlsxwriter
from django.utils import translation

from huikuan.imports.reading import FileRefused, read_table
from huikuan.imports.tests import files

MB = 1 << 20
LIMITS = {"max_bytes": 20 * MB, "max_rows": 200_000}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(content, name="file.xlsx", **limits):
    return read_table(content, name, **{**LIMITS, **limits})


def refused(content, name="file.xlsx", **limits) -> str:
    with pytest.raises(FileRefused) as caught:
        read(content, name, **limits)
    return caught.value.message


HEADER = ["客户编码", "客户名称", "到期日", "金额", "已开票"]


# --- workbooks ----------------------------------------------------------------------------------


def test_xlsx_cells_arrive_as_dates_numbers_text_and_booleans():
    content = files.xlsx_bytes(
        [
            HEADER,
            ["C001", "华为技术有限公司", date(2026, 11, 22), 1234.5, True],
            ["C002", "=1+1", datetime(2026, 1, 5, 14, 30), 8, False],
        ],
        sheet="应收",
        formats={"金额": "#,##0.00"},
    )

    table = read(content)

    assert (table.file_format, table.encoding, table.sheet_name) == ("xlsx", "", "应收")
    assert table.rows == [
        (1, HEADER),
        (2, ["C001", "华为技术有限公司", date(2026, 11, 22), 1234.5, True]),
        (3, ["C002", "=1+1", datetime(2026, 1, 5, 14, 30), 8.0, False]),
    ]


def test_title_rows_above_the_header_keep_the_row_numbers_excel_shows():
    content = files.xlsx_bytes(
        [HEADER, ["C001", "甲公司", date(2026, 1, 5), 10, None]],
        title_rows=["2026 年应收明细", ["制表：财务部", None, "单位：元"], []],
    )

    table = read(content)

    assert table.rows[0] == (1, ["2026 年应收明细"])
    assert table.rows[1] == (2, ["制表：财务部", "", "单位：元"])
    assert table.rows[2] == (3, [])
    assert table.rows[3] == (4, HEADER)
    assert table.rows[4] == (5, ["C001", "甲公司", date(2026, 1, 5), 10.0])


def test_empty_cells_inside_a_row_stay_and_trailing_ones_are_cut():
    content = files.xlsx_bytes([["A", "B", "C", "D"], [None, "x", None, None], [], ["y"]])

    assert read(content).rows == [(1, ["A", "B", "C", "D"]), (2, ["", "x"]), (3, []), (4, ["y"])]


def test_data_starting_further_down_and_right_keeps_sheet_positions():
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.add_worksheet().write_row(4, 2, ["客户编码", "金额"])
    book.close()

    table = read(output.getvalue())

    assert table.rows[4] == (5, ["", "", "客户编码", "金额"])
    assert table.rows[:4] == [(1, []), (2, []), (3, []), (4, [])]


def test_the_first_visible_sheet_is_read():
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    hidden = book.add_worksheet("模板")
    hidden.write_row(0, 0, ["不是这一张"])
    hidden.hide()
    book.add_worksheet("数据").write_row(0, 0, ["客户编码"])
    book.add_worksheet("说明").write_row(0, 0, ["也不是这一张"])
    book.get_worksheet_by_name("数据").activate()
    book.close()

    table = read(output.getvalue())

    assert table.sheet_name == "数据"
    assert table.rows == [(1, ["客户编码"])]


def test_a_workbook_with_an_empty_first_sheet_is_refused_naming_it():
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.add_worksheet("说明")
    book.add_worksheet("数据").write_row(0, 0, ["客户编码"])
    book.close()

    assert "Sheet “说明” is empty" in refused(output.getvalue())


def test_cells_written_without_references_are_placed_like_excel_does():
    sheet = (
        b'<row r="1"><c t="inlineStr"><is><t>code</t></is></c>'
        b'<c t="inlineStr"><is><t>amount</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c><c><v>5</v></c></row>'
        b"<row><c><v>7</v></c></row>"
    )

    table = read(files.raw_xlsx(sheet))

    assert table.rows == [(1, ["code", "amount"]), (2, ["C1", 5.0]), (3, [7.0])]


def test_a_prefixed_sheet_such_as_dotnet_writes_is_read():
    main = files.MAIN
    sheet_part = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{main}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>客户编码</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2"><x:v>12</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    ).encode()
    content = files.raw_xlsx(b"", parts={"xl/worksheets/sheet1.xml": sheet_part})

    assert read(content).rows == [(1, ["客户编码"]), (2, [12.0])]


# --- CSV ----------------------------------------------------------------------------------------

ROWS = [
    ["客户编码", "客户名称", "金额"],
    ["C001", "华为技术有限公司", "1,234.50"],
    ["C002", "䶮记商行", "8"],  # 䶮 is in GB18030 but not in GBK
]


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")],
)
def test_csv_in_utf8_with_or_without_bom_and_gb18030(encoding, reported):
    table = read(files.csv_bytes(ROWS, encoding), "应收.csv")

    assert (table.file_format, table.encoding, table.sheet_name) == ("csv", reported, "")
    assert table.rows == [(1, ROWS[0]), (2, ROWS[1]), (3, ROWS[2])]


def test_csv_in_gbk_is_read_as_gb18030():
    rows = [["客户编码", "客户名称"], ["C001", "深圳市腾讯计算机系统有限公司"]]

    table = read(files.csv_bytes(rows, "gbk"), "应收.csv")

    assert table.encoding == "gb18030"
    assert table.rows == [(1, rows[0]), (2, rows[1])]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_found_below_a_title_line(delimiter):
    content = files.csv_bytes(ROWS, delimiter=delimiter, title_rows=["2026 年应收明细"])

    table = read(content, "应收.csv")

    assert table.rows == [(1, ["2026 年应收明细"]), (2, ROWS[0]), (3, ROWS[1]), (4, ROWS[2])]


def test_tab_separated_amounts_with_thousands_commas_stay_whole():
    content = "客户\t金额\t备注\r\nC001\t1,234,567.00\tx\r\nC002\t2,000.00\ty\r\n".encode()

    assert read(content, "a.txt").rows[1] == (2, ["C001", "1,234,567.00", "x"])


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row():
    content = b"sep=;\r\ncode;amount\r\nC1;1,5\r\n"

    assert read(content, "a.csv").rows == [(1, ["code", "amount"]), (2, ["C1", "1,5"])]


def test_a_quoted_cell_spanning_lines_is_one_row():
    content = b'code,note\r\nC1,"line one\r\nline two"\r\nC2,x\r\n'

    assert read(content, "a.csv").rows == [
        (1, ["code", "note"]),
        (2, ["C1", "line one\r\nline two"]),
        (3, ["C2", "x"]),
    ]


def test_csv_blank_lines_keep_their_row_numbers():
    assert read(b"code\r\n\r\nC1,,\r\n", "a.csv").rows == [(1, ["code"]), (2, []), (3, ["C1"])]


# --- limits -------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused():
    content = files.csv_bytes(ROWS)

    limit = len(content) - 1
    message = refused(content, "a.csv", max_bytes=limit).replace("\xa0", " ")
    assert f"The file is {len(content)} bytes; at most {limit} bytes" in message


def test_csv_with_more_rows_than_allowed_is_refused_and_the_limit_itself_passes():
    content = files.csv_bytes([["code"]] + [[f"C{n}"] for n in range(4)])

    assert len(read(content, "a.csv", max_rows=5).rows) == 5
    message = refused(content, "a.csv", max_rows=4)
    assert "“a.csv” has more than 4 rows" in message


def test_xlsx_with_more_rows_than_allowed_is_refused_before_loading():
    content = files.xlsx_bytes([["code"]] + [[f"C{n}"] for n in range(9)], sheet="应收")

    assert len(read(content, max_rows=10).rows) == 10
    assert "“应收” has more than 9 rows" in refused(content, max_rows=9)


def test_a_sheet_naming_a_row_beyond_the_limit_is_refused():
    content = files.raw_xlsx(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="300000"/>')

    assert "has data in row 300,000" in refused(content)


def test_two_million_rows_are_refused_with_little_memory():
    result = _in_child("huge_xlsx")

    assert "has more than 200,000 rows" in result["message"]
    assert result["grown_mb"] < 100


def test_a_tiny_sheet_spanning_a_huge_grid_is_refused_without_building_it():
    # python-calamine would allocate 199,999 × 256 cells (1.6 GB) and abort the process.
    result = _in_child("sparse_xlsx")

    assert "spans 199,999 rows × 256 columns" in result["message"]
    assert result["grown_mb"] < 100


def test_cells_without_references_cannot_widen_the_grid_unnoticed():
    wide_row = b'<row r="1">' + b"<c><v>1</v></c>" * 300 + b"</row>"
    content = files.raw_xlsx(wide_row + b'<row r="150000"><c><v>2</v></c></row>')

    assert "spans 150,000 rows × 300 columns" in refused(content)


def test_a_cell_naming_a_row_far_below_its_own_cannot_stretch_the_grid_unnoticed():
    content = files.raw_xlsx(
        b'<row r="1"><c r="A1"><v>1</v></c><c r="B150000"><v>2</v></c></row>'
        b'<row r="2"><c r="IV2"><v>3</v></c></row>'
    )

    assert "spans 150,000 rows × 256 columns" in refused(content)


def test_a_wide_sheet_reads_every_column():
    header = [f"列{n}" for n in range(60)]
    content = files.xlsx_bytes([header, list(range(60)), ["x"] * 59 + ["最后"]])

    table = read(content)

    assert table.rows[0] == (1, header)
    assert table.rows[1][1][59] == 59.0
    assert table.rows[2][1][59] == "最后"


# --- hostile and unreadable files ---------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_without_unpacking():
    content = files.zip_bomb()
    tracemalloc.start()
    try:
        message = refused(content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "xl/worksheets/sheet1.xml" in message
    assert "zip bomb" in message
    assert peak < 5 * MB


def test_a_workbook_unpacking_beyond_twenty_times_the_size_limit_is_refused():
    # Each part packs 40:1 — no zip bomb by ratio — but the whole unpacks past 20 × the limit.
    padding = b" " * 400
    content = files.raw_xlsx(
        b"".join(
            b'<row r="%d">%s<c r="A%d"><v>%d</v></c></row>' % (n, padding, n, n)
            for n in range(1, 5000)
        )
    )
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert unpacked > 20 * len(content)

    assert len(read(content, max_bytes=unpacked // 20 + 1).rows) == 4999
    assert "The workbook unpacks to" in refused(content, max_bytes=unpacked // 20 - 1)


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused():
    content = bytearray(files.xlsx_bytes([["code"], ["C1"]]))
    declared = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/sharedStrings.xml")
    # The central directory names the part last; its size field sits 22 bytes before the name.
    entry = content.rfind(b"xl/sharedStrings.xml") - 46
    assert content[entry : entry + 4] == b"PK\x01\x02"
    content[entry + 24 : entry + 28] = (declared.file_size - 5).to_bytes(4, "little")

    assert "damaged" in refused(bytes(content))


def test_a_workbook_of_more_than_a_thousand_parts_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for number in range(1001):
            archive.writestr(f"xl/media/image{number}.png", b"x")

    assert "1,001 parts" in refused(output.getvalue())


def test_billion_laughs_in_shared_strings_is_refused_naming_the_part():
    message = refused(files.billion_laughs_xlsx())

    assert "xl/sharedStrings.xml" in message
    assert "DOCTYPE" in message


def test_an_external_entity_in_the_sheet_is_refused():
    sheet = (
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<worksheet xmlns="{files.MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>&x;</t></is></c></row></sheetData></worksheet>"
    ).encode()
    content = files.raw_xlsx(b"", parts={"xl/worksheets/sheet1.xml": sheet})

    assert "xl/worksheets/sheet1.xml" in refused(content)


def test_a_workbook_with_a_vba_project_is_refused():
    assert "macros (xl/vbaProject.bin)" in refused(files.macro_xlsx())


def test_a_macro_enabled_workbook_type_is_refused():
    macro_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    content = files.raw_xlsx(b'<row r="1"><c r="A1"><v>1</v></c></row>', content_type=macro_type)

    assert "macros ([Content_Types].xml)" in refused(content)


@pytest.mark.parametrize("cell", ["D5", "A1", "AB123"])
def test_a_formula_is_refused_naming_its_cell(cell):
    message = refused(files.formula_xlsx(cell))

    assert f"Cell {cell} of sheet “应收” holds a formula" in message
    assert "Paste values only" in message


def test_an_old_xls_file_is_refused_asking_for_xlsx_or_csv():
    message = refused(files.xls_bytes(), "应收.xls")

    assert "“应收.xls” is an old Excel 97–2003 (.xls) file" in message
    assert "save it as .xlsx" in message


def test_a_csv_with_a_nul_byte_is_refused_naming_the_line():
    content = b"code,name\r\nC1,a\r\nC2,b\x00c\r\n"

    assert "Line 3 of “a.csv” contains a NUL byte" in refused(content, "a.csv")


def test_utf16_text_is_refused_with_a_hint():
    content = "客户\t金额\r\n".encode("utf-16")

    assert "UTF-16" in refused(content, "a.txt")


def test_a_csv_neither_utf8_nor_gb18030_is_refused_naming_the_line():
    content = "客户,金额\r\n华为,1\r\n".encode("gbk") + b"\xff\xfe\xfd,2\r\n"

    assert "Line 3 of “a.csv” holds bytes that are neither UTF-8 nor GBK" in refused(
        content, "a.csv"
    )


def test_a_utf8_csv_with_one_broken_byte_is_refused_at_that_line():
    content = "客户,金额\r\n华为,1\r\n".encode() + b"\xe5\x8d\xff,2\r\n" + "中兴,3\r\n".encode()

    assert "Line 3 of" in refused(content, "a.csv")


def test_a_web_page_saved_as_xls_is_refused():
    content = b"<html><body><table><tr><td>code</td></tr></table></body></html>"

    assert "is a web page or an XML document" in refused(content, "export.xls")


@pytest.mark.parametrize("content", [b"", b"   \r\n\t", b"\xef\xbb\xbf", b"\r\n,,\r\n"])
def test_empty_files_are_refused(content):
    assert refused(content, "a.csv") in ("The file is empty.", "The file has no rows.")


def test_a_workbook_with_an_empty_sheet_is_refused():
    assert "Sheet “Sheet1” is empty" in refused(files.xlsx_bytes([]))


def test_a_damaged_workbook_is_refused():
    content = files.xlsx_bytes([["code"], ["C1"]])

    assert "damaged" in refused(content[: len(content) // 2])


def test_a_zip_that_is_not_a_workbook_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")

    assert "not an Excel .xlsx workbook" in refused(output.getvalue(), "a.ods")


# --- in a child process: memory and crashes stay there ------------------------------------------

CHILD = """
import json, resource, sys, time
import django
django.setup()
from django.utils import translation
translation.activate("en")
from huikuan.imports.reading import FileRefused, read_table
from huikuan.imports.tests import files

builder = sys.argv[1]
if builder == "bench_xlsx":
    from datetime import date, timedelta
    rows = [["客户编码", "客户名称", "单号", "开票日期", "到期日", "金额", "备注", "合同号"]]
    for n in range(100_000):
        day = date(2025, 1, 1) + timedelta(days=n % 300)
        rows.append([f"C{n % 5000:05d}", f"客户{n % 5000}有限公司", f"INV{n:07d}", day,
                     day + timedelta(days=60), 1234.5 + n % 1000 / 100, "备注" if n % 3 else None,
                     n])
    content = files.xlsx_bytes(rows)
    del rows
else:
    content = getattr(files, builder)()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = {"message": "", "rows": 0}
try:
    result["rows"] = len(read_table(content, "x.xlsx", max_bytes=20 << 20,
                                    max_rows=200_000).rows)
except FileRefused as exc:
    result["message"] = exc.message
result["seconds"] = time.perf_counter() - started
result["grown_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(result))
"""


def _in_child(builder: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, builder],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "huikuan.settings"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
