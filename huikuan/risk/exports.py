"""Credit-control lists as Excel sheets — warning signs, credit exceptions and credit decisions —
each with exactly the rows its page shows for the same filters, no paging."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from huikuan.core import xlsx

from .selectors import ExceptionState, with_reason_texts, with_states

# --- Warning signs ------------------------------------------------------------------------------


def _recorded_by(signal) -> str:
    return str(signal.recorded_by) if signal.recorded_by_id else _("Found by the daily run")


def signal_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the signal inbox's queryset."""
    return xlsx.Sheet(
        name=_("Warning signs"),
        title=xlsx.title_line(
            _("Warning signs"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.day(_("Seen on"), "detected_on"),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.text(_("Rep"), lambda s: s.customer.owner if s.customer.owner_id else None),
            xlsx.text(_("Kind"), lambda s: s.get_kind_display(), 18),
            xlsx.text(_("Severity"), lambda s: s.get_severity_display(), 10),
            xlsx.text(_("Status"), lambda s: s.get_status_display(), 10),
            xlsx.text(_("Evidence"), "evidence", 50),
            xlsx.text(_("Recorded by"), _recorded_by),
            xlsx.text(_("Handled by"), lambda s: s.handled_by if s.handled_by_id else None),
            xlsx.moment(_("Handled at"), "handled_at"),
            xlsx.text(_("Note"), "handled_note", 30),
        ],
        rows=rows,
    )


# --- Credit exceptions --------------------------------------------------------------------------

STATE_WORDS = {
    ExceptionState.ACTIVE: gettext_lazy("In force"),
    ExceptionState.PENDING: gettext_lazy("Not yet valid"),
    ExceptionState.USED_UP: gettext_lazy("Used up"),
    ExceptionState.EXPIRED: gettext_lazy("Expired"),
    ExceptionState.REVOKED: gettext_lazy("Revoked"),
}


def _exceptions_with_states(rows, as_of):
    for batch in xlsx.chunks(rows):
        yield from with_states(batch, as_of=as_of)


def exception_sheet(rows, *, user, as_of, show_all: bool) -> xlsx.Sheet:
    """``rows``: the exceptions list's queryset (in force only, or all)."""
    what = _("All credit exceptions") if show_all else _("Credit exceptions in force")
    return xlsx.Sheet(
        name=_("Credit exceptions"),
        title=xlsx.title_line(what, as_of=as_of, user=user),
        columns=[
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.day(_("Valid from"), "valid_from"),
            xlsx.day(_("Valid until"), "valid_until"),
            xlsx.money(_("Up to"), "amount"),
            xlsx.money(_("Used"), "used"),
            xlsx.money(_("Remaining"), "remaining"),
            xlsx.text(_("Reason"), "reason", 40),
            xlsx.text(_("Granted by"), lambda e: e.granted_by if e.granted_by_id else None),
            xlsx.moment(_("Granted at"), "granted_at"),
            xlsx.text(_("State"), lambda e: STATE_WORDS[e.state], 12),
            xlsx.text(_("Revoked by"), lambda e: e.revoked_by if e.revoked_by_id else None),
            xlsx.moment(_("Revoked at"), "revoked_at"),
        ],
        rows=_exceptions_with_states(rows, as_of),
    )


# --- Credit decisions ---------------------------------------------------------------------------


def _decisions_with_reasons(rows):
    for batch in xlsx.chunks(rows):
        yield from with_reason_texts(batch)


def decision_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the decision log's queryset."""
    return xlsx.Sheet(
        name=_("Credit decisions"),
        title=xlsx.title_line(
            _("Credit decisions"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.moment(_("Asked at"), "asked_at"),
            xlsx.text(_("Asked by"), lambda d: str(d.asked_by) if d.asked_by_id else _("System")),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.text(_("Order"), "order_ref", 16),
            xlsx.money(_("Amount"), "amount"),
            xlsx.text(pgettext("credit check", "Decision"), lambda d: d.get_decision_display(), 10),
            xlsx.money(_("May ship"), "allowed_amount"),
            xlsx.moment(_("Released"), "released_at"),
            xlsx.text(_("Reasons"), lambda d: "\n".join(r["text"] for r in d.reason_texts), 60),
        ],
        rows=_decisions_with_reasons(rows),
    )
