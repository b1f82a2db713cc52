"""The import pages: the history, uploading a file, its preview with the rows that are wrong and
the columns chosen by hand, and committing it.

Today is 2026-06-15. The world: customer 客户甲 (code A) exists; the files hold receivables of A
in the columns 单据编号, 客户编码, 业务日期, 到期日, 金额 (as a Kingdee export names them).
"""

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from huikuan.imports.models import ImportBatch, ImportKind, ImportMapping, ImportStatus
from huikuan.ledger.models import Receivable
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role
from huikuan.web.tests.pages import without_tokens

from .files import csv_bytes, formula_xlsx, xls_bytes, xlsx_bytes

TODAY = date(2026, 6, 15)
HEADER = ["单据编号", "客户编码", "业务日期", "到期日", "金额"]
LIST = reverse("imports:list")
NEW = reverse("imports:new")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("huikuan.imports.views.business_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def in_english(client):
    client.cookies["django_language"] = "en"  # pages are Chinese unless one asks


@pytest.fixture
def people(db):
    return {
        "rep": f.user(Role.REP, username="rep"),
        "manager": f.user(Role.MANAGER, username="manager"),
        "finance": f.user(Role.FINANCE, username="finance"),
        "admin": f.user(Role.ADMIN, username="admin"),
    }


@pytest.fixture
def customer(db):
    return f.customer("A", name="客户甲")


def good_rows(count: int = 2) -> list[list]:
    return [
        HEADER,
        *(
            [f"INV-{n:03d}", "A", date(2026, 5, n), date(2026, 6, n), 1000 + n]
            for n in range(1, count + 1)
        ),
    ]


def upload(client, user, content: bytes, name: str = "应收.xlsx", **fields):
    """Upload a file as ``user`` through the form; the response is not followed."""
    client.force_login(user)
    uploaded = _named_file(content, name)
    data = {"kind": ImportKind.RECEIVABLES, "file": uploaded, **fields}
    return client.post(NEW, data)


def _named_file(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def page_of_as(client, user, url, **params) -> str:
    client.force_login(user)
    return page_of(client, url, **params)


def page_of(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return without_tokens(response.content.decode())


def batch_url(batch) -> str:
    return reverse("imports:batch", args=[batch.pk])


def kpi(html: str, label: str) -> str:
    """The value of the key-figure card called ``label``."""
    match = re.search(
        rf'<div class="kpi-label">{re.escape(label)}</div>\s*<div class="kpi-value">([^<]*)<',
        html,
    )
    assert match, f"no key figure {label!r}"
    return match.group(1).strip()


def error_rows(html: str) -> list[tuple[str, str, str]]:
    """The table of bad rows as (row, column, problem) texts."""
    if 'class="data import-errors"' not in html:
        return []
    body = html.split('class="data import-errors"', 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        rows.append(tuple(cells))
    return rows


# --- Who may use the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_use_every_import_page(client, people, customer, role):
    user = people[role]
    assert 'type="file"' in page_of_as(client, user, NEW)
    upload(client, user, xlsx_bytes(good_rows()))
    batch = ImportBatch.objects.get()
    assert batch.created_by == user
    assert "应收.xlsx" in page_of(client, LIST)
    assert kpi(page_of(client, batch_url(batch)), "To create") == "2"
    response = client.post(reverse("imports:commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert batch.committed_by == user


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_reps_and_managers_get_403_and_change_nothing(client, people, customer, role):
    response = upload(client, people["finance"], xlsx_bytes(good_rows()))
    batch = ImportBatch.objects.get()
    client.force_login(people[role])
    for url in (LIST, NEW, batch_url(batch)):
        assert client.get(url).status_code == 403, url
    posts = {
        NEW: {
            "kind": ImportKind.RECEIVABLES,
            "file": _named_file(xlsx_bytes(good_rows()), "x.xlsx"),
        },
        reverse("imports:recheck", args=[batch.pk]): {"col-number": "单据编号", "save_as": "X"},
        reverse("imports:commit", args=[batch.pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert response.status_code == 302
    assert ImportBatch.objects.count() == 1
    assert ImportBatch.objects.get().status == ImportStatus.PREVIEWED
    assert not ImportMapping.objects.exists()
    assert not Receivable.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response.url


def test_an_import_that_does_not_exist_answers_404(client, people):
    client.force_login(people["finance"])
    assert client.get(reverse("imports:batch", args=[999])).status_code == 404
    assert client.post(reverse("imports:commit", args=[999])).status_code == 404


# --- Upload, preview, commit --------------------------------------------------------------------


def test_upload_preview_then_commit_writes_the_receivables(client, people, customer):
    finance = people["finance"]
    response = upload(client, finance, xlsx_bytes(good_rows(3), sheet="应收单"))
    batch = ImportBatch.objects.get()
    assert response.url == batch_url(batch)

    html = page_of(client, batch_url(batch))
    assert kpi(html, "To create") == "3"
    assert kpi(html, "Rows with errors") == "0"
    facts = html.split('id="file-facts"', 1)[1].split("</dl>", 1)[0]
    assert "XLSX" in facts and "应收单" in facts and "Row 1" in facts
    # The recognised columns are chosen in the mapping form.
    assert re.search(r'name="col-due_date"[^>]*>.*?<option value="到期日" selected>', html, re.S)
    assert f'action="{reverse("imports:commit", args=[batch.pk])}"' in html
    assert not Receivable.objects.exists()  # a preview writes nothing

    response = client.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    html = without_tokens(response.content.decode())
    assert "The import is committed: 3 new, 0 changed." in html
    assert kpi(html, "Created") == "3"
    assert "Committed by" in html
    assert sorted(Receivable.objects.values_list("number", flat=True)) == [
        "INV-001",
        "INV-002",
        "INV-003",
    ]
    assert Receivable.objects.get(number="INV-002").amount == 1002
    # The commit button is gone; committing again is refused with a message, not a crash.
    assert f'action="{reverse("imports:commit", args=[batch.pk])}"' not in html
    response = client.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    assert "committed already" in response.content.decode()
    assert Receivable.objects.count() == 3

    history = page_of(client, LIST)
    assert "应收.xlsx" in history and "Committed" in history


def test_a_csv_in_gb18030_shows_its_encoding(client, people, customer):
    rows = [[str(cell) for cell in row] for row in good_rows()]
    upload(client, people["finance"], csv_bytes(rows, "gb18030"), name="金蝶.csv")
    html = page_of(client, batch_url(ImportBatch.objects.get()))
    facts = html.split('id="file-facts"', 1)[1].split("</dl>", 1)[0]
    assert "CSV" in facts and "GB18030" in facts
    assert kpi(html, "To create") == "2"


def file_errors(html: str) -> str:
    """The error texts shown under the upload form's file field."""
    after = html.split('name="file"', 1)[1]
    match = re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', after, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (xls_bytes(), "旧格式.xls", ".xlsx"),
        (formula_xlsx("D5"), "有公式.xlsx", "D5"),
        (b"", "empty.csv", "empty"),
    ],
    ids=["old xls", "formula", "empty"],
)
def test_a_refused_file_is_named_on_the_form_and_nothing_is_stored(
    client, people, customer, content, name, reason
):
    response = upload(client, people["finance"], content, name=name)
    assert response.status_code == 200
    assert reason in file_errors(response.content.decode())
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, people, settings):
    settings.HUIKUAN_IMPORT_MAX_BYTES = 1000
    response = upload(client, people["finance"], b"a,b\n" * 400, name="big.csv")
    assert response.status_code == 200
    assert "at most 1000" in response.content.decode().replace("\xa0", " ")
    assert not ImportBatch.objects.exists()


def test_a_file_with_errors_lists_them_and_cannot_be_committed(client, people, customer):
    rows = good_rows(4)
    rows[2][3] = "2026-02-30"  # sheet row 3: no such date
    rows[4][4] = "一千"  # sheet row 5: not an amount
    content = xlsx_bytes(rows)
    upload(client, people["finance"], content)
    batch = ImportBatch.objects.get()
    html = page_of(client, batch_url(batch))

    bad = error_rows(html)
    assert [(row, column) for row, column, _ in bad] == [("Row 3", "到期日"), ("Row 5", "金额")]
    assert kpi(html, "Rows with errors") == "2"
    assert f'action="{reverse("imports:commit", args=[batch.pk])}"' not in html
    assert "Correct them in the file" in html

    # Posting the commit anyway is refused with the service's reason; nothing is written.
    response = client.post(reverse("imports:commit", args=[batch.pk]), follow=True)
    assert "2 rows have errors" in response.content.decode()
    assert not Receivable.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED


def test_more_than_200_bad_rows_are_paged(client, people, customer):
    rows = [HEADER] + [[f"INV-{n}", "A", "not a date", "", 10] for n in range(250)]
    upload(client, people["finance"], xlsx_bytes(rows))
    url = batch_url(ImportBatch.objects.get())
    first = error_rows(page_of(client, url))
    second = error_rows(page_of(client, url, page=2))
    assert len(first) == 200 and first[0][0] == "Row 2"
    assert len(second) == 50 and second[-1][0] == "Row 251"
    assert "Page 2 of 2" in page_of(client, url, page=2)


# --- Choosing the columns by hand ---------------------------------------------------------------


def test_recheck_with_a_mapping_previews_again_and_saves_it(client, people, customer):
    rows = good_rows()
    rows[0] = ["Beleg", "客户编码", "业务日期", "到期日", "金额"]  # a header nobody recognises
    upload(client, people["finance"], xlsx_bytes(rows))
    first = ImportBatch.objects.get()
    html = page_of(client, batch_url(first))
    assert "These required fields have no column: Document number." in html
    assert f'action="{reverse("imports:commit", args=[first.pk])}"' not in html

    chosen = {f"col-{key}": header for key, header in first.mapping.items()}
    chosen.update({"col-number": "Beleg", "save_as": "德方 ERP"})
    response = client.post(reverse("imports:recheck", args=[first.pk]), chosen, follow=True)
    second = ImportBatch.objects.exclude(pk=first.pk).get()
    assert response.redirect_chain[-1][0] == batch_url(second)
    html = without_tokens(response.content.decode())
    assert "The mapping is saved as “德方 ERP”." in html
    assert second.mapping["number"] == "Beleg" and not second.missing
    assert kpi(html, "To create") == "2"
    assert ImportMapping.objects.get(name="德方 ERP").columns["number"] == "Beleg"
    first.refresh_from_db()
    assert first.missing == ["number"]  # the first preview stays as it was

    # The next file from the same system is read with the saved mapping.
    upload(client, people["finance"], xlsx_bytes(rows), mapping_name="德方 ERP")
    third = ImportBatch.objects.latest("pk")
    assert third.mapping_name == "德方 ERP" and third.mapping["number"] == "Beleg"


def test_a_field_set_to_not_in_this_file_is_left_out(client, people, customer):
    upload(client, people["finance"], xlsx_bytes(good_rows()))
    first = ImportBatch.objects.get()
    chosen = {f"col-{key}": header for key, header in first.mapping.items()}
    chosen["col-due_date"] = ""
    client.post(reverse("imports:recheck", args=[first.pk]), chosen)
    second = ImportBatch.objects.latest("pk")
    assert "due_date" not in second.mapping
    assert "number" in second.mapping


def test_the_upload_form_offers_saved_mappings_and_names_an_unknown_one(client, people):
    ImportMapping.objects.create(kind=ImportKind.PAYMENTS, name="用友收款", columns={})
    client.force_login(people["finance"])
    html = page_of(client, NEW)
    assert re.search(r'<optgroup label="Payments">\s*<option value="用友收款">', html)
    # That mapping is for payments: uploading receivables with it is refused on that field.
    response = upload(client, people["finance"], xlsx_bytes(good_rows()), mapping_name="用友收款")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no saved mapping 用友收款 for this kind of import." in html
    assert not ImportBatch.objects.exists()


def test_the_history_exports_to_excel(client, people, customer):
    upload(client, people["finance"], xlsx_bytes(good_rows(3)), name="金蝶应收.xlsx")
    response = client.get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    header = rows[1]
    line = dict(zip(header, rows[2], strict=True))
    assert line["File"] == "金蝶应收.xlsx"
    assert line["Kind"] == "Receivables"
    assert line["New"] == 3
    assert line["Uploaded by"] == str(people["finance"])
    assert len(rows) == 3  # title, header, one import


def test_the_preview_says_how_many_customers_the_file_creates(client, people, customer):
    rows = [[*HEADER, "客户名称"], *[[*row, "客户甲"] for row in good_rows()[1:]]]
    rows.append(["INV-100", "NEW-1", date(2026, 5, 1), date(2026, 6, 1), 500, "新客户乙"])
    upload(client, people["finance"], xlsx_bytes(rows))
    html = page_of(client, batch_url(ImportBatch.objects.get()))
    assert kpi(html, "To create") == "3"
    assert "New customers: 1" in html
