"""The demo's letters and messages: the letterhead filled in, statements and balance
confirmations at their different stages, overdue notices and a lawyer's letter sent by post or
email, and a team robot whose webhook is not set up yet — written through the document and
outbox services, so the compose page, the confirmations list and the outbox have something true
to show. ``huikuan seed-demo`` then runs the outbox once (in the default drop mode the emails land
as .eml files under ``var/mail-drop/``).

PDFs cost 0.1 s each with HarfBuzz's subsetter and 2–3 s without, so the demo issues only a
handful.
"""

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from huikuan.customers.models import Customer
from huikuan.documents.models import DocumentKind, Letterhead, SentVia
from huikuan.documents.services import (
    confirmation_reply_record,
    document_issue,
    document_mark_sent,
)
from huikuan.ledger.models import Receivable
from huikuan.notifications.models import Channel, Purpose, Robot, RobotPurpose
from huikuan.notifications.outbox import message_enqueue
from huikuan.notifications.reminders import email_contact

from .world import CustomerPlan, Staff

LETTERHEAD = {
    "company_name": "华康医药商贸有限公司",
    "credit_code": "91440101MA5DEMO00X",
    "address": "广州市天河区体育西路 191 号中石化大厦 18 楼",
    "phone": "020-3888 0000",
    "email": "ar@demo.huikuan.invalid",
    "bank_name": "中国工商银行广州天河支行",
    "bank_account": "3602 0000 0919 0000 000",
    "reply_address": "广州市天河区体育西路 191 号 18 楼 财务部 应收组（邮编 510620）",
    "law_firm": "广东明正律师事务所",
    "lawyer_name": "陈律师",
    "lawyer_phone": "020-3777 0000",
}
# A webhook address nothing listens on: the demo's digest robot shows a real failed delivery.
UNSET_ROBOT_URL = "http://127.0.0.1:9/cgi-bin/webhook/send?key=demo-not-configured"


def _email_of(customer: Customer) -> str:
    contact = email_contact(customer)
    return contact.email if contact else ""


def seed_letters(*, plans: list[CustomerPlan], seed: int, as_of: date, staff: Staff) -> Counter:
    """Issue the demo's letters as of ``as_of`` and queue their emails; returns counts."""
    rng = random.Random(f"{seed}:letters")
    written: Counter = Counter()
    Letterhead.objects.update_or_create(pk=1, defaults=LETTERHEAD)
    Robot.objects.get_or_create(
        name="销售一部微信群（演示：未配置）",
        defaults={
            "channel": Channel.WECOM,
            "url": UNSET_ROBOT_URL,
            "purpose": RobotPurpose.DIGEST,
        },
    )
    customers = Customer.objects.in_bulk([plan.id for plan in plans])
    owners = {rep.pk: rep for rep in staff.reps}
    ordered = sorted(plans, key=lambda plan: plan.code)
    rng.shuffle(ordered)
    # One query for who owes how much overdue money (the seed's as_of is its last day, so today's
    # balances are the as-of ones), not a notice's worth of reads per customer.
    overdue_total = dict(
        Receivable.objects.filter(customer_id__in=customers, outstanding__gt=0, due_date__lt=as_of)
        .values_list("customer_id")
        .annotate(total=Sum("outstanding"))
    )
    # Letters go to customers who owe something worth a letter (¥10,000 or more overdue).
    overdue = [
        (plan, customers[plan.id])
        for plan in ordered
        if overdue_total.get(plan.id, 0) >= Decimal(10_000)
    ]
    rep_of = lambda plan: owners.get(plan.owner_id, staff.admin)  # noqa: E731

    # Overdue notices: one emailed (when the customer's finance has an address), one posted.
    for n, (plan, customer) in enumerate(overdue[:2]):
        notice = document_issue(
            kind=DocumentKind.OVERDUE_NOTICE, customer=customer, as_of=as_of, actor=rep_of(plan)
        )
        written["documents"] += 1
        email = _email_of(customer)
        if n == 0 and email:
            message_enqueue(
                key=f"demo:notice:{notice.number}",
                channel=Channel.EMAIL,
                purpose=Purpose.DOCUMENT,
                now=timezone.now(),
                recipient=email,
                subject=f"{LETTERHEAD['company_name']} 货款逾期通知单 {notice.number}",
                body_text=(
                    f"{customer.name} 财务部：\n\n附件是截至 {as_of:%Y-%m-%d} 的货款逾期通知单"
                    f"（{notice.number}），逾期金额 ¥{notice.total:,.2f}，请安排付款。"
                    "如已付款，请忽略本函并告知付款日期。\n\n"
                    f"{LETTERHEAD['company_name']} 应收组 {LETTERHEAD['phone']}"
                ),
                customer=customer,
                document=notice,
                actor=rep_of(plan),
            )
            written["messages"] += 1
        else:
            document_mark_sent(
                document=notice,
                on=as_of,
                via=SentVia.POST,
                actor=rep_of(plan),
                reference="顺丰 SF1400000000" + str(n),
            )
    # A lawyer's letter to the customer furthest overdue among the rest, posted a week ago.
    if len(overdue) > 2:
        plan, customer = max(overdue[2:8], key=lambda pc: overdue_total[pc[0].id])
        letter = document_issue(
            kind=DocumentKind.LAWYER_LETTER,
            customer=customer,
            as_of=as_of - timedelta(days=7),
            actor=staff.admin,
        )
        document_mark_sent(
            document=letter,
            on=as_of - timedelta(days=7),
            via=SentVia.POST,
            actor=staff.admin,
            reference="EMS 1100000000000",
        )
        written["documents"] += 1
    # Balance confirmations at the year's audit: agreed with its signed scan, disagreed, waiting.
    asked = as_of - timedelta(days=30)
    for n, (_plan, customer) in enumerate(overdue[8:11]):
        document = document_issue(
            kind=DocumentKind.CONFIRMATION, customer=customer, as_of=asked, actor=staff.finance
        )
        document_mark_sent(
            document=document, on=asked, via=SentVia.POST, actor=staff.finance, reference=""
        )
        written["documents"] += 1
        confirmation = document.confirmation
        if n == 0:
            scan = SimpleUploadedFile(
                f"{document.number}-回函.pdf", bytes(document.pdf), "application/pdf"
            )
            confirmation_reply_record(
                confirmation=confirmation,
                actor=staff.finance,
                replied_on=asked + timedelta(days=12),
                outcome="agreed",
                note="客户财务已盖章确认（演示：扫描件为原函）。",
                scan=scan,
                today=as_of,
            )
        elif n == 1:
            confirmation_reply_record(
                confirmation=confirmation,
                actor=staff.finance,
                replied_on=asked + timedelta(days=16),
                outcome="disagreed",
                their_balance=max(confirmation.our_balance - 3_200, 0),
                note="客户称 10 月一笔退货 ¥3,200.00 未冲账，待核对。",
                today=as_of,
            )
        written["confirmations"] += 1
    # A statement emailed to a customer whose finance has an address.
    for plan, customer in overdue[11:30]:
        email = _email_of(customer)
        if not email:
            continue
        statement = document_issue(
            kind=DocumentKind.STATEMENT, customer=customer, as_of=as_of, actor=rep_of(plan)
        )
        message_enqueue(
            key=f"demo:statement:{statement.number}",
            channel=Channel.EMAIL,
            purpose=Purpose.DOCUMENT,
            now=timezone.now(),
            recipient=email,
            subject=f"{LETTERHEAD['company_name']} 对账单 {statement.number}",
            body_text=(
                f"{customer.name} 财务部：\n\n附件是截至 {as_of:%Y-%m-%d} 的对账单，"
                "请核对。如有不符，请于 15 日内告知。\n\n"
                f"{LETTERHEAD['company_name']} 应收组 {LETTERHEAD['phone']}"
            ),
            customer=customer,
            document=statement,
            actor=rep_of(plan),
        )
        written["documents"] += 1
        written["messages"] += 1
        break
    return written
