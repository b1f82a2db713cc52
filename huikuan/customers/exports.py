"""The customer list as an Excel sheet: the rows of ``ledger.selectors.customer_list`` exactly as
the page filters them, with no paging."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from huikuan.core import xlsx

# The words of the class badge (customers/_class_badge.html).
CLASS_WORDS = {
    "current": pgettext_lazy("debt class", "Not yet due"),
    "overdue": pgettext_lazy("debt class", "Overdue"),
    "doubtful": pgettext_lazy("debt class", "Doubtful"),
    "bad": pgettext_lazy("debt class", "Bad debt"),
    "dead": pgettext_lazy("debt class", "Written off"),
    "": pgettext_lazy("debt class", "Settled"),
}


def class_word(debt_class: str) -> str:
    return str(CLASS_WORDS.get(debt_class or "", debt_class))


def customer_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the customer list's queryset (``customers_with_balances`` annotations)."""
    return xlsx.Sheet(
        name=_("Customers"),
        title=xlsx.title_line(
            _("Customers"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.text(_("Code"), "code", 14),
            xlsx.text(_("Customer"), "name", 30),
            xlsx.text(_("Rep"), lambda c: str(c.owner) if c.owner_id else None),
            xlsx.text(_("Region"), lambda c: str(c.region) if c.region_id else None),
            xlsx.text(_("Class"), lambda c: class_word(c.debt_class), 14),
            xlsx.money(_("Outstanding"), "outstanding"),
            xlsx.money(_("Overdue"), "overdue"),
            xlsx.money(_("Unapplied credit"), "unapplied_credit"),
            xlsx.day(_("Oldest open due date"), "oldest_open_due", 14),
        ],
        rows=rows,
        freeze_columns=2,
    )
