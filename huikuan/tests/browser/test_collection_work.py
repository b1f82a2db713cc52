"""Collection work in the browser: after the morning's daily run a rep opens the worklist, reads
why a task ranks where it does, logs a call with a promise to pay from the case page, checks the
case's file and the playbook's suggestions; a manager approves a hard measure and the rep finds
it on the worklist."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from huikuan.dunning.models import Activity, ApprovalRequest, Promise, TaskStatus
from huikuan.dunning.run import dunning_run

from .helpers import PHONE, field, sign_in


@pytest.fixture
def morning(sales):
    """The sales team after today's daily run: 宁波海曙 (20 days overdue) has a visit for the
    rep; 杭州康宁 (75 days) and 温州瓯海 wait for a manager's approval of a hard measure."""
    dunning_run(as_of=sales.today)
    return sales


def open_worklist(page):
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Worklist"
    ).click()
    page.wait_for_url("**/work/")


def card(page, customer):
    return page.locator(".task-card", has=page.get_by_role("link", name=customer.name))


def test_a_rep_reads_why_a_task_ranks_where_it_does(open_page, morning):
    page = open_page()
    sign_in(page, morning.rep)
    open_worklist(page)

    haishu = card(page, morning.haishu)
    haishu.wait_for()
    assert "Visit" in haishu.locator(".task-action").inner_text()
    assert "¥1,000.00" in haishu.locator(".task-amount").inner_text()
    assert "20 days overdue" in haishu.locator(".task-days").inner_text()
    assert re.search(r"\d\d:\d\d", haishu.locator(".task-moment").inner_text())
    # The other rep's customer is not on this rep's list.
    assert morning.ouhai.name not in page.content()

    factors = haishu.locator(".factors li")
    assert not factors.first.is_visible()
    haishu.get_by_text("Why this rank").click()
    assert factors.first.is_visible()
    texts = factors.all_inner_texts()
    days = next(t for t in texts if "20 days overdue" in t)
    assert re.search(r"\+8\b", days)
    # The points add up to the score shown on the card.
    points = [int(re.search(r"([+-]\d+)\s*$", t).group(1)) for t in texts]
    assert sum(points) == int(haishu.locator(".task-score").inner_text().split()[-1])


@pytest.mark.parametrize("name", ["worklist", "case", "approvals"])
def test_the_collection_pages_fit_a_phone(name, open_page, morning):
    url = {
        "worklist": reverse("dunning:worklist"),
        "case": reverse("dunning:case", args=[morning.kangning.pk]),
        "approvals": reverse("dunning:approvals"),
    }[name]
    page = open_page(viewport=PHONE)
    sign_in(page, morning.manager if name == "approvals" else morning.rep)
    page.goto(url, wait_until="networkidle")
    if name == "worklist":
        card(page, morning.haishu).wait_for()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[1] == PHONE["width"]
    assert widths[0] <= widths[1], f"{name} is {widths[0]} px wide on a {widths[1]} px screen"


def test_a_rep_logs_a_call_with_a_promise_and_sees_it_on_the_case(open_page, morning):
    page = open_page()
    sign_in(page, morning.rep)
    open_worklist(page)
    card(page, morning.haishu).get_by_role("link", name="Log activity").click()
    page.wait_for_url(re.compile(r"/cases/\d+/\?task=\d+"))

    form = page.locator("#activity-form")
    promise_amount = field(form, "Promised amount")
    assert not promise_amount.is_visible()  # only for a promise
    field(form, "Channel").select_option("call")
    field(form, "Outcome").select_option("promised")
    assert promise_amount.is_visible()
    field(form, "Reason the customer gave").select_option("cash_elsewhere")
    field(form, "What was said").fill("老板说下周五前先付一千")
    promise_amount.fill("1,000.00")
    due = morning.today + timedelta(days=7)
    field(form, "Promised to pay by").fill(due.isoformat())
    field(form, "Who promised").fill("海曙老板")
    form.get_by_role("button", name="Save the contact").click()
    page.wait_for_url(re.compile(r"/cases/\d+/#activities$"))

    promises = page.locator("table.promises tbody tr")
    assert promises.count() == 1
    row = promises.first.inner_text()
    assert "海曙老板" in row and "¥1,000.00" in row and due.isoformat() in row
    assert "老板说下周五前先付一千" in page.locator("ol.activities").inner_text()

    promise = Promise.objects.get(customer=morning.haishu)
    assert promise.activity == Activity.objects.get(customer=morning.haishu)
    # The visit was the task logged: it is done and leaves the worklist.
    assert not morning.haishu.tasks.filter(status=TaskStatus.OPEN).exists()
    open_worklist(page)
    assert card(page, morning.haishu).count() == 0


def test_an_error_in_the_activity_form_shows_next_to_the_field(open_page, morning):
    page = open_page()
    sign_in(page, morning.rep)
    page.goto(reverse("dunning:case", args=[morning.haishu.pk]))
    form = page.locator("#activity-form")
    field(form, "Outcome").select_option("promised")
    field(form, "Who promised").fill("海曙老板")
    form.get_by_role("button", name="Save the contact").click()
    page.wait_for_load_state()

    amount_box = page.locator(".field", has=page.locator("input[name=promise_amount]"))
    assert "has-error" in amount_box.get_attribute("class")
    assert amount_box.locator(".errorlist").inner_text().strip()
    assert not Activity.objects.exists()


def test_the_case_page_shows_the_file_checklist_and_what_to_try(open_page, morning):
    page = open_page()
    sign_in(page, morning.rep)
    page.goto(reverse("customers:detail", args=[morning.kangning.pk]))
    page.get_by_role("link", name="Collection case").click()
    page.wait_for_url(f"**{reverse('dunning:case', args=[morning.kangning.pk])}")

    assert page.get_by_role("heading", level=1).inner_text().startswith(morning.kangning.name)
    assert "¥10,000.00" in page.locator(".kpi").first.inner_text()
    items = page.locator("table.case-items tbody tr")
    assert items.count() == 2  # the overdue invoice and the one not yet due
    assert "KN-INV-1" in items.first.inner_text()

    # Nothing is on file for this customer yet: every item of the checklist is marked missing.
    checklist = page.locator("ul.checklist li")
    assert checklist.count() >= 5
    missing = page.locator("ul.checklist li.check-missing")
    assert missing.count() == checklist.count()
    assert "✗" in missing.first.inner_text()

    suggestions = page.locator("ol.recommendations > li")
    assert 1 <= suggestions.count() <= 3
    assert suggestions.first.locator("ul.reasons li").count() >= 1

    # The hard measure the run raised waits for approval.
    approvals = page.locator("table.approvals tbody tr")
    assert "Pending" in approvals.first.inner_text()


def test_a_manager_approves_a_measure_and_the_rep_finds_the_task(open_page, morning):
    manager = open_page()
    sign_in(manager, morning.manager)
    manager.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Approvals"
    ).click()
    manager.wait_for_url("**/approvals/")
    row = manager.locator("table.approvals tbody tr", has_text=morning.kangning.name)
    assert "Cancel rebates" in row.inner_text()
    row.get_by_role("button", name="Approve").click()
    manager.wait_for_url("**/approvals/**")
    assert "Approved" in manager.locator(".messages").inner_text()
    assert manager.locator("table.approvals tbody tr", has_text=morning.kangning.name).count() == 0

    rep = open_page()
    sign_in(rep, morning.rep)
    open_worklist(rep)
    kangning = card(rep, morning.kangning)
    kangning.wait_for()
    assert "Cancel rebates" in kangning.locator(".task-action").inner_text()
    assert "¥10,000.00" in kangning.locator(".task-amount").inner_text()


def test_a_rep_cannot_decide_and_a_rejection_needs_a_note(open_page, morning):
    page = open_page()
    sign_in(page, morning.manager)
    page.goto(reverse("dunning:approvals"))
    row = page.locator("table.approvals tbody tr", has_text=morning.kangning.name)
    row.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    row = page.locator("table.approvals tbody tr", has_text=morning.kangning.name)
    assert row.locator(".errorlist").inner_text().strip()
    assert row.get_by_role("button", name="Approve").is_visible()  # still to be decided
    assert ApprovalRequest.objects.get(customer=morning.kangning).status == "pending"

    rep = open_page()
    sign_in(rep, morning.rep)
    rep.goto(reverse("dunning:approvals"))
    assert rep.locator("table.approvals tbody tr", has_text=morning.kangning.name).count() == 1
    assert rep.get_by_role("button", name="Approve").count() == 0
