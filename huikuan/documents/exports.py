"""The balance-confirmation list as an Excel sheet: the rows of ``confirmations_for_list`` exactly
as the page filters them, with no paging."""

from django.utils.translation import gettext as _

from huikuan.core import xlsx


def _days_waiting(confirmation):
    waiting = confirmation.days_waiting
    return waiting.days if waiting is not None else None


def confirmation_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the confirmation list's queryset (with ``days_waiting`` on ``as_of``)."""
    return xlsx.Sheet(
        name=_("Balance confirmations"),
        title=xlsx.title_line(
            _("Balance confirmations"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.text(_("Number"), "document.number", 18),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.day(_("As of"), "as_of"),
            xlsx.money(_("Our balance"), "our_balance"),
            xlsx.text(_("Status"), lambda c: c.get_status_display(), 12),
            xlsx.day(_("Sent on"), "sent_on"),
            xlsx.integer(_("Days waiting"), _days_waiting),
            xlsx.day(_("Reply date"), "replied_on"),
            xlsx.money(_("Customer's figure"), "their_balance"),
            xlsx.text(_("Reply note"), "reply_note", 30),
            xlsx.text(_("Signed scan"), lambda c: _("yes") if c.scan_sha256 else None, 10),
        ],
        rows=rows,
    )
