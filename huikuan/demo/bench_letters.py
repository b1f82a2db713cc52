"""The letters benchmark: how long does issuing a letter as a PDF take, and how many emails a
second does the outbox send, over the aging benchmark's data?

It reuses the aging benchmark's scratch data (``bench.seed_bench``: the same sizes and seed give
the same rows, and the same refusal of a database holding other ledger data). Then:

* **Letters.** For the customers with the most overdue open items, ``document_issue`` of each
  kind (statement, confirmation, overdue notice, lawyer's letter) is timed one letter at a time:
  the figures, the template, WeasyPrint and storing the PDF. One render before them (not
  stored) loads the fonts and is not counted. The issued documents stay, like any issued letter.
* **Outbox.** Emails are queued with ``message_enqueue`` (each in its own transaction, as a
  person composing them would), a share of them with one of the letters just issued attached,
  and sent with ``send_due`` by several workers at once (processes, as ``huikuan send-outbox``
  runs in production, or threads) to an SMTP server the benchmark runs itself on a free port of
  127.0.0.1 (aiosmtpd). The server counts the Message-ID of every message it accepts, so the
  benchmark can check that each one arrived exactly once. Without aiosmtpd (a test extra) the
  email channel's drop mode writes each message as a file instead, and the check counts the
  files and the delivery log. The messages stay in the outbox (keys ``bench:letters:…``), and
  each attached letter counts as sent by email (a demand restarts the limitation period).
"""

import ctypes.util
import multiprocessing
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from email.parser import BytesHeaderParser
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.models import Count
from django.test.utils import override_settings

from huikuan.customers.models import Customer
from huikuan.documents.models import Document, DocumentKind
from huikuan.documents.render import html_to_pdf, render_html
from huikuan.documents.services import document_issue
from huikuan.ledger.models import Receivable
from huikuan.notifications.channels.email import message_id
from huikuan.notifications.models import (
    AttemptResult,
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    Purpose,
)
from huikuan.notifications.outbox import message_enqueue
from huikuan.notifications.worker import BatchResult, send_due
from huikuan.org.models import Role, User

from .bench import CODE_PREFIX
from .bench_credit import percentile

KEY_PREFIX = "bench:letters:"
USERNAME = "bench-letters"
HOST = "127.0.0.1"
KINDS = [
    DocumentKind.STATEMENT,
    DocumentKind.CONFIRMATION,
    DocumentKind.OVERDUE_NOTICE,
    DocumentKind.LAWYER_LETTER,
]


# --- The PDF tool chain --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subsetter:
    present: bool
    library: str  # the shared library's name, "" when not found


def harfbuzz_subsetter() -> Subsetter:
    """Whether WeasyPrint subsets fonts with HarfBuzz (``libharfbuzz-subset``). Without it,
    WeasyPrint falls back to fontTools and a letter with a Chinese font takes about twenty
    times as long."""
    library = ctypes.util.find_library("harfbuzz-subset") or ""
    try:
        from weasyprint.text import ffi
    except ImportError:
        return Subsetter(bool(library), library)
    loaded = getattr(ffi, "harfbuzz_subset", None) is not None
    # The condition WeasyPrint itself checks before using the subsetter.
    recent = loaded and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))
    return Subsetter(recent, library)


def weasyprint_version() -> str:
    try:
        import weasyprint
    except ImportError:
        return "?"
    return weasyprint.__version__


def page_count(pdf: bytes) -> int | None:
    """Pages of a PDF, read with pypdf (a test extra); None without it."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(BytesIO(pdf)).pages)


# --- Letters -------------------------------------------------------------------------------------


def bench_user() -> User:
    """The administrator the letters are issued by — every kind, the lawyer's letter too (made
    once, without a usable password)."""
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User(username=USERNAME, role=Role.ADMIN)
        user.set_unusable_password()
        user.full_clean()
        user.save()
    elif user.role != Role.ADMIN:
        user.role = Role.ADMIN
        user.save(update_fields=["role"])
    return user


def letter_customers(*, count: int, as_of: date) -> list[tuple[Customer, int]]:
    """The ``count`` benchmark customers with the most open items overdue on ``as_of`` (the
    longest letters; each can receive every kind of letter), with that number, most first."""
    rows = (
        Receivable.objects.filter(
            customer__code__startswith=CODE_PREFIX, outstanding__gt=0, due_date__lt=as_of
        )
        .values("customer_id")
        .annotate(items=Count("id"))
        .order_by("-items", "customer_id")[:count]
    )
    items = {row["customer_id"]: row["items"] for row in rows}
    customers = Customer.objects.in_bulk(list(items))
    return [(customers[pk], items[pk]) for pk in items]


@dataclass
class KindTimings:
    kind: str
    millis: list[float] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # bytes

    def stats(self) -> dict[str, float]:
        """Milliseconds (p50, p95, max) and PDF sizes in KB (kb_p50, kb_max)."""
        values = sorted(self.millis)
        sizes = sorted(size / 1024 for size in self.sizes)
        return {
            "p50": percentile(values, 0.50),
            "p95": percentile(values, 0.95),
            "max": values[-1],
            "kb_p50": percentile(sizes, 0.50),
            "kb_max": sizes[-1],
        }

    def pages_label(self) -> str:
        """The pages of these letters: "2", or "1-3" when they differ, "?" without pypdf."""
        if not self.pages:
            return "?"
        low, high = min(self.pages), max(self.pages)
        return str(low) if low == high else f"{low}-{high}"


def warm_up(*, customer: Customer, as_of: date) -> float:
    """One statement rendered to PDF and thrown away, so the first timed letter does not pay
    for loading the fonts and the templates. Returns its milliseconds."""
    started = time.perf_counter()
    html_to_pdf(render_html(kind=DocumentKind.STATEMENT, customer=customer, as_of=as_of).html)
    return (time.perf_counter() - started) * 1000


def time_letters(
    *, customers: list[Customer], as_of: date, per_kind: int, actor
) -> tuple[list[KindTimings], list[Document]]:
    """Issue ``per_kind`` letters of each kind (to the customers in turn), timing each
    ``document_issue`` call from the call to the stored document."""
    timings, documents = [], []
    for kind in KINDS:
        timing = KindTimings(kind=kind)
        for index in range(per_kind):
            customer = customers[index % len(customers)]
            started = time.perf_counter()
            document = document_issue(kind=kind, customer=customer, as_of=as_of, actor=actor)
            timing.millis.append((time.perf_counter() - started) * 1000)
            pdf = bytes(document.pdf)
            pages = page_count(pdf)
            if pages is not None:
                timing.pages.append(pages)
            timing.sizes.append(len(pdf))
            documents.append(document)
        timings.append(timing)
    return timings, documents


# --- The outbox ----------------------------------------------------------------------------------


def pending_elsewhere() -> int:
    """Messages waiting to be sent that are not the benchmark's: the benchmark's workers would
    send them to its own SMTP server, where they would be lost."""
    waiting = (MessageStatus.QUEUED, MessageStatus.SENDING)
    return Message.objects.filter(status__in=waiting).exclude(key__startswith=KEY_PREFIX).count()


@dataclass
class Enqueued:
    count: int
    attached: int
    seconds: float


def _attached(index: int, share_pct: int) -> bool:
    # Spreads exactly count * share_pct // 100 attachments evenly over the messages.
    return ((index + 1) * share_pct) // 100 > (index * share_pct) // 100


def enqueue_messages(
    *,
    count: int,
    customers: list[Customer],
    documents: list[Document],
    share_pct: int,
    run: str,
    now: datetime,
    actor,
) -> Enqueued:
    """Queue ``count`` emails to the customers in turn, ``share_pct`` % of them with one of
    ``documents`` attached (in turn), each in its own transaction; timed."""
    attached = 0
    started = time.perf_counter()
    for index in range(count):
        customer = customers[index % len(customers)]
        document = None
        if documents and _attached(index, share_pct):
            document = documents[attached % len(documents)]
            customer = document.customer
            attached += 1
        message_enqueue(
            key=f"{KEY_PREFIX}{run}:{index}",
            channel=Channel.EMAIL,
            purpose=Purpose.DOCUMENT if document else Purpose.DUNNING,
            now=now,
            recipient=f"finance.{customer.code.lower()}@example.com",
            subject=f"【货款提醒】{customer.name} 第 {index + 1} 号",
            body_text=(
                f"{customer.name} 财务部：\n\n"
                "您好！贵司有货款已超过约定付款期限，请核对后尽快安排付款；"
                "如已付款，请忽略本邮件，并将付款凭证回复给我们。\n\n"
                "此致\n敬礼"
            ),
            body_html=(
                f"<p>{customer.name} 财务部：</p><p>您好！贵司有货款已超过约定付款期限，"
                "请核对后尽快安排付款；如已付款，请忽略本邮件。</p><p>此致 敬礼</p>"
            ),
            customer=customer,
            document=document,
            actor=actor,
        )
    return Enqueued(count=count, attached=attached, seconds=time.perf_counter() - started)


class _CountingHandler:
    """aiosmtpd handler that accepts everything and counts each message's Message-ID."""

    def __init__(self, server: "CountingSmtp"):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        found = str(BytesHeaderParser().parsebytes(head).get("Message-ID", "")).strip()
        with self.server.lock:
            self.server.received[found] += 1
            self.server.bytes += len(raw)
        return "250 2.0.0 Accepted"


@dataclass
class CountingSmtp:
    host: str
    port: int
    received: Counter = field(default_factory=Counter)
    bytes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def aiosmtpd_available() -> bool:
    try:
        import aiosmtpd.controller  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def counting_smtp() -> Iterator[CountingSmtp]:
    """An SMTP server on a free port of 127.0.0.1, in a thread of this process, for the
    duration of the block; it accepts every message and counts Message-IDs."""
    from aiosmtpd.controller import Controller

    state = CountingSmtp(host=HOST, port=_free_port())
    controller = Controller(_CountingHandler(state), hostname=HOST, port=state.port)
    controller.start()
    try:
        yield state
    finally:
        controller.stop()


def smtp_settings(state: CountingSmtp | None):
    """Settings pointing the email channel at ``state``, or at the drop mode when None."""
    if state is None:
        return override_settings(HUIKUAN_EMAIL_HOST="")
    return override_settings(
        HUIKUAN_EMAIL_HOST=state.host,
        HUIKUAN_EMAIL_PORT=state.port,
        HUIKUAN_EMAIL_SECURITY="none",
        HUIKUAN_EMAIL_USER="",
        HUIKUAN_EMAIL_PASSWORD="",
        HUIKUAN_EMAIL_TIMEOUT=20,
    )


def drain(*, worker_id: str, batch: int) -> BatchResult:
    """What ``huikuan send-outbox`` does: passes of ``send_due`` until one finds nothing."""
    result = BatchResult()
    while True:
        step = send_due(worker_id=worker_id, limit=batch)
        result.add(step)
        if step.total == 0:
            return result


def _work(worker_id: str, batch: int, answers) -> None:
    try:
        answers.put((worker_id, asdict(drain(worker_id=worker_id, batch=batch)), ""))
    except Exception as exc:  # reported by the parent; a worker must not die silently
        answers.put((worker_id, None, repr(exc)))
    finally:
        connections.close_all()


@dataclass
class Sent:
    seconds: float
    total: BatchResult
    per_worker: dict[str, int]  # messages sent by each worker
    errors: list[str]


def send_with_workers(*, workers: int, batch: int, processes: bool, run: str) -> Sent:
    """Run ``workers`` workers at once until the outbox is empty; timed from starting them to
    the last one finishing. Processes are forked from this one (with its settings); this
    process's database connections are closed first so that none is shared."""
    names = [f"bench-{run.rpartition('-')[2]}-w{n + 1}" for n in range(workers)]
    if processes:
        context = multiprocessing.get_context("fork")
        answers = context.Queue()
        connections.close_all()
        runners = [context.Process(target=_work, args=(name, batch, answers)) for name in names]
    else:
        answers = queue.Queue()
        runners = [threading.Thread(target=_work, args=(name, batch, answers)) for name in names]
    started = time.perf_counter()
    for runner in runners:
        runner.start()
    replies = []
    while len(replies) < len(runners):
        finished = not any(runner.is_alive() for runner in runners)
        try:
            replies.append(answers.get(timeout=1))
        except queue.Empty:
            if finished:  # a worker killed from outside (OOM, SIGKILL) never answers
                break
    for runner in runners:
        runner.join()
    seconds = time.perf_counter() - started
    total, per_worker, errors = BatchResult(), {}, []
    answered = {reply[0] for reply in replies}
    errors.extend(f"{name}: died without answering" for name in names if name not in answered)
    for name, result, error in sorted(replies, key=lambda reply: reply[0]):
        if error:
            errors.append(f"{name}: {error}")
            continue
        total.add(BatchResult(**result))
        per_worker[name] = result["sent"]
    return Sent(seconds=seconds, total=total, per_worker=per_worker, errors=errors)


@dataclass
class Arrival:
    """How the benchmark's messages arrived: counts of those that never did, that did more
    than once, and of their messages not marked sent in the outbox."""

    expected: int
    missing: int
    twice: int
    not_sent: int
    other: int  # messages that arrived and are not this run's (left over from an earlier run)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.twice or self.not_sent)


def run_messages(run: str):
    """The messages queued by the benchmark run ``run``."""
    return Message.objects.filter(key__startswith=f"{KEY_PREFIX}{run}:")


def _not_sent(run: str) -> int:
    return run_messages(run).exclude(status=MessageStatus.SENT).count()


def check_smtp_arrivals(*, run: str, server: CountingSmtp) -> Arrival:
    """Each message of the run arrived at ``server`` exactly once and is marked sent."""
    expected = {message_id(message) for message in run_messages(run).only("pk")}
    with server.lock:
        received = Counter(server.received)
    return Arrival(
        expected=len(expected),
        missing=sum(1 for mid in expected if received[mid] == 0),
        twice=sum(1 for mid in expected if received[mid] > 1),
        not_sent=_not_sent(run),
        other=sum(count for mid, count in received.items() if mid not in expected),
    )


def drop_folder() -> Path:
    return Path(settings.VAR_DIR) / "mail-drop"


def check_drop_arrivals(*, run: str, since: float) -> Arrival:
    """Drop mode: each message of the run has its file, written after ``since`` (a time.time()
    value), with its Message-ID, and exactly one attempt that sent it (a second write of the
    same file cannot be seen in the folder)."""
    expected = {m.pk: message_id(m) for m in run_messages(run).only("pk")}
    missing = 0
    for pk, mid in expected.items():
        path = drop_folder() / f"message-{pk}.eml"
        fresh = path.exists() and path.stat().st_mtime >= since
        head = path.read_bytes().split(b"\r\n\r\n", 1)[0] if fresh else b""
        found = str(BytesHeaderParser().parsebytes(head + b"\r\n\r\n").get("Message-ID", ""))
        missing += found.strip() != mid
    sends = Counter(
        DeliveryAttempt.objects.filter(
            message__key__startswith=f"{KEY_PREFIX}{run}:", result=AttemptResult.SENT
        ).values_list("message_id", flat=True)
    )
    return Arrival(
        expected=len(expected),
        missing=missing,
        twice=sum(1 for pk in expected if sends[pk] > 1),
        not_sent=_not_sent(run),
        other=0,
    )
