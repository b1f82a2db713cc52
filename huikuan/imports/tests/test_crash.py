"""`huikuan import` killed with SIGKILL in the middle of a 100,000-row import, by real processes on
a real database file or server: nothing of it may remain, and the rerun imports every row."""

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from huikuan.demo.bench_import import rows, write_xlsx

ROWS = 100_000
AS_OF = "2026-11-23"

COUNTS = """
import json
from huikuan.audit.models import AuditEntry
from huikuan.customers.models import Customer
from huikuan.imports.models import ImportBatch
from huikuan.ledger.models import Allocation, Payment, Receivable
print(json.dumps({
    "receivables": Receivable.objects.count(),
    "customers": Customer.objects.count(),
    "payments": Payment.objects.count(),
    "allocations": Allocation.objects.count(),
    "imports": ImportBatch.objects.count(),
    "audit": AuditEntry.objects.count(),
}))
"""

SUPERUSER = """
from huikuan.org.models import User
User.objects.create_superuser("crash-admin", password="x")
"""


def huikuan(env: dict, *args: str, failpoint: str = "") -> subprocess.CompletedProcess:
    env = {**env, "HUIKUAN_FAILPOINT": failpoint} if failpoint else env
    return subprocess.run(
        [sys.executable, "-m", "huikuan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def ok(env: dict, *args: str) -> str:
    done = huikuan(env, *args)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def counts(env: dict) -> dict:
    return json.loads(ok(env, "shell", "-v", "0", "-c", COUNTS))


def kill_then_rerun(env: dict, sheet: Path) -> None:
    ok(env, "migrate", "-v", "0")
    ok(env, "shell", "-v", "0", "-c", SUPERUSER)
    before = counts(env)
    command = ("import", "receivables", str(sheet), "--as-of", AS_OF, "-v", "2")
    for step in ("receivables", "settlements"):
        killed = huikuan(env, *command, failpoint=f"import:{step}")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert f"step {step} done" in killed.stderr
        assert counts(env) == before, f"an import killed after {step} left rows behind"
    done = ok(env, *command)
    after = counts(env)
    assert after["receivables"] == ROWS
    assert after["imports"] == 1
    assert after["customers"] > 0 and after["allocations"] > 0
    assert f"{ROWS}" in done


@pytest.fixture(scope="module")
def sheet(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "receivables.xlsx"
    write_xlsx(path, rows(count=ROWS, customers=500, as_of=date(2026, 11, 23), seed=3))
    return path


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file variant")
def test_a_killed_import_leaves_nothing_and_the_rerun_completes_on_sqlite(tmp_path, sheet):
    env = {**os.environ, "HUIKUAN_VAR_DIR": str(tmp_path / "var")}
    env.pop("HUIKUAN_DATABASE_URL", None)
    kill_then_rerun(env, sheet)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_killed_import_leaves_nothing_and_the_rerun_completes_on_postgres(sheet):
    base = settings.DATABASES["default"]
    name = f"hk_import_crash_{uuid.uuid4().hex[:8]}"
    user = base.get("USER") or "postgres"
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    host = base.get("HOST") or "127.0.0.1"
    port = base.get("PORT") or 5432
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {
            **os.environ,
            "HUIKUAN_DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{name}",
        }
        kill_then_rerun(env, sheet)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
