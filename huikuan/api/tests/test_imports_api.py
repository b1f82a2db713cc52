"""The import endpoints: upload a real Excel or CSV file, see the bad rows by their row numbers,
commit a clean preview all at once, keep saved mappings; finance and admins only."""

import json
from datetime import date
from decimal import Decimal

import pytest

from huikuan.customers.models import Customer
from huikuan.imports.models import ImportBatch, ImportMapping
from huikuan.imports.tests.files import csv_bytes, formula_xlsx, xls_bytes, xlsx_bytes
from huikuan.ledger.models import Receivable

from .conftest import fields

HEAD = ["客户编码", "客户名称", "单据编号", "业务日期", "到期日", "金额"]


def clean_rows() -> list[list]:
    return [
        HEAD,
        ["K001", "华东医药有限公司", "AR-1", date(2026, 1, 5), date(2026, 2, 4), 1200.5],
        ["K001", "华东医药有限公司", "AR-2", date(2026, 3, 1), date(2026, 3, 31), 800],
        ["K002", "西南卫生院", "AR-3", date(2026, 6, 1), date(2026, 7, 1), 3000],
    ]


def bad_rows() -> list[list]:
    """Rows 3 and 4 (as Excel numbers them) are wrong: no such date, an amount that is text."""
    rows = clean_rows()
    rows[2][4] = "2026-02-30"
    rows[3][5] = "三千元"
    return rows


def upload(api, kind="receivables", content=None, key=None, **form):
    data = {"file": ("应收单.xlsx", content if content is not None else xlsx_bytes(clean_rows()))}
    data.update({"as_of": "2026-11-23", **form})
    return api.upload(f"imports/{kind}", data, key=key)


def nothing_imported() -> bool:
    return not Receivable.objects.exists() and not Customer.objects.exists()


def test_a_preview_names_every_bad_row_and_writes_nothing(finance_api):
    response = upload(finance_api, content=xlsx_bytes(bad_rows()))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["can_commit"]) == ("previewed", False)
    assert (body["rows_total"], body["error_count"]) == (3, 2)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "到期日"), (4, "金额")]
    assert all(e["message"] for e in body["errors"])
    assert (body["file_name"], body["file_format"], body["header_row"]) == (
        "应收单.xlsx",
        "xlsx",
        1,
    )
    assert body["headers"] == HEAD and body["mapping"]["due_date"] == "到期日"
    assert body["created_by"] == "finance" and body["committed_by"] is None
    assert nothing_imported()

    detail = finance_api.get(f"imports/{body['id']}").json()
    assert detail["errors"] == body["errors"]
    history = finance_api.get("imports").json()
    assert history["count"] == 1 and history["items"][0]["id"] == body["id"]
    assert "errors" not in history["items"][0]


def test_a_batch_with_errors_cannot_be_committed(finance_api):
    batch = upload(finance_api, content=xlsx_bytes(bad_rows())).json()
    response = finance_api.post(f"imports/{batch['id']}/commit")
    assert response.status_code == 422
    assert fields(response) == ["batch"]
    assert nothing_imported()
    assert finance_api.get(f"imports/{batch['id']}").json()["status"] == "previewed"


def test_a_clean_preview_is_committed_whole_and_only_once(finance_api):
    batch = upload(finance_api).json()
    assert (batch["to_create"], batch["error_count"], batch["can_commit"]) == (3, 0, True)
    assert batch["summary"]["customers_created"] == 2
    assert nothing_imported()

    response = finance_api.post(f"imports/{batch['id']}/commit")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["committed_by"], body["can_commit"]) == (
        "committed",
        "finance",
        False,
    )
    assert body["committed_at"]
    assert Receivable.objects.get(number="AR-1").amount == Decimal("1200.50")
    assert Receivable.objects.count() == 3

    again = finance_api.post(f"imports/{batch['id']}/commit")
    assert again.status_code == 422 and fields(again) == ["batch"]
    assert Receivable.objects.count() == 3


def test_commit_true_imports_a_clean_file_in_one_request(finance_api):
    response = upload(finance_api, commit="true")
    assert response.status_code == 201
    assert response.json()["status"] == "committed"
    assert sorted(Receivable.objects.values_list("number", flat=True)) == ["AR-1", "AR-2", "AR-3"]


def test_commit_true_keeps_a_file_with_errors_as_a_preview_only(finance_api):
    response = upload(finance_api, content=xlsx_bytes(bad_rows()), commit="true")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["error_count"]) == ("previewed", 2)
    assert nothing_imported()


def test_a_gb18030_csv_from_an_old_erp_is_read(finance_api):
    rows = [[str(cell) for cell in row] for row in clean_rows()]
    body = upload(finance_api, content=csv_bytes(rows, "gb18030")).json()
    assert (body["file_format"], body["encoding"]) == ("csv", "gb18030")
    assert (body["to_create"], body["error_count"]) == (3, 0)


@pytest.mark.parametrize(
    "content",
    [b"", xls_bytes(), formula_xlsx()],
    ids=["empty", "old-xls", "formula"],
)
def test_a_refused_file_answers_422_on_file_and_stores_nothing(finance_api, content):
    response = upload(finance_api, content=content)
    assert response.status_code == 422
    assert fields(response) == ["file"]
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(finance_api, settings):
    settings.HUIKUAN_IMPORT_MAX_BYTES = 1024
    response = upload(finance_api, content=b"x" * 2048)
    assert response.status_code == 422 and fields(response) == ["file"]
    message = response.json()["detail"][0]["message"].replace("\xa0", " ")
    # The file's size and the limit, in whatever language the API answers.
    assert "2.0 KB" in message and "1.0 KB" in message
    assert not ImportBatch.objects.exists()


def test_the_request_is_checked(finance_api):
    unknown = upload(finance_api, kind="invoices")
    assert unknown.status_code == 404 and fields(unknown) == ["kind"]
    no_file = finance_api.upload("imports/receivables", {"as_of": "2026-11-23"})
    assert no_file.status_code == 422 and fields(no_file) == ["file"]
    bad_date = upload(finance_api, as_of="2026-02-30")
    assert bad_date.status_code == 422 and fields(bad_date) == ["as_of"]
    missing = finance_api.get("imports/999")
    assert missing.status_code == 404 and fields(missing) == ["id"]
    assert finance_api.post("imports/999/commit").status_code == 404
    assert not ImportBatch.objects.exists()


def test_reps_and_managers_may_not_import_or_look(finance_api, rep_api, manager_api):
    batch = upload(finance_api).json()
    for api in (rep_api, manager_api):
        # Imports are finance's: to others one is as absent as another team's customer.
        for response in (
            api.get(f"imports/{batch['id']}"),
            api.post(f"imports/{batch['id']}/commit"),
        ):
            assert response.status_code == 404, response.content
        for response in (
            upload(api),
            api.get("imports"),
            api.get("imports/mappings/receivables"),
            api.post("imports/mappings/receivables", {"name": "金蝶", "columns": {}}),
        ):
            assert response.status_code == 403, response.content
            assert fields(response) == ["__all__"]
    assert ImportBatch.objects.count() == 1
    assert not ImportMapping.objects.exists()
    assert nothing_imported()


# --- Mappings ------------------------------------------------------------------------------

ODD_HEAD = ["客户编码", "客户名称", "单据编号", "业务日期", "Betrag EUR"]


def odd_file() -> bytes:
    """An export whose amount column no one would recognise."""
    return xlsx_bytes([ODD_HEAD, ["K001", "华东医药有限公司", "AR-9", date(2026, 5, 1), 99]])


def test_a_column_can_be_mapped_in_the_request(finance_api):
    unmapped = upload(finance_api, content=odd_file()).json()
    assert unmapped["missing"] == ["amount"] and not unmapped["can_commit"]
    mapped = upload(
        finance_api, content=odd_file(), mapping=json.dumps({"amount": "Betrag EUR"})
    ).json()
    assert mapped["missing"] == [] and mapped["mapping"]["amount"] == "Betrag EUR"
    assert (mapped["error_count"], mapped["to_create"], mapped["can_commit"]) == (0, 1, True)


@pytest.mark.parametrize("mapping", ["{amount: Betrag}", '["amount"]', '{"amount": 4}'])
def test_a_mapping_that_is_not_a_json_object_of_texts_is_refused(finance_api, mapping):
    response = upload(finance_api, content=odd_file(), mapping=mapping)
    assert response.status_code == 422 and fields(response) == ["mapping"]
    assert not ImportBatch.objects.exists()


def test_a_saved_mapping_is_listed_and_used_by_name(finance_api):
    saved = finance_api.post(
        "imports/mappings/receivables",
        {"name": "德国总部", "columns": {"amount": "Betrag EUR"}},
    )
    assert saved.status_code == 200
    assert saved.json()["columns"] == {"amount": "Betrag EUR"}
    assert saved.json()["updated_by"] == "finance"

    listing = finance_api.get("imports/mappings/receivables").json()
    assert [m["name"] for m in listing["mappings"]] == ["德国总部"]
    amount = next(f for f in listing["fields"] if f["key"] == "amount")
    assert amount["required"] is True and amount["label"]

    batch = upload(finance_api, content=odd_file(), mapping_name="德国总部").json()
    assert (batch["missing"], batch["mapping_name"], batch["can_commit"]) == (
        [],
        "德国总部",
        True,
    )
    unknown = upload(finance_api, content=odd_file(), mapping_name="用友")
    assert unknown.status_code == 422 and fields(unknown) == ["mapping_name"]


def test_saving_a_mapping_again_replaces_it_and_unknown_formare_refused(finance_api):
    path = "imports/mappings/receivables"
    finance_api.post(path, {"name": "金蝶", "columns": {"amount": "价税合计"}})
    finance_api.post(path, {"name": "金蝶", "columns": {"amount": "本币金额"}})
    assert ImportMapping.objects.get().columns == {"amount": "本币金额"}
    response = finance_api.post(path, {"name": "金蝶", "columns": {"colour": "颜色"}})
    assert response.status_code == 422 and fields(response) == ["columns"]
    assert ImportMapping.objects.get().columns == {"amount": "本币金额"}


def test_history_filters_and_pages(finance_api):
    first = upload(finance_api).json()
    upload(finance_api, content=xlsx_bytes(bad_rows()))
    finance_api.post(f"imports/{first['id']}/commit")
    committed = finance_api.get("imports", status="committed").json()
    assert [b["id"] for b in committed["items"]] == [first["id"]]
    page = finance_api.get("imports", limit=1).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert finance_api.get("imports", kind="payments").json()["count"] == 0


# --- With an Idempotency-Key -------------------------------------------------------------


def test_a_resent_upload_is_the_same_preview_even_with_another_multipart_boundary(finance_api):
    content = xlsx_bytes(clean_rows())
    form = {"file": ("应收单.xlsx", content), "as_of": "2026-11-23"}
    first = finance_api.upload("imports/receivables", form, key="upload-1", boundary="aaa111")
    again = finance_api.upload("imports/receivables", form, key="upload-1", boundary="bbb222")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert ImportBatch.objects.count() == 1

    other = finance_api.upload(
        "imports/receivables",
        {**form, "file": ("应收单.xlsx", xlsx_bytes(bad_rows()))},
        key="upload-1",
    )
    assert other.status_code == 422 and fields(other) == ["Idempotency-Key"]
    assert ImportBatch.objects.count() == 1


def test_a_resent_commit_answers_the_commit_instead_of_already_committed(finance_api):
    batch = upload(finance_api).json()
    first = finance_api.post(f"imports/{batch['id']}/commit", key="commit-1")
    again = finance_api.post(f"imports/{batch['id']}/commit", key="commit-1")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Receivable.objects.count() == 3
