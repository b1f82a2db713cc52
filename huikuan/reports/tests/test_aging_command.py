import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from huikuan.core.dates import business_today

from .test_aging import world  # noqa: F401  (the hand-computed ledger)


def run(*args) -> str:
    out = io.StringIO()
    call_command("aging", *args, stdout=out)
    return out.getvalue()


def test_json_output_has_the_hand_computed_figures(world):  # noqa: F811
    payload = json.loads(run("--as-of", "2026-04-30", "--by", "customer", "--format", "json"))
    rows = {row["key"]: row for row in payload["rows"]}
    assert payload["as_of"] == "2026-04-30"
    assert rows["A"]["d61_90"] == "600.00" and rows["A"]["d1_30"] == "500.00"
    assert rows["A"]["total"] == "1100.00" and rows["A"]["unapplied_credit"] == "50.00"
    assert rows["B"]["not_due"] == "150.00"


def test_csv_output_parses_and_buckets_add_up(world):  # noqa: F811
    reader = csv.DictReader(
        io.StringIO(run("--as-of", "2026-05-31", "--by", "portfolio", "--format", "csv"))
    )
    (row,) = list(reader)
    buckets = ["not_due", "d1_30", "d31_60", "d61_90", "d91_180", "d181_365", "over_365"]
    assert sum(Decimal(row[b]) for b in buckets) == Decimal(row["total"]) == Decimal("950.00")


def test_table_output_ends_with_totals(world):  # noqa: F811
    lines = run("--as-of", "2026-05-31", "--by", "region").splitlines()
    assert lines[0] == "as of 2026-05-31"
    assert lines[-1].split()[0] == "TOTAL" and lines[-1].split()[-2:] == ["950.00", "50.00"]


@pytest.mark.django_db
def test_bad_date_is_a_clear_error():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--as-of", "30/04/2026")


@pytest.mark.django_db
def test_default_as_of_is_today_in_shanghai():
    assert json.loads(run("--format", "json"))["as_of"] == business_today().isoformat()
