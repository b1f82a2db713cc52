"""The import benchmark: write an .xlsx (or CSV) of N receivables the way an ERP exports them,
import it through the same service as the page and the command line, then import it again —
which must change nothing — and report the time of each and the process's peak memory.

Each run imports new document numbers (a random prefix), so it can run again on the same
database; the customers (``IMPB…``) are created by the first run's file and reused after.
Use a scratch database: ledger rows are append-only and can never be deleted.
"""

import random
import resource
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

from huikuan.imports.models import ImportKind
from huikuan.imports.services import import_run

HEADERS = ["客户编码", "客户名称", "单据编号", "业务日期", "到期日", "金额", "已核销金额", "摘要"]
TARGET_SECONDS = 8.0
TARGET_MB = 500


@dataclass
class ImportTiming:
    seconds: float
    steps: dict[str, float]
    batch: object


def peak_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 1024)


def rows(*, count: int, customers: int, as_of: date, seed: int):
    """The file's data rows: spread over ``customers``, issued in the two years before
    ``as_of``, due 30–90 days later, a third partly settled."""
    rng = random.Random(seed)
    prefix = secrets.token_hex(3).upper()
    for index in range(count):
        customer = rng.randrange(customers)
        issued = as_of - timedelta(days=rng.randrange(730))
        fen = rng.randrange(10_000, 5_000_000)
        settled = rng.randrange(0, fen) if rng.random() < 0.33 else 0
        yield [
            f"IMPB{customer:05d}",
            f"基准客户{customer:05d}有限公司",
            f"B{prefix}-{index:07d}",
            issued,
            issued + timedelta(days=rng.choice((30, 45, 60, 90))),
            fen / 100 if fen % 100 else fen // 100,
            settled / 100 if settled % 100 else settled // 100,
            "基准导入",
        ]


def write_xlsx(path: Path, data) -> None:
    """Constant-memory xlsxwriter, dates as real Excel dates, amounts as numbers."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("应收单")
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADERS)
    for line, row in enumerate(data, start=1):
        sheet.write_string(line, 0, row[0])
        sheet.write_string(line, 1, row[1])
        sheet.write_string(line, 2, row[2])
        sheet.write_datetime(line, 3, row[3], day)
        sheet.write_datetime(line, 4, row[4], day)
        sheet.write_number(line, 5, row[5])
        sheet.write_number(line, 6, row[6])
        sheet.write_string(line, 7, row[7])
    workbook.close()


def write_csv(path: Path, data, encoding: str = "gb18030") -> None:
    import csv

    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in data:
            writer.writerow([v.isoformat() if isinstance(v, date) else v for v in row])


def timed_import(*, path: Path, actor, as_of: date) -> ImportTiming:
    steps: dict[str, float] = {}
    started = time.perf_counter()
    last = [started]

    def progress(step: str) -> None:
        now = time.perf_counter()
        steps[step] = now - last[0]
        last[0] = now

    content = path.read_bytes()
    batch = import_run(
        kind=ImportKind.RECEIVABLES,
        file_name=path.name,
        content=content,
        actor=actor,
        as_of=as_of,
        progress=progress,
    )
    return ImportTiming(seconds=time.perf_counter() - started, steps=steps, batch=batch)
