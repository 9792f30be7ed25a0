"""Budgets and fees, set from the hours the seed actually generated.

Setting them afterwards is what makes the picture believable: most plans sit comfortably
inside their budget and pace, and a chosen few clients are over budget (a fixed fee burnt past
100 %) or overserviced (a retainer worked well beyond its monthly hours).
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from workshub.domain.models import BillingModel, ClientStatus
from workshub.domain.seed.plan import OrgPlan, PlanClient, PlanProject
from workshub.domain.seed.timeline import Entries
from workshub.domain.timeutil import local_midnight, week_start

__all__ = [
    "OVERSERVICED",
    "OVER_BUDGET",
    "ProjectHours",
    "choose_trouble",
    "set_budgets",
]

OVER_BUDGET = "over_budget"
OVERSERVICED = "overserviced"
RECENT_WEEKS = 13
TROUBLE_SHARE = 0.05
DEFAULT_RATE = 120.0
WEEK_S = 7 * 86400
_TERM_MODELS = {BillingModel.fixed_fee, BillingModel.t_and_m}


@dataclass(frozen=True, slots=True)
class ProjectHours:
    """Hours per project (by index): all to date, in the last 13 weeks, and week by week."""

    total: list[float]
    recent: list[float]
    weekly: list[array[float]]

    @classmethod
    def of(cls, entries: Entries, plan: OrgPlan, *, tz: ZoneInfo) -> ProjectHours:
        first_monday = int(local_midnight(week_start(plan.history_start), tz).timestamp())
        recent_since = int(
            local_midnight(plan.today - timedelta(weeks=RECENT_WEEKS), tz).timestamp()
        )
        weeks = (plan.today - week_start(plan.history_start)).days // 7 + 1
        total = [0.0] * len(plan.projects)
        recent = [0.0] * len(plan.projects)
        weekly = [array("d", bytes(8 * weeks)) for _ in plan.projects]
        for project, start, seconds in zip(
            entries.project, entries.start, entries.duration, strict=True
        ):
            hours = seconds / 3600
            total[project] += hours
            weekly[project][min(weeks - 1, (start - first_monday) // WEEK_S)] += hours
            if start >= recent_since:
                recent[project] += hours
        return cls(total, recent, weekly)

    def busy_week(self, project: int) -> float:
        """The 90th percentile of the project's hours in the weeks it was worked."""
        worked = sorted(h for h in self.weekly[project] if h > 0)
        return worked[int(0.9 * (len(worked) - 1))] if worked else 0.0


def choose_trouble(rng: random.Random, plan: OrgPlan, *, hours: ProjectHours) -> None:
    """Mark a few active clients overserviced (a retainer worked in recent weeks) and a few
    others over budget (fixed-fee or time-and-materials work under way)."""
    count = max(1, round(len(plan.clients) * TROUBLE_SHARE))

    def candidates(models: set[BillingModel], worked: list[float], *, at_least: float) -> list[int]:
        found = {
            project.client
            for index, project in enumerate(plan.projects)
            if project.client is not None
            and project.billing_model in models
            and project.default_billable
            and project.runs_on(plan.today)
            and worked[index] >= at_least
            and plan.clients[project.client].status is ClientStatus.active
            and plan.clients[project.client].trouble is None
        }
        return sorted(c for c in found if c is not None)

    retainer_clients = candidates({BillingModel.retainer}, hours.recent, at_least=10)
    for client in rng.sample(retainer_clients, min(count, len(retainer_clients))):
        plan.clients[client].trouble = OVERSERVICED
    term_clients = candidates(_TERM_MODELS, hours.total, at_least=20)
    for client in rng.sample(term_clients, min(count, len(term_clients))):
        plan.clients[client].trouble = OVER_BUDGET


def set_budgets(rng: random.Random, plan: OrgPlan, *, hours: ProjectHours) -> None:
    for index, project in enumerate(plan.projects):
        if project.client is None or not project.default_billable:
            continue
        client = plan.clients[project.client]
        rate = client.target_rate or DEFAULT_RATE
        if project.billing_model is BillingModel.retainer:
            if client.trouble == OVERSERVICED and project.runs_on(plan.today):
                first = max(project.starts_on, plan.history_start)
                weeks = min(RECENT_WEEKS, max(1.0, (plan.today - first).days / 7))
                monthly = hours.recent[index] / weeks * 52 / 12 * rng.uniform(0.55, 0.7)
            else:  # a busy week (the 90th percentile) fits: most weeks stay well inside
                monthly = hours.busy_week(index) * 52 / 12 * rng.uniform(1.0, 1.25)
            budget = _round_to(monthly, 5) if monthly else float(rng.randrange(20, 85, 5))
            project.budget_hours = budget
            project.fee = _round_to(budget * rate * rng.uniform(0.9, 1.1), 100)
        elif project.billing_model is BillingModel.fixed_fee:
            project.budget_hours = _total_budget(
                rng, project, client=client, today=plan.today, worked=hours.total[index]
            )
            project.fee = _round_to(project.budget_hours * rate * rng.uniform(0.95, 1.25), 1000)
        elif _over_budget(project, client=client, today=plan.today) or rng.random() < 0.5:
            # half the time-and-materials work has a budget too
            project.budget_hours = _total_budget(
                rng, project, client=client, today=plan.today, worked=hours.total[index]
            )


def _total_budget(
    rng: random.Random, project: PlanProject, *, client: PlanClient, today: date, worked: float
) -> float:
    if worked <= 0:
        return float(rng.randrange(40, 400, 10))
    if _over_budget(project, client=client, today=today):
        return _round_to(worked * rng.uniform(0.75, 0.92), 5)
    if project.ends_on is None:  # open-ended: a generous cap, no pace
        return _round_to(worked * rng.uniform(1.3, 2.5) + 20, 5)
    elapsed = (today - project.starts_on).days + 1
    length = (project.ends_on - project.starts_on).days + 1
    if elapsed >= length:  # finished: mostly inside budget, sometimes a little over
        low, high = (0.85, 0.98) if rng.random() < 0.1 else (1.02, 1.3)
        return _round_to(worked * rng.uniform(low, high), 5)
    projected = worked * length / max(elapsed, 1)
    return _round_to(max(projected * rng.uniform(1.05, 1.35), worked * 1.05), 5)


def _over_budget(project: PlanProject, *, client: PlanClient, today: date) -> bool:
    return client.trouble == OVER_BUDGET and project.runs_on(today)


def _round_to(value: float, step: int) -> float:
    return float(max(step, round(value / step) * step))
