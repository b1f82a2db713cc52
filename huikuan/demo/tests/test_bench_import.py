"""`huikuan bench import`: the file it writes goes in whole, and the second import changes
nothing — in both formats."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from huikuan.customers.models import Customer
from huikuan.ledger.models import Receivable
from huikuan.ledger.services import ledger_recompute


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_bench_import_creates_every_row_once_and_reports_it(db, file_format):
    out = StringIO()
    with translation.override("en"):
        call_command(
            "bench",
            "import",
            "--rows",
            "400",
            "--customers",
            "20",
            "--format",
            file_format,
            stdout=out,
        )
    text = out.getvalue()
    assert Receivable.objects.count() == 400
    assert Customer.objects.filter(code__startswith="IMPB").count() == 20
    assert "400 new, 0 changed, 0 unchanged, 0 with errors" in text
    assert "0 new, 0 changed, 400 unchanged" in text
    assert "peak memory" in text
    assert ledger_recompute() == []
