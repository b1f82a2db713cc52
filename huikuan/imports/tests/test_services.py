"""Import services end to end on real files: preview writes nothing, commit writes all, the same
file twice changes nothing, a corrected file updates by number, bad rows are named."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from huikuan.audit.models import AuditEntry
from huikuan.contracts.models import Contract, Delivery
from huikuan.customers.models import Contact, Customer
from huikuan.imports.models import ImportBatch, ImportMapping, ImportStatus
from huikuan.imports.services import import_commit, import_preview, import_run, mapping_save
from huikuan.ledger.models import Allocation, Payment, Receivable, ReceivableKind
from huikuan.ledger.services import ledger_recompute
from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

from . import files
from .files import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 23)
HEAD = ["客户编码", "客户名称", "单据编号", "业务日期", "到期日", "金额", "已核销金额", "业务员"]


@pytest.fixture
def finance():
    return f.user(Role.FINANCE)


@pytest.fixture
def rep():
    return f.user(Role.REP, username="zhang3", first_name="三", last_name="张")


def _rows():
    return [
        HEAD,
        [
            "K001",
            "华东医药有限公司",
            "AR-1",
            date(2026, 1, 5),
            date(2026, 2, 4),
            1200.5,
            200,
            "张三",
        ],
        ["K001", "华东医药有限公司", "AR-2", date(2026, 3, 1), date(2026, 3, 31), 800, 0, "张三"],
        ["K002", "西南卫生院", "AR-3", date(2026, 6, 1), date(2026, 7, 1), 3000, 3000, ""],
    ]


def _state():
    return (
        Receivable.objects.count(),
        Payment.objects.count(),
        Allocation.objects.count(),
        Customer.objects.count(),
        AuditEntry.objects.exclude(action="import.commit").count(),
    )


def test_preview_writes_nothing_but_the_batch_and_names_what_it_would_do(finance, rep):
    before = _state()
    batch = import_preview(
        kind="receivables",
        file_name="应收单.xlsx",
        content=xlsx_bytes(_rows()),
        actor=finance,
        as_of=AS_OF,
    )
    assert _state() == before
    assert batch.status == ImportStatus.PREVIEWED
    assert (batch.rows_total, batch.to_create, batch.error_count) == (3, 3, 0)
    assert batch.summary["customers_created"] == 2
    assert batch.mapping["settled"] == "已核销金额"
    assert batch.can_commit


def test_commit_posts_receivables_with_settled_money_as_allocations(finance, rep):
    batch = import_preview(
        kind="receivables",
        file_name="a.xlsx",
        content=xlsx_bytes(_rows()),
        actor=finance,
        as_of=AS_OF,
    )
    import_commit(batch=batch, actor=finance)
    first = Receivable.objects.get(number="AR-1")
    assert first.amount == Decimal("1200.50")
    assert first.outstanding == Decimal("1000.50")
    assert first.customer.name == "华东医药有限公司"
    assert first.customer.owner == rep
    assert Receivable.objects.get(number="AR-3").outstanding == Decimal("0.00")
    # Settled history is dated with the document, not as money collected today.
    assert sorted(Allocation.objects.values_list("applied_on", flat=True)) == [
        date(2026, 1, 5),
        date(2026, 6, 1),
    ]
    assert ledger_recompute() == []
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    assert batch.committed_by == finance
    # The audit trail lists every posted document, one line per customer and import.
    journal = AuditEntry.objects.filter(action="receivable.import", actor=finance)
    listed = {doc[1]: doc for line in journal for doc in line.after["documents"]}
    assert sorted(listed) == ["AR-1", "AR-2", "AR-3"]
    assert listed["AR-1"][2:4] == ["1200.50", "1000.50"]
    assert AuditEntry.objects.filter(action="import.commit", actor=finance).count() == 1


def test_the_same_file_again_changes_nothing(finance, rep):
    content = xlsx_bytes(_rows())
    import_run(kind="receivables", file_name="a.xlsx", content=content, actor=finance, as_of=AS_OF)
    before = _state()
    again = import_run(
        kind="receivables", file_name="a.xlsx", content=content, actor=finance, as_of=AS_OF
    )
    assert _state() == before
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 3)


def test_a_corrected_file_updates_by_number_and_settles_more(finance, rep):
    import_run(
        kind="receivables",
        file_name="a.xlsx",
        content=xlsx_bytes(_rows()),
        actor=finance,
        as_of=AS_OF,
    )
    rows = _rows()
    rows[2][4] = date(2026, 4, 15)  # AR-2 due later
    rows[1][6] = 700  # AR-1: 500 more settled since
    batch = import_run(
        kind="receivables",
        file_name="b.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 2, 1)
    assert Receivable.objects.get(number="AR-2").due_date == date(2026, 4, 15)
    assert Receivable.objects.get(number="AR-1").outstanding == Decimal("500.50")
    assert ledger_recompute() == []
    assert AuditEntry.objects.filter(action="receivable.update").count() == 1


def test_a_changed_amount_of_a_posted_document_is_refused_and_names_the_row(finance, rep):
    import_run(
        kind="receivables",
        file_name="a.xlsx",
        content=xlsx_bytes(_rows()),
        actor=finance,
        as_of=AS_OF,
    )
    rows = _rows()
    rows[3][5] = 3100
    before = _state()
    batch = import_preview(
        kind="receivables",
        file_name="b.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert batch.errors == [{"row": 4, "column": "金额", "message": batch.errors[0]["message"]}]
    assert "3,000.00" in batch.errors[0]["message"]
    with pytest.raises(ValidationError):
        import_commit(batch=batch, actor=finance)
    assert _state() == before


def test_bad_rows_are_each_named_with_row_and_column_and_nothing_is_written(finance, rep):
    rows = _rows()
    rows[1][3] = "2026-13-40"  # row 2: no such date
    rows[2][5] = "十二"  # row 3: not an amount
    rows[3][0] = ""  # row 4: no customer
    before = _state()
    batch = import_preview(
        kind="receivables",
        file_name="bad.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    named = [(e["row"], e["column"]) for e in batch.errors]
    assert named == [(2, "业务日期"), (3, "金额"), (4, "客户编码")]
    assert batch.error_count == 3 and not batch.can_commit
    with pytest.raises(ValidationError):
        import_commit(batch=batch, actor=finance)
    assert _state() == before


def test_title_lines_above_the_header_and_a_totals_row_are_understood(finance, rep):
    rows = [["应收单列表"], [], *_rows(), ["合计", "", "", "", "", 5000.5, 3200, ""]]
    batch = import_preview(
        kind="receivables",
        file_name="k3.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert batch.header_row == 3
    assert (batch.rows_total, batch.error_count) == (3, 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_with_wan_yuan_and_formatted_amounts(finance, rep, encoding):
    rows = [
        ["客户编码", "客户名称", "发票号", "开票日期", "到期日", "金额(万元)"],
        ["K9", "北京康复中心", "FP-1", "2026年3月5日", "2026/4/4", "1.25"],
        ["K9", "北京康复中心", "FP-2", "2026.05.01", "20260601", "￥0.5"],
        ["K9", "北京康复中心", "FP-3", "2026-05-01", "2026-06-01", "(0.1)"],
    ]
    batch = import_preview(
        kind="receivables",
        file_name="fp.csv",
        content=csv_bytes(rows, encoding),
        actor=finance,
        as_of=AS_OF,
    )
    assert batch.file_format == "csv"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "金额(万元)")]
    rows.pop()
    import_run(
        kind="receivables",
        file_name="fp.csv",
        content=csv_bytes(rows, encoding),
        actor=finance,
        as_of=AS_OF,
    )
    assert Receivable.objects.get(number="FP-1").amount == Decimal("12500.00")
    assert Receivable.objects.get(number="FP-2").due_date == date(2026, 6, 1)
    assert Receivable.objects.get(number="FP-1").issue_date == date(2026, 3, 5)


def test_a_saved_mapping_reads_a_file_with_unusual_headers(finance, rep):
    rows = [
        ["Kunde", "Beleg", "Datum", "Faellig", "Betrag"],
        ["K1", "X-1", date(2026, 2, 1), date(2026, 3, 1), 99],
    ]
    f.customer(code="K1")
    first = import_preview(
        kind="receivables",
        file_name="de.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert set(first.missing) >= {"customer", "number", "amount"}
    with pytest.raises(ValidationError):
        import_commit(batch=first, actor=finance)
    mapping_save(
        kind="receivables",
        name="Germany",
        columns={
            "customer": "Kunde",
            "number": "Beleg",
            "issue_date": "Datum",
            "due_date": "Faellig",
            "amount": "Betrag",
        },
        actor=finance,
    )
    batch = import_run(
        kind="receivables",
        file_name="de.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
        mapping_name="Germany",
    )
    assert batch.status == ImportStatus.COMMITTED
    assert Receivable.objects.get(number="X-1").amount == Decimal("99.00")
    assert ImportMapping.objects.get(name="Germany").columns["amount"] == "Betrag"


def test_commit_refuses_when_the_ledger_moved_since_the_preview(finance, rep):
    batch = import_preview(
        kind="receivables",
        file_name="a.xlsx",
        content=xlsx_bytes(_rows()),
        actor=finance,
        as_of=AS_OF,
    )
    other = f.customer(code="K777")
    f.receivable(other, number="AR-2")
    before = _state()
    with pytest.raises(ValidationError) as error:
        import_commit(batch=batch, actor=finance)
    assert "batch" in error.value.message_dict
    assert _state() == before
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


def test_only_finance_and_admins_import(rep):
    with pytest.raises(PermissionDenied):
        import_preview(
            kind="receivables",
            file_name="a.xlsx",
            content=xlsx_bytes(_rows()),
            actor=rep,
            as_of=AS_OF,
        )
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    "hostile",
    [
        files.zip_bomb,
        files.billion_laughs_xlsx,
        files.macro_xlsx,
        files.formula_xlsx,
        files.xls_bytes,
        lambda: files.huge_xlsx(rows=250_000),
    ],
    ids=["zip bomb", "billion laughs", "macros", "formula", ".xls", "too many rows"],
)
def test_a_hostile_file_is_refused_by_import_and_the_command_and_writes_nothing(
    finance, hostile, tmp_path
):
    content = hostile()
    before = _state()
    for run in (import_preview, import_run):
        with pytest.raises(ValidationError) as error:
            run(
                kind="receivables",
                file_name="x.xlsx",
                content=content,
                actor=finance,
                as_of=AS_OF,
            )
        assert list(error.value.message_dict) == ["file"]
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="file: "):
        call_command("import", "receivables", str(path), "--user", finance.username)
    assert _state() == before
    assert ImportBatch.objects.count() == 0


def test_a_refused_file_stores_nothing(finance):
    with pytest.raises(ValidationError) as error:
        import_preview(
            kind="receivables",
            file_name="a.xlsx",
            content=b"PK\x03\x04broken",
            actor=finance,
            as_of=AS_OF,
        )
    assert "file" in error.value.message_dict
    assert ImportBatch.objects.count() == 0


def test_payments_settle_the_named_receivables_and_reimport_changes_nothing(finance):
    customer = f.customer(code="P1")
    f.receivable(customer, number="INV-A", amount="500.00")
    f.receivable(customer, number="INV-B", amount="300.00")
    rows = [
        ["收款单号", "客户编码", "收款日期", "收款金额", "结算方式", "核销单据", "核销金额"],
        ["SK-1", "P1", date(2026, 3, 1), 700, "承兑汇票", "INV-A", 500],
        ["SK-1", "P1", date(2026, 3, 1), 700, "承兑汇票", "INV-B", 200],
        ["SK-2", "P1", date(2026, 3, 2), 50, "现金", "", ""],
    ]
    batch = import_run(
        kind="payments",
        file_name="sk.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert batch.status == ImportStatus.COMMITTED, batch.errors
    payment = Payment.objects.get(number="SK-1")
    assert payment.method == "acceptance_bill"
    assert payment.allocated == Decimal("700.00")
    assert Receivable.objects.get(number="INV-B").outstanding == Decimal("50.00")  # 100 - 50 auto
    assert ledger_recompute() == []
    before = _state()
    again = import_run(
        kind="payments",
        file_name="sk.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert _state() == before
    assert again.unchanged == 2


def test_a_payment_settling_more_than_is_outstanding_is_a_row_error(finance):
    customer = f.customer(code="P2")
    f.receivable(customer, number="INV-C", amount="100.00")
    rows = [
        ["收款单号", "客户编码", "收款日期", "收款金额", "核销单据", "核销金额"],
        ["SK-9", "P2", date(2026, 3, 1), 500, "INV-C", 150],
    ]
    batch = import_preview(
        kind="payments",
        file_name="sk.xlsx",
        content=xlsx_bytes(rows),
        actor=finance,
        as_of=AS_OF,
    )
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "核销金额")]
    assert "100.00" in batch.errors[0]["message"]


def test_customers_are_created_then_updated_by_a_corrected_file(finance, rep):
    f.region("EAST")
    rows = [
        ["客户编码", "客户名称", "区域", "业务员", "账期", "信用额度", "政府客户"],
        ["C-1", "甲医院", "EAST", "zhang3", 60, "50,000.00", "是"],
        ["C-2", "乙药房", "", "", 30, "", "否"],
    ]
    import_run(
        kind="customers", file_name="c.xlsx", content=xlsx_bytes(rows), actor=finance, as_of=AS_OF
    )
    first = Customer.objects.get(code="C-1")
    assert (first.owner, first.payment_terms_days, first.is_government) == (rep, 60, True)
    assert first.credit_limit == Decimal("50000.00")
    rows[1][5] = "80,000.00"
    batch = import_run(
        kind="customers", file_name="c.xlsx", content=xlsx_bytes(rows), actor=finance, as_of=AS_OF
    )
    assert (batch.to_update, batch.unchanged) == (1, 1)
    assert Customer.objects.get(code="C-1").credit_limit == Decimal("80000.00")
    assert AuditEntry.objects.filter(action="customer.update").exists()


def test_an_unknown_rep_is_named(finance):
    rows = [["客户编码", "客户名称", "业务员"], ["C-3", "丙公司", "nobody"]]
    batch = import_preview(
        kind="customers", file_name="c.xlsx", content=xlsx_bytes(rows), actor=finance, as_of=AS_OF
    )
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "业务员")]


def test_contacts_contracts_deliveries_and_opening_balances(finance):
    f.customer(code="D1", payment_terms_days=45)
    contacts = [["客户编码", "联系人", "角色", "手机"], ["D1", "李会计", "财务", "13800000000"]]
    import_run(
        kind="contacts",
        file_name="ct.csv",
        content=csv_bytes(contacts, "gbk"),
        actor=finance,
        as_of=AS_OF,
    )
    assert Contact.objects.get(name="李会计").role == "finance"
    contracts = [
        ["合同编号", "客户编码", "签订日期", "合同金额", "账期", "盖章"],
        ["HT-1", "D1", date(2026, 1, 1), 10000, 60, "合同专用章"],
    ]
    import_run(
        kind="contracts",
        file_name="ht.xlsx",
        content=xlsx_bytes(contracts),
        actor=finance,
        as_of=AS_OF,
    )
    assert Contract.objects.get(number="HT-1").seal_kind == "contract_seal"
    deliveries = [
        ["送货单号", "客户编码", "送货日期", "金额", "合同编号"],
        ["SH-1", "D1", date(2026, 2, 1), 2500, "HT-1"],
    ]
    import_run(
        kind="deliveries",
        file_name="sh.xlsx",
        content=xlsx_bytes(deliveries),
        actor=finance,
        as_of=AS_OF,
    )
    delivery = Delivery.objects.get(number="SH-1")
    assert delivery.receivable.due_date == date(2026, 4, 2)  # 60 days under the contract
    opening = [["客户编码", "期初余额", "期初日期"], ["D1", "12,345.67", "2025-12-31"]]
    batch = import_run(
        kind="opening_balances",
        file_name="qc.xlsx",
        content=xlsx_bytes(opening),
        actor=finance,
        as_of=AS_OF,
    )
    assert batch.status == ImportStatus.COMMITTED
    balance = Receivable.objects.get(number="OB-D1-20251231")
    assert (balance.kind, balance.amount) == (ReceivableKind.OPENING, Decimal("12345.67"))
    for kind, rows, name in (
        ("contacts", contacts, "ct.xlsx"),
        ("contracts", contracts, "ht.xlsx"),
        ("deliveries", deliveries, "sh.xlsx"),
        ("opening_balances", opening, "qc.xlsx"),
    ):
        again = import_run(
            kind=kind, file_name=name, content=xlsx_bytes(rows), actor=finance, as_of=AS_OF
        )
        assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 1), kind
    assert ledger_recompute() == []
