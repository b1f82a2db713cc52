"""`huikuan bench letters`: it prints the figures of every kind of letter and of the outbox, and
its exactly-once check really counts what the SMTP server received."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from huikuan.demo import bench_letters
from huikuan.documents.models import Document
from huikuan.notifications.channels.email import message_id
from huikuan.notifications.models import Message, MessageStatus
from huikuan.notifications.outbox import message_enqueue

SIZES = ["--receivables=60", "--customers=6", "--letters=2", "--messages=12", "--with-pdf=25"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _kind_rows(text: str) -> dict[str, list[str]]:
    """The letters table: kind → count, p50, p95, max, pages, KB p50, KB max."""
    rows = re.findall(
        r"^  (statement|confirmation|overdue-notice|lawyer-letter) +(.+)$", text, re.MULTILINE
    )
    return {kind: rest.split() for kind, rest in rows}


def test_letters_bench_prints_each_kind_and_checks_every_email_arrived_once(flushable_db):
    out = StringIO()
    call_command("bench", "letters", *SIZES, stdout=out)
    text = out.getvalue()

    assert "HarfBuzz font subsetter: " in text
    rows = _kind_rows(text)
    assert list(rows) == ["statement", "confirmation", "overdue-notice", "lawyer-letter"]
    for count, p50, p95, most, pages, kb_p50, kb_max in rows.values():
        assert count == "2"
        assert 0 < float(p50) <= float(p95) <= float(most)
        assert pages != "?" and int(pages.split("-")[0]) >= 1
        assert 0 < float(kb_p50) <= float(kb_max)
    assert Document.objects.count() == 8

    assert re.search(r"message_enqueue: 12 emails \(3 with a letter attached\)", text)
    rate = r"send_due \(workers: 2, as processes; .* [\d.]+ s, ([\d.,]+) messages/s"
    sent = re.search(rate, text)
    assert sent and float(sent.group(1).replace(",", "")) > 0
    assert "sent 12, retried 0, failed 0, unknown 0" in text
    assert "Check: each of the 12 Message-IDs arrived exactly once." in text
    messages = Message.objects.filter(key__startswith="bench:letters:")
    assert messages.count() == 12
    assert set(messages.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert messages.filter(document__isnull=False).count() == 3


def test_threads_and_the_drop_mode_reuse_the_data_and_add_a_new_run(
    flushable_db, settings, tmp_path
):
    settings.VAR_DIR = tmp_path  # its own drop folder (CI runs two suites side by side)
    one_letter = [*SIZES, "--letters=1"]  # the last --letters counts
    call_command("bench", "letters", *one_letter, "--threads", stdout=StringIO())
    out = StringIO()
    call_command("bench", "letters", *one_letter, "--drop", "--workers=3", stdout=out)
    text = out.getvalue()
    assert "Reusing the benchmark data" in text
    assert "(workers: 3, as processes; batches of 50) to the drop mode" in text
    assert "Check: each of the 12 Message-IDs arrived exactly once." in text
    assert Message.objects.filter(key__startswith="bench:letters:").count() == 24
    assert Document.objects.count() == 8


def test_the_check_counts_a_message_missing_or_received_twice(db):
    now = timezone.now()
    for n in range(3):
        message_enqueue(
            key=f"bench:letters:r1:{n}",
            channel="email",
            purpose="dunning",
            recipient="ap@example.com",
            body_text="请付款。",
            now=now,
        )
    first, second, third = Message.objects.order_by("pk")
    Message.objects.update(status=MessageStatus.SENT, sent_at=now)
    server = bench_letters.CountingSmtp(host="127.0.0.1", port=0)
    server.received.update([message_id(first), message_id(first), message_id(second), "<x@y>"])
    arrival = bench_letters.check_smtp_arrivals(run="r1", server=server)
    assert (arrival.expected, arrival.missing, arrival.twice, arrival.other) == (3, 1, 1, 1)
    assert not arrival.ok
    server.received = Counter(message_id(m) for m in (first, second, third))
    assert bench_letters.check_smtp_arrivals(run="r1", server=server).ok


def test_messages_of_others_waiting_in_the_outbox_stop_the_bench_before_it_writes(db):
    message_enqueue(
        key="dunning:1",
        channel="email",
        purpose="dunning",
        recipient="ap@example.com",
        body_text="请付款。",
        now=timezone.now(),
    )
    with pytest.raises(CommandError, match=r"not the benchmark's \(1\)"):
        call_command("bench", "letters", *SIZES, stdout=StringIO())
    assert not Document.objects.exists()
    assert Message.objects.count() == 1


@pytest.mark.parametrize("arg", ["--letters=0", "--messages=0", "--workers=0", "--with-pdf=101"])
def test_bad_counts_are_refused_by_name(db, arg):
    with pytest.raises(CommandError, match=arg.split("=")[0]):
        call_command("bench", "letters", *SIZES, arg, stdout=StringIO())
    assert not Document.objects.exists()


def test_a_worker_killed_mid_run_fails_the_check_and_the_command(flushable_db, monkeypatch):
    # Each worker process kills itself right after its first claim: nothing is sent.
    monkeypatch.setenv("HUIKUAN_FAILPOINT", "outbox:after_claim")
    out = StringIO()
    with pytest.raises(CommandError, match="did not deliver each message exactly once"):
        call_command("bench", "letters", *SIZES, "--letters=1", stdout=out)
    text = out.getvalue()
    assert "died without answering" in text
    assert "Check FAILED: of 12 messages, 12 never arrived" in text
    assert not Message.objects.filter(status=MessageStatus.SENT).exists()
