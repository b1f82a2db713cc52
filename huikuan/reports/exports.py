"""The aging report and its drill-down as Excel sheets (``core.xlsx``): one row per group with a
totals line, or one row per receivable open on the day, amounts as real numbers shown with a ¥
format."""

from datetime import date

from django.utils.translation import gettext as _

from huikuan.core import xlsx

from .selectors import UNASSIGNED_KEY


def _band_title(band) -> str:
    if band.key == "not_due":
        return _("Not due")
    return _("%(days)s days") % {"days": band.label}


def _label(row) -> str:
    return _("Unassigned") if row.label == UNASSIGNED_KEY else str(row.label)


def aging_sheet(*, rows, totals, bands, as_of: date, by_label: str, user) -> xlsx.Sheet:
    """``rows`` and ``totals`` come from ``reports.selectors.aging`` (by group and by portfolio),
    ``bands`` from ``reports.policy.aging_bands``."""
    by_label = str(by_label)

    def bucket(key):
        return lambda row: row.buckets[key]

    columns = [
        xlsx.text(_("Key"), lambda row: str(row.key), 14),
        xlsx.text(by_label, _label, 28),
        *[xlsx.money(_band_title(band), bucket(band.key)) for band in bands],
        xlsx.money(_("Total"), "total"),
        xlsx.money(_("Unapplied credit"), "unapplied_credit"),
    ]
    total = [
        _("Total"),
        None,
        *[totals.buckets[band.key] for band in bands],
        totals.total,
        totals.unapplied_credit,
    ]
    return xlsx.Sheet(
        name=_("Aging"),
        title=xlsx.title_line(_("Aging by %(by)s") % {"by": by_label}, as_of=as_of, user=user),
        columns=columns,
        rows=rows,
        total=total,
        freeze_columns=2,
    )


def aging_receivables_sheet(rows, *, title: str, as_of: date, user) -> xlsx.Sheet:
    """``rows``: the drill-down's queryset of receivables open on ``as_of`` (with ``balance``
    and ``days_overdue``)."""
    return xlsx.Sheet(
        name=_("Receivables"),
        title=xlsx.title_line(
            _("Receivables of %(name)s open on the day") % {"name": title},
            as_of=as_of,
            user=user,
        ),
        columns=[
            xlsx.text(_("Number"), "number", 16),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.day(_("Issue date"), "issue_date"),
            xlsx.day(_("Due date"), "due_date"),
            xlsx.money(_("Amount"), "amount"),
            xlsx.money(_("Balance on %(date)s") % {"date": as_of.isoformat()}, "balance", 18),
            xlsx.integer(_("Days past due"), lambda r: max(r.days_overdue.days, 0)),
        ],
        rows=rows,
        freeze_columns=1,
    )


def dashboard_sheets(figures, *, user, show_owner: bool) -> list[xlsx.Sheet]:
    """The dashboard (``reports.kpis.dashboard``) as four sheets: the key figures with the aging
    bars, the amount per class, the twelve-month trend and the top overdue customers — the
    figures the page shows, for the same scope and date."""
    as_of = figures.as_of

    def titled(what):
        return xlsx.title_line(what, as_of=as_of, user=user)

    totals, collection, dso = figures.totals, figures.collection, figures.dso
    key_figures = xlsx.Sheet(
        name=_("Key figures"),
        title=titled(_("Key figures")),
        columns=[
            xlsx.money(_("Outstanding"), lambda _row: totals.outstanding),
            xlsx.money(_("Overdue"), lambda _row: totals.overdue),
            xlsx.percent(_("Overdue share"), lambda _row: totals.overdue_ratio),
            xlsx.money(_("Unapplied credit"), lambda _row: totals.unapplied_credit),
            xlsx.money(_("Collected this month"), lambda _row: collection.collected),
            xlsx.money(_("To collect this month"), lambda _row: collection.collectible),
            xlsx.percent(_("Collection rate this month"), lambda _row: collection.rate),
            xlsx.money(
                _("Billed in the last %(days)s days") % {"days": dso.days}, lambda _row: dso.billed
            ),
            xlsx.decimal(_("DSO (days)"), lambda _row: dso.value),
            *[
                xlsx.money(_band_title(bar), lambda _row, bar=bar: bar.amount)
                for bar in totals.buckets
            ],
        ],
        rows=[None],
    )
    classes = figures.classes
    class_sheet = xlsx.Sheet(
        name=_("Amount per class"),
        title=titled(_("Amount per class")),
        columns=[
            xlsx.text(_("Class"), "label", 28),
            xlsx.integer(_("Items"), "count"),
            xlsx.money(_("Amount"), "amount"),
            xlsx.money(_("Expected recovery"), "expected_recovery"),
            xlsx.money(_("Provision"), "provision"),
        ],
        rows=classes.rows,
        total=[
            _("Total"),
            None,
            classes.total_amount,
            classes.total_expected_recovery,
            classes.total_provision,
        ],
    )
    trend = xlsx.Sheet(
        name=_("Trend"),
        title=titled(_("Collected vs fallen due, last 12 months")),
        columns=[
            xlsx.text(_("Month"), lambda month: f"{month.month:%Y-%m}", 10),
            xlsx.money(_("Fallen due"), "fallen_due"),
            xlsx.money(_("Collected"), "collected"),
        ],
        rows=figures.trend,
    )
    owner = [xlsx.text(_("Owner rep"), "owner")] if show_owner else []
    top = xlsx.Sheet(
        name=_("Top overdue customers"),
        title=titled(_("Top overdue customers")),
        columns=[
            xlsx.text(_("Customer code"), "code", 14),
            xlsx.text(_("Customer"), "name", 30),
            *owner,
            xlsx.money(_("Overdue"), "overdue"),
            xlsx.day(_("Oldest due date"), "oldest_due", 14),
            xlsx.integer(_("Days past due"), "days_overdue"),
        ],
        rows=figures.top_overdue,
    )
    return [key_figures, class_sheet, trend, top]
