"""`huikuan daily` killed half-way, on a real database file or server, by real processes.

Each test builds a small book in its own database with ``huikuan`` subprocesses, makes a twin of
it, kills a run with SIGKILL in the middle of its transaction (the failpoint environment variable
of the command), checks that the database is exactly as before, reruns, and compares every row
the run writes with the twin's clean run — the risk steps (ratings, signals and the customers'
signal summary) as well as the collection steps.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

AS_OF = "2026-07-02"
# The risk run's steps come first, then the collection run's.
STEPS = ("ratings", "signals", "summary", "load", "promises", "ladder", "cases", "contacts")
STEPS += ("cases_closed", "limitation", "tasks")

BUILD = """
from datetime import date, timedelta
from huikuan.dunning.tests.factories import (make_contact, make_customer, make_payment,
    make_receivable, make_user)
from huikuan.dunning.models import Promise
from huikuan.org.models import Role
from huikuan.risk.signals import signal_record
rep = make_user(Role.REP, username="crash-rep")
due = date(2026, 6, 1)
for n in range(24):
    customer = make_customer(owner=rep, is_government=(n % 5 == 0))
    for k in range(3):
        make_receivable(customer, amount=f"{1000 + 37 * n + k}.00",
                        issue_date=due - timedelta(days=200),
                        due_date=due - timedelta(days=7 * n + 3 * k))
        make_receivable(customer, amount="500.00", issue_date=due, due_date=date(2026, 7, 8))
    if n % 4 == 0:
        Promise.objects.create(customer=customer, amount=300, made_on=due, due_on=date(2026, 6, 30),
                               promised_by="会计")
    if n % 3 == 0:
        make_payment(customer, "800.00", received_on=date(2026, 6, 20))
    if n % 6 == 1:
        make_contact(customer, role="finance", is_active=False, left_on=date(2026, 6, 25))
    if n == 7:
        signal_record(customer=customer, kind="lawsuit", evidence="诉讼",
                      detected_on=date(2026, 6, 20), actor=rep)
"""

SNAPSHOT = """
import json
from huikuan.customers.models import Customer
from huikuan.dunning.models import (ApprovalRequest, Case, CollectionProfile, DailyRun, Promise,
    ReceivableDunning, Task)
from huikuan.risk.models import CreditProfile, RiskRun, Signal
def rows(qs, *fields):
    return [list(map(str, r)) for r in qs.order_by(*fields).values_list(*fields)]
print(json.dumps({
    "tasks": rows(Task.objects, "key", "customer__code", "due_on", "source", "action", "level",
                  "amount", "receivables", "status", "assignee__username"),
    "states": rows(ReceivableDunning.objects, "receivable__number", "level", "level_on"),
    "cases": rows(Case.objects, "customer__code", "opened_on", "closed_on", "level", "debt_class"),
    "approvals": rows(ApprovalRequest.objects, "key", "customer__code", "level", "amount"),
    "promises": rows(Promise.objects, "customer__code", "status", "paid", "settled_on"),
    "profiles": rows(CollectionProfile.objects, "customer__code", "standing", "broken_promises"),
    "runs": rows(DailyRun.objects, "as_of", "counts"),
    "signals": rows(Signal.objects, "customer__code", "kind", "key", "severity", "status",
                    "detected_on", "evidence", "data"),
    "credit": rows(CreditProfile.objects, "customer__code", "avg_days_late", "prev_avg_days_late",
                   "trend", "computed_rating", "on_time_count", "late_count", "computed_on"),
    "customers": rows(Customer.objects, "code", "rating", "risk_signals", "doubtful_since"),
    "risk_runs": rows(RiskRun.objects, "as_of", "counts"),
}))
"""


def huikuan(env: dict, *args: str, failpoint: str = "") -> subprocess.CompletedProcess:
    env = {**env, "HUIKUAN_FAILPOINT": failpoint} if failpoint else env
    return subprocess.run(
        [sys.executable, "-m", "huikuan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(env: dict, *args: str) -> str:
    done = huikuan(env, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def snapshot(env: dict) -> dict:
    return json.loads(ok(env, "shell", "-v", "0", "-c", SNAPSHOT))


def crash_and_compare(env: dict, twin: dict) -> None:
    before = snapshot(env)
    for step in STEPS:
        killed = huikuan(env, "daily", "--as-of", AS_OF, "-v", "2", failpoint=f"daily:{step}")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert f"step {step} done" in killed.stderr
        assert snapshot(env) == before, f"a run killed after {step} left rows behind"
    rerun = json.loads(ok(env, "daily", "--as-of", AS_OF, "--format", "json"))
    clean = json.loads(ok(twin, "daily", "--as-of", AS_OF, "--format", "json"))
    assert rerun == clean
    assert rerun["already_done"] is False
    assert rerun["tasks_created"] > 0 and rerun["approvals_raised"] > 0
    assert rerun["promises_broken"] > 0
    assert rerun["ratings_changed"] > 0 and rerun["signals_raised"] > 0
    after = snapshot(env)
    assert after == snapshot(twin)
    assert after != before
    # and a third run of the same date is a no-op
    again = json.loads(ok(env, "daily", "--as-of", AS_OF, "--format", "json"))
    assert again["already_done"] is True
    assert snapshot(env) == after


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file variant")
def test_a_killed_run_leaves_nothing_and_its_rerun_matches_a_clean_run_on_sqlite(tmp_path: Path):
    env = {**os.environ, "HUIKUAN_VAR_DIR": str(tmp_path / "a")}
    env.pop("HUIKUAN_DATABASE_URL", None)
    ok(env, "migrate", "-v", "0")
    ok(env, "shell", "-v", "0", "-c", BUILD)
    twin = {**env, "HUIKUAN_VAR_DIR": str(tmp_path / "b")}
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    crash_and_compare(env, twin)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_run_leaves_nothing_and_its_rerun_matches_a_clean_run_on_postgres():
    base = settings.DATABASES["default"]
    names = [f"hk_crash_{uuid.uuid4().hex[:8]}", f"hk_crash_{uuid.uuid4().hex[:8]}"]

    def url(name: str) -> str:
        user = base.get("USER") or "postgres"
        password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
        host = base.get("HOST") or "127.0.0.1"
        port = base.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{name}"

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{names[0]}"')
    try:
        env = {**os.environ, "HUIKUAN_DATABASE_URL": url(names[0])}
        ok(env, "migrate", "-v", "0")
        ok(env, "shell", "-v", "0", "-c", BUILD)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')
        crash_and_compare(env, {**env, "HUIKUAN_DATABASE_URL": url(names[1])})
    finally:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
