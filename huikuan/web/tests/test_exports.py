"""Every list and report page offers "Export to Excel": the link on the page, followed as a rep
and as finance, gives a workbook (read back with python-calamine, as a user's spreadsheet would)
holding exactly the rows that user sees on that page with the same filters — another rep's
customers never — with amounts as numbers equal to the ledger, dates as dates, and text that
looks like a formula written as quoted text, never as a formula.

One world serves the whole module (built once, rolled back at the end): our rep's customer with
everything hanging off it, named like a formula injection, three more of our rep's customers
named ``+1``, ``@SUM(A1)`` and ``-2``, and another team's customer full of secrets (``ZQX``).
"""

import html
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from huikuan.contracts.models import Contract
from huikuan.core import xlsx
from huikuan.core.tests.test_xlsx import read_book, sheet_xml
from huikuan.customers.models import Customer
from huikuan.documents.models import BalanceConfirmation
from huikuan.dunning import services as dunning_services
from huikuan.dunning.models import ApprovalRequest, Channel, Dispute, Outcome, Promise, Task
from huikuan.dunning.playbook import technique
from huikuan.ledger.models import Payment, Receivable
from huikuan.ledger.tests import factories as f
from huikuan.notifications.models import Alert, Message
from huikuan.org.models import Role
from huikuan.risk.models import CreditDecision, CreditException, Signal
from huikuan.tests.leaks import build_account, build_collection, build_letters, build_risk

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 30)
FOREIGN = "ZQX"  # every secret of the other team's customer carries this
HYPERLINK = '=HYPERLINK("http://x")'
HOSTILE_NAMES = (HYPERLINK, "+1", "@SUM(A1)", "-2")
VIEW_MODULES = (
    "customers",
    "ledger",
    "contracts",
    "dunning",
    "risk",
    "documents",
    "notifications",
    "reports",
    "web",
)


@dataclass
class World:
    rep: object
    manager: object
    finance: object
    admin: object
    own: object  # our rep's customer with collection work, credit control and letters
    others: list  # our rep's three more customers
    foreign: object  # the other team's customer, everything about it marked ZQX

    @property
    def own_codes(self) -> set[str]:
        return {self.own.customer.code, *(a.customer.code for a in self.others)}


def _build() -> World:
    east, south = f.region("EXP-E"), f.region("EXP-S")
    our_team, their_team = f.team("导出一组", east), f.team("导出二组", south)
    manager = f.user(Role.MANAGER, username="exp-manager", team=our_team)
    rep = f.user(
        Role.REP,
        username="exp-rep",
        last_name="张",
        first_name="三",
        team=our_team,
        manager=manager,
    )
    their_manager = f.user(Role.MANAGER, username="exp-their-manager", team=their_team)
    their_rep = f.user(
        Role.REP,
        username="exp-their-rep",
        last_name=FOREIGN,
        team=their_team,
        manager=their_manager,
    )
    finance = f.user(Role.FINANCE, username="exp-finance", last_name="王", first_name="会计")
    admin = f.user(Role.ADMIN, username="exp-admin", last_name="赵", first_name="管理")

    foreign = build_account(FOREIGN, owner=their_rep, region=south)
    foreign.collection = build_collection(foreign, FOREIGN, actor=their_rep)
    foreign.risk = build_risk(foreign, FOREIGN, rep=their_rep, manager=their_manager)
    foreign.letters = build_letters(foreign, FOREIGN, actor=their_rep)
    # Our customer's documents start with "=", so nearly every text cell about it is hostile.
    own = build_account("=MINE", owner=rep, region=east)
    own.collection = build_collection(own, "=MINE", actor=rep)
    own.risk = build_risk(own, "=MINE", rep=rep, manager=manager)
    own.letters = build_letters(own, "=MINE", actor=rep)
    others = [
        build_account(prefix, owner=rep, region=east, delivery=False)
        for prefix in ("PLUS", "AT", "MINUS")
    ]
    # Names as an import from an old spreadsheet could bring them in.
    for account, name in zip([own, *others], HOSTILE_NAMES, strict=True):
        Customer.objects.filter(pk=account.customer.pk).update(name=name)
        account.customer.refresh_from_db()
    for account, actor in ((own, rep), (foreign, their_rep)):
        dunning_services.activity_log(
            customer=account.customer,
            actor=actor,
            happened_on=date(2026, 6, 1),
            channel=Channel.VISIT,
            outcome=Outcome.REACHED,
            technique="credit_check",
        )
    return World(
        rep=rep,
        manager=manager,
        finance=finance,
        admin=admin,
        own=own,
        others=others,
        foreign=foreign,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    for app in VIEW_MODULES:
        monkeypatch.setattr(f"huikuan.{app}.views.business_today", lambda: TODAY)


# --- Reading pages and workbooks ----------------------------------------------------------------


def t(text: str, context: str = "") -> str:
    """A header as the page's language (Chinese, the default) writes it."""
    with translation.override("zh-hans"):
        return pgettext(context, text) if context else gettext(text)


def plain(value):
    """A cell as the user typed it: without the quote that keeps a formula-like text inert."""
    if (
        isinstance(value, str)
        and value.startswith("'")
        and value[1:].startswith(xlsx.FORMULA_STARTS)
    ):
        return value[1:]
    return value


@dataclass
class Download:
    page: str  # the page's HTML
    book: dict  # sheet name -> rows
    filename: str

    def sheet(self, index: int = 0) -> list[list]:
        return list(self.book.values())[index]

    def column(self, title: str, *, sheet: int = 0, total: bool = False) -> list:
        rows = self.sheet(sheet)
        header = rows[1]
        assert title in header, f"{title!r} not among {header}"
        data = rows[2:-1] if total else rows[2:]
        return [row[header.index(title)] for row in data]

    def keyed(self, key: str, title: str, **kw) -> dict:
        return dict(
            zip([plain(k) for k in self.column(key, **kw)], self.column(title, **kw), strict=True)
        )

    def text(self) -> str:
        return "\n".join(str(cell) for rows in self.book.values() for row in rows for cell in row)


def download(client, user, url: str, params: dict | None = None) -> Download:
    """Open the page as ``user``, follow its "Export to Excel" link and read the workbook, checking
    on the way what must hold for every export."""
    client.force_login(user)
    page = client.get(url, params or {})
    assert page.status_code == 200, url
    text = page.content.decode()
    links = re.findall(r'<a [^>]*data-export[^>]*href="([^"]+)"', text)
    assert len(links) == 1, f"{url}: export links {links}"
    href = html.unescape(links[0])
    assert "export=xlsx" in href and "page=" not in href
    answer = client.get(href)
    assert answer.status_code == 200, href
    assert answer["Content-Type"] == xlsx.CONTENT_TYPE
    disposition = answer["Content-Disposition"]
    assert disposition.startswith("attachment")
    content = answer.getvalue()
    assert not re.search(r"<f[ >/]", sheet_xml(content)), "a cell holds a formula"
    book = read_book(content)
    for rows in book.values():
        assert str(user) in rows[0][0], "the title line names who the file is for"
        for row in rows:
            for cell in row:
                if isinstance(cell, str) and cell.startswith(xlsx.FORMULA_STARTS):
                    pytest.fail(f"{href}: {cell!r} would be read as a formula")
    name = re.search(r'filename="([^"]+)"', disposition).group(1)
    return Download(page=text, book=book, filename=name)


def ids(pattern: str, text: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, text)]


def codes_of(model, pks) -> list[str]:
    """The customer code of each object (in the order of ``pks``)."""
    by_pk = dict(model.objects.filter(pk__in=pks).values_list("pk", "customer__code"))
    return [by_pk[pk] for pk in pks]


def money(value) -> Decimal:
    assert isinstance(value, float | int), f"{value!r} is not a number"
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def assert_scope(download: Download, codes: list, world: World, user) -> None:
    """A rep's file holds their customers only and nothing of the other team's; finance's holds
    the other team's customer too."""
    if user == world.rep:
        assert set(codes) <= world.own_codes
        assert FOREIGN not in download.text()
    else:
        assert world.foreign.customer.code in codes


def people(world):
    return [world.rep, world.finance]


# --- Customers and the ledger -------------------------------------------------------------------


def test_customers_export_matches_the_page_and_the_ledger(client, world):
    for user in people(world):
        got = download(client, user, reverse("customers:list"))
        assert got.filename == "customers-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Code"))]
        shown = codes_of_customers(ids(r'href="/customers/(\d+)/"', got.page))
        assert codes == shown
        assert_scope(got, codes, world, user)
        if user == world.rep:
            assert set(codes) == world.own_codes
        outstanding = got.keyed(t("Code"), t("Outstanding"))
        for code, amount in outstanding.items():
            owed = sum(
                Receivable.objects.filter(customer__code=code).values_list(
                    "outstanding", flat=True
                ),
                Decimal("0.00"),
            )
            assert money(amount) == owed
        names = got.column(t("Customer"))
        for hostile in HOSTILE_NAMES:
            assert "'" + hostile in names


def codes_of_customers(pks) -> list[str]:
    by_pk = dict(Customer.objects.filter(pk__in=pks).values_list("pk", "code"))
    return [by_pk[pk] for pk in pks]


def test_customer_export_keeps_the_page_filters(client, world):
    got = download(client, world.finance, reverse("customers:list"), {"q": "MINE", "page": "1"})
    assert [plain(c) for c in got.column(t("Code"))] == [world.own.customer.code]
    assert "MINE" in got.sheet()[0][0]  # the title line names the filter


def test_receivables_export_matches_the_page_with_amounts_and_dates(client, world):
    for user in people(world):
        got = download(client, user, reverse("ledger:receivables"), {"status": "open"})
        assert got.filename == "receivables-2026-06-30.xlsx"
        numbers = [plain(n) for n in got.column(t("Number"))]
        shown = ids(r'href="/ledger/receivables/(\d+)/"', got.page)
        by_pk = dict(Receivable.objects.filter(pk__in=shown).values_list("pk", "number"))
        assert numbers == [by_pk[pk] for pk in shown]
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert_scope(got, codes, world, user)
        ledger = {r.number: r for r in Receivable.objects.filter(number__in=numbers)}
        for number, amount, owed, due in zip(
            numbers,
            got.column(t("Amount")),
            got.column(t("Outstanding")),
            got.column(t("Due date")),
            strict=True,
        ):
            assert money(amount) == ledger[number].amount
            assert money(owed) == ledger[number].outstanding > 0
            assert due == ledger[number].due_date and isinstance(due, date)
        assert "'" + HYPERLINK in got.column(t("Customer"))
        assert "'=MINE-INV-7" in got.column(t("Number"))


def test_payments_export_is_for_finance_and_matches_the_page(client, world):
    got = download(client, world.finance, reverse("ledger:payments"))
    assert got.filename == "payments-2026-06-30.xlsx"
    shown = ids(r'href="/ledger/payments/(\d+)/"', got.page)
    by_pk = dict(Payment.objects.filter(pk__in=shown).values_list("pk", "number"))
    numbers = [plain(n) for n in got.column(t("Number"))]
    assert numbers == [by_pk[pk] for pk in shown]
    assert len(numbers) == Payment.objects.count()
    amounts = got.keyed(t("Number"), t("Amount"))
    for payment in Payment.objects.all():
        assert money(amounts[payment.number]) == payment.amount
    received = got.keyed(t("Number"), t("Date"))
    assert received["=MINE-PAY-7"] == date(2026, 2, 10)
    client.force_login(world.rep)
    assert client.get(reverse("ledger:payments"), {"export": "xlsx"}).status_code == 403


def test_aging_export_matches_the_report(client, world):
    for user in people(world):
        got = download(client, user, reverse("reports:aging"), {"as_of": "2026-06-30"})
        assert got.filename == "aging-customer-2026-06-30.xlsx"
        keys = [plain(k) for k in got.column(t("Key"), total=True)]
        assert keys == codes_of_customers(ids(r"key=(\d+)", got.page))
        assert_scope(got, keys, world, user)
        totals = got.keyed(t("Key"), t("Total"), total=True)
        for code, total in totals.items():
            owed = Receivable.objects.filter(customer__code=code).values_list(
                "outstanding", flat=True
            )
            assert money(total) == sum(owed, Decimal("0.00"))  # nothing moved after the day
        last = got.sheet()[-1]
        assert last[0] == t("Total")
        assert money(last[got.sheet()[1].index(t("Total"))]) == sum(
            money(v) for v in totals.values()
        )


def test_aging_drill_down_export_matches_the_page(client, world):
    params = {"as_of": "2026-06-30", "by": "customer", "key": str(world.own.customer.pk)}
    for user in people(world):
        got = download(client, user, reverse("reports:aging_receivables"), params)
        assert got.filename == "aging-receivables-2026-06-30.xlsx"
        shown = ids(r'href="/ledger/receivables/(\d+)/"', got.page)
        by_pk = dict(Receivable.objects.filter(pk__in=shown).values_list("pk", "number"))
        numbers = [plain(n) for n in got.column(t("Number"))]
        assert numbers == [by_pk[pk] for pk in shown] and numbers
        assert {plain(c) for c in got.column(t("Customer code"))} == {world.own.customer.code}
    foreign = {**params, "key": str(world.foreign.customer.pk), "export": "xlsx"}
    client.force_login(world.rep)
    assert client.get(reverse("reports:aging_receivables"), foreign).status_code == 404


def test_contract_checks_export_keeps_the_finding_filter(client, world):
    for user in people(world):
        got = download(client, user, reverse("contracts:checks"), {"finding": "all"})
        assert got.filename == "contract-checks-2026-06-30.xlsx"
        numbers = [plain(n) for n in got.column(t("Contract"))]
        assert numbers == re.findall(r'data-contract="([^"]+)"', got.page)
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert_scope(got, codes, world, user)
        assert "=MINE-HT-7" in numbers


# --- Collection work ----------------------------------------------------------------------------


def test_worklist_export_holds_the_tasks_in_rank_order(client, world):
    # Finance has no tasks of its own; an administrator picks everybody's.
    for user in (world.rep, world.admin):
        params = {"rep": "all"} if user == world.admin else {}
        got = download(client, user, reverse("dunning:worklist"), params)
        assert got.filename == "worklist-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(Task, ids(r'data-task="(\d+)"', got.page)) and codes
        assert_scope(got, codes, world, user)
        assert got.column(t("Rank")) == list(range(1, len(codes) + 1))
        assert "'" + HYPERLINK in got.column(t("Customer"))


def test_dispute_export_matches_the_page(client, world):
    for user in people(world):
        got = download(client, user, reverse("dunning:disputes"))
        assert got.filename == "disputes-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(Dispute, ids(r'data-dispute="(\d+)"', got.page)) and codes
        assert_scope(got, codes, world, user)
        opened = got.keyed(t("Customer code"), t("Opened on"))
        assert opened[world.own.customer.code] == date(2026, 3, 3)
        assert "'=MINE质量争议" in got.column(t("Description"))


def test_promise_export_matches_the_page_with_amounts(client, world):
    for user in people(world):
        got = download(client, user, reverse("dunning:promises"))
        assert got.filename == "promises-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(Promise, ids(r'data-promise="(\d+)"', got.page)) and codes
        assert_scope(got, codes, world, user)
        amounts = got.keyed(t("Customer code"), t("Amount"))
        assert money(amounts[world.own.customer.code]) == Decimal("4321.09")
        assert "'=MINE老板" in got.column(t("Promised by"))


def test_approval_export_keeps_the_status_tab(client, world):
    for user in people(world):
        got = download(client, user, reverse("dunning:approvals"), {"status": "pending"})
        assert got.filename == "approvals-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        shown = codes_of(ApprovalRequest, ids(r'data-approval="(\d+)"', got.page))
        assert codes == shown and codes
        assert_scope(got, codes, world, user)
        assert "'=MINE核销理由" in got.column(t("Reason"))
    got = download(client, world.finance, reverse("dunning:approvals"), {"status": "rejected"})
    assert got.column(t("Customer code")) == []


def test_playbook_export_counts_what_the_page_counts(client, world):
    for user, uses in ((world.rep, 1), (world.finance, 2)):
        got = download(client, user, reverse("dunning:playbook"))
        assert got.filename == "playbook-report-2026-06-30.xlsx"
        with translation.override("zh-hans"):
            name = str(technique("credit_check").name)
        assert got.keyed(t("Technique"), t("Uses")) == {name: uses}
        assert re.findall(r'data-technique="([^"]+)"', got.page)[0] == "credit_check"


def test_case_export_holds_the_sections_of_the_case_page(client, world):
    url = reverse("dunning:case", args=[world.own.customer.pk])
    for user in people(world):
        got = download(client, user, url)
        assert got.filename == "case-MINE-CUST-7-2026-06-30.xlsx"
        assert len(got.book) == 6
        numbers = [plain(n) for n in got.column(t("Number"), sheet=1)]
        assert numbers == re.findall(r'data-receivable="([^"]+)"', got.page) and numbers
        owed = got.keyed(t("Number"), t("Outstanding"), sheet=1)
        for receivable in Receivable.objects.filter(number__in=numbers):
            assert money(owed[receivable.number]) == receivable.outstanding
        promised = got.column(t("Promised by"), sheet=2)
        assert len(promised) == len(ids(r'data-promise="(\d+)"', got.page))
        assert promised == ["'=MINE老板"]
        assert len(got.sheet(3)) - 2 == len(ids(r'data-dispute="(\d+)"', got.page))
        assert len(got.sheet(4)) - 2 == len(ids(r'data-approval="(\d+)"', got.page))
        notes = got.column(t("Note"), sheet=5)
        assert len(notes) == len(ids(r'data-activity="(\d+)"', got.page)) >= 2
        assert "'=MINE通话记录" in notes
        assert FOREIGN not in got.text()
    client.force_login(world.rep)
    foreign = reverse("dunning:case", args=[world.foreign.customer.pk])
    assert client.get(foreign, {"export": "xlsx"}).status_code == 404


# --- Credit control -----------------------------------------------------------------------------


def test_signal_export_matches_the_inbox(client, world):
    for user in people(world):
        got = download(client, user, reverse("risk:signals"))
        assert got.filename == "warning-signs-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(Signal, ids(r'data-signal="(\d+)"', got.page)) and codes
        assert_scope(got, codes, world, user)
        assert "'=MINE低价甩货" in got.column(t("Evidence"))


def test_exception_export_matches_the_list_with_amounts(client, world):
    for user in people(world):
        got = download(client, user, reverse("risk:exceptions"))
        assert got.filename == "credit-exceptions-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(CreditException, ids(r'data-exception="(\d+)"', got.page))
        assert_scope(got, codes, world, user)
        amounts = got.keyed(t("Customer code"), t("Up to"))
        assert money(amounts[world.own.customer.code]) == Decimal("777.00")
        until = got.keyed(t("Customer code"), t("Valid until"))
        assert until[world.own.customer.code] == date(2099, 12, 31)


def test_decision_export_matches_the_log(client, world):
    for user in people(world):
        got = download(client, user, reverse("risk:decisions"))
        assert got.filename == "credit-decisions-2026-06-30.xlsx"
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(CreditDecision, ids(r'data-credit-decision="(\d+)"', got.page))
        assert_scope(got, codes, world, user)
        amounts = got.keyed(t("Order"), t("Amount"))
        assert money(amounts["=MINE-SO-7"]) == Decimal("100.00")


# --- Letters and messages -----------------------------------------------------------------------


def test_confirmation_export_matches_the_list_with_balances(client, world):
    for user in people(world):
        got = download(client, user, reverse("documents:confirmations"))
        assert got.filename == "confirmations-2026-06-30.xlsx"
        numbers = [plain(n) for n in got.column(t("Number"))]
        assert numbers == re.findall(r'data-confirmation="([^"]+)"', got.page) and numbers
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert_scope(got, codes, world, user)
        balances = got.keyed(t("Number"), t("Our balance"))
        answered = world.own.letters.answered
        assert money(balances[answered.document.number]) == answered.our_balance
        their = got.keyed(t("Number"), t("Customer's figure"))
        assert money(their[answered.document.number]) == Decimal("1000.00")


def test_outbox_export_holds_the_messages_and_the_open_alerts(client, world):
    for user in people(world):
        got = download(client, user, reverse("notifications:messages"))
        assert got.filename == "outbox-2026-06-30.xlsx"
        shown = ids(r'data-message="(\d+)"', got.page)
        codes = [plain(c) for c in got.column(t("Customer code"))]
        assert codes == codes_of(Message, shown) and codes
        assert_scope(got, codes, world, user)
        alerts = got.column(t("Message"), sheet=1)
        visible = Alert.objects.filter(message_id__in=shown, resolved_at__isnull=True)
        assert sorted(alerts) == sorted(visible.values_list("message_id", flat=True))
        assert "'=MINE余额询证函" in got.column(t("Subject"))


def test_the_outbox_export_keeps_the_search(client, world):
    params = {"q": world.own.customer.code}
    got = download(client, world.finance, reverse("notifications:messages"), params)
    assert {plain(c) for c in got.column(t("Customer code"))} == {world.own.customer.code}


# --- Dashboard ----------------------------------------------------------------------------------


def test_dashboard_export_holds_its_figures(client, world):
    for user in people(world):
        got = download(client, user, reverse("web:dashboard"), {"as_of": "2026-06-30"})
        assert got.filename == "dashboard-2026-06-30.xlsx"
        assert len(got.book) == 4
        codes = [plain(c) for c in got.column(t("Customer code"), sheet=3)]
        assert codes == codes_of_customers(ids(r'href="/customers/(\d+)/"', got.page))
        assert_scope(got, codes, world, user)
        (outstanding,) = got.column(t("Outstanding"))
        scope = Customer.objects.filter(code__in=world.own_codes if user == world.rep else [])
        owed = Receivable.objects.filter(outstanding__gt=0)
        if user == world.rep:
            owed = owed.filter(customer__in=scope)
        assert money(outstanding) == sum(owed.values_list("outstanding", flat=True))
        amounts = got.column(t("Amount"), sheet=1, total=True)
        assert money(got.sheet(1)[-1][2]) == sum(money(a) for a in amounts)


# --- No paging ----------------------------------------------------------------------------------

PAGED = [
    ("customers", "customers:list", {}, lambda: Customer.objects.count()),
    ("ledger", "ledger:receivables", {}, lambda: Receivable.objects.count()),
    ("ledger", "ledger:payments", {}, lambda: Payment.objects.count()),
    ("contracts", "contracts:checks", {"finding": "all"}, lambda: Contract.objects.count()),
    ("dunning", "dunning:disputes", {}, lambda: Dispute.objects.count()),
    ("dunning", "dunning:promises", {}, lambda: Promise.objects.count()),
    ("dunning", "dunning:approvals", {}, lambda: ApprovalRequest.objects.count()),
    ("risk", "risk:signals", {}, lambda: Signal.objects.count()),
    ("risk", "risk:exceptions", {}, lambda: CreditException.objects.count()),
    ("risk", "risk:decisions", {}, lambda: CreditDecision.objects.count()),
    ("documents", "documents:confirmations", {}, lambda: BalanceConfirmation.objects.count()),
    (
        "notifications",
        "notifications:messages",
        {},
        lambda: Message.objects.filter(customer__isnull=False).count(),
    ),
]


@pytest.mark.parametrize(("app", "name", "params", "count"), PAGED, ids=[p[1] for p in PAGED])
def test_an_export_from_any_page_holds_every_row_not_one_page(
    client, world, monkeypatch, app, name, params, count
):
    monkeypatch.setattr(f"huikuan.{app}.views.PAGE_SIZE", 1)
    got = download(client, world.finance, reverse(name), {**params, "page": "2"})
    assert 'rel="next"' in got.page or 'rel="prev"' in got.page  # the page itself is paged
    assert len(got.sheet()) - 2 == count() >= 2


def test_the_aging_drill_down_export_is_not_paged(client, world, monkeypatch):
    monkeypatch.setattr("huikuan.reports.views.DRILL_PAGE_SIZE", 1)
    params = {"as_of": "2026-06-30", "by": "rep", "key": str(world.rep.pk), "page": "2"}
    got = download(client, world.rep, reverse("reports:aging_receivables"), params)
    owed = Receivable.objects.filter(customer__owner=world.rep, outstanding__gt=0)
    assert sorted(plain(n) for n in got.column(t("Number"))) == sorted(
        owed.values_list("number", flat=True)
    )
    assert owed.count() >= 2


def test_the_customer_list_link_follows_the_filters_typed_in(client, world):
    """The filters of the customer list apply as one types (htmx swaps the results): the export
    link comes with the results, so it always carries what is typed in."""
    client.force_login(world.finance)
    fragment = client.get(reverse("customers:list"), {"q": "PLUS"}, HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    (href,) = re.findall(r'<a [^>]*data-export[^>]*href="([^"]+)"', fragment.content.decode())
    book = read_book(client.get(html.unescape(href)).getvalue())
    rows = next(iter(book.values()))
    assert [row[0] for row in rows[2:]] == ["PLUS-CUST-7"]


# --- Speed ---------------------------------------------------------------------------------------

QUERIED = [
    ("customers:list", {}),
    ("ledger:receivables", {}),
    ("ledger:payments", {}),
    ("contracts:checks", {"finding": "all"}),
    ("dunning:worklist", {"rep": "all"}),
    ("dunning:disputes", {}),
    ("dunning:promises", {}),
    ("dunning:approvals", {}),
    ("dunning:playbook", {}),
    ("risk:signals", {}),
    ("risk:exceptions", {"show": "all"}),
    ("risk:decisions", {}),
    ("documents:confirmations", {}),
    ("notifications:messages", {}),
    ("reports:aging", {"as_of": "2026-06-30"}),
]


def test_an_export_costs_the_same_queries_however_many_rows(client, world):
    client.force_login(world.admin)

    def costs() -> dict[str, int]:
        found = {}
        for name, params in QUERIED:
            with CaptureQueriesContext(connection) as queries:
                answer = client.get(reverse(name), {**params, "export": "xlsx"})
            assert answer["Content-Type"] == xlsx.CONTENT_TYPE, name
            found[name] = len(queries)
        return found

    costs()  # the first requests fill the caches (session, policy, calendar)
    before = costs()
    more = build_account("MORE", owner=world.rep, region=world.own.customer.region)
    build_collection(more, "MORE", actor=world.rep)
    build_risk(more, "MORE", rep=world.rep, manager=world.manager)
    build_letters(more, "MORE", actor=world.rep)
    assert costs() == before
