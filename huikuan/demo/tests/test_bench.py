"""The aging benchmark: its data is what it claims, the floor query and the report agree to the
fen, and it never mixes its rows into a database that holds other ledger data."""

import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import translation

from huikuan.core.dates import business_today
from huikuan.customers.models import Customer
from huikuan.demo.bench import BenchRefused, floor_query, reusable_bench, seed_bench
from huikuan.demo.tests.test_seed_demo import replay
from huikuan.dunning.models import ApprovalRequest, Case, DailyRun, Task
from huikuan.dunning.run import RunResult
from huikuan.ledger.models import Allocation, Payment, Receivable
from huikuan.ledger.services import ledger_recompute
from huikuan.ledger.tests import factories as f
from huikuan.reports.selectors import aging

AS_OF = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def bench(db):
    seed_bench(receivables=300, customers=30, seed=1, as_of=AS_OF)


def test_bench_data_is_all_open_and_consistent(bench):
    assert Customer.objects.filter(code__startswith="BENCH").count() == 30
    assert Receivable.objects.count() == 300
    assert not Receivable.objects.filter(outstanding=0).exists()
    assert Receivable.objects.filter(outstanding__lt=F("amount")).exists()  # part paid
    assert Payment.objects.filter(allocated__lt=F("amount")).exists()  # some credit left
    assert ledger_recompute() == []


def test_a_year_back_has_allocations_to_add_back(bench):
    year_back = AS_OF - timedelta(days=365)
    assert Allocation.objects.filter(applied_on__gt=year_back).exists()
    assert Allocation.objects.filter(applied_on__lte=year_back).exists()
    (row,) = aging(as_of=year_back, by="portfolio")
    assert (row.total, row.unapplied_credit) == replay(year_back)


def test_floor_query_and_aging_agree_customer_by_customer(bench):
    floor = {row[0]: [int(value) for value in row[1:]] for row in floor_query(as_of=AS_OF)}
    report = {
        row.group_id: [int(value * 100) for value in row.buckets.values()]
        for row in aging(as_of=AS_OF, by="customer")
        if row.total
    }
    assert len(floor) == 30
    assert report == floor


def test_same_sizes_are_reused_and_other_sizes_refused(bench):
    assert reusable_bench(receivables=300, customers=30, seed=1) == AS_OF
    with pytest.raises(BenchRefused, match="300 receivables"):
        reusable_bench(receivables=400, customers=30, seed=1)
    with pytest.raises(BenchRefused, match="300 receivables"):
        reusable_bench(receivables=300, customers=30, seed=2)


def test_a_database_with_other_ledger_data_is_refused(db):
    assert reusable_bench(receivables=10, customers=2, seed=1) is None
    f.receivable()
    with pytest.raises(BenchRefused, match="already holds ledger data"):
        reusable_bench(receivables=10, customers=2, seed=1)
    assert reusable_bench(receivables=10, customers=2, seed=1, allow_existing=True) is None


def test_command_seeds_once_then_reuses_and_prints_the_table(db):
    args = ["bench", "aging", "--receivables=200", "--customers=20", "--repeat=1"]
    first = StringIO()
    call_command(*args, stdout=first)
    text = first.getvalue()
    assert "WARNING" in text and "can never be deleted" in text
    assert "floor" in text and "ratio aging / floor, today" in text
    assert "Check: the report and the floor add up" in text
    assert Receivable.objects.count() == 200
    again = StringIO()
    call_command(*args, stdout=again)
    assert "Reusing" in again.getvalue()
    assert Receivable.objects.count() == 200
    with pytest.raises(CommandError, match="200 receivables"):
        call_command("bench", "aging", "--receivables=300", stdout=StringIO())


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--receivables=0"], "--receivables"), (["--receivables=5", "--customers=9"], "--customers")],
)
def test_bad_sizes_are_refused_by_name(db, args, field):
    with pytest.raises(CommandError, match=field):
        call_command("bench", "aging", *args, stdout=StringIO())
    assert not Receivable.objects.exists()


def _printed_runs(text: str) -> list[tuple[str, dict[str, int]]]:
    """Each run's date and its printed counts."""
    runs = []
    for block in re.split(r"\nRun for ", text)[1:]:
        day = block[:10]
        counts = dict(
            (name, int(value))
            for name, value in re.findall(r"^ {4}([a-z_]+) +(\d+)$", block, re.M)
            if name in RunResult.__dataclass_fields__
        )
        runs.append((day, counts))
    return runs


def test_daily_bench_prints_the_counts_the_runs_wrote(db):
    args = ["bench", "daily", "--receivables=2000", "--customers=200"]
    out = StringIO()
    call_command(*args, stdout=out)
    text = out.getvalue()
    runs = _printed_runs(text)
    assert [day for day, _counts in runs] == [business_today().isoformat(), runs[1][0]]
    first, second = (counts for _day, counts in runs)
    stored = {run.as_of.isoformat(): run.counts for run in DailyRun.objects.all()}
    assert stored == {day: counts for day, counts in runs}
    assert first["cases_opened"] == 200 == Case.objects.count()
    assert first["levels_advanced"] > 0
    assert first["tasks_created"] + second["tasks_created"] == Task.objects.count()
    assert first["approvals_raised"] + second["approvals_raised"] == ApprovalRequest.objects.count()
    assert "every open receivable gets its level" in text
    assert "2000 open receivables, 200 customers" in text
    assert re.search(r"Rerun of \S+: already done: yes, [\d.]+ s, changed nothing: yes", text)


def test_daily_bench_goes_forward_to_dates_not_run_yet(db):
    args = ["bench", "daily", "--receivables=300", "--customers=30"]
    call_command(*args, stdout=StringIO())
    again = StringIO()
    call_command(*args, stdout=again)
    assert "Reusing" in again.getvalue()
    days = sorted(DailyRun.objects.values_list("as_of", flat=True))
    assert len(days) == 4 and len(set(days)) == 4
    later = [day for day, _counts in _printed_runs(again.getvalue())]
    assert later == [days[2].isoformat(), days[3].isoformat()]
    assert "first run on this database" not in again.getvalue()
