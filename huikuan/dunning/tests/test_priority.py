from decimal import Decimal

from django.utils.translation import gettext

from huikuan.dunning.models import Action
from huikuan.dunning.priority import PriorityFacts, amount_points, days_points, score
from huikuan.ledger.classes import DebtClass


def factors(priority):
    return {f.key: f for f in priority.factors}


def test_amount_counts_ten_points_per_tenfold_up_to_forty():
    assert amount_points(Decimal("100.00")) == 0
    assert amount_points(Decimal("1000.00")) == 10
    assert amount_points(Decimal("10000.00")) == 20
    assert amount_points(Decimal("1000000.00")) == 40
    assert amount_points(Decimal("999999999.00")) == 40


def test_forty_five_days_overdue_is_worth_eighteen_points_and_says_so():
    found = factors(score(PriorityFacts(days_overdue=45)))
    assert found["days"].points == 18
    assert "45" in found["days"].detail
    assert found["days"].text.endswith("+18")
    assert days_points(200) == 40


def test_the_score_is_the_integer_sum_of_its_factors():
    priority = score(
        PriorityFacts(
            overdue_amount=Decimal("50000.00"),
            days_overdue=100,
            debt_class=DebtClass.DOUBTFUL,
            broken_promises=1,
            standing=-2,
            distance_km=150,
            is_government=True,
        )
    )
    assert isinstance(priority.score, int)
    assert priority.score == sum(f.points for f in priority.factors)
    assert {"amount", "days", "class", "promises", "standing", "distance", "government"} <= set(
        factors(priority)
    )


def test_an_open_dispute_drops_the_task_and_says_to_resolve_it_instead():
    calm = score(PriorityFacts(overdue_amount=Decimal("10000.00"), days_overdue=30))
    disputed = score(
        PriorityFacts(overdue_amount=Decimal("10000.00"), days_overdue=30, open_disputes=1)
    )
    assert disputed.score == calm.score - 30
    assert factors(disputed)["dispute"].detail == gettext(
        "Dunning is paused: resolve the dispute instead of chasing."
    )


def test_doubtful_money_outranks_plain_overdue_money():
    overdue = score(PriorityFacts(debt_class=DebtClass.OVERDUE))
    doubtful = score(PriorityFacts(debt_class=DebtClass.DOUBTFUL))
    assert doubtful.score > overdue.score


def test_broken_promises_count_eight_each_up_to_twenty_four():
    assert factors(score(PriorityFacts(broken_promises=2)))["promises"].points == 16
    assert factors(score(PriorityFacts(broken_promises=5)))["promises"].points == 24


def test_a_slow_payment_process_means_starting_early():
    found = factors(
        score(
            PriorityFacts(approval_steps=3, needs_original_invoice=True, needs_delivery_proof=True)
        )
    )
    assert found["process"].points == 12


def test_a_far_customer_matters_more_for_a_visit_than_for_a_call():
    call = factors(score(PriorityFacts(distance_km=350, action=Action.CALL)))
    visit = factors(score(PriorityFacts(distance_km=350, action=Action.VISIT)))
    assert visit["distance"].points > call["distance"].points
    assert "distance" not in factors(score(PriorityFacts(distance_km=20)))
