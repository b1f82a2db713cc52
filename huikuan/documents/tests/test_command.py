"""`huikuan render-document`: renders a PDF file, issues with --issue, fails cleanly."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from huikuan.documents.models import Document
from huikuan.dunning.tests.factories import make_customer, make_receivable

from .helpers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = make_customer(code="CMD01", name="嘉兴北方纺织有限公司")
    make_receivable(customer, "4321.00", issue_date=date(2026, 9, 1))
    return customer


def test_rendering_writes_the_pdf_and_stores_nothing(customer, tmp_path, capsys):
    output = tmp_path / "notice.pdf"
    call_command(
        "render-document",
        "overdue-notice",
        "--customer",
        "CMD01",
        "--as-of",
        "2026-11-22",
        "--output",
        str(output),
    )
    text = pdf_text(output.read_bytes())
    assert "嘉兴北方纺织有限公司" in text and "¥4,321.00" in text
    assert not Document.objects.exists()
    assert str(output) in capsys.readouterr().out


def test_issue_stores_the_document_and_prints_its_number(customer, tmp_path, capsys):
    output = tmp_path / "statement.pdf"
    call_command(
        "render_document",
        "statement",
        "--customer=CMD01",
        "--as-of=2026-11-22",
        "--from=2026-09-01",
        "--language=en",
        f"--output={output}",
        "--issue",
    )
    document = Document.objects.get()
    assert capsys.readouterr().out.strip() == document.number == "DZ-20261122-000001"
    assert output.read_bytes() == bytes(document.pdf)
    assert document.date_from == date(2026, 9, 1) and document.language == "en"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--customer=NOPE", "--as-of=2026-11-22"], "NOPE"),
        (["--customer=CMD01", "--as-of=2026-13-01"], "--as-of"),
        (["--customer=CMD01", "--as-of=2026-09-15"], "nothing overdue"),
    ],
)
def test_errors_are_clear_and_write_no_file(customer, tmp_path, arguments, message):
    output = tmp_path / "x.pdf"
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command(
            "render-document", "lawyer-letter", *arguments, f"--output={output}", "--issue"
        )
    assert list(tmp_path.iterdir()) == []
    assert not Document.objects.exists()
