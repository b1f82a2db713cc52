"""The collection pages as their users meet them: a rep's worklist and case page with its forms,
a manager's approval queue, finance posting an approved write-off, the dispute and promise lists
and the playbook — and another team's customer answering 404 everywhere."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from huikuan.customers.models import ContactRole
from huikuan.dunning import views
from huikuan.dunning.models import (
    Action,
    Activity,
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Dispute,
    DisputeReason,
    Promise,
    PromiseStatus,
    Task,
    TaskSource,
    TaskStatus,
    Tone,
)
from huikuan.dunning.services import approval_decide, approval_request, dispute_open
from huikuan.ledger.models import WriteOff
from huikuan.org.models import Role
from huikuan.web.tests.pages import without_tokens

from .factories import (
    dunning_state,
    make_contact,
    make_customer,
    make_payment,
    make_receivable,
    make_user,
    set_payment_process,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 10)  # a Wednesday in a plain working week


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(views, "business_today", lambda: TODAY)


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, last_name="周", first_name="经理")


@pytest.fixture
def rep(manager):
    return make_user(Role.REP, manager=manager, last_name="王", first_name="业务")


@pytest.fixture
def finance():
    return make_user(Role.FINANCE)


@pytest.fixture
def customer(rep):
    return make_customer(owner=rep, name="杭州康宁医药有限公司")


@pytest.fixture
def invoice(customer):
    """¥12,000.00 due 40 days ago."""
    return make_receivable(
        customer,
        amount="12000.00",
        issue_date=TODAY - timedelta(days=70),
        due_date=TODAY - timedelta(days=40),
        number="KN-INV-1",
    )


@pytest.fixture
def stranger():
    """Another team's customer with an overdue invoice and a task of its rep."""
    other = make_customer(name="温州瓯海秘密医院")
    make_receivable(
        other,
        amount="8000.00",
        issue_date=TODAY - timedelta(days=60),
        due_date=TODAY - timedelta(days=30),
        number="ZQX-INV-1",
    )
    return other


def task_for(customer, *, action=Action.CALL, due_on=TODAY, assignee=None, key=None, **kw):
    return Task.objects.create(
        key=key or f"test:{customer.pk}:{action}:{due_on}",
        customer=customer,
        assignee=assignee if assignee is not None else customer.owner,
        due_on=due_on,
        source=kw.pop("source", TaskSource.DUNNING),
        action=action,
        tone=kw.pop("tone", Tone.FIRM),
        amount=kw.pop("amount", Decimal("0")),
        **kw,
    )


def page(client, user, url, data=None):
    client.force_login(user)
    response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    return without_tokens(response.content.decode())


# --- Worklist ---------------------------------------------------------------------------------


def test_a_rep_finds_todays_tasks_most_important_first_with_the_reasons(client, rep, invoice):
    small = make_customer(owner=rep, name="宁波海曙大药房")
    make_receivable(
        small,
        amount="300.00",
        issue_date=TODAY - timedelta(days=35),
        due_date=TODAY - timedelta(days=5),
    )
    first = task_for(small)
    second = task_for(invoice.customer)

    body = page(client, rep, reverse("dunning:worklist"))

    # The big, older debt comes first although its task was created second.
    assert body.index(f'data-task="{second.pk}"') < body.index(f'data-task="{first.pk}"')
    assert "杭州康宁医药有限公司" in body and "宁波海曙大药房" in body
    assert "¥12,000.00" in body
    assert 'data-factor="amount"' in body and 'data-factor="days"' in body
    assert f"?task={second.pk}#log" in body
    assert "15:30" in body  # a call is suggested mid-afternoon


def test_the_worklist_shows_only_the_reps_own_tasks_and_tasks_due_by_the_day(
    client, rep, invoice, stranger
):
    today = task_for(invoice.customer)
    tomorrow = task_for(invoice.customer, action=Action.VISIT, due_on=TODAY + timedelta(days=1))
    task_for(stranger)

    body = page(client, rep, reverse("dunning:worklist"))
    assert f'data-task="{today.pk}"' in body
    assert f'data-task="{tomorrow.pk}"' not in body
    assert "温州瓯海秘密医院" not in body

    later = page(client, rep, reverse("dunning:worklist"), {"on": "2026-06-11"})
    assert f'data-task="{tomorrow.pk}"' in later


def test_a_manager_sees_a_reps_tasks_or_everybodys_and_a_rep_cannot_pick(
    client, manager, rep, invoice
):
    other_rep = make_user(Role.REP, manager=manager)
    theirs = make_customer(owner=other_rep, name="嘉兴南湖药店")
    make_receivable(theirs, issue_date=TODAY - timedelta(days=60))
    mine = task_for(invoice.customer)
    other = task_for(theirs)

    own = page(client, manager, reverse("dunning:worklist"))
    assert 'data-task="' not in own  # nothing is assigned to the manager

    one = page(client, manager, reverse("dunning:worklist"), {"rep": rep.pk})
    assert f'data-task="{mine.pk}"' in one and f'data-task="{other.pk}"' not in one

    everybody = page(client, manager, reverse("dunning:worklist"), {"rep": "all"})
    assert f'data-task="{mine.pk}"' in everybody and f'data-task="{other.pk}"' in everybody

    as_rep = page(client, rep, reverse("dunning:worklist"), {"rep": other_rep.pk})
    assert f'data-task="{other.pk}"' not in as_rep
    assert 'name="rep"' not in as_rep


def test_completing_a_task_takes_it_off_the_worklist(client, rep, invoice):
    task = task_for(invoice.customer)
    client.force_login(rep)
    response = client.post(reverse("dunning:task_complete", args=[task.pk]))
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.done_by) == (TaskStatus.DONE, rep)
    assert f'data-task="{task.pk}"' not in page(client, rep, reverse("dunning:worklist"))


def test_completing_a_task_with_htmx_swaps_its_card(client, rep, invoice):
    task = task_for(invoice.customer)
    client.force_login(rep)
    response = client.post(reverse("dunning:task_complete", args=[task.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="task-{task.pk}"' in response.content.decode()
    assert "is-done" in response.content.decode()


def test_another_teams_task_cannot_be_completed(client, rep, stranger):
    task = task_for(stranger)
    client.force_login(rep)
    response = client.post(reverse("dunning:task_complete", args=[task.pk]))
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- Case page --------------------------------------------------------------------------------


def test_the_case_page_shows_what_a_rep_needs_before_calling(client, rep, customer, invoice):
    make_contact(customer, role=ContactRole.ACCEPTANCE, name="验收李")
    set_payment_process(customer, settlement_day=25)
    # A claim that runs out in about 100 days: due almost three years ago.
    old = make_receivable(
        customer,
        amount="500.00",
        issue_date=date(2023, 8, 1),
        due_date=date(2023, 9, 18),
        number="KN-OLD-1",
    )

    body = page(client, rep, reverse("dunning:case", args=[customer.pk]))

    assert "杭州康宁医药有限公司" in body
    assert "KN-INV-1" in body and "KN-OLD-1" in body
    assert "¥12,500.00" in body  # overdue in total
    # Checklist: the acceptance person and pay day are there; no contract, no payer.
    assert 'data-check="acceptance_person" data-ok="true"' in body
    assert 'data-check="settlement_day" data-ok="true"' in body
    assert 'data-check="deal" data-ok="false"' in body
    assert 'data-check="payment_responsible" data-ok="false"' in body
    # The old claim's limitation period is flagged, the recent one not.
    old_row = body[body.index(f'data-receivable="{old.number}"') :]
    old_row = old_row[: old_row.index("</tr>")]
    assert "data-expiring" in old_row and "2026-09-18" in old_row
    new_row = body[body.index('data-receivable="KN-INV-1"') :]
    assert "data-expiring" not in new_row[: new_row.index("</tr>")]
    # Recommendations from the playbook, each with why.
    assert body.count('data-technique="') >= 1
    # The activity form, with its promise fields present even without JavaScript.
    assert 'name="promise_amount"' in body and 'name="promise_due_on"' in body


def test_another_teams_case_page_and_forms_answer_404(client, rep, stranger):
    client.force_login(rep)
    before = dunning_state()
    for name in ("case", "activity_new", "dispute_new", "approval_new"):
        url = reverse(f"dunning:{name}", args=[stranger.pk])
        assert client.get(url).status_code == 404, name
        answer = client.post(
            url,
            {
                "happened_on": "2026-06-10",
                "channel": "call",
                "outcome": "reached",
                "kind": "measure",
                "action": "stop_supply",
                "reason": "x",
            },
        )
        assert answer.status_code == 404, name
        assert "温州瓯海秘密医院" not in answer.content.decode()
    assert dunning_state() == before


def test_logging_a_call_with_a_promise_records_both_and_shows_the_promise(
    client, rep, customer, invoice
):
    task = task_for(customer)
    client.force_login(rep)
    response = client.post(
        reverse("dunning:activity_new", args=[customer.pk]),
        {
            "happened_on": "2026-06-10",
            "channel": "call",
            "outcome": "promised",
            "reason": "cash_elsewhere",
            "technique": "",
            "note": "财务说月底前付一半",
            "promise_amount": "6,000.00",
            "promise_due_on": "2026-06-25",
            "promised_by": "财务周",
            "task": task.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("dunning:case", args=[customer.pk]))

    activity = Activity.objects.get(customer=customer)
    assert (activity.outcome, activity.reason, activity.created_by) == (
        "promised",
        "cash_elsewhere",
        rep,
    )
    promise = Promise.objects.get(customer=customer)
    assert (promise.amount, promise.due_on, promise.promised_by) == (
        Decimal("6000.00"),
        date(2026, 6, 25),
        "财务周",
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE

    body = page(client, rep, reverse("dunning:case", args=[customer.pk]))
    assert f'data-promise="{promise.pk}"' in body
    assert "¥6,000.00" in body and "2026-06-25" in body
    assert "财务说月底前付一半" in body


def test_a_promise_without_an_amount_is_refused_next_to_the_field_and_nothing_is_written(
    client, rep, customer, invoice
):
    client.force_login(rep)
    before = dunning_state()
    response = client.post(
        reverse("dunning:activity_new", args=[customer.pk]),
        {
            "happened_on": "2026-06-10",
            "channel": "call",
            "outcome": "promised",
            "promise_due_on": "2026-06-25",
            "promised_by": "财务周",
        },
    )
    assert response.status_code == 200
    assert dunning_state() == before
    body = response.content.decode()
    field = body[body.index('name="promise_amount"') :]
    assert 'class="errorlist' in field[: field.index("</div>") + 200]
    assert "has-error" in body


def test_a_malformed_date_is_shown_on_its_field(client, rep, customer):
    client.force_login(rep)
    before = dunning_state()
    response = client.post(
        reverse("dunning:activity_new", args=[customer.pk]),
        {"happened_on": "10/06/2026", "channel": "call", "outcome": "reached"},
    )
    assert response.status_code == 200
    assert dunning_state() == before
    assert "has-error" in response.content.decode()


def test_promise_fields_do_not_count_when_the_outcome_is_not_a_promise(client, rep, customer):
    client.force_login(rep)
    response = client.post(
        reverse("dunning:activity_new", args=[customer.pk]),
        {
            "happened_on": "2026-06-10",
            "channel": "visit",
            "outcome": "reached",
            "promise_amount": "100.00",
            "next_step": "再拜访",
            "next_step_on": "2026-06-13",  # a Saturday: the follow-up lands on Monday
        },
    )
    assert response.status_code == 302
    assert not Promise.objects.exists()
    follow_up = Task.objects.get(source=TaskSource.FOLLOW_UP)
    assert (follow_up.action, follow_up.due_on) == (Action.VISIT, date(2026, 6, 15))


# --- Disputes ---------------------------------------------------------------------------------


def test_opening_a_dispute_on_chosen_receivables(client, rep, customer, invoice):
    other = make_receivable(customer, amount="100.00", issue_date=TODAY - timedelta(days=40))
    client.force_login(rep)
    response = client.post(
        reverse("dunning:dispute_new", args=[customer.pk]),
        {
            "receivables": [invoice.pk],
            "reason": DisputeReason.QUALITY,
            "description": "一箱破损",
            "owner": rep.pk,
            "opened_on": "2026-06-10",
        },
    )
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert list(dispute.receivables.all()) == [invoice]
    assert other not in dispute.receivables.all()

    body = page(client, rep, reverse("dunning:case", args=[customer.pk]))
    row = body[body.index('data-receivable="KN-INV-1"') :]
    assert "data-disputed" in row[: row.index("</tr>")]
    assert "一箱破损" in body


def test_a_dispute_without_receivables_is_refused(client, rep, customer, invoice):
    client.force_login(rep)
    before = dunning_state()
    response = client.post(
        reverse("dunning:dispute_new", args=[customer.pk]),
        {"reason": DisputeReason.QUALITY, "description": "x", "owner": rep.pk},
    )
    assert response.status_code == 200
    assert dunning_state() == before
    assert response.content.decode().count('class="errorlist') >= 2  # receivables, date


def test_resolving_a_dispute_needs_a_resolution(client, rep, customer, invoice):
    dispute = dispute_open(
        customer=customer,
        actor=rep,
        receivables=[invoice],
        reason=DisputeReason.PRICE,
        description="价格不对",
        owner=rep,
        opened_on=TODAY - timedelta(days=3),
    )
    url = reverse("dunning:dispute_resolve", args=[dispute.pk])
    client.force_login(rep)
    refused = client.post(url, {"resolved_on": "2026-06-10", "resolution": ""})
    assert refused.status_code == 200 and "has-error" in refused.content.decode()
    dispute.refresh_from_db()
    assert dispute.is_open

    done = client.post(url, {"resolved_on": "2026-06-10", "resolution": "补开折扣"})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.resolved_on, dispute.resolution) == (TODAY, "补开折扣")


def test_the_dispute_list_shows_only_visible_customers(client, rep, customer, invoice, stranger):
    for who, owner, receivable in (
        (customer, rep, invoice),
        (stranger, stranger.owner, stranger.receivables.get()),
    ):
        dispute_open(
            customer=who,
            actor=owner,
            receivables=[receivable],
            reason=DisputeReason.QUALITY,
            description="破损",
            owner=owner,
            opened_on=TODAY,
        )
    body = page(client, rep, reverse("dunning:disputes"))
    assert "KN-INV-1" in body
    assert "ZQX-INV-1" not in body and "温州瓯海秘密医院" not in body


def test_a_foreign_dispute_cannot_be_resolved(client, rep, stranger):
    dispute = dispute_open(
        customer=stranger,
        actor=stranger.owner,
        receivables=[stranger.receivables.get()],
        reason=DisputeReason.QUALITY,
        description="破损",
        owner=stranger.owner,
        opened_on=TODAY,
    )
    client.force_login(rep)
    url = reverse("dunning:dispute_resolve", args=[dispute.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"resolved_on": "2026-06-10", "resolution": "x"}).status_code == 404


# --- Promises -----------------------------------------------------------------------------------


def test_the_promise_list_shows_what_has_been_paid_towards_each_promise(
    client, rep, customer, invoice, stranger
):
    Promise.objects.create(
        customer=customer,
        amount=Decimal("5000.00"),
        made_on=TODAY - timedelta(days=5),
        due_on=TODAY + timedelta(days=5),
        promised_by="财务周",
    )
    Promise.objects.create(
        customer=stranger,
        amount=Decimal("1.00"),
        made_on=TODAY,
        due_on=TODAY,
        promised_by="ZQX财务",
    )
    make_payment(customer, "2000.00", received_on=TODAY - timedelta(days=2))

    body = page(client, rep, reverse("dunning:promises"))
    assert "¥5,000.00" in body and "¥2,000.00" in body
    assert 'data-state="short"' in body
    assert "ZQX财务" not in body

    kept = page(client, rep, reverse("dunning:promises"), {"status": PromiseStatus.KEPT})
    assert "财务周" not in kept


# --- Approvals ----------------------------------------------------------------------------------


def test_a_rep_asks_for_a_hard_measure(client, rep, customer, invoice):
    client.force_login(rep)
    response = client.post(
        reverse("dunning:approval_new", args=[customer.pk]),
        {"kind": ApprovalKind.MEASURE, "action": Action.STOP_SUPPLY, "reason": "三次失约"},
    )
    assert response.status_code == 302
    approval = ApprovalRequest.objects.get()
    assert (approval.kind, approval.action, approval.status, approval.requested_by) == (
        ApprovalKind.MEASURE,
        Action.STOP_SUPPLY,
        ApprovalStatus.PENDING,
        rep,
    )


def test_a_write_off_request_without_a_receivable_is_refused_on_that_field(
    client, rep, customer, invoice
):
    client.force_login(rep)
    before = dunning_state()
    response = client.post(
        reverse("dunning:approval_new", args=[customer.pk]),
        {"kind": ApprovalKind.WRITE_OFF, "reason": "客户注销"},
    )
    assert response.status_code == 200
    assert dunning_state() == before
    body = response.content.decode()
    field = body[body.index('name="receivable"') :]
    assert 'class="errorlist' in field[: field.index("</div>") + 200]


@pytest.fixture
def measure(customer, invoice, rep):
    return approval_request(
        customer=customer,
        actor=rep,
        kind=ApprovalKind.MEASURE,
        action=Action.STOP_SUPPLY,
        reason="三次失约",
        requested_on=TODAY - timedelta(days=1),
    )


def test_the_manager_approves_a_measure_and_it_becomes_the_reps_task(
    client, manager, rep, customer, measure
):
    body = page(client, manager, reverse("dunning:approvals"))
    assert f'data-approval="{measure.pk}"' in body and "三次失约" in body

    response = client.post(
        reverse("dunning:approval_decide", args=[measure.pk]),
        {f"a{measure.pk}-decision": "approve", f"a{measure.pk}-note": ""},
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.status, measure.decided_by) == (ApprovalStatus.APPROVED, manager)
    task = measure.task
    assert (task.assignee, task.action, task.source) == (rep, Action.STOP_SUPPLY, "approved")

    worklist = page(client, rep, reverse("dunning:worklist"))
    assert f'data-task="{task.pk}"' in worklist


def test_a_rejection_without_a_note_shows_the_error_and_stays_pending(client, manager, measure):
    client.force_login(manager)
    before = dunning_state()
    response = client.post(
        reverse("dunning:approval_decide", args=[measure.pk]),
        {f"a{measure.pk}-decision": "reject", f"a{measure.pk}-note": ""},
    )
    assert response.status_code == 200
    assert dunning_state() == before
    body = response.content.decode()
    row = body[body.index(f'data-approval="{measure.pk}"') :]
    assert 'class="errorlist' in row[: row.index("</tr>")]

    client.post(
        reverse("dunning:approval_decide", args=[measure.pk]),
        {f"a{measure.pk}-decision": "reject", f"a{measure.pk}-note": "先再拜访一次"},
    )
    measure.refresh_from_db()
    assert (measure.status, measure.decision_note) == (ApprovalStatus.REJECTED, "先再拜访一次")


def test_a_rep_cannot_approve(client, rep, measure):
    client.force_login(rep)
    response = client.post(
        reverse("dunning:approval_decide", args=[measure.pk]),
        {f"a{measure.pk}-decision": "approve"},
    )
    assert response.status_code == 403
    measure.refresh_from_db()
    assert measure.status == ApprovalStatus.PENDING
    # The rep's queue shows the request but no decision buttons.
    body = page(client, rep, reverse("dunning:approvals"))
    assert f'data-approval="{measure.pk}"' in body
    assert reverse("dunning:approval_decide", args=[measure.pk]) not in body


def test_a_manager_of_another_team_gets_404_for_the_request(client, measure):
    outsider = make_user(Role.MANAGER)
    client.force_login(outsider)
    response = client.post(
        reverse("dunning:approval_decide", args=[measure.pk]),
        {f"a{measure.pk}-decision": "approve"},
    )
    assert response.status_code == 404
    assert f'data-approval="{measure.pk}"' not in page(
        client, outsider, reverse("dunning:approvals")
    )


def test_finance_posts_an_approved_write_off(client, manager, rep, finance, customer, invoice):
    approval = approval_request(
        customer=customer,
        actor=rep,
        kind=ApprovalKind.WRITE_OFF,
        receivable=invoice,
        reason="客户注销",
        requested_on=TODAY,
    )
    approval_decide(approval=approval, actor=manager, approve=True, note="", on=TODAY)
    post_url = reverse("dunning:approval_post", args=[approval.pk])

    client.force_login(manager)
    assert client.post(post_url).status_code == 403

    body = page(client, finance, reverse("dunning:approvals"), {"status": "approved"})
    assert post_url in body
    response = client.post(post_url)
    assert response.status_code == 302
    write_off = WriteOff.objects.get()
    assert write_off.amount == Decimal("12000.00")
    invoice.refresh_from_db()
    assert invoice.outstanding == Decimal("0.00")
    assert post_url not in page(
        client, finance, reverse("dunning:approvals"), {"status": "approved"}
    )


# --- Playbook ---------------------------------------------------------------------------------


def test_the_playbook_lists_techniques_and_which_brought_money(client, rep, customer, invoice):
    from huikuan.dunning import playbook
    from huikuan.dunning.services import activity_log

    code = playbook.TECHNIQUES[5].code
    for offset in (30, 20):
        activity_log(
            customer=customer,
            actor=rep,
            happened_on=TODAY - timedelta(days=offset),
            channel="call",
            outcome="reached",
            technique=code,
        )
    make_payment(customer, "1000.00", received_on=TODAY - timedelta(days=25))

    body = page(client, rep, reverse("dunning:playbook"))
    for technique in playbook.TECHNIQUES:
        assert f'id="technique-{technique.code}"' in body
    row = body[body.index(f'<tr data-technique="{code}"') :]
    row = row[: row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["2", "1", "50.0%"]

    # Outside the chosen period, nothing counts.
    earlier = page(
        client, rep, reverse("dunning:playbook"), {"since": "2025-01-01", "until": "2025-12-31"}
    )
    assert f'<tr data-technique="{code}"' not in earlier


# --- Navigation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "approvals"),
    [(Role.REP, False), (Role.MANAGER, True), (Role.FINANCE, False), (Role.ADMIN, True)],
)
def test_the_menu_offers_the_worklist_to_all_and_approvals_to_deciders(client, role, approvals):
    body = page(client, make_user(role), "/")
    assert 'href="/work/"' in body and 'href="/playbook/"' in body
    assert ('href="/approvals/"' in body) is approvals


def test_every_collection_page_opens_for_each_role(client, rep, manager, finance, customer):
    admin = make_user(Role.ADMIN)
    for user in (rep, manager, finance, admin):
        for url in (
            reverse("dunning:worklist"),
            reverse("dunning:case", args=[customer.pk]),
            reverse("dunning:disputes"),
            reverse("dunning:promises"),
            reverse("dunning:approvals"),
            reverse("dunning:playbook"),
        ):
            assert page(client, user, url), (user.role, url)


def test_a_task_of_another_customer_cannot_be_closed_through_the_activity_form(
    client, rep, customer, invoice
):
    elsewhere = make_customer(owner=rep)
    task = task_for(elsewhere)
    client.force_login(rep)
    before = dunning_state()
    response = client.post(
        reverse("dunning:activity_new", args=[customer.pk]),
        {"happened_on": "2026-06-10", "channel": "call", "outcome": "reached", "task": task.pk},
    )
    assert response.status_code == 200
    assert 'class="alert alert-error"' in response.content.decode()
    assert dunning_state() == before


def test_the_customer_page_leads_to_the_case(client, rep, customer):
    body = page(client, rep, reverse("customers:detail", args=[customer.pk]))
    assert f'href="{reverse("dunning:case", args=[customer.pk])}"' in body
