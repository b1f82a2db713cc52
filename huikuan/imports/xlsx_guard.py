"""Inspecting an .xlsx workbook before any reader sees it: parts, sizes, compression ratios,
DTDs, macros, formulas, rows and the cell area a reader would allocate. python-calamine builds a
dense grid spanning the sheet's used range, so a two-cell file naming cells A1 and IV200000 would
allocate gigabytes and abort the process: the scan bounds that area before loading. Each check
works on the raw bytes, streamed and bounded; no XML is expanded.
"""

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from xml.etree import ElementTree
from xml.parsers import expat

from django.utils.translation import gettext as _

MAX_PARTS = 1000
EXPANSION_FACTOR = 20  # a workbook may unpack to at most 20 × max_bytes
MAX_RATIO = 200  # compression ratio above which a part is a zip bomb
RATIO_FLOOR = 1 << 20  # parts smaller than 1 MB cannot hurt, whatever their ratio
CHUNK = 1 << 20
MAX_SMALL_PART = 16 << 20  # workbook.xml, its rels and [Content_Types].xml are read whole
MAX_TAG = 1 << 20

MARKUP_SUFFIXES = (".xml", ".rels", ".vml")
SHEET_FOLDERS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")
# XML whitespace, folded to spaces so that one needle finds every spelling of a tag.
_SPACES = bytes.maketrans(b"\t\r\n", b"   ")
_ROW_NUMBER = re.compile(rb'row r *= *["\'](\d+)')
_CELL_REF = re.compile(rb' r *= *["\']([A-Za-z]+\d+)')
_PREFIXED_ROOT = re.compile(rb"<[A-Za-z_][\w.-]*:worksheet[ >]")


class FileRefused(Exception):
    """The file cannot be imported; ``message`` is a translated sentence saying what and where."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def too_many_rows(where: str, max_rows: int) -> str:
    return _(
        "“%(where)s” has more than %(limit)s rows; at most %(limit)s rows can be imported at "
        "once. Split the file."
    ) % {"where": where, "limit": f"{max_rows:,}"}


# --- xlsx: the archive --------------------------------------------------------------------------


def damaged(detail: str = "") -> FileRefused:
    if detail:
        return FileRefused(
            _(
                "The workbook is damaged and cannot be read (%(detail)s). Open it in Excel, "
                "save it again as .xlsx and upload it again."
            )
            % {"detail": detail}
        )
    return FileRefused(
        _(
            "The workbook is damaged and cannot be read. Open it in Excel, save it again as "
            ".xlsx and upload it again."
        )
    )


def _not_a_workbook() -> FileRefused:
    return FileRefused(
        _(
            "This zip file is not an Excel .xlsx workbook (it may be an OpenDocument sheet or "
            "another kind of archive). Save it as .xlsx or “CSV UTF-8” and upload it again."
        )
    )


def _macros(part: str) -> FileRefused:
    return FileRefused(
        _(
            "The workbook contains macros (%(part)s). Save it as a plain .xlsx workbook without "
            "macros and upload it again."
        )
        % {"part": part}
    )


def _part_count(content: bytes) -> int:
    """The number of parts the zip's end record declares, read before ``zipfile`` builds an
    object for each of them."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65557))
    if end < 0 or end + 22 > len(content):
        raise damaged()
    return struct.unpack("<H", content[end + 10 : end + 12])[0]


def _check_archive(infos: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if len(infos) > MAX_PARTS:
        raise FileRefused(
            _("The workbook has %(count)s parts; at most %(limit)s are allowed.")
            % {"count": f"{len(infos):,}", "limit": f"{MAX_PARTS:,}"}
        )
    seen = set()
    total = 0
    for info in infos:
        name = info.filename
        # Two spellings of one part would let the scan read one and the reader the other.
        if "\\" in name or name.lower() in seen:
            raise damaged(name)
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise FileRefused(
                _(
                    "The workbook is encrypted. Remove the password in Excel, save it as .xlsx "
                    "and upload it again."
                )
            )
        if name.lower().endswith("vbaproject.bin") or name.startswith("xl/macrosheets/"):
            raise _macros(name)
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise FileRefused(
                _(
                    "The part %(part)s of the workbook expands %(ratio)s times when unpacked; "
                    "the file looks like a zip bomb and is refused."
                )
                % {"part": name, "ratio": f"{info.file_size // max(1, info.compress_size):,}"}
            )
    limit = EXPANSION_FACTOR * max_bytes
    if total > limit:
        raise FileRefused(
            _(
                "The workbook unpacks to %(size)s MB, more than the %(limit)s MB allowed; the "
                "file looks like a zip bomb and is refused."
            )
            % {"size": f"{total / 2**20:,.0f}", "limit": f"{limit / 2**20:,.0f}"}
        )


def _chunks(content: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Unpack one part piece by piece, holding it to its declared size and checksum (so the
    declared sizes checked above are the true ones)."""
    offset = info.header_offset
    header = content[offset : offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise damaged(info.filename)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    packed = memoryview(content)[start : start + info.compress_size]
    if len(packed) < info.compress_size:
        raise damaged(info.filename)
    produced = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(0, len(packed), CHUNK):
            piece = bytes(packed[position : position + CHUNK])
            produced += len(piece)
            crc = zlib.crc32(piece, crc)
            yield piece
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        position = 0
        pending = b""
        while not inflater.eof:
            if pending:
                feed = pending
            elif position < len(packed):
                feed = packed[position : position + CHUNK]
                position += len(feed)
            else:
                raise damaged(info.filename)
            try:
                piece = inflater.decompress(feed, CHUNK)
            except zlib.error:
                raise damaged(info.filename) from None
            pending = inflater.unconsumed_tail
            if piece:
                produced += len(piece)
                if produced > info.file_size:
                    raise damaged(info.filename)
                crc = zlib.crc32(piece, crc)
                yield piece
    else:
        raise damaged(info.filename)
    if produced != info.file_size or crc != info.CRC:
        raise damaged(info.filename)


def _check_markup(piece: bytes, part: str) -> None:
    """Refuse DTDs and entity declarations (billion laughs, external entities): no spreadsheet
    part needs one. Comments and CDATA are the only other ``<!`` constructs and pass."""
    position = piece.find(b"<!")
    while position >= 0:
        after = piece[position + 2 : position + 9]
        if not (after.startswith(b"--") or after.startswith(b"[CDATA[")):
            raise FileRefused(
                _(
                    "The part %(part)s of the workbook declares a DOCTYPE or entities, which "
                    "spreadsheets never need; the file is refused as unsafe."
                )
                % {"part": part}
            )
        position = piece.find(b"<!", position + 2)


def _check_encoding(first: bytes, part: str) -> None:
    # UTF-16/32 would hide every needle of the scan from a byte search.
    if first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first[:4]:
        raise damaged(part)


def _pieces(content: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The unpacked part with XML whitespace folded to spaces, cut just before a ``<`` so that
    no tag — and nothing the scan looks for — is split between two pieces."""
    carry = b""
    first = True
    for chunk in _chunks(content, info):
        if first:
            _check_encoding(chunk, info.filename)
            first = False
        buffer = carry + chunk.translate(_SPACES)
        cut = buffer.rfind(b"<")
        if cut < 0:
            carry = b""
            yield buffer
            continue
        carry = buffer[cut:]
        # A tag or a text longer than this is no spreadsheet's (a cell holds 32,767 characters).
        if len(carry) > MAX_TAG:
            raise damaged(info.filename)
        if cut:
            yield buffer[:cut]
    if carry:
        yield carry


def _read_markup(content: bytes, info: zipfile.ZipInfo | None, *, keep: bool = False) -> bytes:
    """Scan one small markup part for DTDs; return its bytes when ``keep``."""
    if info is None:
        return b""
    if keep and info.file_size > MAX_SMALL_PART:
        raise damaged(info.filename)
    kept = []
    for piece in _pieces(content, info):
        _check_markup(piece, info.filename)
        if keep:
            kept.append(piece)
    return b"".join(kept)


# --- xlsx: which sheet --------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _first_visible_sheet(workbook: bytes, relations: bytes, parts: set[str]) -> tuple[str, str]:
    """(name, part) of the first visible worksheet, as python-calamine will find it."""
    try:
        book = ElementTree.fromstring(workbook)
        rels = ElementTree.fromstring(relations)
    except ElementTree.ParseError as exc:
        raise damaged(str(exc)) from None
    targets = {}
    for rel in rels:
        if _local(rel.tag) == "Relationship":
            targets[rel.get("Id")] = (rel.get("Type", ""), rel.get("Target", ""))
    names = set()
    chosen = None
    for element in book.iter():
        if _local(element.tag) != "sheet":
            continue
        name = element.get("name", "")
        if name in names:
            raise damaged(name)
        names.add(name)
        relation = next(
            (value for key, value in element.attrib.items() if _local(key) == "id"), None
        )
        kind, target = targets.get(relation, ("", ""))
        if chosen or element.get("state", "visible") != "visible":
            continue
        if not kind.endswith("/worksheet"):
            continue
        if "\\" in target or "./" in target:
            raise damaged(target)
        part = target[1:] if target.startswith("/") else "xl/" + target
        if part not in parts:
            raise damaged(target)
        chosen = (name, part)
    if chosen is None:
        raise FileRefused(
            _("The workbook has no visible worksheet. Put the data on its first sheet.")
        )
    return chosen


# --- xlsx: the sheet ----------------------------------------------------------------------------


def _digits_above(number: int) -> bytes:
    """A regex for the decimal numbers longer than ``number`` or as long and larger."""
    text = str(number)
    options = [rb"\d{%d,}" % (len(text) + 1)]
    for index, digit in enumerate(text):
        if digit != "9":
            rest = len(text) - index - 1
            options.append(
                text[:index].encode()
                + b"[%d-9]" % (int(digit) + 1)
                + (rb"\d{%d}" % rest if rest else b"")
            )
    return b"|".join(options)


def _letters_above(column: int) -> bytes:
    """A regex for the column letters (either case) past ``column``: longer, or as long and
    later in the alphabet."""
    letters = _column_letters(column)
    options = [rb"[A-Za-z]{%d,}" % (len(letters) + 1)]
    for index, letter in enumerate(letters):
        if letter != "Z":
            later = chr(ord(letter) + 1)
            rest = len(letters) - index - 1
            options.append(
                b"".join(b"[%s%s]" % (c.encode(), c.lower().encode()) for c in letters[:index])
                + b"[%s-Z%s-z]" % (later.encode(), later.lower().encode())
                + (rb"[A-Za-z]{%d}" % rest if rest else b"")
            )
    return b"|".join(options)


def _beyond(top_row: int, top_column: int) -> re.Pattern:
    """Cell references past the largest column (groups 1, 2) or row (group 3) seen so far, in
    any spelling of the attribute. In a normal sheet nothing matches once the first rows are
    read, so the scan stays a single pass of the regex engine."""
    return re.compile(
        rb' r *= *["\'](?:(%s)(\d+)|[A-Za-z]*(%s)["\'])'
        % (_letters_above(top_column), _digits_above(top_row))
    )


def _column_letters(column: int) -> str:
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


@dataclass
class _SheetScan:
    """What the fast scan of a sheet part learnt; row/column figures are upper bounds."""

    rows: int = 0  # <row> elements
    numbered_rows: int = 0  # <row> elements found with an r attribute
    cells: int = 0  # <c> elements (and a few other <c…> tags: an over-count)
    numbered_cells: int = 0  # <c r="…"> in the usual spelling
    top_row: int = 0  # largest row number a <row> element names
    top_cell_row: int = 0  # largest row number a cell names beyond the <row>s before it
    top_column: int = 0  # largest column a cell names, when past Z
    formula_cell: str | None = None
    last_cell: str = ""
    prefixed: bool = False  # elements written as <x:c>, as some .NET writers do
    in_data: bool = False
    after_data: bool = False

    def row_bound(self) -> int:
        return max(self.top_row, self.top_cell_row) + (self.rows - self.numbered_rows)

    def column_bound(self) -> int:
        unnumbered = max(0, self.cells - self.numbered_cells)
        return max(self.top_column, 26 if self.cells else 0) + unnumbered


def _sheet_data(scan: _SheetScan, piece: bytes) -> bytes:
    """The part of ``piece`` inside <sheetData>, where rows and cells live."""
    if scan.after_data:
        return b""
    start = 0
    if not scan.in_data:
        start = piece.find(b"sheetData")
        if start < 0:
            return b""
        scan.in_data = True
    end = piece.find(b"/sheetData", start)
    if end >= 0:
        scan.after_data = True
        return piece[start:end]
    return piece[start:] if start else piece


def _find_formula(piece: bytes, prefixed: bool) -> int:
    for needle in (b"<f", b":f") if prefixed else (b"<f",):
        position = piece.find(needle)
        while position >= 0:
            if piece[position + 2 : position + 3] in (b" ", b">", b"/"):
                return position
            position = piece.find(needle, position + 2)
    return -1


def _cell_before(piece: bytes, position: int) -> str | None:
    start = max(piece.rfind(b"<c ", 0, position), piece.rfind(b":c ", 0, position))
    if start < 0:
        return None
    match = _CELL_REF.search(piece, start, position)
    return match.group(1).decode().upper() if match else ""


def _scan_sheet(
    content: bytes, info: zipfile.ZipInfo, sheet: str, *, max_rows: int, max_cells: int
) -> _SheetScan:
    scan = _SheetScan()
    first = True
    for piece in _pieces(content, info):
        if first:
            scan.prefixed = _PREFIXED_ROOT.search(piece, 0, 4096) is not None
            first = False
        _check_markup(piece, info.filename)
        formula = _find_formula(piece, scan.prefixed)
        if formula >= 0:
            cell = _cell_before(piece, formula)
            scan.formula_cell = scan.last_cell if cell is None else cell
            _refuse_formula(sheet, scan.formula_cell)
        data = _sheet_data(scan, piece)
        if not data:
            continue
        scan.rows += data.count(b"<row") + data.count(b":row")
        if scan.rows > max_rows:
            raise FileRefused(too_many_rows(sheet, max_rows))
        scan.cells += data.count(b"<c") + data.count(b":c")
        scan.numbered_cells += data.count(b'<c r="')
        if scan.prefixed:
            scan.numbered_cells += data.count(b':c r="')
        if scan.cells > max_cells:
            raise _too_many_cells(sheet, max_cells)
        numbers = _ROW_NUMBER.findall(data)
        if numbers:
            scan.numbered_rows += len(numbers)
            scan.top_row = max(scan.top_row, max(map(int, numbers)))
        # Cells naming a column or a row past any seen so far (a row past every <row>).
        found = _beyond(scan.top_row, max(26, scan.top_column)).findall(data)
        if found:
            letters = set(filter(None, map(itemgetter(0), found)))
            if letters:
                scan.top_column = max(scan.top_column, max(map(_column_number, letters)))
            rows = [*filter(None, map(itemgetter(1), found))]
            rows += filter(None, map(itemgetter(2), found))
            if rows:
                scan.top_cell_row = max(scan.top_cell_row, max(map(int, rows)))
        if max(scan.top_row, scan.top_cell_row) > max_rows:
            raise FileRefused(
                _(
                    "Sheet “%(sheet)s” has data in row %(row)s; at most %(limit)s rows can be "
                    "imported at once. Split the file."
                )
                % {
                    "sheet": sheet,
                    "row": f"{max(scan.top_row, scan.top_cell_row):,}",
                    "limit": f"{max_rows:,}",
                }
            )
        cell = _cell_before(data, len(data))
        if cell:
            scan.last_cell = cell
    rows, columns = scan.row_bound(), scan.column_bound()
    if rows > max_rows or rows * columns > max_cells:
        # The cheap bounds are too loose (unusual spelling, cells without references, a very
        # wide sheet): measure exactly, the way python-calamine will place the cells.
        rows, columns = _exact_extent(content, info)
        if rows > max_rows:
            raise FileRefused(too_many_rows(sheet, max_rows))
        if rows * columns > max_cells:
            raise _too_many_cells(sheet, max_cells, rows=rows, columns=columns)
    return scan


def _refuse_formula(sheet: str, cell: str) -> None:
    if cell:
        raise FileRefused(
            _(
                "Cell %(cell)s of sheet “%(sheet)s” holds a formula. Paste values only (Paste "
                "Special → Values) and upload the file again."
            )
            % {"cell": cell, "sheet": sheet}
        )
    raise FileRefused(
        _(
            "Sheet “%(sheet)s” holds formulas. Paste values only (Paste Special → Values) and "
            "upload the file again."
        )
        % {"sheet": sheet}
    )


def _too_many_cells(sheet: str, max_cells: int, *, rows: int = 0, columns: int = 0):
    if rows:
        return FileRefused(
            _(
                "Sheet “%(sheet)s” spans %(rows)s rows × %(columns)s columns; at most "
                "%(limit)s cells can be imported at once. Split the file or delete the empty "
                "columns and rows around the data."
            )
            % {
                "sheet": sheet,
                "rows": f"{rows:,}",
                "columns": f"{columns:,}",
                "limit": f"{max_cells:,}",
            }
        )
    return FileRefused(
        _(
            "Sheet “%(sheet)s” has more than %(limit)s cells; at most %(limit)s cells can be "
            "imported at once. Split the file."
        )
        % {"sheet": sheet, "limit": f"{max_cells:,}"}
    )


def _exact_extent(content: bytes, info: zipfile.ZipInfo) -> tuple[int, int]:
    """(last row, last column) of the grid python-calamine would build, walking the part with
    expat: a cell's reference places it; a cell without one follows the previous cell of its
    row; a row without a number follows the previous row."""
    state = {"row": 0, "column": 0, "rows": 0, "columns": 0}

    def start(name, attributes):
        local = name.rpartition(":")[2]
        if local == "row":
            number = attributes.get("r", "")
            state["row"] = int(number) if number.isdigit() else state["row"] + 1
            state["column"] = 0
            state["rows"] = max(state["rows"], state["row"])
        elif local == "c":
            reference = attributes.get("r", "")
            match = re.fullmatch(r"([A-Za-z]+)(\d+)", reference)
            if match:
                state["column"] = _column_number(match.group(1).encode())
                state["rows"] = max(state["rows"], int(match.group(2)))
            else:
                state["column"] += 1
            state["columns"] = max(state["columns"], state["column"])

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        for chunk in _chunks(content, info):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise damaged(f"{info.filename}: {exc}") from None
    return state["rows"], state["columns"]


def inspect_workbook(content: bytes, *, max_bytes: int, max_rows: int, max_cells: int) -> str:
    """Check an .xlsx workbook before any reader sees it (see the module docstring) and return
    the name of its first visible sheet; raise :class:`FileRefused` otherwise."""
    count = _part_count(content)
    if count > MAX_PARTS:
        raise FileRefused(
            _("The workbook has %(count)s parts; at most %(limit)s are allowed.")
            % {"count": f"{count:,}", "limit": f"{MAX_PARTS:,}"}
        )
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        raise damaged() from None
    _check_archive(infos, max_bytes)
    parts = {info.filename: info for info in infos}
    if "xl/workbook.xml" not in parts:
        raise _not_a_workbook()
    types = _read_markup(content, parts.get("[Content_Types].xml"), keep=True)
    for word in (b"macroEnabled", b"vbaProject", b"macrosheet"):
        if word in types:
            raise _macros("[Content_Types].xml")
    workbook = _read_markup(content, parts["xl/workbook.xml"], keep=True)
    relations = _read_markup(content, parts.get("xl/_rels/workbook.xml.rels"), keep=True)
    if not relations:
        raise damaged("xl/_rels/workbook.xml.rels")
    sheet, sheet_part = _first_visible_sheet(workbook, relations, set(parts))
    done = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}
    for info in infos:
        name = info.filename
        if name in done or name.startswith(SHEET_FOLDERS):
            continue  # other sheets are never parsed
        if name.lower().endswith(MARKUP_SUFFIXES):
            _read_markup(content, info)
    _scan_sheet(content, parts[sheet_part], sheet, max_rows=max_rows, max_cells=max_cells)
    return sheet
