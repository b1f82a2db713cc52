"""Reading an uploaded file into rows of cells: an .xlsx workbook or a CSV text file.

The format is told by the first bytes, never by the file name. A workbook is inspected before any
reader sees it — parts, sizes, compression ratios, DTDs, macros, formulas, rows and the cell area
the reader would allocate — and only then read with python-calamine. python-calamine builds a
dense grid spanning the sheet's used range, so a two-cell file naming cells A1 and IV200000 would
allocate gigabytes and abort the process: the scan bounds that area before loading.

CSV is UTF-8 (with or without BOM) or GB18030 (a superset of GBK), delimited by comma, tab or
semicolon. Every refusal is a :class:`FileRefused` whose message says what is wrong and where.
Nothing here touches the database; limits come in as arguments.
"""

import csv
import gc
import io
from collections import Counter
from dataclasses import dataclass, field

import python_calamine
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .xlsx_guard import FileRefused, damaged, inspect_workbook, too_many_rows

# A sheet spanning more cells than this is refused: python-calamine keeps a 32-byte value per cell
# of the grid and Python a pointer per cell, so 6 million cells cost about 250 MB. A real
# 200,000-row sheet of up to 26 columns fits.
MAX_CELLS = 6_000_000
XLSX_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
# A "CSV" that is really a web page or an XML spreadsheet saved under another name.
_XML_HTML_START = ("<html", "<!doctype", "<table", "<?xml", "<head", "<body", "<meta", "<div")


@dataclass
class Table:
    file_format: str  # "xlsx" | "csv"
    encoding: str  # csv: "utf-8" | "utf-8-sig" | "gb18030"; xlsx: ""
    sheet_name: str
    # (sheet row number from 1, cells) for every row, header and title rows included; trailing
    # empty cells are cut, so an empty row is [].
    rows: list[tuple[int, list]] = field(default_factory=list)


def check_size(size: int, *, max_bytes: int) -> None:
    """Refuse a file of ``size`` bytes over the limit — also before its bytes are read."""
    if size > max_bytes:
        raise FileRefused(
            _("The file is %(size)s; at most %(limit)s can be imported at once. Split it.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)}
        )


def read_table(
    content: bytes, file_name: str, *, max_bytes: int, max_rows: int, max_cells: int = MAX_CELLS
) -> Table:
    """Read the first visible sheet of an .xlsx workbook, or a CSV file, into a :class:`Table`.

    Refuses (:class:`FileRefused`) empty, oversized, old-format, hostile or unreadable files and
    files with more than ``max_rows`` rows, before loading them into memory. ``file_name`` only
    words the messages; the format is told by the content."""
    if not content or content.isspace():
        raise FileRefused(_("The file is empty."))
    check_size(len(content), max_bytes=max_bytes)
    if content.startswith(XLSX_MAGIC):
        return _read_xlsx(content, max_bytes=max_bytes, max_rows=max_rows, max_cells=max_cells)
    if content.startswith(OLE2_MAGIC):
        raise FileRefused(
            _(
                "“%(name)s” is an old Excel 97–2003 (.xls) file or a password-protected "
                "workbook. Open it in Excel and save it as .xlsx without a password, or as "
                "“CSV UTF-8”, then upload it again."
            )
            % {"name": file_name}
        )
    return _read_csv(content, file_name, max_rows=max_rows)


# --- CSV ----------------------------------------------------------------------------------------


def _read_csv(content: bytes, file_name: str, *, max_rows: int) -> Table:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            _(
                "“%(name)s” is UTF-16 text (Excel's “Unicode text”). Save it as “CSV UTF-8” or "
                ".xlsx and upload it again."
            )
            % {"name": file_name}
        )
    nul = content.find(b"\x00")
    if nul >= 0:
        raise FileRefused(
            _(
                "Line %(line)s of “%(name)s” contains a NUL byte, so it is not a CSV text file. "
                "Upload an .xlsx workbook or a CSV file."
            )
            % {"line": content.count(b"\n", 0, nul) + 1, "name": file_name}
        )
    text, encoding = _decode(content, file_name)
    head = text[:512].lstrip().lower()
    if head.startswith(_XML_HTML_START):
        raise FileRefused(
            _(
                "“%(name)s” is a web page or an XML document, not a CSV file or an .xlsx "
                "workbook. Open it in Excel, save it as .xlsx and upload it again."
            )
            % {"name": file_name}
        )
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    if first.lower().startswith("sep=") and len(first.rstrip("\r\n")) == 5:
        # Excel's own hint line ("sep=;"); Excel does not show it as a row.
        delimiter = first[4]
    else:
        delimiter = _sniff_delimiter(text)
        lines.seek(0)
    rows = []
    number = 0
    try:
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), 1):
            if number > max_rows:
                raise FileRefused(too_many_rows(file_name, max_rows))
            while cells and not cells[-1]:
                cells.pop()
            rows.append((number, cells))
    except csv.Error as exc:
        raise FileRefused(
            _("Row %(row)s of “%(name)s” cannot be read as CSV: %(error)s.")
            % {"row": number + 1, "name": file_name, "error": exc}
        ) from None
    if not any(cells and any(c.strip() for c in cells) for _n, cells in rows):
        raise FileRefused(_("The file has no rows."))
    return Table(file_format="csv", encoding=encoding, sheet_name="", rows=rows)


def _decode(content: bytes, file_name: str) -> tuple[str, str]:
    """UTF-8 with BOM, strict UTF-8, then strict GB18030; else refuse naming the bad line."""
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(content, exc.start, file_name) from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return content.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb_error:
            # A file that was decoding as multi-byte UTF-8 before its first bad byte is a UTF-8
            # file with a flaw there; otherwise GB18030 tells where the text really breaks.
            looks_utf8 = not content[: utf8_error.start].isascii()
            position = utf8_error.start if looks_utf8 else gb_error.start
            raise _undecodable(content, position, file_name) from None


def _undecodable(content: bytes, position: int, file_name: str) -> FileRefused:
    return FileRefused(
        _(
            "Line %(line)s of “%(name)s” holds bytes that are neither UTF-8 nor GBK/GB18030 "
            "text. Save the file as “CSV UTF-8” and upload it again."
        )
        % {"line": content.count(b"\n", 0, position) + 1, "name": file_name}
    )


def _sniff_delimiter(text: str) -> str:
    """Comma, tab or semicolon: the one that splits the first lines into the most lines of one
    same width (title lines above the header have no delimiters; amounts may hold commas)."""
    sample = text[:65536].splitlines()[:20]
    best, best_score = ",", (0, 0)
    for candidate in (",", "\t", ";"):
        widths = Counter(
            len(cells) for cells in csv.reader(sample, delimiter=candidate) if len(cells) > 1
        )
        if not widths:
            continue
        width, lines = max(widths.items(), key=lambda item: (item[1], item[0]))
        if (lines, width) > best_score:
            best, best_score = candidate, (lines, width)
    return best


# --- xlsx: reading ------------------------------------------------------------------------------


def _read_xlsx(content: bytes, *, max_bytes: int, max_rows: int, max_cells: int) -> Table:
    sheet = inspect_workbook(content, max_bytes=max_bytes, max_rows=max_rows, max_cells=max_cells)
    # Every object built now survives the import, so cyclic collection passes over the growing
    # heap would find nothing to free; pausing them saves a tenth of the read time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)) as book:
            grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        for cells in grid:
            if cells and cells[-1] == "":
                while cells and cells[-1] == "":
                    cells.pop()
        rows = list(enumerate(grid, 1))
    except python_calamine.PasswordError:
        raise FileRefused(
            _(
                "The workbook is encrypted. Remove the password in Excel, save it as .xlsx "
                "and upload it again."
            )
        ) from None
    except Exception as exc:  # python-calamine reports damage with several exception types
        raise damaged(str(exc)[:200]) from None
    finally:
        if collecting:
            gc.enable()
    if not any(grid):
        raise FileRefused(
            _("Sheet “%(sheet)s” is empty. Put the data on the first sheet of the workbook.")
            % {"sheet": sheet}
        )
    return Table(file_format="xlsx", encoding="", sheet_name=sheet, rows=rows)
