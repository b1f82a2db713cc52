"""The import endpoints of the API (tag "imports"): upload an Excel or CSV file to preview it (or
import it at once), commit a preview, read the history, and keep named column mappings.

Importing books money and changes customers in bulk, so every endpoint here is for those who may
import (``imports.selectors.can_import``: finance staff and administrators); anyone else gets 403.
A refused file answers 422 on ``file``; a preview with errors or unmapped required columns cannot
be committed (422 on ``batch``). Each endpoint calls one service or selector of huikuan.imports.
"""

import json
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import File, Form, Path, Query, Router, UploadedFile
from ninja.responses import Status

from huikuan.core.dates import business_today
from huikuan.core.errors import invalid
from huikuan.imports.models import ImportKind
from huikuan.imports.selectors import batches_visible_to, can_import, kind_fields, mappings_for
from huikuan.imports.services import (
    import_commit,
    import_preview,
    import_run,
    mapping_save,
    upload_size_check,
)

from .dunning_schemas import PageQuery
from .errors import ApiError, not_found
from .imports_schemas import (
    ImportBatchDetailOut,
    ImportBatchesPage,
    ImportMappingIn,
    ImportMappingOut,
    ImportMappingsOut,
    ImportUploadForm,
    KindChoice,
    StatusChoice,
)
from .schemas import READ_ERRORS, WRITE_ERRORS

router = Router(tags=["imports"])
# The kinds are named in the schema's description; an unknown one answers 404 like any path that
# is not there (``_kind``), not a validation error.
KindPath = Annotated[str, Path(..., description="One of: " + ", ".join(ImportKind.values))]


def _require_import(user) -> None:
    if not can_import(user):
        raise ApiError(403, "__all__", _("Only finance staff and administrators may import."))


def _kind(kind: str) -> str:
    """A kind named in the path; an unknown one is a path that does not exist (404)."""
    if kind not in ImportKind.values:
        raise not_found("kind", _("There is no kind of import called %(kind)s.") % {"kind": kind})
    return kind


def _batch(request, pk: int):
    batch = batches_visible_to(request.auth).filter(pk=pk).first()
    if batch is None:
        raise not_found("id", _("There is no import with id %(id)s.") % {"id": pk})
    return batch


def _content(file: UploadedFile) -> bytes:
    """The uploaded bytes; a file over the limit is refused before it is read into memory."""
    if file.size is not None:
        upload_size_check(file.size)
    return b"".join(file.chunks())


def _columns(text: str) -> dict[str, str] | None:
    """The ``mapping`` form field: a JSON object of field key -> header text, or nothing."""
    if not text.strip():
        return None
    try:
        columns = json.loads(text)
    except ValueError:
        columns = None
    if not isinstance(columns, dict) or not all(
        isinstance(key, str) and isinstance(header, str) for key, header in columns.items()
    ):
        raise invalid(
            "mapping",
            _('Give the mapping as a JSON object of fields and headers: {"due_date": "到期日"}.'),
        )
    return columns


# GET /imports/{id} comes before POST /imports/{kind}: Django tries the paths in order, and the
# first that matches answers (with 405 if it lacks the method).
@router.get("/imports/{int:id}", response={200: ImportBatchDetailOut, **READ_ERRORS})
def imports_detail(request, id: int):
    """One import with its mapping and every bad row."""
    batch = _batch(request, id)
    _require_import(request.auth)
    return batch


@router.post("/imports/{int:id}/commit", response={200: ImportBatchDetailOut, **WRITE_ERRORS})
def imports_commit(request, id: int):
    """Import a previewed file, all of it or nothing. The file is checked again first; a batch
    with errors or unmapped required columns, or one committed already, answers 422."""
    batch = _batch(request, id)
    _require_import(request.auth)
    import_commit(batch=batch, actor=request.auth)
    return _batch(request, id)


@router.get("/imports", response={200: ImportBatchesPage, **READ_ERRORS})
def imports_list(
    request,
    pages: Query[PageQuery],
    kind: KindChoice | None = None,
    status: StatusChoice | None = None,
):
    """Import history, newest first; filter by kind or status."""
    _require_import(request.auth)
    batches = batches_visible_to(request.auth)
    if kind:
        batches = batches.filter(kind=kind)
    if status:
        batches = batches.filter(status=status)
    return {
        "items": list(batches[pages.offset : pages.offset + pages.limit]),
        "count": batches.count(),
    }


@router.get("/imports/mappings/{kind}", response={200: ImportMappingsOut, **READ_ERRORS})
def imports_mappings(request, kind: KindPath):
    """The fields a file of ``kind`` can carry and the column mappings saved for it."""
    _kind(kind)
    _require_import(request.auth)
    return {
        "kind": kind,
        "fields": kind_fields(kind),
        "mappings": list(mappings_for(kind).select_related("updated_by")),
    }


@router.post("/imports/mappings/{kind}", response={200: ImportMappingOut, **WRITE_ERRORS})
def imports_mapping_save(request, kind: KindPath, payload: ImportMappingIn):
    """Save a column mapping under a name (the source, e.g. "金蝶应收单"); the same name
    replaces it."""
    _kind(kind)
    _require_import(request.auth)
    return mapping_save(kind=kind, name=payload.name, columns=payload.columns, actor=request.auth)


@router.post("/imports/{kind}", response={201: ImportBatchDetailOut, **WRITE_ERRORS})
def imports_create(
    request, kind: KindPath, form: Form[ImportUploadForm], file: File[UploadedFile] = None
):
    """Upload an .xlsx or .csv file (multipart/form-data) and check it without importing it: the
    batch answered says what would be created, changed and left alone, and names every bad row.
    With ``commit=true`` a clean file is imported at once (status ``committed``); a file with
    errors is kept as a preview only (status ``previewed``). ``mapping`` is a JSON object
    ``{field key: header}`` that overrides the saved mapping ``mapping_name``, which overrides
    the headers recognised automatically. ``as_of`` (default today) dates the import."""
    _kind(kind)
    _require_import(request.auth)
    if file is None:
        raise invalid("file", _("Attach the .xlsx or .csv file to import."))
    content = _content(file)
    options = {
        "kind": kind,
        "file_name": file.name or "",
        "content": content,
        "actor": request.auth,
        "mapping": _columns(form.mapping),
        "mapping_name": form.mapping_name.strip(),
        "as_of": form.as_of or business_today(),
    }
    batch = import_run(**options) if form.commit else import_preview(**options)
    return Status(201, _batch(request, batch.pk))
