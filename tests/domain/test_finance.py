"""Budget burn and revenue (SPEC §4): hand-computed rows for each formula, then the period
revenue of the organisation, teams and clients on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests import factories as f
from workshub.domain.client_queries import ProjectRow
from workshub.domain.finance import (
    burn_pct,
    client_revenue_for_period,
    elapsed_monthly,
    elapsed_total,
    pace,
    period_revenue,
    project_burn,
    recognised,
    retainer_revenue,
    revenue_for_period,
)
from workshub.domain.models import TimeEntry

UTC_TZ = ZoneInfo("UTC")
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)  # Wednesday


def terms(**fields: object) -> ProjectRow:
    values: dict[str, object] = {
        "id": 1,
        "client_id": 1,
        "name": "P",
        "billing_model": "t_and_m",
        "budget_hours": None,
        "budget_period": "total",
        "fee": None,
        "bill_rate": None,
        "starts_on": date(2026, 11, 1),
        "ends_on": None,
        "status": "active",
    }
    values.update(fields)
    return ProjectRow(**values)


# --- burn -------------------------------------------------------------------------------------


def test_burn_pct_is_consumed_over_budget_and_null_without_budget() -> None:
    assert burn_pct(30.0, 40.0) == 0.75
    assert burn_pct(50.0, 40.0) == 1.25
    assert burn_pct(30.0, None) is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 1), 1 / 30),  # the first day counts
        (date(2026, 11, 25), 25 / 30),
        (date(2026, 11, 30), 1.0),  # ends_on inclusive
        (date(2026, 12, 15), 1.0),  # clamped above
        (date(2026, 10, 20), 0.0),  # clamped below
    ],
)
def test_elapsed_total_counts_whole_days_and_clamps(day: date, expected: float) -> None:
    got = elapsed_total(day, starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30))
    assert got == pytest.approx(expected)


def test_elapsed_total_is_null_without_ends_on() -> None:
    assert elapsed_total(date(2026, 11, 25), starts_on=date(2026, 11, 1), ends_on=None) is None


def test_elapsed_monthly_is_day_of_month_over_days_in_month() -> None:
    assert elapsed_monthly(date(2026, 11, 25)) == pytest.approx(25 / 30)
    assert elapsed_monthly(date(2026, 2, 14)) == pytest.approx(0.5)
    assert elapsed_monthly(date(2026, 12, 31)) == 1.0


def test_pace_is_burn_over_elapsed_and_null_at_zero_or_unknown_elapsed() -> None:
    assert pace(0.9, 0.75) == pytest.approx(1.2)
    assert pace(0.9, 0.0) is None
    assert pace(0.9, None) is None
    assert pace(None, 0.5) is None


def test_total_budget_burn_as_of_a_date() -> None:
    project = terms(budget_hours=100.0, ends_on=date(2026, 11, 30))
    burn = project_burn(project, day=date(2026, 11, 25), consumed_hours=90.0)
    assert burn.consumed_hours == 90.0
    assert burn.burn_pct == pytest.approx(0.9)
    assert burn.elapsed == pytest.approx(25 / 30)
    assert burn.pace == pytest.approx(1.08)


def test_total_budget_without_ends_on_has_burn_but_no_pace() -> None:
    burn = project_burn(terms(budget_hours=100.0), day=date(2026, 11, 25), consumed_hours=45.0)
    assert (burn.burn_pct, burn.elapsed, burn.pace) == (0.45, None, None)


def test_monthly_budget_burn_uses_the_month_elapsed() -> None:
    project = terms(budget_hours=26.0, budget_period="monthly", starts_on=date(2026, 1, 1))
    burn = project_burn(project, day=date(2026, 11, 25), consumed_hours=27.0)
    assert burn.burn_pct == pytest.approx(27 / 26)
    assert burn.elapsed == pytest.approx(25 / 30)
    assert burn.pace == pytest.approx((27 / 26) / (25 / 30))


# --- revenue ----------------------------------------------------------------------------------


def test_retainer_prorates_each_day_by_its_own_month_across_a_boundary() -> None:
    project = terms(billing_model="retainer", fee=3100.0, starts_on=date(2026, 1, 1))
    # 28–30 Nov: 3 × 3100/30 = 310; 1–3 Dec: 3 × 3100/31 = 300
    got = retainer_revenue(project, first=date(2026, 11, 28), last=date(2026, 12, 3))
    assert got == pytest.approx(610.0)


def test_retainer_counts_only_days_inside_starts_on_and_ends_on() -> None:
    project = terms(
        billing_model="retainer",
        fee=3100.0,
        starts_on=date(2026, 11, 29),
        ends_on=date(2026, 12, 2),
    )
    got = retainer_revenue(project, first=date(2026, 11, 28), last=date(2026, 12, 3))
    assert got == pytest.approx(2 * 3100 / 30 + 2 * 3100 / 31)


def test_an_archived_retainer_earns_nothing() -> None:
    project = terms(billing_model="retainer", fee=3000.0, status="archived")
    assert retainer_revenue(project, first=date(2026, 11, 1), last=date(2026, 11, 30)) == 0.0


def test_fixed_fee_is_recognised_as_its_budget_is_used_and_caps_at_the_fee() -> None:
    project = terms(billing_model="fixed_fee", fee=10000.0, budget_hours=100.0)
    assert recognised(project, 40.0) == pytest.approx(4000.0)
    assert recognised(project, 150.0) == 10000.0
    assert recognised(terms(billing_model="fixed_fee", fee=10000.0), 40.0) == 0.0


def test_fixed_fee_period_revenue_is_the_recognised_difference() -> None:
    project = terms(billing_model="fixed_fee", fee=10000.0, budget_hours=100.0)

    def revenue(start: float, end: float) -> float:
        return period_revenue(
            project,
            first=date(2026, 11, 23),
            last=date(2026, 11, 29),
            billable_amount=999.0,
            hours_at_start=start,
            hours_at_end=end,
        )

    assert revenue(60.0, 80.0) == pytest.approx(2000.0)
    assert revenue(90.0, 120.0) == pytest.approx(1000.0)  # only up to the budget
    assert revenue(120.0, 130.0) == 0.0


def test_t_and_m_revenue_is_the_billable_amount_and_internal_earns_nothing() -> None:
    kwargs = {
        "first": date(2026, 11, 23),
        "last": date(2026, 11, 29),
        "billable_amount": 350.0,
        "hours_at_start": 0.0,
        "hours_at_end": 0.0,
    }
    assert period_revenue(terms(), **kwargs) == 350.0
    assert period_revenue(terms(billing_model="internal"), **kwargs) == 0.0


# --- revenue of a period, from the database -------------------------------------------------


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def books(any_engine):
    """Two teams on one client's t&m, retainer and fixed-fee projects, week of Mon 23 Nov."""
    e = any_engine
    team_a, team_b = f.team(e, "A"), f.team(e, "B")
    a1 = f.user(e, "a1@x.test", team_id=team_a.id, bill_rate=100.0)
    a2 = f.user(e, "a2@x.test", team_id=team_a.id, bill_rate=80.0)
    b1 = f.user(e, "b1@x.test", team_id=team_b.id, bill_rate=50.0)
    acme = f.client(e, "Acme")
    tm = f.project(e, "TM", client_id=acme.id, billing_model="t_and_m")
    ret = f.project(e, "Care", client_id=acme.id, billing_model="retainer", fee=3000.0)
    fix = f.project(
        e, "Fix", client_id=acme.id, billing_model="fixed_fee", fee=10000.0, budget_hours=20.0
    )
    internal = f.project(e, "Admin", billing_model="internal")
    f.entry(e, a1, tm, at(23, 9), 2.0, billable=True, bill_rate=100.0)  # 200
    f.entry(e, a2, tm, at(24, 9), 1.0, billable=False, bill_rate=80.0)  # hours only
    f.entry(e, b1, tm, at(24, 13), 3.0, billable=True, bill_rate=50.0)  # 150
    f.entry(e, a2, tm, at(25, 9), None, billable=True)  # running 1 h at the user's 80
    f.entry(e, a1, tm, at(22, 23), 1.0, billable=True, bill_rate=100.0)  # Sunday: last week
    f.entry(e, a1, ret, at(23, 12), 1.0)
    f.entry(e, b1, ret, at(24, 8), 3.0)
    f.entry(e, b1, fix, at(16, 9), 10.0)  # before the period: H(start) = 10
    f.entry(e, a1, fix, at(24, 14), 4.0)
    f.entry(e, b1, fix, at(25, 8), None)  # running 2 h: H(end) = 16
    f.entry(e, a1, internal, at(23, 14), 5.0)
    return {"a": frozenset({a1.id, a2.id}), "b": frozenset({b1.id}), "acme": acme.id}


def week_revenue(engine, user_ids, tz=UTC_TZ):
    with Session(engine) as session:
        return revenue_for_period(
            session,
            first=date(2026, 11, 23),
            last=date(2026, 11, 29),
            now=NOW,
            tz=tz,
            user_ids=user_ids,
        )


def test_organisation_revenue_of_the_current_week(any_engine, books) -> None:
    got = week_revenue(any_engine, None)
    # t&m 200 + 150 + 80 (running); retainer Mon–Wed 3 × 3000/30; fixed fee 8000 − 5000
    assert got.revenue == pytest.approx(430.0 + 300.0 + 3000.0)
    # t&m 2 + 1 + 3 + 1, retainer 4, fixed fee 4 + 2; internal hours are not client hours
    assert got.client_hours == pytest.approx(17.0)
    assert got.effective_rate == pytest.approx(3730.0 / 17.0)


def test_team_revenue_is_own_t_and_m_plus_a_share_of_retainers_and_fixed_fees(
    any_engine,
    books,
) -> None:
    team_a = week_revenue(any_engine, books["a"])
    # t&m 200 + 0 + 80; retainer 300 × 1/4 h; fixed fee 3000 × 4/6 h
    assert team_a.revenue == pytest.approx(280.0 + 75.0 + 2000.0)
    assert team_a.client_hours == pytest.approx(4.0 + 1.0 + 4.0)
    team_b = week_revenue(any_engine, books["b"])
    assert team_b.revenue == pytest.approx(150.0 + 225.0 + 1000.0)
    assert team_b.client_hours == pytest.approx(3.0 + 3.0 + 2.0)
    assert team_a.revenue + team_b.revenue == pytest.approx(week_revenue(any_engine, None).revenue)


def test_a_past_week_counts_every_retainer_day(any_engine, books) -> None:
    with Session(any_engine) as session:
        got = revenue_for_period(
            session,
            first=date(2026, 11, 16),
            last=date(2026, 11, 22),
            now=NOW,
            tz=UTC_TZ,
            user_ids=None,
        )
    # Sunday's t&m entry 100; retainer 7 × 100; fixed fee recognised(10) − recognised(0)
    assert got.revenue == pytest.approx(100.0 + 700.0 + 5000.0)
    assert got.client_hours == pytest.approx(11.0)


def test_entries_belong_to_the_local_week_they_started_in(any_engine, books) -> None:
    # Sunday 23:00 UTC is Monday 00:00 in Berlin: that t&m hour moves into this week.
    got = week_revenue(any_engine, None, tz=ZoneInfo("Europe/Berlin"))
    assert got.client_hours == pytest.approx(18.0)
    assert got.revenue == pytest.approx(3730.0 + 100.0)


def test_client_revenue_gives_effective_rate_per_client(any_engine, books) -> None:
    other = f.client(any_engine, "Other")
    quiet = f.project(any_engine, "Quiet", client_id=other.id, billing_model="t_and_m")
    worker = f.user(any_engine, "w@x.test")
    f.entry(any_engine, worker, quiet, at(24, 10), 2.0, billable=False)
    with Session(any_engine) as session:
        got = client_revenue_for_period(
            session, first=date(2026, 11, 23), last=date(2026, 11, 29), now=NOW, tz=UTC_TZ
        )
    assert got[books["acme"]].revenue == pytest.approx(3730.0)
    assert got[books["acme"]].client_hours == pytest.approx(17.0)
    assert got[other.id].revenue == 0.0
    assert got[other.id].effective_rate == 0.0


def test_a_future_period_has_no_revenue(any_engine, books) -> None:
    with Session(any_engine) as session:
        got = revenue_for_period(
            session,
            first=date(2026, 11, 30),
            last=date(2026, 12, 6),
            now=NOW,
            tz=UTC_TZ,
            user_ids=None,
        )
    assert (got.revenue, got.client_hours, got.effective_rate) == (0.0, 0.0, None)


def test_a_fixed_fee_worked_only_by_a_running_timer_still_earns(any_engine, books) -> None:
    with Session(any_engine) as session:
        got = revenue_for_period(
            session,
            first=date(2026, 11, 25),
            last=date(2026, 11, 25),
            now=NOW,
            tz=UTC_TZ,
            user_ids=None,
        )
    # t&m: the running hour at 80; retainer: one day; fixed fee: recognised(16) − recognised(14)
    assert got.revenue == pytest.approx(80.0 + 100.0 + 1000.0)
    assert got.client_hours == pytest.approx(3.0)


def test_a_past_fixed_fee_entry_moves_this_weeks_revenue_for_every_team(any_engine, books) -> None:
    """Why an edit of last week's fixed-fee entry refreshes this week's metrics of the
    organisation and of every team (`live.dependencies`): H at this week's bounds moves, and
    past the budget recognition stops."""
    before = [week_revenue(any_engine, ids) for ids in (None, books["a"], books["b"])]
    with Session(any_engine) as session:  # last week's 10 h on Fix become 15 h
        entry = session.exec(select(TimeEntry).where(TimeEntry.started_at == at(16, 9))).one()
        entry.ended_at = at(17, 0)
        entry.duration_s = 15 * 3600
        session.add(entry)
        session.commit()
    after = [week_revenue(any_engine, ids) for ids in (None, books["a"], books["b"])]
    # recognised(min(21, 20)) − recognised(15) = 10000 − 7500, was 8000 − 5000
    assert after[0].revenue == pytest.approx(before[0].revenue - 500.0)
    assert after[1].revenue == pytest.approx(before[1].revenue - 500.0 * 4 / 6)  # team A
    assert after[2].revenue == pytest.approx(before[2].revenue - 500.0 * 2 / 6)  # team B
