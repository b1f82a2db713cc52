"""`huikuan send-outbox` killed mid-batch, by real processes against a real database file or
server and a real SMTP server: every message arrives exactly once, except the one handed over
just before the kill — that one is left "unknown" with an alert, and arrived at most once.

Each test gets its own copy of a database holding 30 queued emails. Worker A runs with a
failpoint (``HUIKUAN_FAILPOINT``) that SIGKILLs it at a chosen moment; worker B, in the same
database at the same time (or after), has a lease of 2 seconds, so it takes A's abandoned claims
back quickly. The SMTP server counts the Message-IDs that arrived.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from huikuan.notifications.tests.servers import smtp_env, smtp_server

COUNT = 30
LEASE = "2"
# The lease of the worker killed right after claiming (see that test).
A_LEASE = "6"

SEED = f"""
from datetime import timedelta
from django.utils import timezone
from huikuan.notifications.outbox import message_enqueue
now = timezone.now() - timedelta(minutes=1)
for n in range({COUNT}):
    message_enqueue(key=f"crash:{{n}}", channel="email", purpose="dunning",
                    recipient=f"cw{{n}}@customer.cn", subject=f"第 {{n}} 封付款提醒",
                    body_text="您好，贵司货款已逾期，请尽快安排付款。", now=now)
"""

SNAPSHOT = """
import json
from huikuan.notifications.models import Alert, DeliveryAttempt, Message
print(json.dumps({
    "messages": {m.pk: [m.status, m.attempts] for m in Message.objects.filter(purpose="dunning")},
    "attempts": [[a.message_id, a.number, a.worker, a.result]
                 for a in DeliveryAttempt.objects.order_by("message_id", "number")],
    "alerts": [[a.kind, a.message_id] for a in Alert.objects.all()],
}))
"""


def huikuan(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "huikuan.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(env: dict, *args: str) -> str:
    done = huikuan(env, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def worker(env: dict, name: str, *args: str, failpoint: str = "") -> subprocess.Popen:
    env = {**env, "HUIKUAN_FAILPOINT": failpoint} if failpoint else env
    return subprocess.Popen(
        [sys.executable, "-m", "huikuan.cli", "send-outbox", "--worker-id", name, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def snapshot(env: dict) -> dict:
    data = json.loads(ok(env, "shell", "-v", "0", "-c", SNAPSHOT))
    data["messages"] = {int(pk): tuple(value) for pk, value in data["messages"].items()}
    return data


def pending(env: dict) -> int:
    """How many messages are still queued or being sent (read straight from the database)."""
    sql = "SELECT count(*) FROM notifications_message WHERE status IN ('queued', 'sending')"
    if "HUIKUAN_DATABASE_URL" in env:
        with psycopg.connect(env["HUIKUAN_DATABASE_URL"]) as db:
            return db.execute(sql).fetchone()[0]
    with sqlite3.connect(Path(env["HUIKUAN_VAR_DIR"]) / "huikuan.sqlite3", timeout=20) as db:
        return db.execute(sql).fetchone()[0]


def claimed_by(env: dict, name: str) -> int:
    """How many messages worker ``name`` has claimed or handled so far."""
    sql = "SELECT count(*) FROM notifications_deliveryattempt WHERE worker = %s"
    if "HUIKUAN_DATABASE_URL" in env:
        with psycopg.connect(env["HUIKUAN_DATABASE_URL"]) as db:
            return db.execute(sql, (name,)).fetchone()[0]
    with sqlite3.connect(Path(env["HUIKUAN_VAR_DIR"]) / "huikuan.sqlite3", timeout=20) as db:
        return db.execute(sql.replace("%s", "?"), (name,)).fetchone()[0]


def wait_for_claim(env: dict, name: str, process: subprocess.Popen, timeout: float = 60.0):
    """Wait until worker ``name`` has claimed its first batch (or died trying), so that on a
    busy machine the other worker cannot empty the outbox before this one even starts."""
    deadline = time.monotonic() + timeout
    while not claimed_by(env, name) and process.poll() is None:
        assert time.monotonic() < deadline, f"worker {name} claimed nothing"
        time.sleep(0.05)


def wait_until_settled(env: dict, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while pending(env):
        assert time.monotonic() < deadline, "the outbox did not empty"
        time.sleep(0.2)


def message_pk(message_id: str) -> int:
    return int(message_id.strip("<>").split("@")[0].removeprefix("huikuan."))


def _pg_url(name: str) -> str:
    base = settings.DATABASES["default"]
    user = base.get("USER") or "postgres"
    password = f":{base['PASSWORD']}" if base.get("PASSWORD") else ""
    host = base.get("HOST") or "127.0.0.1"
    port = base.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _base_env(tmp: Path) -> dict:
    env = {**os.environ, "HUIKUAN_VAR_DIR": str(tmp), "HUIKUAN_OUTBOX_LEASE_SECONDS": LEASE}
    env.pop("HUIKUAN_FAILPOINT", None)
    env.pop("HUIKUAN_DATABASE_URL", None)
    return env


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, django_db_setup, django_db_blocker):
    """A migrated database with 30 queued emails, to be copied by each test."""
    tmp = tmp_path_factory.mktemp("outbox-seed")
    env = _base_env(tmp)
    template = ""
    if connection.vendor == "postgresql":
        template = f"hk_outbox_seed_{uuid.uuid4().hex[:8]}"
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{template}"')
        env["HUIKUAN_DATABASE_URL"] = _pg_url(template)
    ok(env, "migrate", "-v", "0")
    ok(env, "shell", "-v", "0", "-c", SEED)
    yield env, template
    if template:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


@pytest.fixture
def outbox_env(seeded, tmp_path, django_db_blocker):
    """The environment of ``huikuan`` processes working on this test's own copy."""
    seed_env, template = seeded
    env = _base_env(tmp_path / "var")
    if not template:
        shutil.copytree(seed_env["HUIKUAN_VAR_DIR"], tmp_path / "var")
        yield env
        return
    name = f"hk_outbox_{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    env["HUIKUAN_DATABASE_URL"] = _pg_url(name)
    (tmp_path / "var").mkdir()
    try:
        yield env
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def two_workers_one_killed(env: dict, smtp, failpoint: str) -> tuple[dict, str]:
    """Workers A (with the failpoint) and B side by side; A dies, B carries on until the
    outbox is settled and is then stopped with SIGTERM. Returns the database's snapshot and
    B's output."""
    env = {**env, **smtp_env(smtp)}
    loop = ("--loop", "--interval", "0.2", "--limit", "5")
    a = worker(env, "A", *loop, failpoint=f"{failpoint},outbox:slow=0.05")
    b = None
    try:
        wait_for_claim(env, "A", a)
        b = worker(env, "B", *loop, failpoint="outbox:slow=0.05")
        assert a.wait(timeout=60) == -signal.SIGKILL, a.stderr.read()[-2000:]
        wait_until_settled(env)
        b.send_signal(signal.SIGTERM)
        out, err = b.communicate(timeout=30)
        assert b.returncode == 0, err[-2000:]
    finally:
        for process in (a, b):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    return snapshot(env), out


def test_a_worker_killed_after_handing_a_message_over_leaves_only_that_one_unknown(outbox_env):
    with smtp_server() as smtp:
        data, out = two_workers_one_killed(outbox_env, smtp, "outbox:after_hand_over=3")
        arrived = Counter(message_pk(mid) for mid in smtp.message_ids())
    statuses = Counter(status for status, _attempts in data["messages"].values())
    assert statuses == {"sent": COUNT - 1, "unknown": 1}
    [lost] = [pk for pk, (status, _n) in data["messages"].items() if status == "unknown"]
    # A handed it over and died before DATA: it never arrived; every other one arrived once
    assert arrived == {pk: 1 for pk in data["messages"] if pk != lost}
    assert data["alerts"] == [["unknown", lost]]
    by_worker = Counter((worker, result) for _pk, _n, worker, result in data["attempts"])
    assert by_worker[("A", "sent")] == 2  # the two before the fatal third
    assert by_worker[("B", "sent")] == COUNT - 3
    assert ("A", "unknown") in by_worker  # B's reclaim closed A's attempt as unknown
    assert f"{COUNT - 3}" in out  # B's one line of counts


def test_a_worker_killed_after_the_mail_server_took_a_message_never_duplicates_it(outbox_env):
    with smtp_server() as smtp:
        data, _out = two_workers_one_killed(outbox_env, smtp, "outbox:after_send=3")
        arrived = Counter(message_pk(mid) for mid in smtp.message_ids())
    statuses = Counter(status for status, _attempts in data["messages"].values())
    assert statuses == {"sent": COUNT - 1, "unknown": 1}
    [doubtful] = [pk for pk, (status, _n) in data["messages"].items() if status == "unknown"]
    # every message arrived exactly once — the doubtful one too, and it is not resent
    assert arrived == {pk: 1 for pk in data["messages"]}
    assert data["alerts"] == [["unknown", doubtful]]


def test_a_worker_killed_right_after_claiming_loses_nothing(outbox_env):
    with smtp_server() as smtp:
        env = {**outbox_env, **smtp_env(smtp)}
        # A's claim lasts long enough for B's first run to start within it on a busy machine.
        started = time.monotonic()
        killed = worker(
            {**env, "HUIKUAN_OUTBOX_LEASE_SECONDS": A_LEASE}, "A", failpoint="outbox:after_claim"
        )
        assert killed.wait(timeout=60) == -signal.SIGKILL
        assert pending(env) == COUNT  # all claimed by the dead worker, none sent
        assert smtp.messages == []
        early = huikuan(env, "send-outbox", "--worker-id", "B")
        assert early.returncode == 0
        if time.monotonic() - started < float(A_LEASE):
            assert len(smtp.messages) == 0  # A's lease still held when B looked
        time.sleep(max(0.0, started + float(A_LEASE) + 0.2 - time.monotonic()))
        ok(env, "send-outbox", "--worker-id", "B")
        arrived = Counter(message_pk(mid) for mid in smtp.message_ids())
    data = snapshot(env)
    assert arrived == {pk: 1 for pk in data["messages"]}
    assert {status for status, _n in data["messages"].values()} == {"sent"}
    assert {attempts for _status, attempts in data["messages"].values()} == {2}
    first_tries = {(worker, result) for _pk, n, worker, result in data["attempts"] if n == 1}
    assert first_tries == {("A", "retry")}
    assert data["alerts"] == []
