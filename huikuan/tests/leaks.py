"""The world and the instruments of the authorization test (test_authorization.py): a customer
of another team full of secret markers, and a probe that requests pages and endpoints as one role
and writes down every leak, every unexpected status and every write."""

import contextlib
import io
import itertools
import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.color import no_style
from django.db import connection, models
from django.test import Client
from django.urls import reverse

from huikuan.contracts.models import Contract, Delivery
from huikuan.contracts.services import contract_create
from huikuan.customers.models import Contact, ContactRole, Customer, PaymentProcess
from huikuan.customers.selectors import customers_visible_to
from huikuan.customers.services import contact_add
from huikuan.documents.models import (
    BalanceConfirmation,
    ConfirmationStatus,
    Document,
    DocumentKind,
    DocumentTemplate,
    Letterhead,
    SentVia,
)
from huikuan.documents.services import (
    confirmation_reply_record,
    document_issue,
    document_mark_sent,
)
from huikuan.dunning import services as dunning_services
from huikuan.dunning.models import (
    Action,
    Activity,
    ApprovalKind,
    ApprovalRequest,
    Case,
    Channel,
    DailyRun,
    Dispute,
    DisputeReason,
    LimitationEvent,
    Outcome,
    Promise,
    Task,
    TaskSource,
)
from huikuan.ledger import services as ledger_services
from huikuan.ledger.models import Payment, Receivable
from huikuan.ledger.tests import factories as f
from huikuan.ledger.tests.factories import ledger_state
from huikuan.notifications import outbox
from huikuan.notifications.models import (
    Alert,
    AlertKind,
    AttemptResult,
    DeliveryAttempt,
    Message,
    MessageStatus,
    MessageTemplate,
    Purpose,
    Robot,
)
from huikuan.notifications.models import Channel as SendChannel
from huikuan.org.models import Role
from huikuan.risk import services as risk_services
from huikuan.risk.credit import credit_check
from huikuan.risk.models import (
    CreditDecision,
    CreditException,
    CreditHold,
    CreditProfile,
    Signal,
    SignalKind,
)
from huikuan.risk.signals import signal_record

# --- The world: our team, and a customer of another team full of secrets ----------------------

FOREIGN = "ZQX"  # every secret of the foreign customer carries this; nothing else does
OWN = "MINE"
# The date put into forms and request bodies: after every document of the world, so a write that
# should have been refused is not refused by accident for its date instead.
LATER = "2026-06-30"


@dataclass
class Collection:
    """The collection work on one customer: a task, a contact with a promise, a dispute and an
    approval request, each with a secret in a text field."""

    task: Task
    activity: Activity
    promise: Promise
    dispute: Dispute
    approval: ApprovalRequest

    def _objects(self) -> dict:
        return {
            "task": self.task,
            "activity": self.activity,
            "promise": self.promise,
            "dispute": self.dispute,
            "approval": self.approval,
        }

    @property
    def markers(self) -> dict[str, str]:
        return {
            "task note": self.task.note,
            "activity note": self.activity.note,
            "promise maker": self.promise.promised_by,
            "dispute description": self.dispute.description,
            "approval reason": self.approval.reason,
        }

    @property
    def pks(self) -> dict[str, str]:
        return {f"{kind} pk": str(obj.pk) for kind, obj in self._objects().items()}


@dataclass
class Risk:
    """The credit control of one customer: a warning signal, a hold, an exception and a credit
    decision, each with a secret in a text field."""

    signal: Signal
    hold: CreditHold
    exception: CreditException
    decision: CreditDecision

    def _objects(self) -> dict:
        return {
            "signal": self.signal,
            "hold": self.hold,
            "exception": self.exception,
            "decision": self.decision,
        }

    @property
    def markers(self) -> dict[str, str]:
        return {
            "signal evidence": self.signal.evidence,
            "hold reason": self.hold.reason,
            "exception reason": self.exception.reason,
            "decision order": self.decision.order_ref,
        }

    @property
    def pks(self) -> dict[str, str]:
        return {f"{kind} pk": str(obj.pk) for kind, obj in self._objects().items()}


@dataclass
class Letters:
    """The letters and messages of one customer: a balance confirmation issued but not sent yet,
    another one sent and answered (a disagreement with a note and a signed scan), and the email
    that was to carry the first one, which failed for good: its delivery attempt and the alert
    that names it. Each has a secret in a text field or its number."""

    pending: Document
    answered: BalanceConfirmation
    message: Message
    attempt: DeliveryAttempt
    alert: Alert

    @property
    def markers(self) -> dict[str, str]:
        return {
            "letter number": self.pending.number,
            "answered letter number": self.answered.document.number,
            "reply note": self.answered.reply_note,
            "message subject": self.message.subject,
            "message text": self.message.body_text,
            "attempt detail": self.attempt.detail,
            "alert text": self.alert.text,
        }

    @property
    def pks(self) -> dict[str, str]:
        objects = {
            "letter": self.pending,
            "confirmation": self.pending.confirmation,
            "answered letter": self.answered.document,
            "answered confirmation": self.answered,
            "message": self.message,
            "alert": self.alert,
        }
        return {f"{kind} pk": str(obj.pk) for kind, obj in objects.items()}

    @property
    def codes(self) -> dict[str, str]:
        return {
            "letter number": self.pending.number,
            "answered letter number": self.answered.document.number,
        }


@dataclass
class Account:
    """One customer with one of everything hanging off it (the delivery and the collection
    work are optional)."""

    customer: Customer
    contact: Contact
    contract: Contract
    delivery: Delivery | None
    receivable: Receivable
    payment: Payment
    credit_note: Payment
    collection: Collection | None = None
    risk: Risk | None = None
    letters: Letters | None = None

    def _documents(self) -> dict:
        documents = {
            "contract": self.contract,
            "delivery": self.delivery,
            "receivable": self.receivable,
            "payment": self.payment,
            "credit note": self.credit_note,
        }
        return {kind: doc for kind, doc in documents.items() if doc is not None}

    @property
    def markers(self) -> dict[str, str]:
        """What only someone who may see the customer may read anywhere."""
        return {
            "customer name": self.customer.name,
            "customer code": self.customer.code,
            "contact name": self.contact.name,
            **{f"{kind} number": doc.number for kind, doc in self._documents().items()},
        }

    @property
    def secrets(self) -> dict[str, str]:
        """Every marker: those above, the collection work's, the credit control's and the
        letters' (shown on other pages than the customer's own)."""
        return {
            **self.markers,
            **(self.collection.markers if self.collection else {}),
            **(self.risk.markers if self.risk else {}),
            **(self.letters.markers if self.letters else {}),
        }

    @property
    def pks(self) -> dict[str, str]:
        objects = {"customer": self.customer, "contact": self.contact, **self._documents()}
        pks = {f"{kind} pk": str(obj.pk) for kind, obj in objects.items()}
        return {
            **pks,
            **(self.collection.pks if self.collection else {}),
            **(self.risk.pks if self.risk else {}),
            **(self.letters.pks if self.letters else {}),
        }

    @property
    def codes(self) -> dict[str, str]:
        return {
            "customer code": self.customer.code,
            **{f"{kind} number": doc.number for kind, doc in self._documents().items()},
            **(self.letters.codes if self.letters else {}),
        }


def build_account(prefix: str, *, owner, region, first_id=None, delivery=True) -> Account:
    """A customer with a contact, a contract, optionally a delivery, an invoice partly paid by a
    payment, and an unapplied credit note; ``first_id`` numbers the customer, contact and
    contract explicitly (ledger documents always take the next id of their table)."""
    ids = {} if first_id is None else {"id": first_id}
    customer = f.customer(
        code=f"{prefix}-CUST-7",
        name=f"{prefix}秘密医药有限公司",
        owner=owner,
        region=region,
        **ids,
    )
    contact = contact_add(
        customer=customer,
        name=f"{prefix}财务周",
        role=ContactRole.FINANCE,
        phone="13800000000",
        **ids,
    )
    contract = contract_create(
        customer=customer,
        number=f"{prefix}-HT-7",
        signed_on=date(2026, 1, 2),
        amount=Decimal("500.00"),
        installments=[(date(2026, 3, 1), Decimal("500.00"))],
        term_days=30,
        **ids,
    )
    shipped = None
    if delivery:
        shipped = ledger_services.delivery_record(
            customer=customer,
            number=f"{prefix}-SH-7",
            delivered_on=date(2026, 1, 10),
            amount=Decimal("2468.00"),
            contract=contract,
        ).delivery
    receivable = f.receivable(
        customer, number=f"{prefix}-INV-7", amount="97531.86", issue=date(2026, 1, 5)
    )
    payment = f.payment(
        customer,
        number=f"{prefix}-PAY-7",
        amount="1357.91",
        on=date(2026, 2, 10),
        allocate=[(receivable.number, Decimal("1357.91"))],
    )
    credit_note = f.credit_note(
        customer, number=f"{prefix}-CN-7", amount="246.80", on=date(2026, 2, 12)
    )
    return Account(
        customer=customer,
        contact=contact,
        contract=contract,
        delivery=shipped,
        receivable=receivable,
        payment=payment,
        credit_note=credit_note,
    )


def build_collection(account: Account, prefix: str, *, actor) -> Collection:
    """Collection work on the account's customer, through the services where there is one: an
    open dunning task, a call that got a promise, a dispute about the invoice and a pending
    write-off request, with ``prefix`` in the note, the promiser, the description and the reason.
    """
    customer, receivable = account.customer, account.receivable
    task = Task.objects.create(
        key=f"{prefix}-task",
        customer=customer,
        assignee=customer.owner,
        due_on=date(2026, 3, 2),
        source=TaskSource.DUNNING,
        action=Action.CALL,
        level=1,
        amount=receivable.outstanding,
        receivables=[receivable.pk],
        note=f"{prefix}催款备注",
    )
    activity = dunning_services.activity_log(
        customer=customer,
        actor=actor,
        happened_on=date(2026, 3, 2),
        channel=Channel.CALL,
        outcome=Outcome.PROMISED,
        note=f"{prefix}通话记录",
        contact=account.contact,
        promise_amount=Decimal("4321.09"),
        promise_due_on=date(2026, 3, 20),
        promised_by=f"{prefix}老板",
    )
    dispute = dunning_services.dispute_open(
        customer=customer,
        actor=actor,
        receivables=[receivable],
        reason=DisputeReason.QUALITY,
        description=f"{prefix}质量争议",
        owner=customer.owner,
        opened_on=date(2026, 3, 3),
    )
    approval = dunning_services.approval_request(
        customer=customer,
        actor=actor,
        kind=ApprovalKind.WRITE_OFF,
        reason=f"{prefix}核销理由",
        requested_on=date(2026, 3, 4),
        receivable=receivable,
    )
    return Collection(
        task=task,
        activity=activity,
        promise=activity.promises.get(),
        dispute=dispute,
        approval=approval,
    )


def build_risk(account: Account, prefix: str, *, rep, manager) -> Risk:
    """Credit control of the account's customer through the services: a warning sign the rep
    saw, a hold and an exception of the manager, and an order the rep checked, with ``prefix``
    in the evidence, the reasons and the order reference."""
    customer = account.customer
    signal = signal_record(
        customer=customer,
        kind=SignalKind.DUMPING,
        evidence=f"{prefix}低价甩货",
        detected_on=date(2026, 3, 5),
        actor=rep,
    )
    exception = risk_services.exception_grant(
        customer=customer,
        amount=Decimal("777.00"),
        valid_from=date(2026, 3, 1),
        valid_until=date(2099, 12, 31),
        reason=f"{prefix}特批发货",
        actor=manager,
    )
    decision = credit_check(
        customer=customer,
        amount=Decimal("100.00"),
        order_ref=f"{prefix}-SO-7",
        actor=rep,
        as_of=date(2026, 3, 5),
    )
    hold = risk_services.hold_place(customer=customer, reason=f"{prefix}暂停赊销", actor=manager)
    return Risk(signal=signal, hold=hold, exception=exception, decision=decision)


def tiny_png(text: str) -> bytes:
    """A real 1×1 PNG image carrying ``text`` in a text chunk: a signed scan small enough to
    store in every test, whose bytes show the secret if they are ever served."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text.encode())
        + chunk(b"IDAT", zlib.compress(b"\x00\xff"))
        + chunk(b"IEND", b"")
    )


def build_letters(account: Account, prefix: str, *, actor) -> Letters:
    """Letters and messages of the account's customer through the services where there is one:
    a balance confirmation issued and not sent yet, another one posted and answered — the
    customer disagrees, with ``prefix`` in the note and in the signed scan — and an email
    carrying the first one that the worker gave up on (the failure, its attempt and the alert
    are written as the worker leaves them), with ``prefix`` in the subject, the text, the
    attempt's detail and the alert."""
    customer = account.customer
    issued_on = date(2026, 3, 6)
    pending = document_issue(
        kind=DocumentKind.CONFIRMATION, customer=customer, as_of=issued_on, actor=actor
    )
    answered = document_issue(
        kind=DocumentKind.CONFIRMATION, customer=customer, as_of=issued_on, actor=actor
    )
    document_mark_sent(
        document=answered, on=date(2026, 3, 7), via=SentVia.POST, actor=actor, reference="SF123"
    )
    confirmation = confirmation_reply_record(
        confirmation=answered.confirmation,
        actor=actor,
        replied_on=date(2026, 3, 12),
        outcome=ConfirmationStatus.DISAGREED,
        their_balance=Decimal("1000.00"),
        note=f"{prefix}对方只认一千元",
        scan=SimpleUploadedFile(
            "reply.png", tiny_png(f"{prefix}回函盖章"), content_type="image/png"
        ),
        today=date(2026, 3, 12),
    )
    failed_at = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
    message = outbox.message_enqueue(
        key=f"{prefix}-confirmation-email",
        channel=SendChannel.EMAIL,
        purpose=Purpose.DOCUMENT,
        now=failed_at,
        recipient="caiwu@example.com",
        subject=f"{prefix}余额询证函",
        body_text=f"{prefix}请核对附件中的余额并盖章回传。",
        document=pending,
        actor=actor,
    )
    attempt = DeliveryAttempt.objects.create(
        message=message,
        number=1,
        worker="worker-1",
        started_at=failed_at,
        finished_at=failed_at,
        result=AttemptResult.FAILED,
        detail=f"{prefix}收件箱已满",
    )
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, attempts=1, last_error=attempt.detail
    )
    message.refresh_from_db()
    alert = outbox.alert_raise(
        kind=AlertKind.GAVE_UP, text=f"{prefix}邮件发送失败", now=failed_at, message=message
    )
    return Letters(
        pending=pending, answered=confirmation, message=message, attempt=attempt, alert=alert
    )


@dataclass
class World:
    users: dict  # role name -> user (no entry for "anonymous")
    foreign_rep: object
    foreign_region: object
    own: Account
    foreign: Account


# Who looks. "teammate" is a rep in the foreign customer's own team: a rep sees only what they
# own, not their team's. "manager" manages our team, not the foreign one.
BLIND = ("anonymous", "rep", "teammate", "manager")
SEEING = ("finance", "admin")
ROLES = BLIND + SEEING
ID_TABLES = (
    Customer,
    Contact,
    Contract,
    Delivery,
    Receivable,
    Payment,
    Task,
    Activity,
    Promise,
    Dispute,
    ApprovalRequest,
    Signal,
    CreditHold,
    CreditException,
    CreditDecision,
    Document,
    BalanceConfirmation,
    Message,
    Alert,
)
# Tables whose id counters start afresh for each world: those above and the delivery log.
COUNTED_TABLES = (*ID_TABLES, DeliveryAttempt)
# Collection tables a refused request must leave as they were, besides those of ID_TABLES.
COLLECTION_TABLES = (Task, Activity, Promise, Dispute, ApprovalRequest, LimitationEvent, Case)
# Credit-control tables a refused request must leave as they were.
RISK_TABLES = (Signal, CreditHold, CreditException, CreditDecision, CreditProfile)
# Letter and message tables a refused request must leave as they were: no letter issued or marked
# sent, no reply recorded, no message queued, cancelled or sent again, no alert raised or
# resolved, no template, robot or letterhead changed.
LETTER_TABLES = (
    Document,
    BalanceConfirmation,
    Message,
    DeliveryAttempt,
    Alert,
    DocumentTemplate,
    MessageTemplate,
    Robot,
    Letterhead,
)


def visible_pks(user) -> set[str]:
    """Every id of every object the user may see (as text, like in a URL)."""
    customers = customers_visible_to(user)
    pks = set(customers.values_list("pk", flat=True))
    for model in ID_TABLES[1:]:
        pks.update(model.objects.filter(customer__in=customers).values_list("pk", flat=True))
    return {str(pk) for pk in pks}


def build_world() -> World:
    """Our team (a manager and a rep who owns one customer) and another team whose rep owns a
    customer full of secrets (with its collection work, credit control, letters and messages);
    the other team also has a rep who does not own it.

    A foreign id that equals the id of something the user may see would rightly open the user's
    own object, so the ids are made distinct on purpose: the id counters start afresh, the
    foreign account takes the first ids, our customer, contact and contract take ids far above,
    and our account has no delivery (its invoice then follows the foreign ones)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), COUNTED_TABLES):
            cursor.execute(sql)
    east, south = f.region("EAST"), f.region("SOUTH")
    our_team, their_team = f.team("华东一组", east), f.team("华南二组", south)
    manager = f.user(Role.MANAGER, username="manager", region=east, team=our_team)
    rep = f.user(Role.REP, username="rep", region=east, team=our_team, manager=manager)
    their_manager = f.user(Role.MANAGER, username="their_manager", region=south, team=their_team)
    their_rep = f.user(
        Role.REP,
        username="their_rep",
        last_name=FOREIGN,
        region=south,
        team=their_team,
        manager=their_manager,
    )
    teammate = f.user(
        Role.REP, username="teammate", region=south, team=their_team, manager=their_manager
    )
    foreign = build_account(FOREIGN, owner=their_rep, region=south)
    foreign.collection = build_collection(foreign, FOREIGN, actor=their_rep)
    foreign.risk = build_risk(foreign, FOREIGN, rep=their_rep, manager=their_manager)
    foreign.letters = build_letters(foreign, FOREIGN, actor=their_rep)
    own = build_account(
        OWN, owner=rep, region=east, first_id=foreign.customer.pk + 1000, delivery=False
    )
    world = World(
        users={
            "rep": rep,
            "teammate": teammate,
            "manager": manager,
            "finance": f.user(Role.FINANCE, username="finance"),
            "admin": f.user(Role.ADMIN, username="admin"),
        },
        foreign_rep=their_rep,
        foreign_region=south,
        own=own,
        foreign=foreign,
    )
    for role in ("rep", "teammate", "manager"):
        shared = set(foreign.pks.values()) & visible_pks(world.users[role])
        assert not shared, f"a foreign id is also the id of something {role} may see: {shared}"
    assert visible_pks(rep), "the rep should see their own customer"
    return world


# --- Reading answers ----------------------------------------------------------------------------


def answer_text(response) -> str:
    """Everything a user can read in an answer: HTML or JSON as text (JSON also with its
    ``\\uXXXX`` escapes undone), and the XML inside an xlsx or any other zip file."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        with contextlib.suppress(ValueError):
            text += "\n" + json.dumps(json.loads(text), ensure_ascii=False)
    return text


def _rows(model) -> list[dict]:
    """Every field of every row, except file contents (a PDF, a scan): their checksums and sizes
    are fields of their own."""
    fields = [
        field.attname
        for field in model._meta.concrete_fields
        if not isinstance(field, models.BinaryField)
    ]
    return list(model.objects.order_by("pk").values(*fields))


def db_state() -> dict:
    """What a refused request must leave as it was: the ledger (row counts of every table and
    every balance), every field of customers, contacts, payment processes and contracts, every
    field of the collection work (tasks, activities, promises, disputes, approvals, limitation
    events, cases), every field of the credit control (signals, holds, exceptions, decisions,
    profiles), every field of the letters and messages (documents with their sending facts,
    balance confirmations with their replies, messages, delivery attempts, alerts, templates,
    robots, the letterhead) and the days the daily run has done."""
    state = ledger_state()
    tables = (
        Customer,
        Contact,
        PaymentProcess,
        Contract,
        *COLLECTION_TABLES,
        *RISK_TABLES,
        *LETTER_TABLES,
    )
    for model in tables:
        state[model.__name__] = _rows(model)
    state["DailyRun"] = list(DailyRun.objects.values_list("as_of", flat=True))
    return state


def state_change(before: dict, after: dict) -> str:
    changed = [
        f"{name} {before['rows'][name]}→{after['rows'][name]}"
        for name in before["rows"]
        if before["rows"][name] != after["rows"][name]
    ]
    changed += [
        f"{key} changed"
        for key in before
        if key != "rows" and before[key] != after[key] and not changed
    ]
    return ", ".join(changed)


class Probe:
    """Requests as one role and writes down every problem instead of stopping at the first."""

    def __init__(self, world: World, role: str, client: Client):
        self.world = world
        self.role = role
        self.client = client
        self.blind = role in BLIND
        self.failures: list[str] = []

    def request(self, method, url, *, data=None, label="", allowed=(), json_body=False):
        """``label`` names the foreign object whose id is in the path; ``allowed`` are the
        statuses a blind role may get for it."""
        where = f"{method} {url}"
        if method == "GET" and data:
            where += "?" + urlencode(data)
        before = db_state() if method == "POST" and self.blind else None
        if method == "GET":
            response = self.client.get(url, data or {})
        elif json_body:
            response = self.client.post(url, json.dumps(data), content_type="application/json")
        else:
            response = self.client.post(url, data or {})
        status = response.status_code
        if status >= 500:
            error = getattr(response, "exc_info", None)
            self.failures.append(
                f"{where}: server error {status}"
                + (f" ({error[1]!r})" if error and error[1] else "")
            )
        if not self.blind:
            return response
        sent = url + json.dumps(data or {}, ensure_ascii=False, default=str)
        text = answer_text(response)
        shown = [
            name
            for name, marker in self.world.foreign.secrets.items()
            if marker not in sent and marker in text
        ]
        if shown:
            self.failures.append(f"{where}: shows the foreign {', '.join(shown)} ({status})")
        if label and status < 500 and status not in allowed:
            self.failures.append(
                f"{where}: answers {status} for the foreign {label}; expected one of {allowed}"
            )
        if before is not None:
            change = state_change(before, db_state())
            if change:
                self.failures.append(f"{where}: wrote something: {change}")
        return response


def client_as(world: World, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role in world.users:
        client.force_login(world.users[role])
    return client


# --- Forms as a curious user fills them ----------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of a page's POST forms (except signing out and the language switch), filled in
    the way a curious user might: every choice pointed at the foreign objects where the page
    offers them, every value the page shows kept, every required empty box given a plausible
    value (optional ones stay empty, as a person would leave them)."""

    _numbers = itertools.count(1)

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._choices: dict[str, list] = {}  # name -> [[value, label, chosen]]
        self._required: set[str] = set()
        self._in_form = False
        self._select = None
        self._option = None
        self._textarea = None

    @classmethod
    def from_page(cls, html: str) -> dict:
        parser = cls()
        parser.feed(html)
        parser.close()
        for name, options in parser._choices.items():
            offered = [o for o in options if o[0]]
            pick = next((o for o in offered if FOREIGN in o[1]), None)
            pick = pick or next((o for o in offered if o[2]), None)
            if pick is None and name in parser._required:
                pick = next(iter(offered), None)
            if pick is not None:
                parser.fields[name] = pick[0]
        return parser.fields

    def _invent(self, attrs: dict) -> str:
        if "required" not in attrs:
            return ""
        kind = (attrs.get("type") or "text").lower()
        mode = attrs.get("inputmode", "")
        if kind == "date":
            return LATER
        if kind == "number" or mode == "numeric":
            return "1"
        if mode == "decimal":
            return "1.00"
        if kind == "email":
            return "curious@example.com"
        return f"HACK{next(self._numbers)}"

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            action = a.get("action") or ""
            skipped = {reverse("web:logout"), reverse("set_language")}
            self._in_form = (a.get("method") or "get").lower() == "post" and action not in skipped
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "", "selected" in a]
            self._choices[self._select].append(self._option)
        elif not self._in_form or not name:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                chosen = "checked" in a
                self._choices.setdefault(name, []).append([a.get("value", "on"), "", chosen])
                if kind == "radio" and "required" in a:
                    self._required.add(name)
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields[name] = a.get("value") or self._invent(a)
        elif tag == "select":
            self._select = name
            self._choices[name] = []
            if "required" in a:
                self._required.add(name)
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""
            if "required" in a:
                self._required.add(name)

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None:
            if self._option[0] is None:
                self._option[0] = self._option[1].strip()
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name = self._textarea
            if name in self._required and not self.fields[name].strip():
                self.fields[name] = f"HACK{next(self._numbers)}"
            self._textarea = None


def form_as_finance(finance: Client, url: str, query: dict | None = None) -> dict:
    """The POST body the finance user's form on ``url`` would send, aimed at the foreign
    customer; empty where finance sees no form."""
    response = finance.get(url, query or {})
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    return FormFields.from_page(response.content.decode("utf-8", "replace"))
