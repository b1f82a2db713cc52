"""Finance imports a sheet of receivables on a phone: the first file has three bad rows, which the
preview names by row and column; the corrected file is committed and its receivables show in
the receivables list.

Debian's chromium through Playwright, skipped where it is missing."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from huikuan.imports.tests.files import xlsx_bytes
from huikuan.ledger.models import Receivable

from .helpers import PHONE, sign_in

pytestmark = pytest.mark.browser

HEADER = ["单据编号", "客户编码", "业务日期", "到期日", "金额"]


def receivable_rows(team) -> list[list]:
    """Five receivables of the sales team's customers, issued over the last two months."""
    today = team.today
    rows = [HEADER]
    for n, code in enumerate(["KN-001", "HS-002", "KN-001", "OH-003", "HS-002"], start=1):
        issued = today - timedelta(days=60 - n)
        rows.append([f"IMP-{n:04d}", code, issued, issued + timedelta(days=30), 1000 * n + 0.5])
    return rows


def fits_the_screen(page) -> None:
    width, screen = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= screen, f"{page.url} is {width} px wide on a {screen} px screen"


def upload(page, path) -> None:
    page.get_by_label(re.compile(r"^What the file holds")).select_option(label="Receivables")
    page.get_by_label(re.compile(r"^File\*?$")).set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))


def test_finance_corrects_three_bad_rows_and_imports_the_receivables(open_page, sales, tmp_path):
    rows = receivable_rows(sales)
    bad = [list(row) for row in rows]
    bad[2][3] = "2026-02-30"  # sheet row 3: no such due date
    bad[3][1] = "XX-999"  # sheet row 4: no such customer
    bad[5][4] = "一千元"  # sheet row 6: not an amount
    (tmp_path / "应收-有错.xlsx").write_bytes(xlsx_bytes(bad))
    (tmp_path / "应收.xlsx").write_bytes(xlsx_bytes(rows))

    page = open_page(viewport=PHONE)
    sign_in(page, sales.finance)
    page.goto(reverse("imports:new"))
    fits_the_screen(page)
    upload(page, tmp_path / "应收-有错.xlsx")

    errors = page.locator("table.import-errors tbody tr")
    expect(errors).to_have_count(3)
    expect(errors.nth(0)).to_contain_text(re.compile(r"Row 3\s*到期日"))
    expect(errors.nth(1)).to_contain_text(re.compile(r"Row 4\s*客户编码"))
    expect(errors.nth(1)).to_contain_text("XX-999")
    expect(errors.nth(2)).to_contain_text(re.compile(r"Row 6\s*金额"))
    expect(page.get_by_role("button", name="Commit this import")).to_be_disabled()
    fits_the_screen(page)
    assert not Receivable.objects.filter(number__startswith="IMP-").exists()

    page.get_by_role("link", name="Upload another file").click()
    upload(page, tmp_path / "应收.xlsx")
    expect(page.locator("table.import-errors")).to_have_count(0)
    created = page.locator(".kpi", has=page.locator(".kpi-label", has_text="To create"))
    expect(created.locator(".kpi-value")).to_have_text("5")
    fits_the_screen(page)
    page.get_by_role("button", name="Commit this import").click()
    expect(page.get_by_role("status")).to_contain_text("The import is committed: 5 new")
    expect(page.locator("#import-committed")).to_contain_text(str(sales.finance))
    fits_the_screen(page)

    page.goto(reverse("ledger:receivables"))
    row = page.locator("table.receivables tr", has_text="IMP-0004")
    expect(row).to_contain_text(sales.ouhai.name)
    expect(row).to_contain_text("¥4,000.50")

    page.goto(reverse("imports:list"))
    expect(page.locator("table.imports tbody tr")).to_have_count(2)
    fits_the_screen(page)
