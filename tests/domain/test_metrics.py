"""SPEC §4's people formulas against hand-computed literal rows (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from workshub.domain.metrics import (
    Hours,
    Person,
    Utilization,
    aggregate,
    capacity_hours,
    counted_span,
    day_capacity,
    employed_span,
    entry_seconds,
    hours_of_entries,
    person_utilization,
    ratio,
    utilization_of,
)

UTC_ZONE = ZoneInfo("UTC")
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, d) for d in range(23, 30))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # Wednesday
FULL = Person(1, 37.5)


@dataclass(frozen=True)
class Row:
    started_at: datetime
    duration_s: int | None
    billable: bool = True


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = UTC_ZONE) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def test_ratio_is_none_on_a_zero_denominator() -> None:
    assert ratio(3, 4) == 0.75
    assert ratio(0, 5) == 0.0
    assert ratio(3, 0) is None
    assert ratio(0, 0) is None


def test_a_past_week_counts_every_working_day() -> None:
    assert capacity_hours(FULL, first=MON, last=SUN, today=date(2026, 12, 1), time_off={}) == 37.5


def test_the_current_week_counts_working_days_up_to_and_including_today() -> None:
    assert capacity_hours(FULL, first=MON, last=SUN, today=WED, time_off={}) == 22.5


def test_a_future_period_has_no_capacity() -> None:
    assert counted_span(MON, SUN, today=date(2026, 11, 20)) is None
    assert capacity_hours(FULL, first=MON, last=SUN, today=date(2026, 11, 20), time_off={}) == 0


def test_time_off_reduces_a_day_but_never_below_zero() -> None:
    time_off = {TUE: 3.0, WED: 10.0, SAT: 8.0}
    # Mon 7.5 + Tue 4.5 + Wed 0 (10 h off of 7.5) + Thu 7.5 + Fri 7.5; Saturday is no working day
    assert capacity_hours(FULL, first=MON, last=SUN, today=SUN, time_off=time_off) == 27.0


def test_weekends_and_days_outside_employment_have_no_capacity() -> None:
    starter = Person(2, 30.0, starts_on=WED)
    assert day_capacity(FULL, SAT) == 0.0
    assert day_capacity(starter, TUE) == 0.0
    assert day_capacity(starter, WED) == 6.0
    assert day_capacity(starter, WED, time_off_hours=2.5) == 3.5


def test_a_starter_and_a_leaver_count_only_their_employed_days() -> None:
    starter = Person(2, 37.5, starts_on=WED)
    leaver = Person(3, 37.5, ends_on=TUE)
    assert capacity_hours(starter, first=MON, last=SUN, today=SUN, time_off={}) == 22.5
    assert capacity_hours(leaver, first=MON, last=SUN, today=SUN, time_off={}) == 15.0
    assert employed_span(starter, MON, SUN) == (WED, SUN)
    assert employed_span(leaver, MON, SUN) == (MON, TUE)
    assert employed_span(Person(4, 37.5, ends_on=date(2026, 11, 20)), MON, SUN) is None


def test_zero_capacity_gives_null_ratios_and_is_left_out_of_aggregates() -> None:
    nobody = Person(5, 0.0)
    figure = utilization_of(Hours(7200, 3600), 0.0)
    assert (figure.tracked_hours, figure.capacity_hours) == (2.0, 0.0)
    assert figure.utilization is None
    assert figure.billable_utilization is None
    assert figure.billable_pct == 0.5
    total = aggregate([(FULL, Utilization(10, 5, 20)), (nobody, figure)])
    assert total == Utilization(10, 5, 20)


def test_no_hours_gives_zero_utilization_and_null_billable_share() -> None:
    figure = utilization_of(Hours(), 22.5)
    assert figure.utilization == 0.0
    assert figure.billable_utilization == 0.0
    assert figure.billable_pct is None


def test_aggregate_sums_hours_and_capacities_before_the_ratio() -> None:
    total = aggregate(
        [(FULL, Utilization(30, 20, 37.5)), (Person(2, 20.0), Utilization(10, 0, 20))]
    )
    assert total.tracked_hours == 40
    assert total.capacity_hours == 57.5
    assert total.utilization == 40 / 57.5
    assert total.billable_utilization == 20 / 57.5
    assert total.billable_pct == 0.5


def test_a_running_entry_counts_up_to_now() -> None:
    assert entry_seconds(duration_s=None, started_at=at(WED, 8, 30), now=NOW) == 5400
    assert entry_seconds(duration_s=900, started_at=at(WED, 8, 30), now=NOW) == 900
    rows = [Row(at(WED, 8, 30), None), Row(at(TUE, 9), 3600, billable=False)]
    hours = hours_of_entries(rows, first=MON, last=SUN, tz=UTC_ZONE, now=NOW)
    assert hours == Hours(9000, 5400)
    assert (hours.tracked_hours, hours.billable_hours) == (2.5, 1.5)


def test_weekend_entries_count_as_hours_but_add_no_capacity() -> None:
    rows = [Row(at(SAT, 10), 7200), Row(at(SUN, 22), 3600, billable=False)]
    figure = person_utilization(
        FULL, rows, first=MON, last=SUN, now=at(date(2026, 12, 1), 9), tz=UTC_ZONE, time_off={}
    )
    assert figure == Utilization(3.0, 2.0, 37.5)
    assert figure.billable_pct == 2 / 3


def test_week_to_date_against_the_whole_past_week() -> None:
    rows = [Row(at(MON, 9), 6 * 3600), Row(at(WED, 8), None)]
    current = person_utilization(
        FULL, rows, first=MON, last=SUN, now=NOW, tz=UTC_ZONE, time_off={TUE: 3.0}
    )
    assert current == Utilization(8.0, 8.0, 19.5)
    assert current.utilization == pytest.approx(8 / 19.5)
    later = at(date(2026, 12, 2), 9)
    past = person_utilization(
        FULL,
        [Row(at(MON, 9), 6 * 3600), Row(at(WED, 8), 3 * 3600)],
        first=MON,
        last=SUN,
        now=later,
        tz=UTC_ZONE,
        time_off={TUE: 3.0},
    )
    assert past == Utilization(9.0, 9.0, 34.5)


def test_hours_outside_employment_do_not_count() -> None:
    leaver = Person(3, 37.5, ends_on=TUE)
    rows = [Row(at(MON, 9), 3600), Row(at(WED, 9), 7200)]
    figure = person_utilization(
        leaver, rows, first=MON, last=SUN, now=at(SUN, 23), tz=UTC_ZONE, time_off={}
    )
    assert figure == Utilization(1.0, 1.0, 15.0)


def test_an_entry_late_on_sunday_local_belongs_to_the_previous_week() -> None:
    new_york = ZoneInfo("America/New_York")
    # Sunday 22 Nov 20:00 in New York is Monday 23 Nov 01:00 UTC.
    late_sunday = Row(at(date(2026, 11, 22), 20, tz=new_york), 3600)
    monday = Row(at(MON, 0, 30, tz=new_york), 1800)
    rows = [late_sunday, monday]
    this_week = hours_of_entries(rows, first=MON, last=SUN, tz=new_york, now=at(SUN, 12))
    last_week = hours_of_entries(
        rows, first=date(2026, 11, 16), last=date(2026, 11, 22), tz=new_york, now=at(SUN, 12)
    )
    assert this_week.tracked_hours == 0.5
    assert last_week.tracked_hours == 1.0
    in_utc = hours_of_entries(rows, first=MON, last=SUN, tz=UTC_ZONE, now=at(SUN, 12))
    assert in_utc.tracked_hours == 1.5
