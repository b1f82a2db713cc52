"""Import pages, for the people who book money (finance and administrators): the history of
imports, uploading a file, and one import's preview — what the file holds, how its columns are
read, what would be written and which rows are wrong — or, once committed, what was written."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from huikuan.core import xlsx
from huikuan.core.dates import business_today
from huikuan.customers.forms import add_service_errors
from huikuan.org.models import Role
from huikuan.web.decorators import role_required

from .forms import MappingForm, UploadForm
from .models import ImportBatch, ImportKind, ImportStatus
from .selectors import batches_visible_to, kind_fields
from .services import import_commit, import_preview, mapping_save

IMPORTERS = (Role.FINANCE, Role.ADMIN)
PAGE_SIZE = 50
ERRORS_PER_PAGE = 200

# The extra counts a preview or commit reports (``batch.summary``), in words.
SUMMARY_LABELS = {
    "customers_created": _lazy("New customers"),
    "settled_lines": _lazy("Documents with money already received"),
    "allocations": _lazy("Settlements of receivables"),
}

# Where the records of each kind can be seen once committed.
RESULT_PAGES = {
    ImportKind.CUSTOMERS: "customers:list",
    ImportKind.CONTACTS: "customers:list",
    ImportKind.CONTRACTS: "customers:list",
    ImportKind.DELIVERIES: "ledger:receivables",
    ImportKind.RECEIVABLES: "ledger:receivables",
    ImportKind.PAYMENTS: "ledger:payments",
    ImportKind.OPENING: "ledger:receivables",
}


def _get_batch_for_user(request, pk) -> ImportBatch:
    """The import ``pk`` if the user may see imports; 404 otherwise."""
    return get_object_or_404(batches_visible_to(request.user), pk=pk)


def _history_sheet(batches, *, user, as_of) -> xlsx.Sheet:
    def who(field):
        return lambda batch: str(getattr(batch, field) or "")

    return xlsx.Sheet(
        name=_("Imports"),
        title=xlsx.title_line(_("Imports"), as_of=as_of, user=user),
        columns=[
            xlsx.moment(_("Uploaded"), "created_at"),
            xlsx.text(_("Uploaded by"), who("created_by"), 14),
            xlsx.text(_("Kind"), lambda batch: batch.get_kind_display(), 12),
            xlsx.text(_("File"), "file_name", 30),
            xlsx.integer(_("Rows"), "rows_total"),
            xlsx.integer(_("New"), "to_create"),
            xlsx.integer(_("Changed"), "to_update"),
            xlsx.integer(_("Unchanged"), "unchanged"),
            xlsx.integer(_("Rows with errors"), "error_count"),
            xlsx.text(_("Status"), lambda batch: batch.get_status_display(), 16),
            xlsx.text(_("Committed by"), who("committed_by"), 14),
            xlsx.moment(_("Committed at"), "committed_at"),
        ],
        rows=batches,
    )


@role_required(*IMPORTERS)
def batch_list(request):
    batches = batches_visible_to(request.user)
    if xlsx.wanted(request):
        today = business_today()
        sheet = _history_sheet(batches, user=request.user, as_of=today)
        return xlsx.response(sheet, name="imports", on=today)
    context = {"page": Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))}
    return render(request, "imports/batch_list.html", context)


@role_required(*IMPORTERS)
def batch_new(request):
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = import_preview(
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    content=upload.read(),
                    actor=request.user,
                    mapping_name=form.cleaned_data["mapping_name"],
                    as_of=business_today(),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("imports:batch", pk=batch.pk)
    else:
        kind = request.GET.get("kind", "")
        form = UploadForm(initial={"kind": kind} if kind in ImportKind.values else None)
    context = {"form": form, "kinds": [(kind, kind_fields(kind)) for kind in ImportKind]}
    return render(request, "imports/batch_new.html", context)


def _batch_page(request, batch: ImportBatch, mapping_form: MappingForm | None = None):
    fields = kind_fields(batch.kind)
    labels = {spec.key: spec.label for spec in fields}
    if mapping_form is None and batch.status == ImportStatus.PREVIEWED:
        mapping_form = MappingForm(
            initial=MappingForm.initial_for(batch.mapping), fields=fields, headers=batch.headers
        )
    listed_rows = len({error["row"] for error in batch.errors})
    context = {
        "batch": batch,
        "mapping_form": mapping_form,
        "mapped": [(spec, batch.mapping.get(spec.key, "")) for spec in fields],
        "missing": [labels.get(key, key) for key in batch.missing],
        "errors": Paginator(batch.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page")),
        "errors_not_listed": max(batch.error_count - listed_rows, 0),
        "summary": [
            {"label": SUMMARY_LABELS.get(key, key), "value": value}
            for key, value in batch.summary.items()
            if value
        ],
        "result_url": reverse(RESULT_PAGES[batch.kind]) if batch.kind in RESULT_PAGES else "",
    }
    return render(request, "imports/batch_detail.html", context)


@role_required(*IMPORTERS)
def batch_detail(request, pk):
    return _batch_page(request, _get_batch_for_user(request, pk))


@require_POST
@role_required(*IMPORTERS)
def batch_recheck(request, pk):
    """Preview the same file again with the columns chosen on the page (a new import, so the
    first preview stays in the history as it was), saving the mapping first when named."""
    batch = _get_batch_for_user(request, pk)
    form = MappingForm(request.POST, fields=kind_fields(batch.kind), headers=batch.headers)
    if form.is_valid():
        name = form.cleaned_data["save_as"].strip()
        try:
            with transaction.atomic():
                if name:
                    mapping_save(
                        kind=batch.kind, name=name, columns=form.mapping(), actor=request.user
                    )
                again = import_preview(
                    kind=batch.kind,
                    file_name=batch.file_name,
                    content=bytes(batch.content),
                    actor=request.user,
                    mapping=form.mapping(),
                    mapping_name=name,
                    as_of=business_today(),
                )
        except ValidationError as error:
            add_service_errors(form, error, aliases={"name": "save_as", "mapping_name": "save_as"})
        else:
            if name:
                messages.success(request, _("The mapping is saved as “%(name)s”.") % {"name": name})
            return redirect("imports:batch", pk=again.pk)
    return _batch_page(request, batch, form)


@require_POST
@role_required(*IMPORTERS)
def batch_commit(request, pk):
    batch = _get_batch_for_user(request, pk)
    try:
        batch = import_commit(batch=batch, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The import is committed: %(created)s new, %(updated)s changed.")
            % {"created": batch.to_create, "updated": batch.to_update},
        )
    return redirect("imports:batch", pk=batch.pk)
