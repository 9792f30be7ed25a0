"""What makes a seeded organisation look lived in: client pulses for recent weeks, tasks (some
overdue), and a handful of timers running right now."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from workshub.domain.models import ClientStatus, Rag, Role, TaskStatus
from workshub.domain.seed import words
from workshub.domain.seed.plan import OrgPlan
from workshub.domain.seed.timeline import Pools
from workshub.domain.timeutil import local_midnight, week_start

__all__ = ["PlanPulse", "PlanTask", "PlanTimer", "plan_pulses", "plan_tasks", "plan_timers"]

PULSE_WEEKS = 8
MIN_TIMER_AGE_S = 5 * 60
MAX_TIMER_AGE_S = 2 * 3600 + 50 * 60
_RATINGS = (Rag.green, Rag.amber, Rag.red)


@dataclass(frozen=True, slots=True)
class PlanPulse:
    client: int
    week: date
    rating: Rag
    note: str
    author: int


@dataclass(frozen=True, slots=True)
class PlanTask:
    project: int
    assignee: int | None
    title: str
    status: TaskStatus
    due_on: date


@dataclass(frozen=True, slots=True)
class PlanTimer:
    person: int
    project: int
    started_at: datetime
    note: str


def plan_pulses(rng: random.Random, plan: OrgPlan) -> list[PlanPulse]:
    """Most active clients rated most of the last eight weeks: mostly green, some amber, a few
    red; clients in trouble lean amber and red."""
    this_week = week_start(plan.today)
    pulses = []
    for index, client in enumerate(plan.clients):
        if client.status is not ClientStatus.active:
            continue
        weights = (35, 45, 20) if client.trouble else (78, 17, 5)
        for back in range(PULSE_WEEKS - 1, -1, -1):
            week = this_week - timedelta(weeks=back)
            if week < client.since or rng.random() >= (0.3 if back == 0 else 0.75):
                continue
            rating = rng.choices(_RATINGS, weights)[0]
            note = rng.choice(words.PULSE_NOTES[rating.value])
            pulses.append(
                PlanPulse(
                    client=index, week=week, rating=rating, note=note, author=client.account_lead
                )
            )
    return pulses


def plan_tasks(rng: random.Random, plan: OrgPlan) -> list[PlanTask]:
    """A few tasks on every running project, due from three weeks ago to four weeks ahead, and
    three for the member login so its Today page has something due, overdue and upcoming."""
    today = plan.today
    staff: dict[int, list[int]] = {}
    for index, person in enumerate(plan.people):
        if person.team is not None and person.is_active and person.starts_on <= today:
            staff.setdefault(person.team, []).append(index)
    tasks = []
    for index, project in enumerate(plan.projects):
        if not project.runs_on(today):
            continue
        team_staff = [p for team in project.teams for p in staff.get(team, [])]
        for _ in range(rng.randint(0, 2 if project.client is None else 3)):
            assignee = rng.choice(team_staff) if team_staff and rng.random() < 0.9 else None
            tasks.append(
                PlanTask(
                    project=index,
                    assignee=assignee,
                    title=rng.choice(words.TASK_TITLES),
                    status=rng.choices(list(TaskStatus), (45, 25, 30))[0],
                    due_on=today + timedelta(days=rng.randint(-21, 28)),
                )
            )
    tasks += _member_tasks(rng, plan)
    return tasks


def _member_tasks(rng: random.Random, plan: OrgPlan) -> list[PlanTask]:
    member = next(
        (i for i, p in enumerate(plan.people) if p.login and p.role is Role.team_member), None
    )
    if member is None:
        return []
    team = plan.people[member].team
    running = [i for i, p in enumerate(plan.projects) if p.runs_on(plan.today)]
    own = [i for i in running if team in plan.projects[i].teams] or running
    if not own:
        return []
    return [
        PlanTask(
            project=rng.choice(own),
            assignee=member,
            title=rng.choice(words.TASK_TITLES),
            status=status,
            due_on=plan.today + due,
        )
        for status, due in (
            (TaskStatus.todo, timedelta(days=-3)),
            (TaskStatus.doing, timedelta(0)),
            (TaskStatus.todo, timedelta(days=6)),
        )
    ]


def plan_timers(
    rng: random.Random,
    plan: OrgPlan,
    *,
    count: int,
    last_end_today: dict[int, int],
    now: datetime,
    tz: ZoneInfo,
) -> list[PlanTimer]:
    """A handful of people with a timer started earlier today, less than three hours ago, after
    their last entry of the day; one of them in the first team so its manager sees one. The
    demo logins are left idle so their first click behaves predictably."""
    midnight = local_midnight(plan.today, tz)
    pools = Pools(plan)
    candidates = [
        i
        for i, p in enumerate(plan.people)
        if not p.login
        and p.role in (Role.team_member, Role.manager)
        and p.capacity > 0
        and p.employed_on(plan.today)
    ]
    rng.shuffle(candidates)
    first_team = next((i for i in candidates if plan.people[i].team == 0), None)
    if first_team is not None:  # so the first team's manager sees someone working
        candidates.remove(first_team)
        candidates.insert(0, first_team)
    timers: list[PlanTimer] = []
    for person in candidates:
        if len(timers) == count:
            break
        earliest = midnight
        if person in last_end_today:
            earliest = max(earliest, datetime.fromtimestamp(last_end_today[person], UTC))
        age = timedelta(seconds=rng.randint(MIN_TIMER_AGE_S, MAX_TIMER_AGE_S))
        started_at = max(now - age, earliest + timedelta(minutes=1))
        project = pools.pick(rng, plan.people[person].team, day=plan.today)
        if project is None or (now - started_at).total_seconds() < MIN_TIMER_AGE_S:
            continue
        note = rng.choice(words.ENTRY_NOTES)
        timers.append(PlanTimer(person=person, project=project, started_at=started_at, note=note))
    timers.sort(key=lambda timer: timer.person)
    return timers
