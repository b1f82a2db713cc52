"""Two years of trading with one customer, simulated event by event in date order.

Deliveries, invoices and installment nodes create receivables; the customer pays at its
settlement runs as its behaviour dictates (punctual, slow, seasonal, hardship, disputed,
malicious, vanished, insolvent); finance books returns, rebates and quality allowances as credit
notes, writes off what will never come, and reverses what went wrong (a dishonoured acceptance
bill, a payment allocated to the wrong invoice, a write-off later partly recovered).

Because the events of one customer are handled strictly in date order and every movement is
dated on the day it happens, each allocation is dated on or after the payment, the receivable's
issue date and every earlier movement on either — the rule the point-in-time reports rely on.
"""

import heapq
from bisect import bisect_right, insort
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from huikuan.contracts.models import Contract, Delivery, InstallmentNode, SealKind
from huikuan.ledger.models import PaymentKind, PaymentMethod, ReceivableKind

from . import catalog
from .book import Book, Numbers, Rec
from .seasons import Window, next_working_day, season, spring_festival
from .world import CustomerPlan

DAY = timedelta(days=1)
YUAN = 100  # fen


@dataclass(frozen=True)
class Profile:
    """How a customer pays at a settlement run: it pays what fell due up to ``look`` days after
    the run (negative: what is that many days overdue), a fraction of it, or skips the run."""

    look: tuple[int, int]
    fraction: tuple[float, float]
    skip: float


PROFILES = {
    "punctual": Profile((12, 25), (1.0, 1.0), 0.03),
    "slow": Profile((-75, -25), (0.6, 1.0), 0.15),
    "seasonal": Profile((-45, -15), (0.1, 0.3), 0.55),
    "hardship": Profile((-120, -45), (0.25, 0.6), 0.25),
    "disputed": Profile((-35, -5), (0.8, 1.0), 0.1),
    "malicious": Profile((-240, -120), (0.05, 0.2), 0.45),
    "vanished": Profile((-60, -20), (0.6, 1.0), 0.15),
    "insolvent": Profile((-90, -30), (0.4, 0.9), 0.2),
}
VAGUE_CHANCE = {"seasonal": 0.6, "malicious": 0.4, "hardship": 0.2}
STAMP_CHANCE = {"malicious": 0.5, "vanished": 0.5, "hardship": 0.2}
PRODUCT_WEIGHT = {"same": 5.0, "all": 2.0, "other": 0.3}

# Event priorities within one day: new documents first, then credits, then the run, then
# corrections, then write-offs.
ISSUE, CREDIT, PAYMENT, RUN, CORRECT, WRITE_OFF, LAST = range(7)


class CustomerHistory:
    def __init__(self, *, plan: CustomerPlan, book: Book, rng, window: Window, numbers: Numbers):
        self.plan = plan
        self.book = book
        self.rng = rng
        self.window = window
        self.as_of = window.as_of
        self.numbers = numbers
        self.profile = PROFILES[plan.behaviour]
        self.look = rng.randint(*self.profile.look)
        self.open: list[Rec] = []
        self.open_ids: set[int] = set()
        self.credits = []
        self.write_offs = []
        self.purchases: dict[int, int] = defaultdict(int)
        self.events: list = []
        self.seq = 0
        self.used: set[str] = set()  # scripted one-offs already done

    # --- planning -----------------------------------------------------------------------------

    def schedule(self, day: date, priority: int, action, *args) -> None:
        if day <= self.as_of:
            self.seq += 1
            heapq.heappush(self.events, (day, priority, self.seq, action, args))

    def run(self) -> None:
        self._plan_documents()
        self._plan_payments()
        while self.events:
            day, _priority, _seq, action, args = heapq.heappop(self.events)
            action(day, *args)

    def _plan_documents(self) -> None:
        plan, rng = self.plan, self.rng
        n = plan.receivables
        if n == 0:
            return
        installments = 0
        if plan.kind == "government":
            installments = min(n, max(2, n // 2))
        elif plan.kind == "hospital" and n >= 6:
            installments = 3
        rest = n - installments
        opening = 0
        if rest >= 4 and (
            "opening" in plan.script
            or (
                plan.behaviour in ("slow", "hardship", "malicious", "disputed")
                and rng.random() < 0.5
            )
        ):
            opening = 1 if rng.random() < 0.6 else 2
        rest -= opening
        invoices = 0
        if plan.kind in ("distributor", "chain"):
            invoices = max(1 if "invoice" in plan.script else 0, round(rest * 0.05))
        deliveries = rest - invoices

        self._tenders(installments)
        for k in range(opening):
            issue = self.window.start - timedelta(days=rng.randint(60, 420))
            self._new_receivable(
                kind=ReceivableKind.OPENING,
                number=f"QC-{plan.code}-{k + 1}",
                issue=issue,
                due=issue + timedelta(days=plan.terms_days),
                fen=self._order_fen(issue)[0] * rng.randint(2, 5),
                description="期初余额（系统上线前的欠款）",
            )
        self._deliveries(deliveries, invoices)

    def _tenders(self, count: int) -> None:
        plan, rng = self.plan, self.rng
        latest = (plan.stop or self.as_of) - timedelta(days=20)
        while count > 0:
            nodes = list(rng.choice(catalog.INSTALLMENT_PLANS))
            if len(nodes) > count:
                merged = sum(percent for percent, _days, _text in nodes[count - 1 :])
                nodes = [*nodes[: count - 1], (merged, nodes[-1][1], nodes[-1][2])]
            low = max(self.window.start, plan.first_deal)
            signed = low + timedelta(days=rng.randint(0, max(0, (latest - low).days)))
            title, lowest, highest = rng.choice(catalog.PUBLIC_TENDERS)
            total = rng.randrange(lowest, highest, 1000) * YUAN
            contract = self.book.row(
                Contract,
                customer_id=plan.id,
                number=self.numbers("ZB", signed),
                signed_on=signed,
                amount=total,
                payment_terms=f"{title}：" + "；".join(text for _p, _d, text in nodes),
                term_days=None,
                seal_kind=SealKind.CONTRACT_SEAL,
                acceptance_criteria=catalog.ACCEPTANCE_CRITERIA,
            )
            left = total
            for sequence, (percent, days, text) in enumerate(nodes, start=1):
                fen = left if sequence == len(nodes) else total * percent // 100
                left -= fen
                due = signed + timedelta(days=days)
                node = self.book.row(
                    InstallmentNode,
                    contract_id=contract["id"],
                    sequence=sequence,
                    due_date=due,
                    amount=fen,
                    description=text,
                )
                self._new_receivable(
                    kind=ReceivableKind.INSTALLMENT,
                    number=f"{contract['number']}-{sequence:02d}",
                    issue=min(signed, due),
                    due=due,
                    fen=fen,
                    contract_id=contract["id"],
                    installment_id=node["id"],
                    description=text,
                )
            count -= len(nodes)

    def _framework_contracts(self, low: date, high: date) -> list[dict]:
        """Yearly sales contracts (年度购销合同); small shops often trade on a handshake."""
        plan, rng = self.plan, self.rng
        handshake = plan.kind in ("clinic", "pharmacy") and rng.random() < 0.5
        if handshake and "personal_stamp" not in plan.script:
            return []
        vague = "vague_terms" in plan.script or rng.random() < VAGUE_CHANCE.get(
            plan.behaviour, 0.06
        )
        stamp = "personal_stamp" in plan.script or rng.random() < STAMP_CHANCE.get(
            plan.behaviour, 0.04
        )
        if stamp:
            seal = SealKind.PERSONAL_STAMP
        else:
            seal = rng.choices(
                [SealKind.CONTRACT_SEAL, SealKind.COMPANY_SEAL, SealKind.SIGNATURE], [80, 16, 4]
            )[0]
        contracts = []
        signed = max(plan.first_deal, low - timedelta(days=rng.randint(0, 200)))
        while signed <= high:
            if vague:
                terms, days = rng.choice(catalog.VAGUE_TERMS), None
            else:
                terms, days = rng.choice(catalog.TERMS_WITH_DAYS)
                if plan.public:
                    terms, days = "货到验收合格后90天内付款", 90
            contracts.append(
                self.book.row(
                    Contract,
                    customer_id=plan.id,
                    number=self.numbers("HT", signed),
                    signed_on=signed,
                    amount=0,
                    payment_terms=terms,
                    term_days=days,
                    late_fee_per_day_bp=5 if rng.random() < 0.3 else 0,
                    seal_kind=seal,
                )
            )
            signed += timedelta(days=365)
        return contracts

    def _deliveries(self, deliveries: int, invoices: int) -> None:
        plan, rng = self.plan, self.rng
        total = deliveries + invoices
        if total <= 0:
            return
        low = max(self.window.start, plan.first_deal)
        high = plan.stop - timedelta(days=15) if plan.stop else self.as_of
        low = min(low, high)
        sharp = plan.behaviour == "seasonal" or plan.kind == "health_store"
        days = self.window.sample(rng, low, high, total, sharp=sharp)
        contracts = self._framework_contracts(low, high)
        signed = [c["signed_on"] for c in contracts]
        invoice_at = set(rng.sample(range(total), invoices))
        disputed = set()
        if plan.behaviour == "disputed":
            candidates = [i for i, d in enumerate(days) if d <= self.as_of - timedelta(days=150)]
            disputed = set(rng.sample(candidates, min(len(candidates), rng.randint(1, 3))))
        for index, day in enumerate(days):
            fen, text = self._order_fen(day)
            if plan.behaviour == "vanished" and index == total - 1:
                fen *= 4  # the off-season bulk order just before they disappear
            at = bisect_right(signed, day) - 1
            contract = contracts[at] if at >= 0 else None
            term = contract["term_days"] if contract else None
            due = day + timedelta(days=term if term is not None else plan.terms_days)
            contract_id = contract["id"] if contract else None
            if index in invoice_at:
                rec = self._new_receivable(
                    kind=ReceivableKind.INVOICE,
                    number=self.numbers("FP", day),
                    issue=day,
                    due=due,
                    fen=fen,
                    contract_id=contract_id,
                    description="厂家直发（直调）货款：" + text,
                )
            else:
                delivery = self.book.row(
                    Delivery,
                    customer_id=plan.id,
                    contract_id=contract_id,
                    number=self.numbers("XS", day),
                    delivered_on=day,
                    amount=fen,
                    due_date=due,
                    description=text,
                )
                rec = self._new_receivable(
                    kind=ReceivableKind.DELIVERY,
                    number=delivery["number"],
                    issue=day,
                    due=due,
                    fen=fen,
                    contract_id=contract_id,
                    delivery_id=delivery["id"],
                    description=text,
                )
                if ("return" in plan.script and "return" not in self.used) or rng.random() < 0.025:
                    self.used.add("return")
                    self.schedule(
                        day + timedelta(days=rng.randint(10, 60)), CREDIT, self._return, rec
                    )
            if index in disputed:
                rec.disputed = True
                allowance = day + timedelta(days=rng.randint(90, 200))
                self.schedule(allowance, CREDIT, self._allowance, rec)

    def _order_fen(self, day: date) -> tuple[int, str]:
        """An order's amount in fen and its goods list, by what sells in that season."""
        plan, rng = self.plan, self.rng
        now = season(day)
        weights = [
            PRODUCT_WEIGHT["same" if s == now else "all" if s == "all" else "other"]
            for *_rest, s in catalog.PRODUCTS
        ]
        lines = 1 + min(4, int(plan.size**0.5 * rng.random() * 1.5))
        cartons = catalog.CARTON_SIZES[: 3 + min(5, int(plan.size))]
        picked = []
        for name, unit, price, _season in rng.choices(catalog.PRODUCTS, weights, k=lines):
            if any(p[0] == name for p in picked):
                continue
            quantity = rng.choice(cartons) * max(
                1, round(plan.size**0.6 * rng.lognormvariate(-0.5, 0.5))
            )
            picked.append((name, unit, price, quantity))
        fen = sum(price * quantity for _n, _u, price, quantity in picked)
        text = "、".join(f"{name}×{quantity}{unit}" for name, unit, _p, quantity in picked)
        return fen, text[:255]

    def _new_receivable(self, **fields) -> Rec:
        rec = self.book.receivable(customer_id=self.plan.id, **fields)
        self.schedule(rec.issue, ISSUE, self._issue, rec)
        return rec

    def _plan_payments(self) -> None:
        plan, rng = self.plan, self.rng
        if not self.events:
            return
        first = max(self.window.start, self.events[0][0])
        year, month = first.year, first.month
        while date(year, month, 1) <= self.as_of:
            days_in_month = (date(year + month // 12, month % 12 + 1, 1) - DAY).day
            if plan.settlement_day:
                day = date(year, month, min(plan.settlement_day, days_in_month))
                if plan.behaviour != "punctual":
                    day += timedelta(days=rng.randint(-2, 6))
                runs = [day]
            else:
                runs = [
                    date(year, month, rng.randint(1, days_in_month))
                    for _ in range(rng.choice((1, 1, 2)))
                ]
            for day in runs:
                day = next_working_day(max(day, first))
                self.schedule(day, RUN, self._run, False)
            if plan.public and month == 12:  # budget year-end: approved bills are paid in full
                self.schedule(
                    next_working_day(date(year, 12, rng.randint(18, 26))), RUN, self._run, True
                )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if "rebate" in plan.script or (
            plan.kind in ("distributor", "chain")
            and plan.behaviour in ("punctual", "slow", "seasonal")
        ):
            for year in range(first.year + 1, self.as_of.year + 1):
                day = next_working_day(date(year, 1, rng.randint(10, 25)))
                self.schedule(day, CREDIT, self._rebate, year - 1)
        if "prepayment" in plan.script or (
            plan.behaviour == "punctual"
            and plan.kind in ("distributor", "chain")
            and rng.random() < 0.15
        ):
            for year in range(first.year, self.as_of.year + 2):
                day = spring_festival(year) - timedelta(days=rng.randint(40, 50))
                if day >= first:
                    self.schedule(
                        next_working_day(day), PAYMENT, self._prepay, catalog.PREPAYMENT_NOTE
                    )
            if "prepayment" in plan.script:  # paid today for an order not shipped yet
                self.schedule(self.as_of, LAST, self._prepay, "预付货款（订单未发货）")
        if plan.behaviour == "vanished" and ("write_off" in plan.script or rng.random() < 0.65):
            day = plan.stop + timedelta(days=rng.randint(120, 200))
            if "write_off" in plan.script:
                day = min(day, self.as_of)
            self.schedule(day, WRITE_OFF, self._write_off_all, catalog.WRITE_OFF_VANISHED)
        if plan.behaviour == "insolvent" and (
            "recovered_write_off" in plan.script or rng.random() < 0.8
        ):
            ruling = plan.stop + timedelta(days=rng.randint(60, 120))
            self.schedule(ruling, WRITE_OFF, self._write_off_all, catalog.WRITE_OFF_INSOLVENT)
            if "recovered_write_off" in plan.script:
                day = min(ruling + timedelta(days=rng.randint(30, 90)), self.as_of)
                self.schedule(day, LAST, self._recover)

    # --- what happens on a day ----------------------------------------------------------------

    def _issue(self, day: date, rec: Rec) -> None:
        if rec.kind in (ReceivableKind.DELIVERY, ReceivableKind.INVOICE):
            self.purchases[day.year] += rec.amount
        self._reopen(rec)
        if self.credits:
            for credit in self.credits:
                self._allocate(credit, day)
            self.credits = [c for c in self.credits if c.unapplied > 0]

    def _reopen(self, rec: Rec) -> None:
        if rec.outstanding > 0 and rec.id not in self.open_ids:
            insort(self.open, rec, key=lambda r: r.key)
            self.open_ids.add(rec.id)

    def _compact(self) -> None:
        if any(r.outstanding == 0 for r in self.open):
            self.open = [r for r in self.open if r.outstanding > 0]
            self.open_ids = {r.id for r in self.open}

    def _allocate(self, pay, day: date, *, only=None, skip=None) -> None:
        """Oldest due first, as payment_allocate_auto does; disputed items are held back."""
        left = pay.unapplied
        for rec in only if only is not None else self.open:
            if left <= 0:
                break
            if rec.outstanding <= 0 or rec is skip or (rec.disputed and only is None):
                continue
            take = min(left, rec.outstanding)
            self.book.allocate(pay, rec, take, day)
            left -= take
        self._compact()

    def _credit(self, day: date, fen: int, note: str, target: Rec | None = None) -> None:
        if fen <= 0:
            return
        note_doc = self.book.payment(
            customer_id=self.plan.id,
            kind=PaymentKind.CREDIT_NOTE,
            number=self.numbers("HZ", day),
            on=day,
            fen=fen,
            note=note,
        )
        if target is not None and target.outstanding > 0:
            self.book.allocate(note_doc, target, min(fen, target.outstanding), day)
        self._allocate(note_doc, day)
        if note_doc.unapplied:
            self.credits.append(note_doc)

    def _return(self, day: date, rec: Rec) -> None:
        self._credit(day, rec.amount * self.rng.randint(5, 30) // 100, catalog.GOODS_RETURN, rec)

    def _allowance(self, day: date, rec: Rec) -> None:
        fen = min(rec.outstanding, rec.amount * self.rng.randint(10, 20) // 100)
        self._credit(day, fen, catalog.QUALITY_ALLOWANCE, rec)
        if self.rng.random() < 0.5:
            rec.disputed = False  # settled: the rest is paid with the next run

    def _rebate(self, day: date, year: int) -> None:
        if self.plan.stop and day > self.plan.stop:
            return
        fen = self.purchases.get(year, 0) * self.rng.randint(10, 30) // 1000
        self._credit(day, fen - fen % YUAN, catalog.GOODS_REBATE.format(year=year))

    def _prepay(self, day: date, note: str) -> None:
        fen = max(1, round(self.plan.size * self.rng.uniform(1.5, 4.0))) * 10_000 * YUAN
        # Booked with allocate="none": it waits, as credit, for the order it pays for.
        self.credits.append(self._payment(day, fen, PaymentMethod.BANK_TRANSFER, note))

    def _run(self, day: date, year_end: bool) -> None:
        plan, rng, profile = self.plan, self.rng, self.profile
        if plan.stop and day > plan.stop:
            return
        look = self.look + rng.randint(-7, 7)
        fraction = rng.uniform(*profile.fraction)
        skip = profile.skip
        if year_end:
            look, fraction, skip = 10, 1.0, 0.0
        elif plan.behaviour == "seasonal" and day.month in (3, 4):
            look, fraction, skip = 0, rng.uniform(0.9, 1.0), 0.05  # the season's money is in
        if rng.random() < skip:
            return
        limit = day + timedelta(days=look)
        due = 0
        for rec in self.open:
            if rec.due > limit:
                break
            if not rec.disputed:
                due += rec.outstanding
        fen = int(due * fraction)
        if plan.behaviour != "punctual":
            fen -= fen % (1000 * YUAN if fen > 10_000 * YUAN else 100 * YUAN)
        if fen <= 0:
            return
        if plan.behaviour in ("punctual", "slow") and rng.random() < 0.03:
            fen += 10_000 * YUAN - fen % (10_000 * YUAN)  # rounded up: the rest is a credit
        pay = self._payment(day, fen, self._method(fen))
        self._allocate(pay, day)
        if pay.unapplied:
            self.credits.append(pay)
        if pay.method == PaymentMethod.ACCEPTANCE_BILL and pay.note.startswith("商业"):
            forced = "bounced_bill" in plan.script and "bounced_bill" not in self.used
            if forced or rng.random() < 0.3:
                self.used.add("bounced_bill")
                bounce = day + timedelta(days=rng.randint(90, 150))
                self.schedule(
                    min(bounce, self.as_of) if forced else bounce, CORRECT, self._bounce, pay
                )
        live = [row for row in pay.rows if row.live]
        if len(live) >= 2:
            forced = "wrong_allocation" in plan.script and "wrong_allocation" not in self.used
            if forced or rng.random() < 0.004:
                self.used.add("wrong_allocation")
                later = day + timedelta(days=rng.randint(2, 12))
                self.schedule(
                    min(later, self.as_of) if forced else later, CORRECT, self._correct, live[-1]
                )

    def _method(self, fen: int) -> str:
        plan, rng = self.plan, self.rng
        for script, method in (
            ("bounced_bill", PaymentMethod.ACCEPTANCE_BILL),
            ("cash", PaymentMethod.CASH),
            ("online", PaymentMethod.ONLINE),
        ):
            if script in plan.script and f"method:{script}" not in self.used:
                self.used.add(f"method:{script}")
                return method
        chance = rng.random()
        if plan.public:
            return PaymentMethod.BANK_TRANSFER
        if plan.behaviour in ("malicious", "hardship") and fen >= 20_000 * YUAN and chance < 0.3:
            return PaymentMethod.ACCEPTANCE_BILL
        if plan.kind == "distributor":
            big = fen >= 50_000 * YUAN and chance < 0.35
            return PaymentMethod.ACCEPTANCE_BILL if big else PaymentMethod.BANK_TRANSFER
        if plan.kind == "chain":
            if fen >= 100_000 * YUAN and chance < 0.15:
                return PaymentMethod.ACCEPTANCE_BILL
            return PaymentMethod.ONLINE if chance > 0.8 else PaymentMethod.BANK_TRANSFER
        if chance < 0.4:
            return PaymentMethod.ONLINE
        if plan.cash_allowed and fen <= 20_000 * YUAN and chance < 0.65:
            return PaymentMethod.CASH
        return PaymentMethod.BANK_TRANSFER

    def _payment(self, day: date, fen: int, method: str, note: str = ""):
        rng = self.rng
        if method == PaymentMethod.ACCEPTANCE_BILL:
            commercial = self.plan.behaviour in ("malicious", "hardship")
            kind = "商业" if commercial else "银行"
            maturity = day + timedelta(days=rng.choice((90, 180)))
            reference = f"{2 if commercial else 1}{rng.getrandbits(100) % 10**29:029d}"
            note = note or f"{kind}承兑汇票，到期日{maturity:%Y-%m-%d}"
        elif method == PaymentMethod.CASH:
            reference = f"现金收据 No.{rng.randint(1, 999_999):06d}"
        elif method == PaymentMethod.ONLINE:
            channel = rng.choice(("微信支付", "支付宝"))
            reference = f"{channel} {rng.getrandbits(96) % 10**28:028d}"
        else:
            reference = f"{rng.choice(catalog.BANKS)} {day:%Y%m%d}{rng.randint(0, 10**8 - 1):08d}"
        return self.book.payment(
            customer_id=self.plan.id,
            kind=PaymentKind.PAYMENT,
            number=self.numbers("SK", day),
            on=day,
            fen=fen,
            method=method,
            reference=reference,
            note=note,
        )

    def _bounce(self, day: date, pay) -> None:
        if pay.reversed_on is not None:
            return
        rows = [row.receivable for row in pay.rows if row.live]
        self.book.reverse_payment(
            pay, on=day, number=self.numbers("RV", day), reason=catalog.REVERSE_BOUNCED_BILL
        )
        for rec in rows:
            self._reopen(rec)

    def _correct(self, day: date, row) -> None:
        pay = row.payment
        if not row.live or pay.reversed_on is not None:
            return
        self.book.reverse_allocation(
            row, on=day, number=self.numbers("RV", day), reason=catalog.REVERSE_WRONG_ALLOCATION
        )
        self._reopen(row.receivable)
        self._allocate(pay, day, skip=row.receivable)
        if pay.unapplied and pay not in self.credits:
            self.credits.append(pay)

    def _write_off_all(self, day: date, reason: str) -> None:
        for rec in self.open:
            if rec.outstanding > 0 and rec.issue <= day:
                self.write_offs.append(
                    self.book.write_off(rec, on=day, number=self.numbers("WO", day), reason=reason)
                )
        self._compact()

    def _recover(self, day: date) -> None:
        """A liquidation dividend arrives: reverse the write-offs it touches, book the money,
        and write off what is still lost."""
        written = [w for w in self.write_offs if not w.reversed][:3]
        if not written:
            return
        recs = []
        for wo in written:
            self.book.reverse_write_off(
                wo,
                on=day,
                number=self.numbers("RV", day),
                reason=catalog.REVERSE_RECOVERED_WRITE_OFF,
            )
            recs.append(wo.receivable)
        total = sum(wo.amount for wo in written)
        fen = total * self.rng.randint(8, 20) // 100
        if fen > 0:
            pay = self._payment(day, fen, PaymentMethod.BANK_TRANSFER, "破产清算第一次分配款")
            self._allocate(pay, day, only=sorted(recs, key=lambda r: r.key))
        for rec in recs:
            if rec.outstanding > 0:
                self.write_offs.append(
                    self.book.write_off(
                        rec,
                        on=day,
                        number=self.numbers("WO", day),
                        reason=catalog.WRITE_OFF_INSOLVENT,
                    )
                )
