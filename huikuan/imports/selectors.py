"""Reads for imports: who may import, which batches a user sees, the fields of each kind."""

from django.db.models import QuerySet

from huikuan.ledger.selectors import can_post_ledger

from .kinds import FieldSpec, kind_spec
from .models import ImportBatch, ImportMapping


def can_import(user) -> bool:
    """Importing books money and changes customers in bulk, so it is for the people who book
    money: finance staff and administrators (see ``ledger.selectors.can_post_ledger``)."""
    return can_post_ledger(user)


def batches_visible_to(user) -> QuerySet[ImportBatch]:
    """Import history: all of it for those who may import, nothing for anyone else. The file's
    bytes are deferred — lists never need them."""
    batches = ImportBatch.objects.select_related("created_by", "committed_by").defer("content")
    return batches if can_import(user) else batches.none()


def kind_fields(kind: str) -> list[FieldSpec]:
    """The fields a file of ``kind`` can carry, required ones first."""
    return list(kind_spec(kind).fields)


def mappings_for(kind: str) -> QuerySet[ImportMapping]:
    return ImportMapping.objects.filter(kind=kind).order_by("name")
