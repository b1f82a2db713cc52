"""The balance confirmation workflow: sent, answered (agreed, disagreed with their figure, no
reply), the signed scan, and the limitation period restarting from a signed reply."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from huikuan.documents.models import BalanceConfirmation, ConfirmationStatus
from huikuan.documents.services import (
    SCAN_MAX_BYTES,
    confirmation_reply_record,
    confirmation_scan_attach,
    document_issue,
    document_mark_sent,
)
from huikuan.dunning.models import InterruptionKind, LimitationEvent
from huikuan.dunning.tests.factories import make_customer, make_receivable, make_user, refused

from .helpers import png_bytes, upload

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
SENT = date(2026, 7, 2)
TODAY = date(2026, 7, 20)


@pytest.fixture(scope="module")
def signed_pdf() -> bytes:
    # A real PDF (what a scanner makes), rendered once for the module.
    from huikuan.documents.render import html_to_pdf

    return html_to_pdf("<p>回执 已盖章</p>")


def _confirmation(sent: bool = True) -> BalanceConfirmation:
    customer = make_customer()
    make_receivable(customer, "8888.00", issue_date=date(2026, 5, 1))
    document = document_issue(kind="confirmation", customer=customer, as_of=AS_OF, actor=None)
    if sent:
        document_mark_sent(document=document, on=SENT, via="post", actor=None)
    return BalanceConfirmation.objects.get(document=document)


def confirmation_state():
    return {
        "rows": list(
            BalanceConfirmation.objects.values_list(
                "pk", "status", "replied_on", "their_balance", "scan_sha256", "limitation_event"
            )
        ),
        "events": LimitationEvent.objects.count(),
    }


def test_agreed_reply_with_a_signed_pdf_scan_restarts_the_limitation_period(signed_pdf):
    user = make_user()
    confirmation = _confirmation()
    result = confirmation_reply_record(
        confirmation=confirmation,
        actor=user,
        replied_on=date(2026, 7, 15),
        outcome="agreed",
        scan=upload(signed_pdf, "C:\\扫描\\回函.pdf"),
        today=TODAY,
    )
    result.refresh_from_db()
    digest = hashlib.sha256(signed_pdf).hexdigest()
    assert result.status == ConfirmationStatus.AGREED
    assert result.their_balance == Decimal("8888.00")
    assert bytes(result.scan) == signed_pdf
    assert (result.scan_name, result.scan_type, result.scan_sha256) == (
        "回函.pdf",
        "application/pdf",
        digest,
    )
    assert result.replied_by == user
    event = result.limitation_event
    assert event.kind == InterruptionKind.CONFIRMATION
    assert event.happened_on == date(2026, 7, 15)
    assert event.evidence == f"询证函 {result.document.number} 回函扫描件 sha256 {digest[:12]}"


def test_disagreed_reply_keeps_their_figure_and_no_scan_means_no_limitation_event():
    confirmation = _confirmation()
    result = confirmation_reply_record(
        confirmation=confirmation,
        actor=None,
        replied_on=date(2026, 7, 10),
        outcome="disagreed",
        their_balance="7000.00",
        note="他们未记 5 月发票",
        today=TODAY,
    )
    assert result.status == ConfirmationStatus.DISAGREED
    assert result.their_balance == Decimal("7000.00")
    assert result.limitation_event is None
    assert not LimitationEvent.objects.exists()


def test_a_scan_attached_later_restarts_the_period_from_the_reply_date():
    confirmation = _confirmation()
    confirmation_reply_record(
        confirmation=confirmation,
        actor=None,
        replied_on=date(2026, 7, 10),
        outcome="disagreed",
        their_balance="0",
        today=TODAY,
    )
    result = confirmation_scan_attach(
        confirmation=confirmation, actor=None, scan=upload(png_bytes(), "scan.png"), today=TODAY
    )
    assert result.scan_type == "image/png"
    assert result.limitation_event.happened_on == date(2026, 7, 10)
    before = confirmation_state()
    with refused("confirmation", match="already has"):
        confirmation_scan_attach(
            confirmation=confirmation, actor=None, scan=upload(png_bytes(), "b.png"), today=TODAY
        )
    assert confirmation_state() == before


def test_no_reply_closes_the_confirmation_without_a_figure():
    confirmation = _confirmation()
    result = confirmation_reply_record(
        confirmation=confirmation,
        actor=None,
        replied_on=date(2026, 7, 20),
        outcome="no_reply",
        today=TODAY,
    )
    assert result.status == ConfirmationStatus.NO_REPLY
    assert result.their_balance is None
    with refused("confirmation", match="answered"):
        confirmation_scan_attach(
            confirmation=confirmation, actor=None, scan=upload(png_bytes(), "a.png"), today=TODAY
        )


def _reply(confirmation, **kw):
    args = {
        "confirmation": confirmation,
        "actor": None,
        "replied_on": date(2026, 7, 10),
        "outcome": "agreed",
        "today": TODAY,
    }
    args.update(kw)
    return confirmation_reply_record(**args)


def test_replies_that_cannot_be_right_are_refused_and_write_nothing():
    confirmation = _confirmation()
    unsent = _confirmation(sent=False)
    before = confirmation_state()
    with refused("confirmation", match="not been sent"):
        _reply(unsent)
    with refused("outcome"):
        _reply(confirmation, outcome="maybe")
    with refused("replied_on", match="before"):
        _reply(confirmation, replied_on=date(2026, 7, 1))
    with refused("replied_on", match="future"):
        _reply(confirmation, replied_on=date(2026, 7, 21))
    with refused("their_balance", match="zero or more"):
        _reply(confirmation, outcome="disagreed")
    with refused("their_balance", match="negative"):
        _reply(confirmation, outcome="disagreed", their_balance="-1")
    with refused("their_balance", match="record a disagreement"):
        _reply(confirmation, outcome="agreed", their_balance="8000.00")
    with refused("their_balance"):
        _reply(confirmation, outcome="no_reply", their_balance="1.00")
    with refused("scan", match="PDF, JPEG or PNG"):
        # A text file named like a PDF: the bytes decide, not the name.
        _reply(confirmation, scan=upload(b"just text, not a scan", "reply.pdf"))
    with refused("scan", match="10 MB"):
        _reply(confirmation, scan=upload(b"%PDF-" + b"0" * SCAN_MAX_BYTES, "big.pdf"))
    assert confirmation_state() == before


def test_a_second_reply_is_refused():
    confirmation = _confirmation()
    _reply(confirmation)
    before = confirmation_state()
    with refused("confirmation", match="already recorded"):
        _reply(confirmation, outcome="disagreed", their_balance="1.00")
    assert confirmation_state() == before


def test_a_jpeg_scan_is_accepted_by_its_bytes():
    confirmation = _confirmation()
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
    result = _reply(confirmation, scan=upload(jpeg, "photo.bin"))
    assert result.scan_type == "image/jpeg"
    assert result.limitation_event is not None
