"""The collector's playbook: the techniques of DESIGN.md §1, each with when it fits and its risk,
and a pure ranking of them against the facts of one case.

Codes are stored on ``Activity.technique``; never rename one. ``technique_report`` in the
selectors measures which of them are followed by money.
"""

from dataclasses import dataclass

from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _

from huikuan.ledger.classes import DebtClass

from .models import Reason

R = Reason
CURRENT, OVERDUE, DOUBTFUL, BAD = (
    DebtClass.CURRENT,
    DebtClass.OVERDUE,
    DebtClass.DOUBTFUL,
    DebtClass.BAD,
)
LATE = (OVERDUE, DOUBTFUL, BAD)
GOV_REASONS = (R.GOV_APPROVAL, R.GOV_ACCEPTANCE, R.GOV_BUDGET)

CATEGORIES = {
    "prevention": _("Prevention"),
    "timing": _("Timing"),
    "relationship": _("Relationship"),
    "leverage": _("Leverage"),
    "persistence": _("Persistence"),
    "escalation": _("Escalation, courtesy first"),
    "conduct": _("Conduct"),
}
RISK_LEVELS = {"low": _("Low risk"), "medium": _("Medium risk"), "high": _("High risk")}


@dataclass(frozen=True)
class Technique:
    """One way to get paid. Empty ``fits_reasons``/``fits_classes`` mean "any"; ``government``
    says whether it suits government buyers ("prefer", "avoid" or "any")."""

    code: str
    name: LazyText
    category: str
    description: LazyText
    fits_reasons: tuple = ()
    fits_debtor: str = "any"  # "malicious" | "non_malicious" | "any"
    fits_classes: tuple = ()
    fits_relationship: str = "any"  # "new" | "established" | "any"
    risk: LazyText = ""
    risk_level: str = "low"  # "low" | "medium" | "high"
    when: LazyText = ""
    government: str = "any"

    @property
    def category_label(self):
        return CATEGORIES[self.category]

    @property
    def risk_label(self):
        return RISK_LEVELS[self.risk_level]


TECHNIQUES: tuple[Technique, ...] = (
    # --- Prevention -------------------------------------------------------------------------
    Technique(
        code="credit_check",
        name=_("Check credit before the first credit sale"),
        category="prevention",
        description=_(
            "Before the first delivery on credit, look at the buyer's registration, payment "
            "record with other suppliers and real business, and set a limit that fits."
        ),
        fits_classes=(CURRENT,),
        fits_relationship="new",
        when=_("A new customer asks to buy on credit."),
        risk=_("Takes time; a buyer in a hurry may go elsewhere."),
    ),
    Technique(
        code="start_small",
        name=_("Start new customers small"),
        category="prevention",
        description=_(
            "Give a new customer a small first order on credit and raise it only after each "
            "bill has been paid on time."
        ),
        fits_relationship="new",
        fits_reasons=(R.CASH_TROUBLE, R.TOO_MUCH_STOCK),
        when=_("The relationship is less than a year old or the customer's money is tight."),
        risk=_("Lower sales at first."),
    ),
    Technique(
        code="sealed_contract",
        name=_("Sealed contract with fixed due dates"),
        category="prevention",
        description=_(
            "Put the deal in a written contract stamped with the customer's contract seal, with "
            "dates or day counts for each payment instead of 'after it sells' or 'in autumn'."
        ),
        fits_reasons=(R.OLD_PROBLEMS, R.GOV_ACCEPTANCE),
        when=_("Terms are vague, or the last dispute came from what was never written down."),
        risk=_("Some buyers dislike paperwork; explain that it protects both sides."),
    ),
    Technique(
        code="balance_confirmation",
        name=_("Get a signed balance confirmation"),
        category="prevention",
        description=_(
            "Ask the customer to sign and stamp a statement of what it owes. It settles the "
            "figure and starts the three-year limitation period again."
        ),
        fits_classes=LATE,
        fits_reasons=(R.OLD_PROBLEMS,),
        when=_("Key people are leaving, the company is reorganising, or the debt is getting old."),
        risk=_("A customer that refuses to sign is telling you something: escalate."),
    ),
    Technique(
        code="cash_on_delivery",
        name=_("Cash on delivery"),
        category="prevention",
        description=_("Ship further goods only against payment on delivery."),
        fits_debtor="malicious",
        fits_classes=(DOUBTFUL, BAD),
        fits_reasons=(R.MALICIOUS_DELAY,),
        government="avoid",
        when=_("Trust is gone but the customer still wants goods."),
        risk=_("The customer may move its orders to a competitor."),
        risk_level="medium",
    ),
    # --- Timing ---------------------------------------------------------------------------------
    Technique(
        code="early_reminder",
        name=_("Remind a week before the due date"),
        category="timing",
        description=_(
            "A friendly note about seven days before each payment node, so the payment enters "
            "the customer's plan before the money is spent elsewhere."
        ),
        fits_classes=(CURRENT, OVERDUE),
        government="prefer",
        when=_("Every payment node, and above all for customers who paid late before."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="afternoon_call",
        name=_("Call mid-afternoon"),
        category="timing",
        description=_(
            "Call around 15:30, when the morning rush is over and the lunch break "
            "(11:45–14:00) is past, and people have time to listen."
        ),
        when=_("Any call about money."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="sell_through_80",
        # xgettext:no-python-format
        name=_("Collect at 80% sold"),
        category="timing",
        description=_(
            "Ask for the money when the customer has sold about four fifths of our last "
            "delivery: the cash is in its till and it wants the next delivery."
        ),
        fits_debtor="non_malicious",
        fits_reasons=(R.TOO_MUCH_STOCK, R.SEASON_OVER, R.CASH_ELSEWHERE),
        when=_("The customer says our stock is still on its shelves."),
        risk=_("Needs a fair estimate of how fast our goods sell there."),
    ),
    Technique(
        code="month_end",
        name=_("Use the month end"),
        category="timing",
        description=_(
            "Ask in the last working days of the month, when the customer closes its books and "
            "pays its suppliers."
        ),
        fits_classes=LATE,
        when=_("The month end is near and the customer pays in monthly runs."),
        risk=_("Every supplier asks then: come early in the window."),
    ),
    Technique(
        code="first_bus",
        name=_("Catch the first bus"),
        category="timing",
        description=_(
            "Get our request in the working day before the customer's own settlement run, so we "
            "are on the list before the other suppliers."
        ),
        fits_reasons=(R.CASH_ELSEWHERE, R.GOV_BUDGET, R.GOV_APPROVAL),
        government="prefer",
        when=_("The customer has a regular pay day."),
        risk=_("Hardly any, if the paperwork is complete in time."),
    ),
    # --- Relationship ---------------------------------------------------------------------------
    Technique(
        code="sincere_talk",
        name=_("Talk as equals, sincerely"),
        category="relationship",
        description=_(
            "Speak frankly and as partners: what is owed, why it matters to us, and what would "
            "make paying possible for them."
        ),
        fits_debtor="non_malicious",
        fits_reasons=(R.OLD_PROBLEMS, R.CASH_TROUBLE),
        when=_("The customer wants to pay but something stands in the way."),
        risk=_("Too soft with a customer that is only stalling."),
    ),
    Technique(
        code="help_sell",
        name=_("Help them sell through"),
        category="relationship",
        description=_(
            "Plan a promotion with the customer, move slow stock, or train its sales staff: our "
            "goods turn into the cash that pays us."
        ),
        fits_debtor="non_malicious",
        fits_reasons=(R.TOO_MUCH_STOCK, R.SEASON_OVER, R.LOW_MARGIN),
        government="avoid",
        when=_("Too much of our stock is on hand or the season has ended."),
        risk=_("Costs our time and promotion money."),
        risk_level="medium",
    ),
    Technique(
        code="collect_downstream",
        name=_("Help collect from their customers"),
        category="relationship",
        description=_(
            "Help the customer chase the money its own buyers owe it, so that the cash can "
            "flow on to us."
        ),
        fits_debtor="non_malicious",
        fits_reasons=(R.CASH_TROUBLE, R.CASH_ELSEWHERE),
        government="avoid",
        when=_("Its money is stuck with its own customers."),
        risk=_("Our rep's time; be careful not to act for the customer in its disputes."),
        risk_level="medium",
    ),
    Technique(
        code="finance_contacts",
        name=_("Build ties with finance and purchasing"),
        category="relationship",
        description=_(
            "Know the people who prepare, sign and release payments; a good word from them "
            "moves our bill up the pile."
        ),
        fits_reasons=(R.GOV_APPROVAL, R.GOV_ACCEPTANCE, R.CASH_ELSEWHERE),
        government="prefer",
        when=_("Payments stall somewhere inside the customer's approval chain."),
        risk=_("Stay within gift and anti-bribery rules."),
    ),
    Technique(
        code="leader_visit",
        name=_("Bring our leadership"),
        category="relationship",
        description=_(
            "Ask our manager or director to visit the customer's boss: it shows the matter is "
            "serious and opens doors a rep cannot."
        ),
        fits_classes=(OVERDUE, DOUBTFUL),
        fits_relationship="established",
        fits_reasons=(R.WANTS_CONCESSIONS, R.OLD_PROBLEMS),
        when=_("A valued, long-standing customer has stopped listening to the rep."),
        risk=_("Uses up a strong card; the boss may ask for concessions."),
        risk_level="medium",
    ),
    Technique(
        code="good_cop_bad_cop",
        name=_("Joint visit: one friendly, one firm"),
        category="relationship",
        description=_(
            "Visit together: a colleague states the consequences firmly while the rep keeps "
            "the relationship and offers the way out."
        ),
        fits_debtor="malicious",
        fits_classes=(OVERDUE, DOUBTFUL),
        fits_reasons=(R.WANTS_CONCESSIONS, R.MALICIOUS_DELAY),
        when=_("The customer can pay and plays for time."),
        risk=_("Can sour the relationship if overplayed."),
        risk_level="medium",
    ),
    # --- Leverage -----------------------------------------------------------------------------
    Technique(
        code="pay_incentive",
        name=_("Tie incentives to payment"),
        category="leverage",
        description=_(
            "Offer a rebate, subsidy or early-payment discount that is earned only when the "
            "bill is paid on time."
        ),
        fits_debtor="non_malicious",
        fits_reasons=(R.LOW_MARGIN, R.CASH_ELSEWHERE),
        government="avoid",
        when=_("Our goods earn the customer little, so our bill comes last."),
        risk=_("Costs margin; never pay it before the money arrives."),
        risk_level="medium",
    ),
    Technique(
        code="show_numbers",
        name=_("Show the numbers"),
        category="leverage",
        description=_(
            "Show the customer what our product earns on the money it ties up, compared with "
            "the other brands on its shelves."
        ),
        fits_reasons=(R.LOW_MARGIN, R.CASH_ELSEWHERE),
        government="avoid",
        when=_("The customer thinks our line is not worth its cash."),
        risk=_("Only works when our figures really are better."),
    ),
    Technique(
        code="small_batches",
        name=_("Split orders into small batches"),
        category="leverage",
        description=_(
            "Deliver in smaller lots more often, each paid before the next, so less money is "
            "at risk at any time."
        ),
        fits_reasons=(R.TOO_MUCH_STOCK, R.CASH_TROUBLE),
        when=_("The customer overbuys or its cash is short."),
        risk=_("More deliveries cost more to ship."),
    ),
    Technique(
        code="half_shipment",
        name=_("Ship half of the order"),
        category="leverage",
        description=_(
            "Deliver only part of what was ordered until the overdue bill is paid; the rest "
            "follows the money."
        ),
        fits_debtor="malicious",
        fits_classes=LATE,
        fits_reasons=(R.WANTS_CONCESSIONS, R.MALICIOUS_DELAY),
        government="avoid",
        when=_("The customer keeps ordering while the old bill stays unpaid."),
        risk=_("Lost sales, and the customer may buy from a competitor."),
        risk_level="medium",
    ),
    Technique(
        code="hold_best_sellers",
        name=_("Hold back the best-sellers"),
        category="leverage",
        description=_(
            "Stop shipping the products the customer most needs until it pays, while slower "
            "lines may still go."
        ),
        fits_debtor="malicious",
        fits_classes=LATE,
        fits_reasons=(R.WANTS_CONCESSIONS, R.MALICIOUS_DELAY),
        government="avoid",
        when=_("Our best-sellers matter to the customer's business."),
        risk=_("Strains the relationship; needs a manager's agreement."),
        risk_level="high",
    ),
    Technique(
        code="old_before_new",
        name=_("No new goods until the old bill is paid"),
        category="leverage",
        description=_(
            "Make it a rule the customer knows: the next delivery leaves once the previous one "
            "has been paid (前款不结，后货不送)."
        ),
        fits_classes=LATE,
        fits_reasons=(R.WANTS_CONCESSIONS, R.MALICIOUS_DELAY, R.CASH_ELSEWHERE),
        government="avoid",
        when=_("An overdue customer wants its next delivery."),
        risk=_("Lost sales if the customer can buy elsewhere."),
        risk_level="medium",
    ),
    # --- Persistence ------------------------------------------------------------------------
    Technique(
        code="frequent_visits",
        name=_("Visit often"),
        category="persistence",
        description=_(
            "Call in at short intervals: a supplier who keeps appearing gets paid before the "
            "one who waits."
        ),
        fits_classes=LATE,
        fits_reasons=(R.MALICIOUS_DELAY, R.WANTS_CONCESSIONS, R.CASH_ELSEWHERE),
        when=_("The customer answers calls with promises that come to nothing."),
        risk=_("Costs the rep's days; plan trips to far customers."),
    ),
    Technique(
        code="stay_until_paid",
        name=_("Stay until paid"),
        category="persistence",
        description=_(
            "Be present in the customer's office, politely and calmly, until the transfer is made."
        ),
        fits_debtor="malicious",
        fits_classes=(DOUBTFUL, BAD),
        fits_reasons=(R.MALICIOUS_DELAY,),
        government="avoid",
        when=_("Money is there and only the will to pay is missing."),
        risk=_("Must stay courteous; never obstruct the customer's business."),
        risk_level="medium",
    ),
    Technique(
        code="dedicated_trip",
        name=_("Come only for the money"),
        category="persistence",
        description=_(
            "Make clear that this trip is for the payment and nothing else: no sales talk, no "
            "small talk until it is settled."
        ),
        fits_classes=LATE,
        when=_("Earlier visits drifted into other business."),
        risk=_("Hardly any."),
    ),
    # --- Escalation, courtesy first ---------------------------------------------------------
    Technique(
        code="friendly_reminder",
        name=_("Friendly reminder"),
        category="escalation",
        description=_("A polite message that the bill is now due, assuming it was overlooked."),
        fits_classes=(CURRENT, OVERDUE),
        government="prefer",
        when=_("The first days after the due date."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="firm_call",
        name=_("Firm call"),
        category="escalation",
        description=_(
            "A call that names the amount, the days overdue and the date we expect the money, "
            "and asks for a commitment."
        ),
        fits_classes=LATE,
        when=_("Reminders have gone unanswered."),
        risk=_("Low; keep the tone businesslike."),
    ),
    Technique(
        code="reduce_supply",
        name=_("Reduce or stop supply"),
        category="escalation",
        description=_(
            "Cut deliveries back, then stop them, until the overdue money is paid. Needs a "
            "manager's approval."
        ),
        fits_debtor="malicious",
        fits_classes=LATE,
        fits_reasons=(R.MALICIOUS_DELAY, R.WANTS_CONCESSIONS),
        government="avoid",
        when=_("Calls and visits have not worked."),
        risk=_("May end the relationship."),
        risk_level="high",
    ),
    Technique(
        code="cancel_rebates",
        name=_("Cancel discounts and rebates"),
        category="escalation",
        description=_(
            "Withdraw the discounts and rebates the customer would have earned, as the contract "
            "allows. Needs a manager's approval."
        ),
        fits_classes=LATE,
        fits_reasons=(R.WANTS_CONCESSIONS, R.MALICIOUS_DELAY),
        government="avoid",
        when=_("The customer holds money back to squeeze better terms."),
        risk=_("The customer may dispute it; check the contract first."),
        risk_level="medium",
    ),
    Technique(
        code="written_notice",
        name=_("Written overdue notice"),
        category="escalation",
        description=_(
            "Send a formal written notice of the overdue amount (货款逾期通知单). It is also a "
            "demand that restarts the limitation period."
        ),
        fits_classes=(DOUBTFUL, BAD),
        government="prefer",
        when=_("Money is long overdue or the limitation period is running down."),
        risk=_("Formal tone; tell the customer in person first."),
        risk_level="medium",
    ),
    Technique(
        code="lawyer_letter",
        name=_("Lawyer's demand letter"),
        category="escalation",
        description=_(
            "A letter from our lawyer demanding payment by a date, stating what follows if it "
            "does not come (律师催收函)."
        ),
        fits_debtor="malicious",
        fits_classes=(DOUBTFUL, BAD),
        fits_reasons=(R.MALICIOUS_DELAY,),
        when=_("The customer can pay and refuses."),
        risk=_("Usually ends the business relationship."),
        risk_level="high",
    ),
    Technique(
        code="agency_or_court",
        name=_("Collection agency or lawsuit"),
        category="escalation",
        description=_(
            "Hand the claim to a collection agency or sue, after weighing cost, evidence and "
            "the chance of recovering anything."
        ),
        fits_debtor="malicious",
        fits_classes=(BAD,),
        fits_reasons=(R.MALICIOUS_DELAY,),
        when=_("Everything else has failed and the debtor has assets."),
        risk=_("Costs and time; the relationship is over."),
        risk_level="high",
    ),
    # --- Conduct ----------------------------------------------------------------------------
    Technique(
        code="state_purpose",
        name=_("Say why you came, at once"),
        category="conduct",
        description=_(
            "With a poor payer, open with the purpose of the call or visit: the money. Small "
            "talk first lets them steer away."
        ),
        fits_debtor="malicious",
        fits_classes=LATE,
        fits_reasons=(R.MALICIOUS_DELAY, R.WANTS_CONCESSIONS),
        when=_("The customer has dodged the subject before."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="object_short_payment",
        name=_("Object at once to a short payment"),
        category="conduct",
        description=_(
            "When a payment arrives below what was promised, say so the same day and ask when "
            "the rest comes; silence reads as acceptance."
        ),
        fits_classes=LATE,
        when=_("Some money came towards a promise, but not all of it."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="collect_first",
        name=_("Collect first, then sell"),
        category="conduct",
        description=_(
            "Talk about new orders only after the overdue money has been dealt with in the "
            "same meeting."
        ),
        fits_classes=LATE,
        government="avoid",
        when=_("The customer wants to talk about the next order."),
        risk=_("Hardly any."),
    ),
    Technique(
        code="record_everything",
        name=_("Record every contact"),
        category="conduct",
        description=_(
            "Write down each call and visit, who said what and what was promised: it is the "
            "evidence if the case ever goes further."
        ),
        when=_("Always."),
        risk=_("None."),
    ),
)

_BY_CODE = {t.code: t for t in TECHNIQUES}
CHOICES = [(t.code, t.name) for t in TECHNIQUES]


def technique(code: str) -> Technique | None:
    """The technique with ``code``, or ``None``."""
    return _BY_CODE.get(code)


def by_category() -> list[tuple[str, object, list[Technique]]]:
    """``[(category, label, techniques)]`` in the playbook's order, for the playbook page."""
    return [
        (key, label, [t for t in TECHNIQUES if t.category == key])
        for key, label in CATEGORIES.items()
    ]


# --- Ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What the ranking looks at: the latest stated reason, the debtor's disposition
    ("malicious", "non_malicious" or "unknown"), the class of the customer's money, whether the
    relationship is new (first deal within a year), government buyer, and a short promise."""

    reason: str = ""
    disposition: str = "unknown"
    debt_class: str = ""
    relationship: str = "established"
    is_government: bool = False
    promise_short: bool = False


RISK_POINTS = {"low": 1, "medium": 0, "high": -2}


def rank(facts: CaseFacts) -> list[tuple[Technique, int, list[str]]]:
    """Every technique that fits the case, best first, with its score and the reasons in words.

    A technique is left out when its class, relationship, debtor or government rule rules the
    case out. It scores +5 when it answers the stated reason, +3 when it is meant for this kind
    of debtor, +2 for a class or relationship it is meant for, +2 for a government buyer it
    suits, +6 for objecting to a short payment; low risk adds 1 and high risk costs 2 (3 more
    with a debtor who is not malicious). Only techniques with a positive fit are returned.
    """
    debt_class = facts.debt_class or CURRENT
    ranked = []
    for order, item in enumerate(TECHNIQUES):
        if item.fits_classes and debt_class not in item.fits_classes:
            continue
        if item.fits_relationship != "any" and item.fits_relationship != facts.relationship:
            continue
        if item.fits_debtor != "any" and facts.disposition not in ("unknown", item.fits_debtor):
            continue
        if facts.is_government and item.government == "avoid":
            continue
        points, why = 0, []
        if facts.reason and facts.reason in item.fits_reasons:
            points += 5
            why.append(
                str(_("It answers the reason the customer gave: %(reason)s."))
                % {"reason": Reason(facts.reason).label}
            )
        if item.fits_debtor != "any" and facts.disposition == item.fits_debtor:
            points += 3
            why.append(
                str(_("It is meant for a debtor who can pay but will not."))
                if item.fits_debtor == "malicious"
                else str(_("It is meant for a debtor who wants to pay but has difficulties."))
            )
        if item.fits_classes and facts.debt_class:
            points += 2
            why.append(
                str(_("It suits money of this class: %(label)s."))
                % {"label": DebtClass.LABELS.get(debt_class, debt_class)}
            )
        if item.fits_relationship == "new":
            points += 2
            why.append(str(_("The customer is new: its first deal was less than a year ago.")))
        elif item.fits_relationship == "established":
            points += 2
            why.append(str(_("The relationship is long-standing and worth protecting.")))
        if facts.is_government and item.government == "prefer":
            points += 2
            why.append(str(_("It works with a government buyer's procedures.")))
        if facts.promise_short and item.code == "object_short_payment":
            points += 6
            why.append(str(_("A payment towards the latest promise fell short of it.")))
        if not why:
            continue
        risk = RISK_POINTS[item.risk_level]
        if item.risk_level == "high" and facts.disposition == "non_malicious":
            risk -= 3
        points += risk
        if points <= 0:
            continue
        ranked.append((item, points, why, order))
    ranked.sort(key=lambda row: (-row[1], row[3]))
    return [(item, points, why) for item, points, why, _order in ranked]
