from datetime import date, time, timedelta

import pytest

from huikuan.dunning.models import Action, CalendarDay
from huikuan.dunning.moments import LUNCH, suggest
from huikuan.dunning.workdays import WorkCalendar

pytestmark = pytest.mark.django_db

# 2030 is a year the seeded calendar does not know: only the rows a test adds break Mon–Fri.
MONDAY = date(2030, 6, 3)


def moment(
    task_day, action=Action.CALL, *, on=None, settlement_day=None, delivered=None, sell_through=None
):
    return suggest(
        task_day=task_day,
        action=action,
        settlement_day=settlement_day,
        last_delivery_on=delivered,
        sell_through_days=sell_through,
        calendar=WorkCalendar.load(),
        on=on or task_day,
    )


def test_a_call_is_suggested_at_half_past_three_on_the_task_day_in_shanghai_time():
    found = moment(MONDAY)
    assert found.at.date() == MONDAY
    assert found.at.time() == time(15, 30)
    assert found.at.utcoffset() == timedelta(hours=8)
    assert found.rule == "default"


def test_a_visit_is_suggested_at_ten():
    assert moment(MONDAY, Action.VISIT).at.time() == time(10, 0)


def test_nothing_is_ever_suggested_in_the_lunch_break():
    for offset in range(60):
        for action in Action.values:
            at = moment(MONDAY + timedelta(days=offset), action, settlement_day=offset % 28 + 1).at
            assert not (LUNCH[0] <= at.time() < LUNCH[1]), (at, action)


def test_a_late_task_is_suggested_for_today_not_its_old_date():
    assert moment(MONDAY, on=MONDAY + timedelta(days=2)).at.date() == date(2030, 6, 5)


def test_a_holiday_moves_the_contact_to_the_next_working_day():
    CalendarDay.objects.create(day=MONDAY, is_workday=False, name="端午节")
    found = moment(MONDAY)
    assert found.at.date() == date(2030, 6, 4)


def test_a_make_up_saturday_is_a_working_day():
    saturday = date(2030, 6, 8)
    CalendarDay.objects.create(day=saturday, is_workday=True, name="调休")
    assert moment(saturday).at.date() == saturday
    assert moment(date(2030, 6, 9)).at.date() == date(2030, 6, 10)  # an ordinary Sunday


def test_the_first_bus_is_the_working_day_before_the_customers_pay_day():
    found = moment(MONDAY, settlement_day=12)
    assert found.rule == "first_bus"
    assert found.at.date() == date(2030, 6, 11)
    assert "12" in found.reasons[0]


def test_the_first_bus_skips_back_over_a_holiday():
    CalendarDay.objects.create(day=date(2030, 6, 11), is_workday=False, name="假日")
    assert moment(MONDAY, settlement_day=12).at.date() == date(2030, 6, 10)


def test_a_pay_day_more_than_ten_days_away_does_not_move_the_call():
    found = moment(MONDAY, settlement_day=20)
    assert found.rule == "default"
    assert found.at.date() == MONDAY


def test_a_pay_day_on_the_31st_falls_on_the_last_day_of_a_short_month():
    found = moment(date(2030, 6, 24), settlement_day=31)  # June has 30 days: Sunday 30th
    assert found.rule == "first_bus"
    assert found.at.date() == date(2030, 6, 28)


def test_collect_when_eighty_percent_of_the_last_delivery_is_sold():
    found = moment(MONDAY, delivered=date(2030, 5, 20), sell_through=20)
    assert found.rule == "sell_through"
    assert found.at.date() == date(2030, 6, 5)  # 20 May + 16 days


def test_the_first_bus_comes_before_the_sell_through_rule():
    found = moment(MONDAY, settlement_day=12, delivered=date(2030, 5, 20), sell_through=20)
    assert found.rule == "first_bus"


def test_near_the_month_end_the_last_working_day_is_suggested():
    found = moment(date(2030, 6, 25))
    assert found.rule == "month_end"
    assert found.at.date() == date(2030, 6, 28)


def test_the_month_end_rule_knows_the_last_day_may_be_a_holiday():
    CalendarDay.objects.create(day=date(2030, 6, 28), is_workday=False, name="假日")
    assert moment(date(2030, 6, 25)).at.date() == date(2030, 6, 27)


def test_every_suggestion_says_why():
    found = moment(MONDAY, settlement_day=12)
    assert len(found.reasons) == 2 and all(found.reasons)
