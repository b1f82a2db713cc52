"""The contract-check report as an Excel sheet: every row of ``contract_checks_report`` the page
lists for the chosen finding, with no paging, each finding in words with what to do about it."""

from django.utils.translation import gettext as _

from huikuan.core import xlsx

from . import checks


def _loaded(rows):
    """The report's rows with their contracts and worded findings, a batch per query."""
    for batch in xlsx.chunks(rows):
        yield from checks.with_contracts(batch)


def _findings(row) -> str:
    return "\n".join(
        _("%(finding)s: %(message)s What to do: %(fix)s")
        % {"finding": f.label, "message": f.message, "fix": f.fix}
        for f in row.findings
    )


def checks_sheet(report, *, user, as_of, form) -> xlsx.Sheet:
    """``report``: the page's ``ChecksReport`` (its rows in the page's order)."""
    return xlsx.Sheet(
        name=_("Contract checks"),
        title=xlsx.title_line(
            _("Contract checks"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.text(_("Contract"), "contract.number", 18),
            xlsx.text(_("Customer code"), "contract.customer.code", 14),
            xlsx.text(_("Customer"), "contract.customer.name", 30),
            xlsx.day(_("Signed on"), "contract.signed_on"),
            xlsx.money(_("Open receivables"), "open_amount"),
            xlsx.text(_("Findings"), _findings, 80),
        ],
        rows=_loaded(report.rows),
        freeze_columns=1,
    )
