"""People dashboards (SPEC §5) computed from hand-made rows, on SQLite and PostgreSQL.

The scenario, in UTC, at Wednesday 25 Nov 2026 10:00 (week of Monday 23 Nov):
- Alpha: Ann (37.5 h; 3 h off Tue, 1.5 h off Wed), Bob (30 h, starts Tue 24),
  Cat (capacity 0); Beta: Dan (37.5 h, leaves after Mon 23).
- Site is a t_and_m client project at 100/h; Internal is internal and not billable.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from workshub.domain.dashboards.compute import compute_snapshot, money_paths, strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.dashboards.people import _capacity
from workshub.domain.metrics import Person, capacity_over
from workshub.domain.models import Notification, Task, User
from workshub.domain.timeutil import working_days

UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
WEEK = date(2026, 11, 23)
LAST_WEEK = date(2026, 11, 16)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    alpha: int
    beta: int
    ann: int
    bob: int
    cat: int
    dan: int
    site: int
    internal: int
    client: int
    entries: dict[str, int]


def _task(engine: Engine, project_id: int, assignee: User, **fields: Any) -> Task:
    row: Task = f._add(engine, Task(project_id=project_id, assignee_id=assignee.id, **fields))
    return row


def build(engine: Engine) -> World:
    alpha, beta = f.team(engine, "Alpha"), f.team(engine, "Beta")
    acme = f.client(engine, "Acme")
    site = f.project(engine, "Site", client_id=acme.id, billing_model="t_and_m", bill_rate=100)
    internal = f.project(engine, "Internal", billing_model="internal", default_billable=False)
    ann = f.user(engine, "ann@x.test", team_id=alpha.id)
    bob = f.user(
        engine,
        "bob@x.test",
        team_id=alpha.id,
        weekly_capacity_hours=30,
        starts_on=WEEK.replace(day=24),
    )
    cat = f.user(engine, "cat@x.test", team_id=alpha.id, weekly_capacity_hours=0)
    dan = f.user(engine, "dan@x.test", team_id=beta.id, ends_on=WEEK)
    f.set_lead(engine, alpha, cat)

    def rate(user: User, project: Any, start: datetime, hours: float | None, **kw: Any) -> int:
        if hours is not None and kw.get("billable", project.default_billable):
            kw.setdefault("bill_rate", 100.0)
        return int(f.entry(engine, user, project, start, hours, **kw).id)

    entries = {
        "ann_mon": rate(ann, site, utc(23, 9), 3),
        "ann_tue": rate(ann, internal, utc(24, 9), 2),
        "ann_wed": rate(ann, site, utc(25, 7), 1, billable=False),
        "ann_sat": rate(ann, site, utc(21, 10), 1),  # last week's Saturday
        "ann_run": rate(ann, internal, utc(25, 8), None, note="planning"),
        "bob_pre": rate(bob, internal, utc(23, 9), 1),  # before he started
        "bob_tue": rate(bob, site, utc(24, 9), 4),
        "cat_mon": rate(cat, site, utc(23, 9), 2),
        "cat_run": rate(cat, internal, utc(24, 23), None),  # 11 h by now
        "dan_mon": rate(dan, site, utc(23, 9), 5),
        "dan_tue": rate(dan, internal, utc(24, 9), 1),  # after he left
    }
    f.time_off(engine, ann, date(2026, 11, 24), 3)
    f.time_off(engine, ann, date(2026, 11, 25), 1.5)
    _task(engine, site.id, ann, title="Overdue", due_on=date(2026, 11, 23))
    _task(engine, site.id, ann, title="Due today", due_on=date(2026, 11, 25), status="doing")
    _task(engine, site.id, ann, title="Done", due_on=date(2026, 11, 20), status="done")
    _task(engine, site.id, ann, title="Later", due_on=date(2026, 11, 30))
    _task(engine, site.id, dan, title="Dan's", due_on=date(2026, 11, 1))
    for i in range(12):
        f._add(engine, Notification(user_id=ann.id, kind="k", title=f"n{i}", created_at=utc(24, i)))
    f._add(
        engine,
        Notification(user_id=ann.id, kind="k", title="seen", created_at=utc(24, 20), read_at=NOW),
    )
    assert alpha.id and beta.id and ann.id and bob.id and cat.id and dan.id
    assert site.id and internal.id and acme.id
    return World(
        alpha.id, beta.id, ann.id, bob.id, cat.id, dan.id, site.id, internal.id, acme.id, entries
    )


def snapshot(
    engine: Engine, text: str, *, now: datetime = NOW, tz: ZoneInfo = UTC_ZONE
) -> dict[str, Any]:
    with Session(engine) as session:
        data = compute_snapshot(session, DashboardKey.parse(text), now=now, tz=tz)
    json.dumps(data)  # every snapshot is JSON as it is
    return data


# --- metrics -----------------------------------------------------------------------------------


def test_team_metrics_week_to_date(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"metrics:team:{w.alpha}:2026-11-23")
    # Ann: 3 + 2 + 1 + 2 (running) = 8 h, 3 billable; capacity 7.5 + 4.5 + 6 = 18.
    # Bob: 4 h billable (his hour before starting does not count); capacity Tue + Wed = 12.
    # Cat has no capacity: left out of hours and capacity alike.
    assert data["week"] == "2026-11-23"
    assert data["tracked_hours"] == pytest.approx(12.0)
    assert data["billable_hours"] == pytest.approx(7.0)
    assert data["capacity_hours"] == pytest.approx(30.0)
    assert data["utilization"] == pytest.approx(12 / 30)
    assert data["billable_utilization"] == pytest.approx(7 / 30)
    assert data["billable_pct"] == pytest.approx(7 / 12)
    assert data["active_timer_count"] == 2  # Ann's and Cat's timers run now
    # Revenue: Ann 3 h, Bob 4 h, Cat 2 h billable at 100; client hours 3 + 1 + 4 + 2 = 10.
    assert data["revenue"] == pytest.approx(900.0)
    assert data["effective_rate"] == pytest.approx(90.0)


def test_org_metrics_count_everyone_with_capacity(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, "metrics:org:0:2026-11-23")
    # Ann 8 + Bob 4 + Dan 5 (his Tuesday hour is after he left); capacity 18 + 12 + 7.5.
    assert data["tracked_hours"] == pytest.approx(17.0)
    assert data["billable_hours"] == pytest.approx(12.0)
    assert data["capacity_hours"] == pytest.approx(37.5)
    assert data["utilization"] == pytest.approx(17 / 37.5)
    assert data["billable_pct"] == pytest.approx(12 / 17)
    assert data["active_timer_count"] == 2
    assert data["revenue"] == pytest.approx(1400.0)
    assert data["effective_rate"] == pytest.approx(1400 / 15)
    assert w.dan


def test_a_past_week_counts_all_its_working_days(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"metrics:team:{w.alpha}:2026-11-16")
    # Only Ann's Saturday hour; Bob had not started; a whole week of Ann's capacity.
    assert data["tracked_hours"] == pytest.approx(1.0)
    assert data["capacity_hours"] == pytest.approx(37.5)
    assert data["utilization"] == pytest.approx(1 / 37.5)
    assert data["billable_pct"] == pytest.approx(1.0)
    assert data["active_timer_count"] == 2  # "now", whatever the week


def test_a_team_with_no_capacity_has_null_ratios(any_engine: Engine) -> None:
    team = f.team(any_engine, "Empty")
    ghost = f.user(any_engine, "ghost@x.test", team_id=team.id, weekly_capacity_hours=0)
    f.entry(any_engine, ghost, f.project(any_engine), utc(23, 9), 2)
    data = snapshot(any_engine, f"metrics:team:{team.id}:2026-11-23")
    assert (data["tracked_hours"], data["capacity_hours"]) == (0.0, 0.0)
    assert data["utilization"] is None
    assert data["billable_utilization"] is None
    assert data["billable_pct"] is None
    assert data["effective_rate"] is None


def test_the_week_starts_at_local_midnight_on_monday(any_engine: Engine) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    person = f.user(any_engine, "eve@x.test")
    work = f.project(any_engine, "Work")
    f.entry(any_engine, person, work, utc(22, 22, 30), 1)  # Sunday 23:30 Berlin
    f.entry(any_engine, person, work, utc(22, 23, 30), 2)  # Monday 00:30 Berlin
    now = utc(30, 12)
    this_week = snapshot(any_engine, "metrics:org:0:2026-11-23", now=now, tz=berlin)
    last_week = snapshot(any_engine, "metrics:org:0:2026-11-16", now=now, tz=berlin)
    in_utc = snapshot(any_engine, "metrics:org:0:2026-11-16", now=now, tz=UTC_ZONE)
    assert this_week["tracked_hours"] == pytest.approx(2.0)
    assert last_week["tracked_hours"] == pytest.approx(1.0)
    assert in_utc["tracked_hours"] == pytest.approx(3.0)


# --- team_data and active timers ---------------------------------------------------------------


def test_team_data_lists_members_by_name(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"team_data:team:{w.alpha}:2026-11-23")
    assert data["week"] == "2026-11-23"
    ann, bob, cat = data["members"]
    assert [m["name"] for m in data["members"]] == ["Ann", "Bob", "Cat"]
    assert ann["user_id"] == w.ann
    assert ann["hours"] == pytest.approx(8.0)
    assert ann["billable_hours"] == pytest.approx(3.0)
    assert ann["capacity"] == pytest.approx(18.0)
    assert ann["utilization"] == pytest.approx(8 / 18)
    assert ann["overdue_tasks"] == 1
    assert ann["running"] == {
        "entry_id": w.entries["ann_run"],
        "project_id": w.internal,
        "project": "Internal",
        "client": None,
        "since": "2026-11-25T08:00:00Z",
    }
    assert (bob["hours"], bob["capacity"], bob["running"], bob["overdue_tasks"]) == (
        pytest.approx(4.0),
        pytest.approx(12.0),
        None,
        0,
    )
    assert cat["hours"] == pytest.approx(13.0)  # 2 h + 11 h of a timer still running
    assert cat["capacity"] == 0.0
    assert cat["utilization"] is None
    assert cat["running"]["since"] == "2026-11-24T23:00:00Z"


def test_org_team_data_holds_everyone_with_capacity(any_engine: Engine) -> None:
    build(any_engine)
    data = snapshot(any_engine, "team_data:org:0:2026-11-23")
    assert [m["name"] for m in data["members"]] == ["Ann", "Bob", "Dan"]
    dan = data["members"][2]
    assert (dan["hours"], dan["capacity"], dan["overdue_tasks"]) == (
        pytest.approx(5.0),
        pytest.approx(7.5),
        1,
    )


def test_a_leaver_is_not_listed_in_weeks_after_leaving(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"team_data:team:{w.beta}:2026-11-23", now=utc(30, 9))
    assert [m["name"] for m in data["members"]] == ["Dan"]
    later = snapshot(any_engine, f"team_data:team:{w.beta}:2026-11-30", now=utc(30, 9))
    assert later["members"] == []


def test_active_timers_oldest_first(any_engine: Engine) -> None:
    w = build(any_engine)
    team = snapshot(any_engine, f"active_timers:team:{w.alpha}")
    beta = snapshot(any_engine, f"active_timers:team:{w.beta}")
    org = snapshot(any_engine, "active_timers:org:0")
    assert [t["user"] for t in team["timers"]] == ["Cat", "Ann"]
    assert team["timers"][1] == {
        "entry_id": w.entries["ann_run"],
        "user_id": w.ann,
        "user": "Ann",
        "project_id": w.internal,
        "project": "Internal",
        "client_id": None,
        "client": None,
        "started_at": "2026-11-25T08:00:00Z",
        "note": "planning",
    }
    assert beta["timers"] == []
    assert org == team


# --- today ---------------------------------------------------------------------------------


def test_today_for_a_person(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"today:user:{w.ann}")
    assert data["running"]["id"] == w.entries["ann_run"]
    assert data["running"]["ended_at"] is None
    assert [e["id"] for e in data["entries"]] == [w.entries["ann_run"], w.entries["ann_wed"]]
    wed = data["entries"][1]
    assert wed == {
        "id": w.entries["ann_wed"],
        "project_id": w.site,
        "project": "Site",
        "client": "Acme",
        "started_at": "2026-11-25T07:00:00Z",
        "ended_at": "2026-11-25T08:00:00Z",
        "duration_s": 3600,
        "note": "",
        "billable": False,
        "version": 1,
    }
    assert data["hours_today"] == pytest.approx(3.0)  # 1 h + 2 h running
    assert data["target_hours"] == pytest.approx(6.0)  # 7.5 − 1.5 off
    assert [(t["title"], t["due_on"], t["status"]) for t in data["tasks"]] == [
        ("Overdue", "2026-11-23", "todo"),
        ("Due today", "2026-11-25", "doing"),
    ]
    assert data["unread_count"] == 12
    assert [n["title"] for n in data["notifications"]] == [f"n{i}" for i in range(11, 1, -1)]
    assert data["notifications"][0]["created_at"] == "2026-11-24T11:00:00Z"


def test_a_timer_from_yesterday_runs_but_adds_no_hours_today(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"today:user:{w.cat}")
    assert data["running"]["id"] == w.entries["cat_run"]
    assert data["entries"] == []
    assert data["hours_today"] == 0.0
    assert data["target_hours"] == 0.0  # no capacity


def test_no_target_on_weekends_or_after_leaving(any_engine: Engine) -> None:
    w = build(any_engine)
    saturday = snapshot(any_engine, f"today:user:{w.ann}", now=utc(28, 10))
    assert saturday["target_hours"] == 0.0
    assert snapshot(any_engine, f"today:user:{w.dan}")["target_hours"] == 0.0
    assert snapshot(any_engine, f"today:user:{w.bob}")["target_hours"] == pytest.approx(6.0)


# --- utilization_trend ---------------------------------------------------------------------


def test_the_trend_holds_twelve_weeks_ending_with_the_week(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, f"utilization_trend:team:{w.alpha}:2026-11-23")
    weeks = data["weeks"]
    assert [row["week"] for row in weeks][:2] == ["2026-09-07", "2026-09-14"]
    assert len(weeks) == 12
    assert weeks[-1] == {
        "week": "2026-11-23",
        "tracked_hours": pytest.approx(12.0),
        "capacity_hours": pytest.approx(30.0),
        "utilization": pytest.approx(12 / 30),
        "billable_pct": pytest.approx(7 / 12),
    }
    assert weeks[-2]["tracked_hours"] == pytest.approx(1.0)
    assert weeks[-2]["capacity_hours"] == pytest.approx(37.5)
    assert weeks[0] == {
        "week": "2026-09-07",
        "tracked_hours": 0.0,
        "capacity_hours": pytest.approx(37.5),
        "utilization": 0.0,
        "billable_pct": None,
    }


def test_the_org_trend_matches_the_org_metrics(any_engine: Engine) -> None:
    build(any_engine)
    trend = snapshot(any_engine, "utilization_trend:org:0:2026-11-23")["weeks"]
    metrics = snapshot(any_engine, "metrics:org:0:2026-11-23")
    past = snapshot(any_engine, "metrics:org:0:2026-11-16")
    for row, week in ((trend[-1], metrics), (trend[-2], past)):
        for name in ("tracked_hours", "capacity_hours", "utilization", "billable_pct"):
            assert row[name] == pytest.approx(week[name])
    assert trend[-2]["capacity_hours"] == pytest.approx(75.0)  # Ann and Dan, whole week


# --- the entry point ---------------------------------------------------------------------------


def test_money_is_stripped_from_a_copy() -> None:
    data = {"week": "2026-11-23", "tracked_hours": 3.0, "revenue": 10.0, "effective_rate": None}
    assert strip_money("metrics", data) == {"week": "2026-11-23", "tracked_hours": 3.0}
    assert "revenue" in data
    assert strip_money("team_data", {"members": []}) == {"members": []}
    assert money_paths("metrics") == (("effective_rate",), ("revenue",))


def test_nested_money_paths_strip_every_item(monkeypatch: pytest.MonkeyPatch) -> None:
    from workshub.domain.dashboards import keys

    nested = {"client_data": ("clients.*.revenue_week", "totals.rate")}
    monkeypatch.setattr(keys, "NESTED_MONEY", nested, raising=False)
    data = {
        "clients": [{"id": 1, "revenue_week": 5.0}, {"id": 2}],
        "totals": {"rate": 3.0, "hours": 2.0},
    }
    assert strip_money("client_data", data) == {
        "clients": [{"id": 1}, {"id": 2}],
        "totals": {"hours": 2.0},
    }
    assert data["clients"][0] == {"id": 1, "revenue_week": 5.0}
    assert money_paths("client_data") == (("clients", "*", "revenue_week"), ("totals", "rate"))


PEOPLE_KEYS = [
    "metrics:team:{alpha}:2026-11-23",
    "metrics:org:0:2026-11-23",
    "team_data:team:{alpha}:2026-11-23",
    "team_data:org:0:2026-11-23",
    "active_timers:team:{alpha}",
    "active_timers:org:0",
    "today:user:{ann}",
    "utilization_trend:team:{alpha}:2026-11-23",
    "utilization_trend:org:0:2026-11-23",
]


@pytest.mark.parametrize("template", PEOPLE_KEYS)
def test_each_snapshot_takes_at_most_five_queries(any_engine: Engine, template: str) -> None:
    w = build(any_engine)
    key = template.format(alpha=w.alpha, ann=w.ann)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(any_engine, "before_cursor_execute", record)
    try:
        snapshot(any_engine, key)
    finally:
        event.remove(any_engine, "before_cursor_execute", record)
    assert 1 <= len(seen) <= 5, seen


def test_client_types_are_dispatched_to_the_client_dashboards(any_engine: Engine) -> None:
    w = build(any_engine)
    data = snapshot(any_engine, "client_health:org:0:2026-11-23")
    assert data["week"] == "2026-11-23"
    assert [row["client_id"] for row in data["clients"]] == [w.client]
    client_data = snapshot(any_engine, "client_data:org:0:2026-11-23")
    [row] = client_data["clients"]
    assert {"revenue_week", "effective_rate_week", "target_rate"} <= row.keys()
    [stripped] = strip_money("client_data", client_data)["clients"]
    assert not {"revenue_week", "effective_rate_week", "target_rate"} & stripped.keys()
    assert stripped["hours_week"] == row["hours_week"]


def test_an_unknown_type_is_refused(engine: Engine) -> None:
    key = DashboardKey("metrics", "org", 0, WEEK)
    object.__setattr__(key, "type", "nonsense")
    with Session(engine) as session, pytest.raises(ValueError):
        compute_snapshot(session, key, now=NOW, tz=UTC_ZONE)


def test_the_inlined_capacity_is_metrics_capacity_over_to_the_last_bit() -> None:
    rng = random.Random(5)
    days = working_days(date(2026, 8, 3), date(2026, 11, 27))
    for _ in range(300):
        first = rng.choice(days)
        person = Person(
            1,
            rng.choice([0.0, 7.3, 30.0, 37.5, 40.1]),
            starts_on=rng.choice([None, first + timedelta(days=rng.randint(-9, 9))]),
            ends_on=rng.choice([None, first + timedelta(days=rng.randint(-9, 9))]),
        )
        time_off = {d: rng.choice([0.5, 3.3, 9.0]) for d in rng.sample(days, 12)}
        span = days[days.index(first) : days.index(first) + rng.randint(0, 7)]
        got = _capacity(person, span, time_off)
        expected = capacity_over(person, span, time_off=time_off)
        assert (got, type(got)) == (expected, type(expected))
