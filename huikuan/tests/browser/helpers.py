"""What the browser tests share: signing in, reading amounts off a page, and a small sales team
with customers and receivables."""

import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlparse

from django.utils import timezone

from huikuan.ledger.tests import factories as f
from huikuan.org.models import Role

PHONE = {"width": 390, "height": 844}
PASSWORD = "x"  # what the factories give every user


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would, and land on the dashboard."""
    page.goto("/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(password)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: urlparse(url).path == "/")


def field(page, label: str):
    """The form field labelled ``label`` (a required field's label ends in a "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def amount(text: str) -> Decimal:
    """``"¥12,345.60"`` -> ``Decimal("12345.60")``; a dash means nothing."""
    cleaned = re.sub(r"[¥,\s]", "", text)
    return Decimal("0.00") if cleaned in ("", "—", "-") else Decimal(cleaned)


class Sales:
    """A small sales organisation: one team with a manager and two reps, their customers with
    receivables of different ages, and a finance clerk. Dates are relative to today, the date
    the pages show."""

    def __init__(self):
        self.today: date = timezone.localdate()
        region = f.region("EAST")
        team = f.team("华东一组", region)
        self.manager = f.user(
            Role.MANAGER, username="zhou", last_name="周", first_name="经理", region=region,
            team=team,
        )  # fmt: skip
        self.rep = f.user(
            Role.REP, username="wang", last_name="王", first_name="业务", region=region,
            team=team, manager=self.manager,
        )  # fmt: skip
        self.other_rep = f.user(
            Role.REP, username="li", last_name="李", first_name="业务", region=region,
            team=team, manager=self.manager,
        )  # fmt: skip
        self.finance = f.user(Role.FINANCE, username="cai", last_name="蔡", first_name="会计")
        self.kangning = f.customer(
            code="KN-001", name="杭州康宁医药有限公司", owner=self.rep, region=region
        )
        self.haishu = f.customer(
            code="HS-002", name="宁波海曙大药房", owner=self.rep, region=region
        )
        self.ouhai = f.customer(
            code="OH-003", name="温州瓯海人民医院", owner=self.other_rep, region=region
        )
        # 杭州康宁: 10,000 about 75 days overdue (61–90) and 5,000 not yet due.
        self.old_invoice = self.invoice(self.kangning, "KN-INV-1", "10000.00", due_days_ago=75)
        self.new_invoice = self.invoice(self.kangning, "KN-INV-2", "5000.00", due_days_ago=-10)
        # 宁波海曙: 2,000 twenty days overdue, half of it paid five days ago.
        self.invoice(self.haishu, "HS-INV-1", "2000.00", due_days_ago=20)
        f.payment(
            self.haishu,
            number="HS-PAY-1",
            amount="1000.00",
            on=self.today - timedelta(days=5),
            allocate="auto",
        )
        # 温州瓯海 (the other rep's): 8,000 forty days overdue.
        self.ouhai_invoice = self.invoice(self.ouhai, "OH-INV-1", "8000.00", due_days_ago=40)

    def invoice(self, customer, number: str, value: str, *, due_days_ago: int):
        due = self.today - timedelta(days=due_days_ago)
        return f.receivable(
            customer, number=number, amount=value, issue=due - timedelta(days=30), due=due
        )
