"""Files to import, built the way users' files are: workbooks written by xlsxwriter, CSV text in
the encodings Chinese offices save, and hostile files built part by part with ``zipfile``."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def xlsx_bytes(rows, *, sheet="Sheet1", title_rows=(), formats=None) -> bytes:
    """A workbook whose first sheet holds ``title_rows`` (each a string or a list) and then
    ``rows`` (header first). Strings are written as text — even "=1+1" — numbers and Decimals as
    numbers, dates as real Excel dates (yyyy-mm-dd), bools as booleans, None as a blank cell.
    ``formats`` maps a column (index, or header text of ``rows[0]``) to an Excel number format
    for its data cells, e.g. ``{"金额": "#,##0.00"}``."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "constant_memory": True})
    sheet_ = book.add_worksheet(sheet)
    styles = {}

    def style(number_format):
        if number_format not in styles:
            styles[number_format] = book.add_format({"num_format": number_format})
        return styles[number_format]

    columns = {}
    rows = list(rows)
    header = [str(cell) for cell in rows[0]] if rows else []
    for key, number_format in (formats or {}).items():
        index = header.index(key) if isinstance(key, str) else key
        columns[index] = style(number_format)
    row_number = 0
    for title in title_rows:
        cells = [title] if isinstance(title, str) else list(title)
        _write_row(sheet_, row_number, cells, {}, style)
        row_number += 1
    for index, cells in enumerate(rows):
        _write_row(sheet_, row_number, cells, columns if index else {}, style)
        row_number += 1
    book.close()
    return output.getvalue()


def _write_row(sheet, row, cells, columns, style):
    for column, value in enumerate(cells):
        given = columns.get(column)
        if value is None:
            continue
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value, given)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(row, column, float(value), given)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value, given or style(DATETIME_FORMAT))
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, given or style(DATE_FORMAT))
        else:
            sheet.write_string(row, column, str(value), given)


def csv_bytes(rows, encoding="utf-8", *, delimiter=",", title_rows=()) -> bytes:
    """CSV text as Excel saves it (CRLF line ends) in ``encoding``: "utf-8", "utf-8-sig" (with a
    BOM, Excel's “CSV UTF-8”), "gbk" or "gb18030"."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for title in title_rows:
        writer.writerow([title] if isinstance(title, str) else title)
    for cells in rows:
        writer.writerow(["" if cell is None else _csv_text(cell) for cell in cells])
    return text.getvalue().encode(encoding)


def _csv_text(value) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# --- hand-built workbooks -----------------------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def _skeleton(sheet_name: str, content_type: str = BOOK_TYPE) -> dict[str, bytes]:
    return {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{content_type}"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
            "</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}/relationships">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}"><sheets><sheet name="{sheet_name}" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE}/relationships">'
            f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ).encode(),
    }


def _sheet_start() -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'.encode()


SHEET_END = b"</sheetData></worksheet>"


def raw_xlsx(sheet_xml: bytes, *, sheet="Sheet1", parts=None, content_type=BOOK_TYPE) -> bytes:
    """A minimal workbook around ``sheet_xml`` (the rows, written inside <sheetData>), with any
    ``parts`` added or replaced ({name: bytes})."""
    files = _skeleton(sheet, content_type)
    files["xl/worksheets/sheet1.xml"] = _sheet_start() + sheet_xml + SHEET_END
    files.update(parts or {})
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return output.getvalue()


def _streamed_xlsx(sheet_pieces, *, compresslevel=1) -> bytes:
    """A minimal workbook whose sheet is written piece by piece, never whole in memory."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        for name, data in _skeleton("Sheet1").items():
            zf.writestr(name, data)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet_start())
            for piece in sheet_pieces:
                part.write(piece)
            part.write(SHEET_END)
    return output.getvalue()


def huge_xlsx(rows=2_000_000) -> bytes:
    """A sheet of ``rows`` numbered rows, one number each (a few MB packed)."""

    def pieces():
        for start in range(1, rows + 1, 10_000):
            yield "".join(
                f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'
                for n in range(start, min(start + 10_000, rows + 1))
            ).encode()

    return _streamed_xlsx(pieces())


def zip_bomb(megabytes=64) -> bytes:
    """A workbook whose sheet unpacks ~1000 times larger than it is packed: ``megabytes`` of
    blanks inside <sheetData> (valid XML, nothing any real sheet holds)."""
    blank = b" " * (1 << 20)
    return _streamed_xlsx((blank for _ in range(megabytes)), compresslevel=9)


def billion_laughs_xlsx() -> bytes:
    """A real workbook whose shared strings declare nested entities (the "billion laughs")."""
    laughs = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<!DOCTYPE sst [{''.join(laughs)}]>"
        f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    return replace_parts(xlsx_bytes([["名称"], ["x"]]), {"xl/sharedStrings.xml": strings})


def replace_parts(workbook: bytes, parts: dict[str, bytes]) -> bytes:
    """``workbook`` with some parts replaced or added."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return output.getvalue()


def macro_xlsx() -> bytes:
    """A workbook with a (tiny, fake) VBA project, as xlsxwriter writes an .xlsm."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.add_worksheet().write_string(0, 0, "客户编码")
    book.add_vba_project(io.BytesIO(b"\xd0\xcf\x11\xe0" + b"\x00" * 508), is_stream=True)
    book.close()
    return output.getvalue()


def formula_xlsx(cell="D5") -> bytes:
    """A small sheet of values with one formula, in ``cell``."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet("应收")
    sheet.write_row(0, 0, ["客户编码", "单号", "到期日", "金额"])
    for row in range(1, 8):
        sheet.write_row(row, 0, [f"C{row:03d}", f"INV{row:04d}", "2026-11-22", 100 * row])
    sheet.write_formula(cell, "=SUM(D2:D4)", None, 600)
    book.close()
    return output.getvalue()


def sparse_xlsx(far_cell="IV199999") -> bytes:
    """Two cells, A1 and ``far_cell``: a few hundred bytes that a reader building the whole
    grid between them would need gigabytes for."""
    row = "".join(ch for ch in far_cell if ch.isdigit())
    return raw_xlsx(
        b'<row r="1"><c r="A1"><v>1</v></c></row>'
        + f'<row r="{row}"><c r="{far_cell}"><v>2</v></c></row>'.encode()
    )


def xls_bytes() -> bytes:
    """The start of an old Excel 97–2003 file (an OLE2 compound document)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
