"""The receivable and payment lists as Excel sheets: the rows of ``receivables_for_list`` and
``payments_for_list`` exactly as the pages filter them, with no paging."""

from django.utils.translation import gettext as _

from huikuan.core import xlsx


def _days_past_due(receivable):
    """As the list shows it: days past due of an open receivable (0 before it is due), nothing
    for a settled one."""
    if not receivable.outstanding:
        return None
    return max(receivable.days_overdue.days, 0)


def _reversed_on(payment):
    reversal = getattr(payment, "reversal", None)  # a missing reverse one-to-one raises
    return reversal.reversed_on if reversal else None


def receivable_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the receivable list's queryset (with ``days_overdue``)."""
    return xlsx.Sheet(
        name=_("Receivables"),
        title=xlsx.title_line(
            _("Receivables"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.text(_("Number"), "number", 16),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.day(_("Issue date"), "issue_date"),
            xlsx.day(_("Due date"), "due_date"),
            xlsx.money(_("Amount"), "amount"),
            xlsx.money(_("Outstanding"), "outstanding"),
            xlsx.integer(_("Days past due"), _days_past_due),
            xlsx.text(_("Description"), "description", 30),
        ],
        rows=rows,
        freeze_columns=1,
    )


def payment_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the payment list's queryset (with ``unapplied_credit`` and the reversal)."""
    return xlsx.Sheet(
        name=_("Payments"),
        title=xlsx.title_line(
            _("Payments and credit notes"),
            as_of=as_of,
            user=user,
            filters=xlsx.form_filters(form),
        ),
        columns=[
            xlsx.day(_("Date"), "received_on"),
            xlsx.text(_("Number"), "number", 16),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.text(_("Kind"), lambda p: p.get_kind_display(), 12),
            xlsx.text(_("Method"), lambda p: p.get_method_display(), 12),
            xlsx.text(_("Bank reference"), "reference"),
            xlsx.money(_("Amount"), "amount"),
            xlsx.money(_("Unapplied"), "unapplied_credit"),
            xlsx.day(_("Reversed"), _reversed_on),
        ],
        rows=rows,
    )
