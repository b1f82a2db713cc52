"""The demo company and its customers: regions, teams, the demo logins, and who buys from us.

Everything is decided from one ``random.Random`` and one seeded Faker, in a fixed order, so a
seed always produces the same people and companies.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password

from huikuan.customers.models import Contact, Customer, CustomerStatus, PaymentProcess
from huikuan.org.models import Region, Role, Team, User

from . import catalog
from .book import Book

# The demo logins (README.md lists them). Passwords are for the demo only.
DEMO_PASSWORDS = {
    "admin": "huikuan-admin",
    "finance": "huikuan-finance",
    "manager": "huikuan-manager",
    "rep": "huikuan-rep",
}

# How customers pay, and how often each behaviour occurs among ordinary customers (percent).
BEHAVIOURS = {
    "punctual": 34,
    "slow": 27,
    "seasonal": 11,
    "hardship": 9,
    "disputed": 8,
    "malicious": 4,
    "vanished": 4,
    "insolvent": 3,
}
PUBLIC_BEHAVIOURS = {"punctual": 30, "slow": 60, "disputed": 10}
RATING = {
    "punctual": "A",
    "slow": "B",
    "seasonal": "B",
    "hardship": "C",
    "disputed": "C",
    "malicious": "D",
    "vanished": "D",
    "insolvent": "D",
}

# The first customers are cast so that every behaviour, document kind and payment method occurs
# in even a small demo, and rep1 (the login the README suggests) has a realistic book:
# (owner, kind, behaviour, scripted events).
CAST = [
    ("rep1", "chain", "punctual", {"prepayment", "return", "rebate"}),
    ("rep1", "government", "slow", set()),
    ("rep1", "distributor", "malicious", {"bounced_bill", "opening"}),
    ("rep1", "hospital", "disputed", {"dispute"}),
    ("rep2", "health_store", "seasonal", {"vague_terms"}),
    ("rep2", "pharmacy", "hardship", {"cash"}),
    ("rep4", "distributor", "slow", {"wrong_allocation", "invoice"}),
    ("rep5", "clinic", "punctual", {"online"}),
    ("rep6", "pharmacy", "vanished", {"write_off", "personal_stamp"}),
    ("rep7", "distributor", "insolvent", {"recovered_write_off"}),
]


@dataclass
class Staff:
    admin: User
    finance: User
    reps: list[User]
    regions: dict[str, Region]
    created: list[str] = field(default_factory=list)


@dataclass
class CustomerPlan:
    """What the generator decided about one customer; the ledger history is simulated from it."""

    id: int
    code: str
    name: str
    kind: str
    public: bool
    behaviour: str
    owner_id: int
    size: float
    receivables: int = 0
    terms_days: int = 30
    settlement_day: int | None = None
    cash_allowed: bool = False
    first_deal: date | None = None
    stop: date | None = None
    script: set = field(default_factory=set)


def _person(fake) -> tuple[str, str]:
    return fake.last_name(), fake.first_name()


def ensure_staff(*, fake, hasher_cache: dict | None = None) -> Staff:
    """Regions, teams and the demo logins. Existing users with a demo username are kept as they
    are (their password is not touched); missing ones are created."""
    regions = {}
    for code, name, _cities in catalog.REGIONS:
        regions[code] = Region.objects.get_or_create(code=code, defaults={"name": name})[0]
    hashes = hasher_cache if hasher_cache is not None else {}

    def password(kind: str) -> str:
        if kind not in hashes:
            hashes[kind] = make_password(DEMO_PASSWORDS[kind])
        return hashes[kind]

    created: list[str] = []

    def user(username: str, kind: str, **fields) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            return existing
        last, first = _person(fake)
        created.append(username)
        return User.objects.create(
            username=username,
            password=password(kind),
            last_name=last,
            first_name=first,
            email=f"{username}@demo.huikuan.invalid",
            phone=fake.phone_number(),
            **fields,
        )

    admin = user(
        "admin", "admin", role=Role.ADMIN, is_superuser=True, is_staff=True, region=regions["EAST"]
    )
    finance = user("finance", "finance", role=Role.FINANCE, region=regions["EAST"])
    managers: dict[str, User] = {}
    reps: list[User] = []
    for team_name, region_code, manager_name, rep_names in catalog.TEAMS:
        region = regions[region_code]
        team = Team.objects.get_or_create(name=team_name, defaults={"region": region})[0]
        if manager_name not in managers:
            managers[manager_name] = user(
                manager_name, "manager", role=Role.MANAGER, region=region, team=team
            )
        for rep_name in rep_names:
            reps.append(
                user(
                    rep_name,
                    "rep",
                    role=Role.REP,
                    region=region,
                    team=team,
                    manager=managers[manager_name],
                )
            )
    return Staff(admin=admin, finance=finance, reps=reps, regions=regions, created=created)


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), at least one each while
    there are enough to go round."""
    count = len(weights)
    if count == 0:
        return []
    base = 1 if total >= count else 0
    rest = total - base * count
    scale = sum(weights)
    shares = [rest * w / scale for w in weights]
    result = [base + math.floor(s) for s in shares]
    short = total - sum(result)
    order = sorted(range(count), key=lambda i: (-(shares[i] - math.floor(shares[i])), i))
    for i in order[:short]:
        result[i] += 1
    return result


def _deal(rng, shares: dict[str, int], count: int) -> list[str]:
    """``count`` behaviours in the proportions of ``shares``, shuffled."""
    cards = [
        name
        for name, n in zip(shares, _split(count, list(shares.values())), strict=True)
        for _ in range(n)
    ]
    rng.shuffle(cards)
    return cards


def _name(rng, kind: str, city: str) -> str:
    spec = catalog.KINDS[kind]
    if spec["public"]:
        base = rng.choice(spec["names"])
        if base == "社区卫生服务中心":
            return f"{city}市{rng.choice(catalog.DISTRICTS)}{base}"
        return f"{city}市{base}"
    brand = "".join(rng.sample(catalog.BRAND_WORDS, 2))
    return f"{city}{brand}{rng.choice(spec['suffixes'])}"


def _landline(rng, area: str) -> str:
    return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 9_999_999):07d}"


def plan_customers(
    *,
    rng,
    fake,
    book: Book,
    staff: Staff,
    count: int,
    receivables: int,
    as_of: date,
    window_start: date,
    code_prefix: str = "KH",
) -> list[CustomerPlan]:
    """Decide ``count`` customers and queue them (with contacts and payment process) in ``book``.

    Receivables are shared out by customer size so the total is exactly ``receivables``.
    """
    reps = {rep.username: rep for rep in staff.reps}
    rep_list = staff.reps
    cities = {code: cities for code, _name, cities in catalog.REGIONS}
    kinds = list(catalog.KINDS)
    plans: list[CustomerPlan] = []
    # Ordinary customers: kinds drawn by share, behaviours dealt out in their exact proportions.
    extra = max(0, count - len(CAST))
    extra_kinds = rng.choices(kinds, weights=[catalog.KINDS[k]["share"] for k in kinds], k=extra)
    public_count = sum(1 for k in extra_kinds if catalog.KINDS[k]["public"])
    dealt = {
        True: _deal(rng, PUBLIC_BEHAVIOURS, public_count),
        False: _deal(rng, BEHAVIOURS, extra - public_count),
    }
    for index in range(count):
        if index < len(CAST):
            owner_name, kind, behaviour, script = CAST[index]
            owner = reps.get(owner_name) or rep_list[index % len(rep_list)]
            script = set(script)
        else:
            kind = extra_kinds[index - len(CAST)]
            behaviour = dealt[catalog.KINDS[kind]["public"]].pop()
            owner = rng.choice(rep_list)
            script = set()
        spec = catalog.KINDS[kind]
        region_code = next(
            (code for code, region in staff.regions.items() if region.pk == owner.region_id),
            "EAST",
        )
        city, area, km = rng.choice(cities[region_code])
        size = spec["size"] * rng.lognormvariate(0, 0.45)
        if index < len(CAST) or rng.random() < 0.6:
            first_deal = window_start - timedelta(days=rng.randint(30, 2500))
        else:
            first_deal = window_start + timedelta(days=rng.randint(0, 540))
        stop = None
        if behaviour == "vanished":
            stop = as_of - timedelta(days=rng.randint(300, 420) if script else rng.randint(90, 420))
        elif behaviour == "insolvent":
            stop = as_of - timedelta(
                days=rng.randint(330, 420) if script else rng.randint(120, 480)
            )
        if stop is not None and first_deal > stop - timedelta(days=120):
            first_deal = stop - timedelta(days=rng.randint(240, 600))
        if spec["public"]:
            settlement_day = 25
        elif kind in ("clinic", "pharmacy", "health_store") and rng.random() < 0.5:
            settlement_day = None  # pays when the boss signs, no fixed run
        else:
            settlement_day = rng.choice((5, 10, 15, 20, 25, 28))
        terms = rng.choice((30, 30, 45, 60, 60, 90)) if not spec["public"] else 90
        plan = CustomerPlan(
            id=book.new_id(Customer),
            code=f"{code_prefix}{index + 1:06d}",
            name=_name(rng, kind, city),
            kind=kind,
            public=spec["public"],
            behaviour=behaviour,
            owner_id=owner.pk,
            size=size,
            terms_days=terms,
            settlement_day=settlement_day,
            cash_allowed=kind in ("clinic", "pharmacy", "health_store") or "cash" in script,
            first_deal=first_deal,
            stop=stop,
            script=script,
        )
        plans.append(plan)
        status = {
            "vanished": CustomerStatus.VANISHED,
            "insolvent": CustomerStatus.INSOLVENT,
        }.get(behaviour, CustomerStatus.ACTIVE)
        credit_yuan = max(20_000, round(size * 8) * 10_000)
        book.row(
            Customer,
            id=plan.id,
            code=plan.code,
            name=plan.name,
            region_id=staff.regions[region_code].pk,
            owner_id=owner.pk,
            status=status,
            is_government=spec["public"],
            address=(
                f"{city}市{rng.choice(catalog.DISTRICTS)}{fake.street_name()}"
                f"{rng.randint(1, 999)}号"
            ),
            distance_km=km + rng.randint(2, 35),
            credit_limit=credit_yuan * 100,
            payment_terms_days=terms,
            rating=RATING[behaviour],
            first_deal_on=first_deal,
        )
        _contacts_and_process(rng=rng, fake=fake, book=book, plan=plan, area=area)
    weights = [p.size**0.8 * rng.lognormvariate(0, 0.4) for p in plans]
    for plan, n in zip(plans, _split(receivables, weights), strict=True):
        plan.receivables = n
    return plans


def _contacts_and_process(*, rng, fake, book: Book, plan: CustomerPlan, area: str) -> None:
    side = "public" if plan.public else "company"
    roles = ["boss", "finance", "cashier", "purchasing"]
    if plan.public or plan.kind in ("distributor", "chain"):
        roles.append("acceptance")
    if plan.public or rng.random() < 0.5:
        roles.append("payment_responsible")
    contacts = {}
    for role in roles:
        last, first = _person(fake)
        left = None
        if plan.behaviour == "vanished" and role in ("boss", "finance"):
            left = plan.stop
        elif rng.random() < 0.04:
            left = plan.first_deal + timedelta(days=rng.randint(200, 900))
        contacts[role] = book.row(
            Contact,
            customer_id=plan.id,
            name=f"{last}{first}",
            role=role,
            title=rng.choice(catalog.TITLES[role][side]),
            phone=(
                _landline(rng, area)
                if role in ("finance", "cashier") and rng.random() < 0.5
                else fake.phone_number()
            ),
            email=fake.free_email() if role == "finance" and rng.random() < 0.5 else "",
            wechat=f"wxid_{fake.user_name()}" if rng.random() < 0.7 else "",
            is_active=left is None,
            left_on=left,
        )
    day = plan.settlement_day
    if plan.public:
        notes = catalog.PAYMENT_NOTES["public"].format(day=day)
    elif day:
        notes = catalog.PAYMENT_NOTES["company"].format(day=day)
    else:
        notes = catalog.PAYMENT_NOTES["adhoc"]
    book.row(
        PaymentProcess,
        customer_id=plan.id,
        request_recipient_id=contacts["finance"]["id"],
        signer_id=(contacts.get("payment_responsible") or contacts["boss"])["id"],
        approver_id=contacts["boss"]["id"],
        settlement_day=day,
        approval_steps=rng.randint(3, 5) if plan.public else (2 if day else 1),
        needs_original_invoice=plan.public or plan.kind in ("distributor", "chain"),
        needs_delivery_proof=plan.public,
        cash_allowed=plan.cash_allowed,
        notes=notes,
    )
