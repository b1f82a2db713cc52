"""A small world for the letter and message page tests: a team with a manager and two reps, a
finance clerk and an admin; a customer of the rep with an overdue and a not-yet-due bill and
two contacts (finance with email and mobile, a buyer with email); another rep's customer; our
letterhead. Built through the services, dates fixed."""

from datetime import date, timedelta
from decimal import Decimal

from huikuan.documents.models import Letterhead
from huikuan.dunning import defaults as ladders
from huikuan.dunning.models import CalendarDay, DunningLevel, DunningPolicy
from huikuan.dunning.tests.factories import (
    make_contact,
    make_customer,
    make_receivable,
    make_region,
    make_team,
    make_user,
)
from huikuan.org.models import Role

AS_OF = date(2026, 7, 2)


class World:
    def __init__(self, as_of: date = AS_OF):
        self.as_of = as_of
        if not DunningPolicy.objects.filter(is_active=True).exists():
            ladders.policies_ensure(DunningPolicy, DunningLevel)
        if not CalendarDay.objects.exists():
            ladders.calendar_ensure(CalendarDay)
        Letterhead.objects.update_or_create(
            pk=1,
            defaults={
                "company_name": "杭州回款医药有限公司",
                "address": "杭州市西湖区文三路 1 号",
                "phone": "0571-88886666",
                "bank_name": "招商银行杭州分行",
                "bank_account": "5719 0000 1234",
                "reply_address": "杭州市西湖区文三路 1 号 财务部",
            },
        )
        region = make_region("PGS")
        team = make_team("页面一组", region)
        self.manager = make_user(Role.MANAGER, region=region, team=team, last_name="周")
        self.rep = make_user(
            Role.REP, region=region, team=team, manager=self.manager, last_name="王",
            first_name="业务", phone="13900001111",
        )  # fmt: skip
        self.other_rep = make_user(Role.REP, region=make_region("PGN"))
        self.finance = make_user(Role.FINANCE, last_name="蔡")
        self.admin = make_user(Role.ADMIN)
        self.customer = make_customer(
            owner=self.rep, code="KN-001", name="杭州康宁医药有限公司", region=region
        )
        self.old = make_receivable(
            self.customer,
            amount="12000.00",
            number="KN-INV-1",
            issue_date=as_of - timedelta(days=70),
            due_date=as_of - timedelta(days=40),
        )
        self.new = make_receivable(
            self.customer,
            amount="3000.00",
            number="KN-INV-2",
            issue_date=as_of - timedelta(days=5),
            due_date=as_of + timedelta(days=25),
        )
        self.finance_contact = make_contact(
            self.customer,
            name="陈会计",
            email="chen@kangning.cn",
            phone="13812345678",
        )
        self.buyer = make_contact(
            self.customer, role="purchasing", name="李采购", email="li@kangning.cn"
        )
        self.foreign = make_customer(owner=self.other_rep, code="OH-003", name="温州瓯海医院")
        make_receivable(
            self.foreign,
            amount="8000.00",
            number="OH-INV-1",
            issue_date=as_of - timedelta(days=60),
            due_date=as_of - timedelta(days=30),
        )

    overdue_total = Decimal("12000.00")
