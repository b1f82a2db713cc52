"""The demo's imports, so the import page has a history to show: a Kingdee-style sheet of this
month's invoices for three new customers, committed by finance under a saved mapping; and a
payments file in GBK from the bank's export with two wrong rows, previewed and left for someone
to fix. Both go through the import services, like an upload."""

import csv
import io
from collections import Counter
from datetime import date, timedelta

import xlsxwriter

from huikuan.imports.services import import_preview, import_run, mapping_save

from .world import CustomerPlan, Staff

KINGDEE_HEADERS = [
    "往来单位编码",
    "往来单位",
    "单据号",
    "单据日期",
    "收款期限",
    "价税合计",
    "业务员",
]
NEW_CUSTOMERS = (
    ("KD9001", "佛山市禅城区康宁药房连锁有限公司"),
    ("KD9002", "肇庆市第二人民医院"),
    ("KD9003", "清远市阳光大药房有限公司"),
)


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook as an ERP writes one: dates as Excel dates, amounts as numbers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("应收单")
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for line, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(line, column, value, day)
            else:
                sheet.write(line, column, value)
    workbook.close()
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def seed_imports(*, plans: list[CustomerPlan], as_of: date, staff: Staff) -> Counter:
    written: Counter = Counter()
    mapping_save(
        kind="receivables",
        name="金蝶K3 应收单",
        columns={
            "customer": "往来单位编码",
            "customer_name": "往来单位",
            "number": "单据号",
            "issue_date": "单据日期",
            "due_date": "收款期限",
            "amount": "价税合计",
            "owner": "业务员",
        },
        actor=staff.finance,
    )
    rows = [["应收单序时簿"], [f"期间：{as_of:%Y年%m月}"], KINGDEE_HEADERS]
    start = as_of.replace(day=1)
    for index, (code, name) in enumerate(NEW_CUSTOMERS):
        rep = staff.reps[index % len(staff.reps)]
        for n in range(3):
            issued = min(as_of, start + timedelta(days=5 * n + index))
            rows.append(
                [
                    code,
                    name,
                    f"AR{issued:%Y%m}-{index + 1}{n + 1:02d}",
                    issued,
                    issued + timedelta(days=60),
                    12_800 + 3_450 * n + 1_000 * index + 0.5,
                    rep.username,
                ]
            )
    rows.append(["合计"])
    batch = import_run(
        kind="receivables",
        file_name=f"金蝶应收单{as_of:%Y%m}.xlsx",
        content=xlsx_bytes(rows),
        actor=staff.finance,
        mapping_name="金蝶K3 应收单",
        as_of=as_of,
    )
    written["imports_committed"] += 1
    written["imported_receivables"] += batch.to_create
    # The bank's export of last week's receipts: one unknown customer code, one amount typed
    # as text; the preview names both rows, nothing is written until the file is fixed.
    known = sorted(plans, key=lambda plan: plan.code)[:3]
    payments = [["收款单号", "客户编码", "收款日期", "收款金额", "结算方式", "银行流水号"]]
    for index, plan in enumerate(known):
        payments.append(
            [
                f"SK{as_of:%Y%m%d}-{index + 1:02d}",
                plan.code,
                (as_of - timedelta(days=index + 1)).isoformat(),
                f"{5_000 + 1_250 * index:,}.00",
                "电汇",
                f"9558{as_of:%m%d}{index:04d}",
            ]
        )
    payments.append(
        [f"SK{as_of:%Y%m%d}-04", "KH999999", as_of.isoformat(), "3,000.00", "电汇", "95580004"]
    )
    payments.append(
        [f"SK{as_of:%Y%m%d}-05", known[0].code, as_of.isoformat(), "三千元", "现金", ""]
    )
    import_preview(
        kind="payments",
        file_name=f"银行收款{as_of:%m%d}.csv",
        content=csv_bytes(payments, "gbk"),
        actor=staff.finance,
        as_of=as_of,
    )
    written["imports_previewed"] += 1
    return written
