"""The seeded organisation as plain objects, before any row exists: teams, people, clients and
projects, each referred to by its position in its list (ids come from the database later).

Budgets and fees are left empty here: they are set from the hours actually generated
(`budgets.py`), which is the only way to make most plans healthy and a chosen few not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product

from workshub.domain.models import BillingModel, BudgetPeriod, ClientStatus, ProjectStatus, Role
from workshub.domain.seed import words
from workshub.domain.seed.profiles import Profile

__all__ = [
    "DEMO_LOGINS",
    "OrgPlan",
    "PlanClient",
    "PlanPerson",
    "PlanProject",
    "PlanTeam",
    "plan_org",
]

# (email, role): the manager leads the first team, the member works in it (SPEC §8).
DEMO_LOGINS: tuple[tuple[str, Role], ...] = (
    ("admin@demo.test", Role.admin),
    ("slt@demo.test", Role.slt),
    ("manager@demo.test", Role.manager),
    ("member@demo.test", Role.team_member),
)
EMAIL_DOMAIN = "example.test"


@dataclass(slots=True)
class PlanTeam:
    name: str
    lead: int | None = None


@dataclass(slots=True)
class PlanPerson:
    email: str
    name: str
    role: Role
    team: int | None
    capacity: float
    bill_rate: float | None
    cost_rate: float | None
    starts_on: date
    ends_on: date | None = None
    login: bool = False

    @property
    def is_active(self) -> bool:
        return self.ends_on is None

    def employed_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


@dataclass(slots=True)
class PlanClient:
    name: str
    account_lead: int
    target_rate: float | None
    home_team: int
    since: date
    until: date | None
    trouble: str | None = None  # "over_budget" | "overserviced", chosen after the hours exist

    @property
    def status(self) -> ClientStatus:
        return ClientStatus.active if self.until is None else ClientStatus.archived


@dataclass(slots=True)
class PlanProject:
    name: str
    client: int | None
    billing_model: BillingModel
    starts_on: date
    ends_on: date | None
    teams: tuple[int, ...]
    weight: float
    status: ProjectStatus = ProjectStatus.active
    default_billable: bool = True
    bill_rate: float | None = None
    budget_hours: float | None = None
    budget_period: BudgetPeriod = BudgetPeriod.total
    fee: float | None = None

    def open_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    def runs_on(self, day: date) -> bool:
        """Open on `day` and not archived: where work and tasks happen now."""
        return self.status is ProjectStatus.active and self.open_on(day)


@dataclass(slots=True)
class OrgPlan:
    today: date
    history_start: date
    teams: list[PlanTeam]
    people: list[PlanPerson]
    clients: list[PlanClient]
    projects: list[PlanProject]


def plan_org(rng: random.Random, profile: Profile, *, today: date) -> OrgPlan:
    history_start = today - timedelta(days=profile.history_days)
    teams = [PlanTeam(name=_team_name(i)) for i in range(profile.teams)]
    people = _plan_people(rng, profile, teams=teams, today=today, history_start=history_start)
    clients = _plan_clients(rng, profile, people=people, today=today, history_start=history_start)
    projects = _plan_projects(
        rng, profile, clients=clients, today=today, history_start=history_start
    )
    return OrgPlan(today, history_start, teams, people, clients, projects)


def _team_name(index: int) -> str:
    name = words.TEAM_NAMES[index % len(words.TEAM_NAMES)]
    return name if index < len(words.TEAM_NAMES) else f"{name} {index // len(words.TEAM_NAMES) + 1}"


# --- people ------------------------------------------------------------------------------------


def _plan_people(
    rng: random.Random,
    profile: Profile,
    *,
    teams: list[PlanTeam],
    today: date,
    history_start: date,
) -> list[PlanPerson]:
    """Logins first (so they get the lowest ids), then admins, slt, managers, members."""
    n_admin = 1 if profile.people < 100 else 2
    n_slt = max(2, profile.people // 50)
    n_members = profile.people - n_admin - n_slt - len(teams)
    names = rng.sample(sorted(product(words.FIRST_NAMES, words.LAST_NAMES)), profile.people)
    name_iter = iter(f"{first} {last}" for first, last in names)

    def veteran() -> date:
        return history_start - timedelta(days=rng.randint(30, 2000))

    def person(role: Role, team: int | None, *, email: str | None = None) -> PlanPerson:
        name = next(name_iter)
        capacity = _capacity(rng, role, login=email is not None)
        bill_rate = _bill_rate(rng, role)
        cost_rate = None if bill_rate is None else float(round(bill_rate * rng.uniform(0.35, 0.5)))
        return PlanPerson(
            email=email or f"{name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}",
            name=name,
            role=role,
            team=team,
            capacity=capacity,
            bill_rate=bill_rate,
            cost_rate=cost_rate,
            starts_on=veteran(),
            login=email is not None,
        )

    login = dict(DEMO_LOGINS)
    people = [
        person(role, 0 if role in (Role.manager, Role.team_member) else None, email=email)
        for email, role in login.items()
    ]
    people += [person(Role.admin, None) for _ in range(n_admin - 1)]
    people += [person(Role.slt, None) for _ in range(n_slt - 1)]
    people += [person(Role.manager, team) for team in range(1, len(teams))]
    people += [person(Role.team_member, i % len(teams)) for i in range(n_members - 1)]
    for index, someone in enumerate(people):
        if someone.role is Role.manager:
            teams[someone.team or 0].lead = index
    _leavers_and_starters(rng, people, today=today, history_start=history_start)
    return people


def _capacity(rng: random.Random, role: Role, *, login: bool) -> float:
    if role is Role.admin:
        return 0.0
    if role is Role.slt:
        return 20.0 if login or rng.random() < 0.5 else 0.0
    if role is Role.team_member and not login and rng.random() < 0.15:
        return 22.5
    return 37.5


def _bill_rate(rng: random.Random, role: Role) -> float | None:
    low, high = {
        Role.team_member: (85, 150),
        Role.manager: (140, 180),
        Role.slt: (180, 220),
        Role.admin: (0, 0),
    }[role]
    return float(rng.randrange(low, high + 1, 5)) if high else None


def _leavers_and_starters(
    rng: random.Random, people: list[PlanPerson], *, today: date, history_start: date
) -> None:
    members = [p for p in people if p.role is Role.team_member and not p.login]
    count = max(1, round(len(members) * 0.04))
    chosen = rng.sample(members, 2 * count)
    history = (today - history_start).days
    for leaver in chosen[:count]:
        leaver.ends_on = today - timedelta(days=rng.randint(14, max(15, history * 2 // 3)))
    for starter in chosen[count:]:
        starter.starts_on = today - timedelta(days=rng.randint(7, 56))


# --- clients -----------------------------------------------------------------------------------


def _plan_clients(
    rng: random.Random,
    profile: Profile,
    *,
    people: list[PlanPerson],
    today: date,
    history_start: date,
) -> list[PlanClient]:
    names = rng.sample(
        sorted(f"{a} {b}" for a, b in product(words.CLIENT_PREFIXES, words.CLIENT_SUFFIXES)),
        profile.clients,
    )
    managers = {p.team: i for i, p in enumerate(people) if p.role is Role.manager}
    slt = [i for i, p in enumerate(people) if p.role is Role.slt]
    history = (today - history_start).days
    clients = []
    for index, name in enumerate(names):
        team = index % profile.teams
        since = (
            history_start - timedelta(days=rng.randint(30, 900))
            if rng.random() < 0.6
            else history_start + timedelta(days=rng.randint(0, history - 30))
        )
        until = None
        if rng.random() < 0.06 and (today - since).days > 150:
            until = since + timedelta(days=rng.randint(120, (today - since).days - 30))
        clients.append(
            PlanClient(
                name=name,
                account_lead=managers[team] if rng.random() < 0.8 else rng.choice(slt),
                target_rate=float(rng.randrange(100, 165, 5)) if rng.random() < 0.9 else None,
                home_team=team,
                since=since,
                until=until,
            )
        )
    return clients


# --- projects ----------------------------------------------------------------------------------


def _plan_projects(
    rng: random.Random,
    profile: Profile,
    *,
    clients: list[PlanClient],
    today: date,
    history_start: date,
) -> list[PlanProject]:
    counts = [1] * len(clients)
    extra = max(0, profile.projects - profile.internal_projects - len(clients))
    sizes = [rng.lognormvariate(0, 0.6) for _ in clients]
    for index in rng.choices(range(len(clients)), sizes, k=extra):
        counts[index] += 1
    projects: list[PlanProject] = []
    for index, (client, count) in enumerate(zip(clients, counts, strict=True)):
        projects += _client_projects(
            rng,
            client,
            index=index,
            count=count,
            teams=profile.teams,
            today=today,
            history_start=history_start,
        )
    everyone = tuple(range(profile.teams))
    for name in words.INTERNAL_PROJECTS[: profile.internal_projects]:
        projects.append(
            PlanProject(
                name=name,
                client=None,
                billing_model=BillingModel.internal,
                starts_on=history_start - timedelta(days=rng.randint(100, 1000)),
                ends_on=None,
                teams=everyone,
                weight=rng.uniform(0.5, 1.5),
                default_billable=False,
            )
        )
    return projects


def _client_projects(
    rng: random.Random,
    client: PlanClient,
    *,
    index: int,
    count: int,
    teams: int,
    today: date,
    history_start: date,
) -> list[PlanProject]:
    """A retainer for half the clients, then fixed-fee, time-and-materials and pitch work
    spread over the relationship."""
    life_end = client.until or today
    first = max(client.since, history_start - timedelta(days=120))
    last_start = max(first, life_end - timedelta(days=10))
    projects = []
    for number in range(count):
        other = (client.home_team + rng.randint(1, teams - 1)) % teams
        staffed = (client.home_team, other) if rng.random() < 0.2 else (client.home_team,)
        if number == 0 and (count > 1 or rng.random() < 0.5):
            project = _retainer(rng, client, first=client.since, today=today)
        else:
            start = first + timedelta(days=rng.randint(0, (last_start - first).days))
            project = _term_project(rng, client, start=start)
        project.client = index
        project.teams = staffed
        _settle_status(rng, project, client=client, today=today)
        projects.append(project)
    return projects


def _retainer(rng: random.Random, client: PlanClient, *, first: date, today: date) -> PlanProject:
    ends_on = client.until
    if ends_on is None and rng.random() < 0.15 and (today - first).days > 200:
        ends_on = first + timedelta(days=rng.randint(120, (today - first).days - 60))
    return PlanProject(
        name=rng.choice(words.RETAINER_PROJECTS),
        client=None,
        billing_model=BillingModel.retainer,
        starts_on=first,
        ends_on=ends_on,
        teams=(),
        weight=rng.uniform(1.0, 2.0),
        budget_period=BudgetPeriod.monthly,
    )


def _term_project(rng: random.Random, client: PlanClient, *, start: date) -> PlanProject:
    roll = rng.random()
    pitch = roll < 0.1
    if pitch:
        name, model, days, weight = rng.choice(words.PITCH_PROJECTS), BillingModel.t_and_m, 30, 0.4
    elif roll < 0.55:
        name, model = rng.choice(words.TERM_PROJECTS), BillingModel.fixed_fee
        days, weight = rng.randint(45, 300), rng.uniform(1.5, 3.0)
    else:
        name, model = rng.choice(words.TM_PROJECTS), BillingModel.t_and_m
        days, weight = rng.randint(60, 500), rng.uniform(0.6, 2.0)
    open_ended = model is BillingModel.t_and_m and not pitch and rng.random() < 0.35
    ends_on = None if open_ended else start + timedelta(days=days)
    if client.until is not None:
        ends_on = min(ends_on or client.until, client.until)
    return PlanProject(
        name=f"{name} {start.year}",
        client=None,
        billing_model=model,
        starts_on=start,
        ends_on=ends_on,
        teams=(),
        weight=weight,
        default_billable=not pitch,
        bill_rate=(
            float(rng.randrange(110, 175, 5))
            if model is BillingModel.t_and_m and not pitch and rng.random() < 0.7
            else None
        ),
    )


def _settle_status(
    rng: random.Random, project: PlanProject, *, client: PlanClient, today: date
) -> None:
    """Most projects that ended a while ago are archived; an archived client's all are."""
    ended = project.ends_on is not None and project.ends_on < today - timedelta(days=14)
    if client.until is not None or (ended and rng.random() < 0.8):
        project.status = ProjectStatus.archived
