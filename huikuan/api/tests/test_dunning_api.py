"""The collection endpoints: the worklist, completing tasks, logging contacts, promises, disputes,
approvals and the daily run — each normal case, each kind of refusal (which writes nothing),
what another team's rep cannot see, and what only managers and administrators may do."""

from datetime import date
from decimal import Decimal

import pytest

from huikuan.core.dates import business_today
from huikuan.dunning.models import (
    Action,
    Activity,
    ApprovalRequest,
    DailyRun,
    Dispute,
    Promise,
    Task,
    TaskSource,
)
from huikuan.dunning.run import RunResult
from huikuan.dunning.tests.factories import dunning_state
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.risk.daily import RiskRunResult

from .conftest import ApiClient, fields, token_for

DAY = date(2026, 3, 2)  # a Monday


def make_task(customer, *, due_on=DAY, assignee=None, action=Action.CALL, **kw) -> Task:
    receivable = customer.receivables.order_by("pk").first()
    return Task.objects.create(
        key=f"test:{customer.code}:{due_on}:{action}",
        customer=customer,
        assignee=assignee or customer.owner,
        due_on=due_on,
        source=TaskSource.DUNNING,
        action=action,
        level=1,
        amount=receivable.outstanding if receivable else Decimal("0.00"),
        receivables=[receivable.pk] if receivable else [],
        **kw,
    )


@pytest.fixture
def books(people):
    """OWN (the rep's) owes R-OWN 100.00 and R-OWN-2 50.00, overdue since January; FAR (a rep
    of another team) owes R-FAR. Each has a call due on DAY."""
    own = f.customer("OWN", owner=people["rep"], region=people["region"])
    far = f.customer("FAR", owner=people["other_rep"])
    f.receivable(own, number="R-OWN", amount="100.00", due=date(2026, 1, 31))
    f.receivable(own, number="R-OWN-2", amount="50.00", due=date(2026, 1, 31))
    f.receivable(far, number="R-FAR", amount="400.00", due=date(2026, 1, 31))
    return {"own": own, "far": far, "own_task": make_task(own), "far_task": make_task(far)}


@pytest.fixture
def admin_api(people):
    return ApiClient(token_for(f.user(Role.ADMIN, username="admin")))


@pytest.fixture
def other_api(people):
    return ApiClient(token_for(people["other_rep"]))


def refused(response, status: int, field: str, before: dict):
    """The answer is the expected refusal on ``field``, and nothing was written."""
    assert response.status_code == status, response.json()
    assert field in fields(response)
    assert dunning_state() == before


# --- Tasks ----------------------------------------------------------------------------------------


def test_the_worklist_shows_the_reps_tasks_with_priority_and_moment(books, rep_api):
    response = rep_api.get("tasks", date=DAY.isoformat())
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == "2026-03-02" and body["count"] == 1
    [item] = body["items"]
    assert item["id"] == books["own_task"].pk and item["customer"] == "OWN"
    assert item["action"] == "call" and item["status"] == "open"
    assert item["receivables"] == ["R-OWN"]
    assert item["overdue_amount"] == "150.00" and item["days_overdue"] == 30
    assert isinstance(item["priority"]["score"], int) and item["priority"]["factors"]
    factor = item["priority"]["factors"][0]
    assert set(factor) == {"key", "label", "points", "detail"}
    assert item["priority"]["score"] == sum(f["points"] for f in item["priority"]["factors"])
    assert item["moment"]["at"].startswith("2026-03-02T") and item["moment"]["at"].endswith(
        "+08:00"
    )
    assert item["moment"]["reasons"]


def test_a_worklist_item_shows_the_customers_open_promise_and_what_came_in(books, rep_api):
    rep_api.post(
        "promises",
        {
            "customer": "OWN",
            "amount": "100.00",
            "made_on": "2026-02-20",
            "due_on": "2026-03-10",
            "promised_by": "李老板",
        },
    )
    f.payment(books["own"], number="P-1", amount="30.00", on=date(2026, 2, 25))
    [item] = rep_api.get("tasks", date=DAY.isoformat()).json()["items"]
    promise = item["promise"]
    assert (promise["amount"], promise["due_on"], promise["promised_by"]) == (
        "100.00",
        "2026-03-10",
        "李老板",
    )
    assert (promise["paid"], promise["short"], promise["overdue"]) == ("30.00", True, False)


def test_the_worklist_defaults_to_your_tasks_of_today(books, rep_api, people):
    today = make_task(books["own"], due_on=business_today(), action=Action.VISIT)
    make_task(books["own"], due_on=date(2999, 1, 1), action=Action.REMINDER)  # not yet
    body = rep_api.get("tasks").json()
    assert body["date"] == business_today().isoformat()
    assert {item["id"] for item in body["items"]} == {books["own_task"].pk, today.pk}


def test_a_manager_looks_at_a_reps_day_or_at_everyone_they_can_see(books, manager_api):
    body = manager_api.get("tasks", rep="rep", date="2026-03-02").json()
    assert [item["id"] for item in body["items"]] == [books["own_task"].pk]
    body = manager_api.get("tasks", rep="*", date="2026-03-02").json()
    assert [item["customer"] for item in body["items"]] == ["OWN"]  # FAR is another team's


def test_a_manager_cannot_ask_for_a_rep_of_another_team(books, manager_api):
    hidden = manager_api.get("tasks", rep="other_rep")
    missing = manager_api.get("tasks", rep="nobody")
    assert hidden.status_code == missing.status_code == 404
    assert fields(hidden) == fields(missing) == ["rep"]


def test_a_rep_may_not_look_at_someone_elses_day(books, rep_api):
    for rep in ("manager", "other_rep", "*"):
        response = rep_api.get("tasks", rep=rep)
        assert response.status_code == 403, rep
        assert fields(response) == ["__all__"]


def test_completing_a_task_marks_it_done_by_you(books, rep_api, people):
    response = rep_api.post(
        f"tasks/{books['own_task'].pk}/complete", {"date": "2026-03-02", "note": "已电话"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["done_by"] == "rep"
    assert "已电话" in body["note"] and body["receivables"] == ["R-OWN"]
    task = Task.objects.get(pk=books["own_task"].pk)
    assert task.status == "done" and task.done_by == people["rep"]


def test_completing_needs_no_body(books, rep_api):
    response = rep_api.post(f"tasks/{books['own_task'].pk}/complete", raw="")
    assert response.status_code == 200
    assert response.json()["status"] == "done"


def test_a_task_is_completed_once(books, rep_api):
    url = f"tasks/{books['own_task'].pk}/complete"
    assert rep_api.post(url, {}).status_code == 200
    refused(rep_api.post(url, {}), 422, "task", dunning_state())


def test_another_teams_task_answers_like_a_missing_one(books, rep_api):
    before = dunning_state()
    hidden = rep_api.post(f"tasks/{books['far_task'].pk}/complete", {})
    missing = rep_api.post("tasks/999999/complete", {})
    assert hidden.status_code == missing.status_code == 404
    assert fields(hidden) == fields(missing) == ["id"]
    assert hidden.json()["detail"][0]["message"] == missing.json()["detail"][0]["message"].replace(
        "999999", str(books["far_task"].pk)
    )
    assert dunning_state() == before
    assert rep_api.get("tasks", date="2026-03-02").json()["count"] == 1


def test_a_bad_task_id_or_date_is_refused(books, rep_api):
    before = dunning_state()
    refused(rep_api.post("tasks/abc/complete", {}), 422, "id", before)
    refused(
        rep_api.post(f"tasks/{books['own_task'].pk}/complete", {"date": "2.3."}),
        422,
        "date",
        before,
    )
    assert rep_api.get("tasks", date="2026-02-30").status_code == 422


# --- Activities -----------------------------------------------------------------------------------


def call(**overrides) -> dict:
    body = {
        "customer": "OWN",
        "happened_on": "2026-03-02",
        "channel": "call",
        "outcome": "reached",
        "note": "财务说月底付",
    }
    return {**body, **overrides}


def test_logging_a_call_with_a_promise_records_both_and_finishes_the_task(books, rep_api):
    response = rep_api.post(
        "activities",
        call(
            outcome="promised",
            reason="cash_elsewhere",
            task=books["own_task"].pk,
            promise_amount="120.00",
            promise_due_on="2026-03-20",
            promised_by="王会计",
            next_step="月底再打",
            next_step_on="2026-03-31",
        ),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["customer"] == "OWN" and body["outcome"] == "promised"
    assert body["task"] == books["own_task"].pk and body["created_by"] == "rep"
    promise = Promise.objects.get(pk=body["promise"])
    assert (promise.amount, promise.due_on, promise.promised_by) == (
        Decimal("120.00"),
        date(2026, 3, 20),
        "王会计",
    )
    assert Task.objects.get(pk=books["own_task"].pk).status == "done"
    follow_up = Task.objects.get(source=TaskSource.FOLLOW_UP)
    assert follow_up.due_on == date(2026, 3, 31) and follow_up.customer == books["own"]


def test_activities_list_newest_first_and_by_customer(books, rep_api, finance_api):
    rep_api.post("activities", call(happened_on="2026-03-01"))
    rep_api.post("activities", call(happened_on="2026-03-03", channel="wechat"))
    body = rep_api.get("activities", customer="OWN").json()
    assert body["count"] == 2
    assert [a["happened_on"] for a in body["items"]] == ["2026-03-03", "2026-03-01"]
    assert finance_api.get("activities", customer="FAR").json()["count"] == 0
    assert rep_api.get("activities", customer="FAR").json() == {"items": [], "count": 0}


def test_a_promise_without_an_amount_is_refused_and_nothing_is_logged(books, rep_api):
    before = dunning_state()
    response = rep_api.post("activities", call(outcome="promised", promise_due_on="2026-03-20"))
    refused(response, 422, "promise_amount", before)


def test_a_float_amount_or_an_unknown_channel_is_refused(books, rep_api):
    before = dunning_state()
    body = call(outcome="promised", promise_amount=120.5, promise_due_on="2026-03-20")
    refused(rep_api.post("activities", body), 422, "promise_amount", before)
    refused(rep_api.post("activities", call(channel="pigeon")), 422, "channel", before)
    refused(rep_api.post("activities", call(mood="good")), 422, "mood", before)


def test_a_task_or_contact_you_may_not_see_is_not_there(books, rep_api):
    before = dunning_state()
    response = rep_api.post("activities", call(task=books["far_task"].pk))
    refused(response, 422, "task", before)
    assert "不存在 ID 为" in response.json()["detail"][0]["message"]
    refused(rep_api.post("activities", call(contact=999999)), 422, "contact", before)


def test_logging_a_contact_with_another_teams_customer_answers_404(books, rep_api):
    refused(rep_api.post("activities", call(customer="FAR")), 404, "customer", dunning_state())


# --- Promises -------------------------------------------------------------------------------------


def promise(**overrides) -> dict:
    body = {
        "customer": "OWN",
        "amount": "100.00",
        "made_on": "2026-03-01",
        "due_on": "2026-03-10",
        "promised_by": "李老板",
    }
    return {**body, **overrides}


def test_a_promise_shows_what_has_come_in_towards_it(books, rep_api):
    response = rep_api.post("promises", promise())
    assert response.status_code == 201
    created = response.json()
    assert (created["amount"], created["status"], created["paid"]) == ("100.00", "open", "0.00")
    f.payment(books["own"], number="P-1", amount="40.00", on=date(2026, 3, 5))
    body = rep_api.get("promises", as_of="2026-03-06").json()
    assert body["as_of"] == "2026-03-06" and body["count"] == 1
    [item] = body["items"]
    assert item["id"] == created["id"] and item["customer"] == "OWN"
    assert item["paid"] == "40.00" and item["short"] is True and item["kept"] is False


def test_a_new_promise_replaces_the_open_one(books, rep_api):
    first = rep_api.post("promises", promise()).json()
    second = rep_api.post("promises", promise(made_on="2026-03-05", due_on="2026-03-25")).json()
    assert [p["id"] for p in rep_api.get("promises").json()["items"]] == [second["id"]]
    statuses = {p["id"]: p["status"] for p in rep_api.get("promises", status="all").json()["items"]}
    assert statuses == {first["id"]: "replaced", second["id"]: "open"}


def test_a_promise_due_before_it_was_made_is_refused(books, rep_api):
    before = dunning_state()
    refused(rep_api.post("promises", promise(due_on="2026-02-01")), 422, "due_on", before)
    refused(rep_api.post("promises", promise(amount="0")), 422, "amount", before)
    refused(rep_api.post("promises", promise(customer="FAR")), 404, "customer", before)


def test_promises_of_another_team_are_not_listed(books, rep_api, other_api):
    other_api.post("promises", promise(customer="FAR"))
    assert rep_api.get("promises", status="all").json()["count"] == 0
    assert other_api.get("promises").json()["count"] == 1


# --- Disputes -------------------------------------------------------------------------------------


def dispute(**overrides) -> dict:
    body = {
        "customer": "OWN",
        "receivables": ["R-OWN"],
        "reason": "quality",
        "description": "第二批货有破损",
        "opened_on": "2026-03-02",
    }
    return {**body, **overrides}


def test_opening_listing_and_resolving_a_dispute(books, rep_api, people):
    response = rep_api.post("disputes", dispute(owner="manager"))
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["receivables"] == ["R-OWN"] and created["owner"] == "manager"
    assert created["resolved_on"] is None
    assert [d["id"] for d in rep_api.get("disputes").json()["items"]] == [created["id"]]

    response = rep_api.post(
        f"disputes/{created['id']}/resolve",
        {"resolved_on": "2026-03-09", "resolution": "补发两箱"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["resolved_on"] == "2026-03-09" and body["days_to_resolve"] == 7
    assert rep_api.get("disputes").json()["count"] == 0
    assert rep_api.get("disputes", open="false").json()["count"] == 1


def test_a_dispute_about_a_receivable_you_cannot_see_is_refused(books, rep_api):
    before = dunning_state()
    response = rep_api.post("disputes", dispute(receivables=["R-OWN", "R-FAR"]))
    refused(response, 422, "receivables", before)
    assert "R-FAR" in response.json()["detail"][0]["message"]
    refused(rep_api.post("disputes", dispute(receivables=[])), 422, "receivables", before)
    refused(rep_api.post("disputes", dispute(owner="other_rep")), 422, "owner", before)


def test_resolving_needs_a_resolution_and_a_date_after_opening(books, rep_api):
    created = rep_api.post("disputes", dispute()).json()
    url = f"disputes/{created['id']}/resolve"
    before = dunning_state()
    refused(
        rep_api.post(url, {"resolved_on": "2026-03-01", "resolution": "x"}),
        422,
        "resolved_on",
        before,
    )
    refused(
        rep_api.post(url, {"resolved_on": "2026-03-09", "resolution": " "}),
        422,
        "resolution",
        before,
    )


def test_another_teams_dispute_cannot_be_resolved(books, rep_api, other_api):
    created = other_api.post("disputes", dispute(customer="FAR", receivables=["R-FAR"])).json()
    before = dunning_state()
    response = rep_api.post(
        f"disputes/{created['id']}/resolve", {"resolved_on": "2026-03-09", "resolution": "x"}
    )
    refused(response, 404, "id", before)
    assert Dispute.objects.get(pk=created["id"]).resolved_on is None


# --- Approvals ------------------------------------------------------------------------------------


def write_off(**overrides) -> dict:
    body = {
        "customer": "OWN",
        "kind": "write_off",
        "receivable": "R-OWN-2",
        "reason": "客户已注销",
        "requested_on": "2026-03-02",
    }
    return {**body, **overrides}


def measure(**overrides) -> dict:
    body = {
        "customer": "OWN",
        "kind": "measure",
        "action": "lawyer_letter",
        "reason": "三次承诺未兑现",
        "requested_on": "2026-03-02",
    }
    return {**body, **overrides}


def test_a_rep_asks_and_a_manager_approves_a_measure_which_becomes_a_task(
    books, rep_api, manager_api
):
    response = rep_api.post("approvals", measure())
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "pending" and created["requested_by"] == "rep"
    assert [a["id"] for a in manager_api.get("approvals").json()["items"]] == [created["id"]]

    response = manager_api.post(f"approvals/{created['id']}/approve", {"date": "2026-03-03"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == "manager"
    task = Task.objects.get(pk=body["task"])
    assert task.action == "lawyer_letter" and task.assignee.username == "rep"
    assert manager_api.get("approvals").json()["count"] == 0
    assert manager_api.get("approvals", status="approved").json()["count"] == 1


def test_a_write_off_request_defaults_to_what_is_owed(books, rep_api):
    body = rep_api.post("approvals", write_off()).json()
    assert (body["receivable"], body["amount"], body["action"]) == ("R-OWN-2", "50.00", "")


def test_a_rep_may_not_decide_and_nothing_changes(books, rep_api):
    created = rep_api.post("approvals", write_off()).json()
    before = dunning_state()
    for verb in ("approve", "reject"):
        response = rep_api.post(f"approvals/{created['id']}/{verb}", {"note": "自己批"})
        refused(response, 403, "__all__", before)
    assert ApprovalRequest.objects.get().status == "pending"


def test_finance_may_not_decide_either(books, rep_api, finance_api):
    created = rep_api.post("approvals", write_off()).json()
    refused(finance_api.post(f"approvals/{created['id']}/approve"), 403, "__all__", dunning_state())


def test_a_rejection_needs_a_note(books, rep_api, manager_api):
    created = rep_api.post("approvals", write_off()).json()
    url = f"approvals/{created['id']}/reject"
    refused(manager_api.post(url, {}), 422, "note", dunning_state())
    response = manager_api.post(url, {"note": "先发律师函"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_note"] == "先发律师函"
    refused(
        manager_api.post(f"approvals/{created['id']}/approve"), 422, "approval", dunning_state()
    )


def test_another_teams_request_answers_404_even_to_a_manager(books, other_api, manager_api):
    created = other_api.post("approvals", write_off(customer="FAR", receivable="R-FAR")).json()
    before = dunning_state()
    refused(manager_api.post(f"approvals/{created['id']}/approve"), 404, "id", before)
    assert manager_api.get("approvals", status="all").json()["count"] == 0


def test_bad_approval_requests_are_refused(books, rep_api):
    before = dunning_state()
    refused(rep_api.post("approvals", measure(action="")), 422, "action", before)
    refused(rep_api.post("approvals", measure(action="arson")), 422, "action", before)
    refused(rep_api.post("approvals", write_off(receivable="R-FAR")), 422, "receivable", before)
    refused(rep_api.post("approvals", write_off(amount="50.01")), 422, "amount", before)
    refused(rep_api.post("approvals", write_off(customer="FAR")), 404, "customer", before)
    assert rep_api.get("approvals", status="nonsense").status_code == 422


# --- The daily run --------------------------------------------------------------------------------


def test_the_daily_run_answers_its_counts_and_a_second_call_does_nothing(books, admin_api):
    response = admin_api.post("daily-run?as_of=2026-03-02")
    assert response.status_code == 200, response.json()
    first = response.json()
    assert first["as_of"] == "2026-03-02" and first["already_done"] is False
    counts = {k: v for k, v in first.items() if k not in ("as_of", "already_done")}
    assert counts and all(isinstance(v, int) for v in counts.values())
    assert counts["cases_opened"] == 2  # OWN and FAR are overdue
    assert DailyRun.objects.filter(as_of=date(2026, 3, 2)).exists()

    again = admin_api.post("daily-run?as_of=2026-03-02").json()
    assert again["already_done"] is True
    assert {k: again[k] for k in counts} == dict.fromkeys(counts, 0)


def test_the_answer_carries_every_count_of_the_run(books, admin_api):
    body = admin_api.post("daily-run?as_of=2026-03-02").json()
    counts = {*RunResult(as_of=DAY).counts(), *RiskRunResult(as_of=DAY).counts()}
    assert set(body) == {"as_of", "already_done", "messages_queued", *counts}
    assert {"ratings_changed", "signals_raised"} <= counts


def test_only_an_administrator_starts_the_daily_run(books, rep_api, manager_api, finance_api):
    before = dunning_state()
    for api in (rep_api, manager_api, finance_api):
        refused(api.post("daily-run?as_of=2026-03-02"), 403, "__all__", before)
    assert not DailyRun.objects.exists()


def test_a_bad_run_date_is_refused(books, admin_api):
    response = admin_api.post("daily-run?as_of=2026-13-01")
    assert response.status_code == 422 and fields(response) == ["as_of"]
    assert not DailyRun.objects.exists()


def test_no_collection_endpoint_answers_without_a_token(books):
    anonymous = ApiClient(None)
    for path in ("tasks", "activities", "promises", "disputes", "approvals"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.post("daily-run").status_code == 401
    assert not Activity.objects.exists()
