"""The aging report as an Excel workbook (xlsxwriter): one sheet, a title line, a frozen header,
one row per group, a totals row, and amounts as real numbers shown with a ¥ format."""

import io
from datetime import date

import xlsxwriter
from django.utils.translation import gettext as _

MONEY_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'


def aging_workbook(*, rows, totals, bands, as_of: date, by_label: str) -> bytes:
    """``rows`` and ``totals`` come from ``reports.selectors.aging`` (by group and by portfolio),
    ``bands`` from ``reports.policy.aging_bands``; returns the .xlsx file's bytes."""
    by_label = str(by_label)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Aging")[:31])
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "border": 1})
    header_num = workbook.add_format(
        {"bold": True, "bg_color": "#E9ECEF", "border": 1, "align": "right"}
    )
    money = workbook.add_format({"num_format": MONEY_FORMAT})
    total_money = workbook.add_format({"num_format": MONEY_FORMAT, "bold": True, "top": 1})
    total_label = workbook.add_format({"bold": True, "top": 1})

    sheet.write_string(
        0,
        0,
        _("Aging as of %(date)s by %(by)s") % {"date": as_of.isoformat(), "by": by_label},
        bold,
    )
    titles = [
        _("Key"),
        by_label,
        *[
            str(_("Not due")) if b.key == "not_due" else _("%(days)s days") % {"days": b.label}
            for b in bands
        ],
        _("Total"),
        _("Unapplied credit"),
    ]
    for col, title in enumerate(titles):
        sheet.write_string(1, col, str(title), header if col < 2 else header_num)
    sheet.freeze_panes(2, 2)

    def amounts(row):
        return [*(row.buckets[b.key] for b in bands), row.total, row.unapplied_credit]

    line = 2
    for row in rows:
        sheet.write_string(line, 0, str(row.key))
        sheet.write_string(line, 1, str(row.label))
        for offset, value in enumerate(amounts(row)):
            sheet.write_number(line, 2 + offset, value, money)
        line += 1
    sheet.write_string(line, 0, _("Total"), total_label)
    sheet.write_blank(line, 1, None, total_label)
    for offset, value in enumerate(amounts(totals)):
        sheet.write_number(line, 2 + offset, value, total_money)

    sheet.set_column(0, 0, 14)
    sheet.set_column(1, 1, 28)
    sheet.set_column(2, 2 + len(bands) + 1, 16)
    workbook.close()
    return buffer.getvalue()
