"""Collection pages as Excel sheets — the worklist, disputes, promises, approvals, the technique
report and one customer's case — each with exactly the rows its page shows for the same filters,
no paging."""

import re

from django.utils.translation import gettext as _

from huikuan.core import xlsx
from huikuan.customers.exports import class_word

from . import playbook
from .selectors import promise_states

# --- Worklist -----------------------------------------------------------------------------------


def _promised(item, name):
    return getattr(item.promise.promise, name) if item.promise else None


def worklist_sheet(items, *, user, on, form) -> xlsx.Sheet:
    """``items``: the page's ``WorkItem`` list, most urgent first."""
    return xlsx.Sheet(
        name=_("Worklist"),
        title=xlsx.title_line(_("Worklist"), as_of=on, user=user, filters=xlsx.form_filters(form)),
        columns=[
            xlsx.integer(_("Rank"), lambda item: item.rank, 6),
            xlsx.integer(_("Priority score"), "priority.score"),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            xlsx.text(_("Action"), lambda item: item.task.get_action_display(), 16),
            xlsx.integer(_("Dunning level"), "task.level"),
            xlsx.text(_("Tone"), lambda item: item.task.get_tone_display(), 10),
            xlsx.money(_("At stake"), "overdue_amount"),
            xlsx.integer(_("Days overdue"), "days_overdue"),
            xlsx.text(_("Class"), lambda item: class_word(item.debt_class), 14),
            xlsx.moment(
                _("Suggested moment"), lambda item: item.moment.at if item.moment else None
            ),
            xlsx.day(_("Due on"), "task.due_on"),
            xlsx.text(_("Assignee"), lambda item: item.task.assignee),
            xlsx.text(_("Note"), "task.note", 30),
            xlsx.money(_("Promised amount"), lambda item: _promised(item, "amount")),
            xlsx.day(_("To be paid by"), lambda item: _promised(item, "due_on")),
            xlsx.integer(_("Open disputes"), "open_disputes"),
        ],
        rows=_ranked(items),
        freeze_columns=4,
    )


def _ranked(items):
    for rank, item in enumerate(items, start=1):
        item.rank = rank
        yield item


# --- Disputes and promises ----------------------------------------------------------------------


def dispute_sheet(rows, *, user, as_of, show_all: bool) -> xlsx.Sheet:
    """``rows``: the dispute list's queryset (receivables prefetched)."""
    what = _("All disputes") if show_all else _("Open disputes")
    return xlsx.Sheet(
        name=_("Disputes"),
        title=xlsx.title_line(what, as_of=as_of, user=user),
        columns=[
            xlsx.day(_("Opened on"), "opened_on"),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            *_dispute_columns(),
        ],
        rows=rows,
    )


def promise_state_word(state) -> str:
    """What the promise list's state column says (dunning/_promise_state.html), without the
    amount still to pay, which has a column of its own."""
    promise = state.promise
    if promise.status == "replaced":
        return promise.get_status_display()
    if state.kept or promise.status == "kept":
        return _("Kept")
    if promise.status == "broken":
        return _("Broken")
    if state.overdue:
        return _("Date passed, not paid in full")
    if state.short:
        return _("Paid in part")
    return _("Open")


def _dispute_columns() -> list[xlsx.Column]:
    return [
        xlsx.text(_("Reason"), lambda d: d.get_reason_display(), 16),
        xlsx.text(_("Description"), "description", 40),
        xlsx.text(_("Receivables"), lambda d: ", ".join(r.number for r in d.receivables.all()), 24),
        xlsx.text(_("Owner"), "owner"),
        xlsx.day(_("Resolved on"), "resolved_on"),
        xlsx.text(_("Resolution"), "resolution", 40),
    ]


def _with_states(rows, as_of):
    """``(promise, state)`` pairs, the states worked out a batch at a time (one query each)."""
    for batch in xlsx.chunks(rows):
        states = promise_states(batch, as_of=as_of)
        for promise in batch:
            yield promise, states[promise.pk]


def promise_sheet(rows, *, user, as_of, form) -> xlsx.Sheet:
    """``rows``: the promise list's queryset."""
    return xlsx.Sheet(
        name=_("Promises to pay"),
        title=xlsx.title_line(
            _("Promises to pay"), as_of=as_of, user=user, filters=xlsx.form_filters(form)
        ),
        columns=[
            xlsx.day(_("To be paid by"), lambda pair: pair[0].due_on),
            xlsx.text(_("Customer code"), lambda pair: pair[0].customer.code, 14),
            xlsx.text(_("Customer"), lambda pair: pair[0].customer.name, 30),
            xlsx.text(_("Promised by"), lambda pair: pair[0].promised_by),
            xlsx.money(_("Amount"), lambda pair: pair[0].amount),
            xlsx.money(_("Paid so far"), lambda pair: pair[1].paid),
            xlsx.money(_("Still to pay"), lambda pair: pair[1].remaining),
            xlsx.text(_("State"), lambda pair: promise_state_word(pair[1]), 18),
            xlsx.day(_("Promised on"), lambda pair: pair[0].made_on),
        ],
        rows=_with_states(rows, as_of),
    )


# --- Approvals ----------------------------------------------------------------------------------


def _requested_by(approval) -> str:
    return str(approval.requested_by) if approval.requested_by_id else _("Daily run")


def _status(approval) -> str:
    words = approval.get_status_display()
    if approval.kind == "write_off" and approval.status == "approved":
        posted = _("Posted") if approval.write_off_id else _("Not posted yet")
        words = f"{words} · {posted}"
    return words


def approval_sheet(rows, *, user, as_of, status_label) -> xlsx.Sheet:
    """``rows``: the approval queue's queryset for the status shown."""
    return xlsx.Sheet(
        name=_("Approvals"),
        title=xlsx.title_line(
            _("Approvals"),
            as_of=as_of,
            user=user,
            filters=[_("Status: %(status)s") % {"status": status_label}],
        ),
        columns=[
            xlsx.day(_("Requested on"), "requested_on"),
            xlsx.text(_("Customer code"), "customer.code", 14),
            xlsx.text(_("Customer"), "customer.name", 30),
            *_approval_columns(),
        ],
        rows=rows,
    )


def _approval_columns() -> list[xlsx.Column]:
    return [
        xlsx.text(_("Kind"), lambda a: a.get_kind_display(), 12),
        xlsx.text(_("Action"), lambda a: a.get_action_display(), 16),
        xlsx.integer(_("Dunning level"), "level"),
        xlsx.text(_("Receivable"), lambda a: a.receivable.number if a.receivable_id else None),
        xlsx.money(_("Amount"), lambda a: a.amount if a.kind == "write_off" else None),
        xlsx.text(_("Reason"), "reason", 40),
        xlsx.text(_("Requested by"), _requested_by),
        xlsx.text(_("Status"), _status, 16),
        xlsx.text(_("Decided by"), lambda a: a.decided_by if a.decided_by_id else None),
        xlsx.moment(_("Decided at"), "decided_at"),
        xlsx.text(_("Decision note"), "decision_note", 30),
    ]


# --- Which techniques bring money ---------------------------------------------------------------


def technique_sheet(report, *, user, as_of, since, until) -> xlsx.Sheet:
    """``report``: the playbook page's ``technique_report`` rows."""
    what = _("Techniques used from %(since)s to %(until)s and payments within 14 days") % {
        "since": since.isoformat(),
        "until": until.isoformat(),
    }
    return xlsx.Sheet(
        name=_("Playbook"),
        title=xlsx.title_line(what, as_of=as_of, user=user),
        columns=[
            xlsx.text(_("Technique"), lambda r: r.technique.name if r.technique else r.code, 30),
            xlsx.integer(_("Uses"), "uses"),
            xlsx.integer(_("Paid within 14 days"), "paid_within_14_days", 14),
            xlsx.percent(_("Rate"), "rate"),
        ],
        rows=report,
    )


# --- One customer's case ------------------------------------------------------------------------


def _technique_name(activity) -> str | None:
    if not activity.technique:
        return None
    found = playbook.technique(activity.technique)
    return str(found.name) if found else activity.technique


def _yes(value) -> str | None:
    return _("yes") if value else None


def case_sheets(file, *, user, as_of) -> list[xlsx.Sheet]:
    """A customer's case page (``selectors.case_file``) as six sheets: its open tasks, open
    items, promises, disputes, approvals and the contacts and answers it lists."""
    customer = file.customer

    def sheet(name, columns, rows):
        what = _("%(section)s of %(customer)s (%(code)s)") % {
            "section": name,
            "customer": customer.name,
            "code": customer.code,
        }
        return xlsx.Sheet(
            name=name,
            title=xlsx.title_line(what, as_of=as_of, user=user),
            columns=columns,
            rows=rows,
        )

    return [
        sheet(
            _("Open tasks"),
            [
                xlsx.day(_("Due on"), "due_on"),
                xlsx.text(_("Action"), lambda task: task.get_action_display(), 16),
                xlsx.integer(_("Dunning level"), "level"),
                xlsx.text(_("Tone"), lambda task: task.get_tone_display(), 10),
                xlsx.text(_("Source"), lambda task: task.get_source_display(), 12),
                xlsx.text(_("Assignee"), "assignee"),
                xlsx.text(_("Note"), "note", 30),
            ],
            file.tasks,
        ),
        sheet(
            _("Open items"),
            [
                xlsx.text(_("Number"), "receivable.number", 16),
                xlsx.day(_("Due date"), "receivable.due_date"),
                xlsx.money(_("Outstanding"), "receivable.outstanding"),
                xlsx.integer(
                    _("Dunning level"),
                    lambda line: line.level if line.level is not None and line.level >= 0 else None,
                ),
                xlsx.integer(_("Days overdue"), "days_overdue"),
                xlsx.text(_("Disputed"), lambda line: _yes(line.disputed), 10),
                xlsx.day(_("Limitation expires"), "limitation_expires_on", 14),
            ],
            file.receivables,
        ),
        sheet(
            _("Promises to pay"),
            [
                xlsx.day(_("Promised on"), "promise.made_on"),
                xlsx.text(_("Promised by"), "promise.promised_by"),
                xlsx.money(_("Amount"), "promise.amount"),
                xlsx.day(_("To be paid by"), "promise.due_on"),
                xlsx.money(_("Paid so far"), "paid"),
                xlsx.money(_("Still to pay"), "remaining"),
                xlsx.text(_("State"), promise_state_word, 18),
            ],
            file.promises,
        ),
        sheet(
            _("Disputes"),
            [xlsx.day(_("Opened on"), "opened_on"), *_dispute_columns()],
            file.disputes,
        ),
        sheet(
            _("Approvals"),
            [xlsx.day(_("Requested on"), "requested_on"), *_approval_columns()],
            file.approvals,
        ),
        sheet(
            _("Contacts and answers"),
            [
                xlsx.day(_("Date"), "happened_on"),
                xlsx.text(_("Channel"), lambda a: a.get_channel_display(), 10),
                xlsx.text(_("Outcome"), lambda a: a.get_outcome_display(), 12),
                xlsx.text(_("Spoke with"), lambda a: a.contact.name if a.contact_id else None),
                xlsx.text(_("Reason the customer gave"), lambda a: a.get_reason_display(), 18),
                xlsx.text(_("Technique used"), _technique_name, 24),
                xlsx.text(_("Written demand"), lambda a: _yes(a.is_written_demand), 10),
                xlsx.text(_("Asked to delay"), lambda a: _yes(a.asked_to_delay), 10),
                xlsx.text(_("Note"), "note", 40),
                xlsx.text(_("Next step"), "next_step", 24),
                xlsx.day(_("Next step on"), "next_step_on"),
                xlsx.text(_("Recorded by"), "created_by"),
            ],
            file.activities,
        ),
    ]


def case_name(customer) -> str:
    """The file name of a case export: ``case-<customer code>`` with anything a file name should
    not hold replaced."""
    return "case-" + re.sub(r"[^\w.-]+", "_", customer.code).strip("._")
