"""Every write of an import. A preview stores the file and what the plan found, nothing else; a
commit plans again inside one transaction — with the rows it may change locked — and writes all
of it or none of it. Importing the same file twice changes nothing the second time: every record
is matched by its number (or code), and an unchanged one is left alone.
"""

import gc
import hashlib
import os
import signal
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huikuan.audit.services import audit_record
from huikuan.core.errors import invalid

from .apply import apply_plan
from .kinds import kind_spec
from .models import ImportBatch, ImportMapping, ImportStatus
from .plan import Plan, plan_table
from .reading import FileRefused, check_size, read_table
from .selectors import can_import

# Fault injection for the crash tests: HUIKUAN_FAILPOINT=import:<step> kills this process with
# SIGKILL right after that step of a commit (customers, receivables, audit, settlements …).
FAILPOINT = "HUIKUAN_FAILPOINT"
# Serialises commits on PostgreSQL (SQLite's IMMEDIATE transactions already do).
IMPORT_LOCK = 7_000_007


@contextmanager
def _many_objects():
    """Pause the cyclic garbage collector while a big file is read, planned and written: it
    would walk the hundreds of thousands of row objects again and again as they are made, and
    none of them form cycles (reference counting frees them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check(actor) -> None:
    if not can_import(actor):
        raise PermissionDenied(_("Only finance staff and administrators may import."))


def upload_size_check(size: int) -> None:
    """Refuse an upload over ``HUIKUAN_IMPORT_MAX_BYTES`` (ValidationError on ``file``): for
    pages and the API, before the bytes are read into memory."""
    try:
        check_size(size, max_bytes=settings.HUIKUAN_IMPORT_MAX_BYTES)
    except FileRefused as exc:
        raise invalid("file", exc.message) from None


def _read(content: bytes, file_name: str):
    try:
        return read_table(
            content,
            file_name,
            max_bytes=settings.HUIKUAN_IMPORT_MAX_BYTES,
            max_rows=settings.HUIKUAN_IMPORT_MAX_ROWS,
        )
    except FileRefused as exc:
        raise invalid("file", exc.message) from None


def _mapping(kind: str, mapping: dict[str, str] | None, mapping_name: str) -> dict[str, str]:
    chosen: dict[str, str] = {}
    if mapping_name:
        saved = ImportMapping.objects.filter(kind=kind, name=mapping_name).first()
        if saved is None:
            raise invalid(
                "mapping_name",
                _("There is no saved mapping %(name)s for this kind of import.")
                % {"name": mapping_name},
            )
        chosen.update(saved.columns)
    chosen.update(mapping or {})
    return chosen


def _fill(batch: ImportBatch, plan: Plan) -> None:
    table = plan.table
    batch.file_format = table.file_format
    batch.encoding = table.encoding
    batch.sheet_name = table.sheet_name[:100]
    batch.header_row = plan.header_row
    batch.headers = [str(h) for h in plan.headers]
    batch.mapping = plan.mapping
    batch.missing = plan.missing
    batch.rows_total = plan.rows_total
    batch.to_create = plan.to_create
    batch.to_update = plan.to_update
    batch.unchanged = plan.unchanged
    batch.error_count = plan.error_count
    batch.errors = sorted(plan.errors, key=lambda e: e["row"])
    batch.summary = dict(plan.summary)


def _new_batch(plan: Plan, *, file_name, content, actor, mapping_name) -> ImportBatch:
    """Store the file and what ``plan`` found in it, as a preview."""
    batch = ImportBatch(
        kind=plan.kind,
        file_name=os.path.basename(file_name or "")[:255] or "upload",
        file_size=len(content),
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        mapping_name=mapping_name,
        as_of=plan.as_of,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _fill(batch, plan)
    batch.save()
    return batch


def import_preview(
    *,
    kind: str,
    file_name: str,
    content: bytes,
    actor,
    mapping: dict[str, str] | None = None,
    mapping_name: str = "",
    as_of: date,
) -> ImportBatch:
    """Read and check a file without importing it: the batch stored says how many records
    would be created, changed and left alone, and names every bad row. A refused file stores
    nothing (ValidationError on ``file``)."""
    _check(actor)
    kind_spec(kind)
    chosen = _mapping(kind, mapping, mapping_name)
    with _many_objects():
        table = _read(content, file_name)
        plan = plan_table(kind=kind, table=table, as_of=as_of, mapping=chosen)
        return _new_batch(
            plan, file_name=file_name, content=content, actor=actor, mapping_name=mapping_name
        )


def _progress_with_failpoint(progress: Callable[[str], None] | None):
    failpoint = os.environ.get(FAILPOINT, "")

    def step(name: str) -> None:
        if progress:
            progress(name)
        if failpoint == f"import:{name}":
            os.kill(os.getpid(), signal.SIGKILL)

    return step


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _write(batch: ImportBatch, plan: Plan, *, actor, progress) -> None:
    """Write ``plan`` and mark ``batch`` committed; inside the caller's transaction."""
    step = _progress_with_failpoint(progress)
    plan.batch_id = batch.pk
    note = _("import #%(id)s, %(file)s") % {"id": batch.pk, "file": batch.file_name}
    try:
        with transaction.atomic():
            apply_plan(plan, actor=actor, note=note, progress=step)
    except IntegrityError:
        raise invalid(
            "batch",
            _("Someone changed the same records while this import ran; check the file again."),
        ) from None
    batch.status = ImportStatus.COMMITTED
    batch.committed_by = actor if getattr(actor, "pk", None) else None
    batch.committed_at = timezone.now()
    batch.save()
    audit_record(
        actor=actor,
        action="import.commit",
        obj=batch,
        after={
            "kind": batch.kind,
            "file": batch.file_name,
            "sha256": batch.file_sha256,
            "rows": batch.rows_total,
            "created": batch.to_create,
            "updated": batch.to_update,
            "unchanged": batch.unchanged,
            **batch.summary,
        },
    )
    step("done")


def _refuse_unclean(batch: ImportBatch) -> None:
    if batch.missing:
        raise invalid(
            "batch",
            _("Some required columns are not mapped yet; nothing was imported."),
        )
    if batch.error_count:
        raise invalid(
            "batch",
            _(
                "%(count)s rows have errors; fix them and import the file again. Nothing was "
                "imported."
            )
            % {"count": batch.error_count},
        )


def import_commit(
    *, batch: ImportBatch, actor, progress: Callable[[str], None] | None = None
) -> ImportBatch:
    """Import a previewed file: all of it or nothing. The file is checked again first (the
    ledger may have moved since the preview); any bad row now refuses the whole commit."""
    _check(actor)
    with _many_objects(), transaction.atomic():
        _lock()
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.PREVIEWED:
            raise invalid("batch", _("This import has been committed already."))
        _refuse_unclean(batch)
        table = _read(bytes(batch.content), batch.file_name)
        plan = plan_table(
            kind=batch.kind, table=table, as_of=batch.as_of, mapping=batch.mapping, lock=True
        )
        table.rows.clear()
        if not plan.clean:
            raise invalid(
                "batch",
                _(
                    "The data changed since the preview and %(count)s rows have errors now; "
                    "check the file again. Nothing was imported."
                )
                % {"count": plan.error_count or len(plan.missing)},
            )
        _fill(batch, plan)
        _write(batch, plan, actor=actor, progress=progress)
    return batch


def import_run(
    *,
    kind: str,
    file_name: str,
    content: bytes,
    actor,
    mapping: dict[str, str] | None = None,
    mapping_name: str = "",
    as_of: date,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportBatch:
    """Preview and commit in one pass (the command line and the API): the file is read once and
    planned inside the commit's transaction. A file with errors, or ``dry_run``, is stored as a
    preview only."""
    _check(actor)
    kind_spec(kind)
    chosen = _mapping(kind, mapping, mapping_name)
    with _many_objects():
        return _run(kind, file_name, content, actor, chosen, mapping_name, as_of, dry_run, progress)


def _run(kind, file_name, content, actor, chosen, mapping_name, as_of, dry_run, progress):
    table = _read(content, file_name)
    if progress:
        progress("read")
    with transaction.atomic():
        _lock()
        plan = plan_table(kind=kind, table=table, as_of=as_of, mapping=chosen, lock=not dry_run)
        table.rows.clear()  # the plan holds what it needs; the raw cells can go before writing
        if progress:
            progress("plan")
        batch = _new_batch(
            plan, file_name=file_name, content=content, actor=actor, mapping_name=mapping_name
        )
        if dry_run or not plan.clean:
            return batch
        _write(batch, plan, actor=actor, progress=progress)
    return batch


@transaction.atomic
def mapping_save(*, kind: str, name: str, columns: dict[str, str], actor) -> ImportMapping:
    """Save (or replace) a named column mapping for files of ``kind`` from one source."""
    _check(actor)
    spec = kind_spec(kind)
    name = (name or "").strip()
    if not name:
        raise invalid("name", _("Give the mapping a name, e.g. the system the files come from."))
    if len(name) > 64:
        raise invalid("name", _("At most 64 characters."))
    known = {f.key for f in spec.fields}
    unknown = sorted(set(columns) - known)
    if unknown:
        raise invalid("columns", _("Unknown fields: %(keys)s.") % {"keys": ", ".join(unknown)})
    clean = {key: str(header).strip() for key, header in columns.items() if str(header).strip()}
    mapping, _created = ImportMapping.objects.update_or_create(
        kind=kind,
        name=name,
        defaults={"columns": clean, "updated_by": actor if getattr(actor, "pk", None) else None},
    )
    return mapping
