"""The credit-check benchmark: how long does ``POST /api/v1/credit-check`` take with a million
receivables in the database?

It reuses the aging benchmark's scratch data (``bench.seed_bench``: the same sizes and seed give
the same rows, and the same refusal of a database holding other ledger data), and prepares it
once for the check (marked by an audit line ``bench.credit``, so a rerun only measures):

* every benchmark customer gets a credit limit between 80 % and 160 % of what it owes today
  (spread by its id, so some orders fit, some fit in part and some do not) and a first-deal date
  (its first invoice: most are past the new-customer ramp, some are still on it);
* the ratings are computed once (``ratings_recompute``), as the daily run would.

Then it sends ``checks`` requests through Django's test client — the whole request: middleware,
bearer-token authentication, body validation, the customer lookup, the check with its row lock
and queries, the stored decision and the JSON answer — for random benchmark customers and
amounts, each with its own order reference, as a finance user (the usual integration user). The
first few requests warm the caches and are not counted. On the aging benchmark's data every
customer has items long overdue, so most answers are ``block``: the path that evaluates every rule
and also looks for an exception, the slowest one. Each check stores a decision, so reruns
add decisions (their reservations expire after the policy's reservation days).
"""

import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.utils import translation

from huikuan.api.services import api_token_create
from huikuan.audit.models import AuditEntry
from huikuan.customers.models import Customer
from huikuan.org.models import Role, User
from huikuan.risk.rating import ratings_recompute

from .bench import CODE_PREFIX

MARK = "bench.credit"
TARGET_P99_MS = 20
USERNAME = "bench-credit"
PATH = "/api/v1/credit-check"
# Credit limits run from LOW_PCT to LOW_PCT + SPREAD_PCT − 1 % of what a customer owes.
LOW_PCT, SPREAD_PCT = 80, 81
# Amounts asked: 1,000.00 to 500,000.00 yuan, in fen.
AMOUNT_FEN = (100_000, 50_000_000)
# Requests sent before the timed ones, to load the code paths, translations and caches.
WARMUP = 50


def prepared(*, key: str) -> bool:
    return AuditEntry.objects.filter(action=MARK, object_id=key).exists()


@transaction.atomic
def prepare(*, key: str, as_of: date) -> int:
    """Give the benchmark customers a credit limit, a first-deal date and a computed rating,
    once per data set (``key``); returns how many customers were prepared."""
    with connection.cursor() as cursor:
        # Integer fen arithmetic in one statement, the same on SQLite and PostgreSQL.
        cursor.execute(
            f"""
            UPDATE customers_customer SET
                credit_limit = CAST(COALESCE((
                    SELECT SUM(r.outstanding) FROM ledger_receivable r
                    WHERE r.customer_id = customers_customer.id
                ), 0) * ({LOW_PCT} + (customers_customer.id * 7919) %% {SPREAD_PCT}) / 100
                AS BIGINT),
                first_deal_on = (
                    SELECT MIN(r.issue_date) FROM ledger_receivable r
                    WHERE r.customer_id = customers_customer.id
                )
            WHERE customers_customer.code LIKE %s
            """,
            [f"{CODE_PREFIX}%"],
        )
        count = cursor.rowcount
    ratings_recompute(as_of=as_of)
    AuditEntry.objects.create(
        action=MARK,
        object_type="demo.bench",
        object_id=key,
        object_repr=f"bench credit-check {key}",
        after={"customers": count, "as_of": as_of.isoformat()},
        note="Credit limits, first-deal dates and ratings set by huikuan bench credit-check",
    )
    return count


def bench_user() -> User:
    """The finance user the requests are sent as (made once, without a usable password)."""
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User(username=USERNAME, role=Role.FINANCE)
        user.set_unusable_password()
        user.full_clean()
        user.save()
    return user


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of values sorted ascending (``share`` 0.99 for p99)."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class CheckTimings:
    millis: list[float] = field(default_factory=list)  # counted requests, in order
    cpu_millis: list[float] = field(default_factory=list)  # this process's CPU time of each
    decisions: Counter = field(default_factory=Counter)
    warmup: int = 0

    @property
    def count(self) -> int:
        return len(self.millis)

    def stats(self) -> dict[str, float]:
        values = sorted(self.millis)
        return {
            "p50": percentile(values, 0.50),
            "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99),
            "max": values[-1],
            "mean": sum(values) / len(values),
            "cpu_p50": percentile(sorted(self.cpu_millis), 0.50),
        }


class BenchFailed(RuntimeError):
    """A credit check answered something other than 200."""


def time_checks(*, checks: int, seed: int, warmup: int | None = None) -> CheckTimings:
    """Send ``warmup`` (default: ``checks``, at most ``WARMUP``) and then ``checks`` credit
    checks through the test client with a fresh bearer token of the benchmark user, for random
    benchmark customers and amounts; time the ``checks``, each from sending the request to
    having the whole answer."""
    warmup = min(WARMUP, checks) if warmup is None else warmup
    codes = list(
        Customer.objects.filter(code__startswith=CODE_PREFIX)
        .order_by("pk")
        .values_list("code", flat=True)
    )
    token = api_token_create(user=bench_user(), name="bench credit-check")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    rng = random.Random(seed)
    run = int(time.time())
    timings = CheckTimings(warmup=warmup)
    # The test client speaks as host "testserver"; a real client would use an allowed host.
    # Each request switches the thread's language; the caller's comes back afterwards.
    with (
        override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]),
        translation.override(translation.get_language()),
    ):
        for index in range(warmup + checks):
            fen = rng.randint(*AMOUNT_FEN)
            body = json.dumps(
                {
                    "customer": rng.choice(codes),
                    "amount": f"{fen // 100}.{fen % 100:02d}",
                    "order_ref": f"BSO-{run}-{index}",
                }
            )
            started, cpu = time.perf_counter(), time.process_time()
            response = client.post(PATH, body, content_type="application/json")
            answer = response.json()
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
            if response.status_code != 200:
                raise BenchFailed(f"{response.status_code} {answer}")
            if index >= warmup:
                timings.millis.append(elapsed)
                timings.cpu_millis.append(cpu)
                timings.decisions[answer["decision"]] += 1
    return timings


def limits_set() -> int:
    """Benchmark customers with a credit limit above zero."""
    return Customer.objects.filter(code__startswith=CODE_PREFIX, credit_limit__gt=0).count()
