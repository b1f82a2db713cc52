"""Request and response shapes of the import endpoints. Shape only: reading, checking and writing
a file are huikuan.imports' business.

A batch names its columns by the file's own header texts; ``mapping`` is ``{field key: header}``
and ``errors`` lists every bad row by its sheet row number, as the user sees it in Excel.
"""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from huikuan.imports.models import ImportKind, ImportStatus

from .schemas import Date, RequestBody, Text

KindChoice = Literal[tuple(ImportKind.values)]
StatusChoice = Literal[tuple(ImportStatus.values)]


def _username(user) -> str | None:
    return user.username if user is not None else None


class ImportErrorOut(Schema):
    row: int = Field(description="Sheet row number as Excel shows it (the header is row 1).")
    column: str = Field(description="Header of the column at fault, or empty for the row.")
    message: str


class ImportBatchOut(Schema):
    id: int
    kind: str
    status: str = Field(description="previewed (nothing written) or committed.")
    can_commit: bool = Field(description="Previewed, no errors and every required column mapped.")
    file_name: str
    file_size: int = Field(description="Bytes.")
    file_format: str = Field(description="xlsx or csv.")
    encoding: str = Field(description='CSV only: "utf-8", "utf-8-sig" or "gb18030".')
    sheet_name: str
    header_row: int = Field(description="Sheet row number of the header row.")
    mapping_name: str = Field(description="The saved mapping used, if any.")
    missing: list[str] = Field(description="Keys of required fields no column is mapped to.")
    as_of: dt.date
    rows_total: int = Field(description="Data rows read.")
    to_create: int
    to_update: int
    unchanged: int
    error_count: int = Field(description="Rows with errors; at most 1000 are listed.")
    summary: dict[str, int] = Field(
        description='Further counts, e.g. {"customers_created": 3, "allocations": 12}.'
    )
    created_by: str | None = Field(description="Username of who uploaded it.")
    created_at: dt.datetime
    committed_by: str | None
    committed_at: dt.datetime | None

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return _username(obj.created_by)

    @staticmethod
    def resolve_committed_by(obj) -> str | None:
        return _username(obj.committed_by)


class ImportBatchDetailOut(ImportBatchOut):
    headers: list[str] = Field(description="The header row's texts, left to right.")
    mapping: dict[str, str] = Field(description="Field key -> header of the column read for it.")
    errors: list[ImportErrorOut] = Field(description="Bad rows in row order.")


class ImportBatchesPage(Schema):
    items: list[ImportBatchOut]
    count: int


class ImportFieldOut(Schema):
    key: str
    label: str
    required: bool
    help: str

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.label)

    @staticmethod
    def resolve_help(obj) -> str:
        return str(obj.help)


class ImportMappingOut(Schema):
    kind: str
    name: str
    columns: dict[str, str] = Field(description="Field key -> header text.")
    updated_by: str | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_updated_by(obj) -> str | None:
        return _username(obj.updated_by)


class ImportMappingsOut(Schema):
    kind: str
    fields: list[ImportFieldOut] = Field(description="What a file of this kind can carry.")
    mappings: list[ImportMappingOut] = Field(description="Saved mappings, by name.")


class ImportMappingIn(RequestBody):
    name: Text = Field(description='The source, e.g. "金蝶应收单"; saving it again replaces it.')
    columns: dict[Text, Text] = Field(description="Field key -> header text in its files.")


class ImportUploadForm(Schema):
    """The form fields sent with the file."""

    mapping_name: Text = Field("", description="A saved mapping to use, by name.")
    mapping: Text = Field(
        "", description='JSON object {field key: header}, e.g. {"due_date": "到期日"}.'
    )
    as_of: Date | None = Field(None, description="The import's date; default today.")
    commit: bool = Field(False, description="true: import a clean file at once.")
