from django.utils.translation import gettext

from huikuan.dunning import playbook
from huikuan.dunning.models import Reason
from huikuan.dunning.playbook import CaseFacts, rank
from huikuan.ledger.classes import DebtClass


def codes(facts):
    return [t.code for t, _points, _why in rank(facts)]


def test_the_playbook_has_at_least_twenty_techniques_in_every_category():
    assert len(playbook.TECHNIQUES) >= 20
    assert {t.category for t in playbook.TECHNIQUES} == set(playbook.CATEGORIES)
    assert len({t.code for t in playbook.TECHNIQUES}) == len(playbook.TECHNIQUES)


def test_every_technique_says_what_it_is_when_it_fits_and_its_risk():
    for t in playbook.TECHNIQUES:
        assert str(t.name) and str(t.description) and str(t.when) and str(t.risk), t.code
        assert t.risk_level in playbook.RISK_LEVELS
        assert t.fits_debtor in ("malicious", "non_malicious", "any")
        assert t.fits_relationship in ("new", "established", "any")
        assert t.government in ("prefer", "avoid", "any")
        assert set(t.fits_reasons) <= set(Reason.values)
        assert set(t.fits_classes) <= set(DebtClass.ORDER)


def test_techniques_are_found_by_code_and_offered_as_choices():
    assert playbook.technique("first_bus").category == "timing"
    assert playbook.technique("no_such_thing") is None
    assert ("lawyer_letter", playbook.technique("lawyer_letter").name) in playbook.CHOICES


def test_a_malicious_debtor_gets_firm_measures_and_no_help_to_sell():
    facts = CaseFacts(
        reason=Reason.MALICIOUS_DELAY, disposition="malicious", debt_class=DebtClass.DOUBTFUL
    )
    found = codes(facts)
    assert "help_sell" not in found and "sincere_talk" not in found
    assert set(found[:5]) & {"lawyer_letter", "good_cop_bad_cop", "half_shipment", "state_purpose"}


def test_a_debtor_overstocked_with_our_goods_is_helped_to_sell_through():
    facts = CaseFacts(
        reason=Reason.TOO_MUCH_STOCK, disposition="non_malicious", debt_class=DebtClass.OVERDUE
    )
    ranked = rank(facts)
    assert {t.code for t, _p, _w in ranked[:3]} & {"sell_through_80", "help_sell"}
    assert all(t.risk_level != "high" for t, _p, _w in ranked)
    assert "lawyer_letter" not in codes(facts)


def test_a_government_buyer_is_never_offered_supply_cuts():
    facts = CaseFacts(
        reason=Reason.GOV_BUDGET,
        disposition="non_malicious",
        debt_class=DebtClass.OVERDUE,
        is_government=True,
    )
    found = codes(facts)
    assert "reduce_supply" not in found and "half_shipment" not in found
    assert found[0] == "first_bus"


def test_new_customers_are_started_small_and_leadership_visits_are_for_old_friends():
    new = CaseFacts(reason=Reason.CASH_TROUBLE, debt_class=DebtClass.OVERDUE, relationship="new")
    old = CaseFacts(
        reason=Reason.OLD_PROBLEMS, debt_class=DebtClass.OVERDUE, relationship="established"
    )
    assert "start_small" in codes(new) and "leader_visit" not in codes(new)
    assert "leader_visit" in codes(old) and "start_small" not in codes(old)


def test_a_short_payment_puts_objecting_at_once_first():
    facts = CaseFacts(debt_class=DebtClass.OVERDUE, promise_short=True)
    technique, _points, why = rank(facts)[0]
    assert technique.code == "object_short_payment"
    assert gettext("A payment towards the latest promise fell short of it.") in why


def test_every_recommendation_says_why_and_scores_above_zero():
    facts = CaseFacts(
        reason=Reason.WANTS_CONCESSIONS, disposition="malicious", debt_class=DebtClass.OVERDUE
    )
    for _technique, points, why in rank(facts):
        assert points > 0 and why
