"""A client whose week of Mon 23 Nov 2026 is worked out by hand (UTC, now Wed 25 Nov 10:00).

Acme (target rate 100, account lead: the manager):
- Build: t&m, 100 h total budget, 1–30 Nov; u1 bills 10 h entries at 100.
- Care: retainer, 26 h monthly budget (6 h a week), fee 3000 (100 a day in November).
- an amber pulse for the week of 9 Nov.

Hours by week (Build + Care):
- W-4 (26 Oct): 5 (30 Oct, before Build starts) + 10 (Sun 1 Nov) + 6 = 21
- W-3, W-2, W-1: 20 + 6 = 26 each
- W (23 Nov, to Wed 10:00): 20 + 8 + 1 (running since 09:00) = 29

This week: Build consumed 90 h (burn 0.9, elapsed 25/30, pace 1.08); Care consumed 27 h in
November (burn 27/26, pace 1.2462: the worst, so S_pace 50.77, and over budget); Care's o =
9/6 = 1.5 (S_overservice 0); revenue 2000 + 3 × 100 = 2300 over 29 h (r 0.7931, S_rate 58.62);
v = |29 − 24.75| / 24.75 (S_volatility 100); pulse amber (50). Score 44.45 → 44, amber.

Last week (as of Sun 22 Nov): Build 70 h (pace 0.95), Care 18 h (pace 0.94) → S_pace 100;
o = 1 → 100; revenue 2000 + 700 over 26 h → 100; v = |26 − 18.25| / 18.25 → 76.71;
pulse 50. Score 90.17 → 90, green.

Beta (lead: an outsider) has 2 h this week and nothing before: score 86 (v = 2 → 0, no pulse).
Gamma (lead: the outsider) had 1 h from u1 last week: in the manager's scope. Gone is archived.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from workshub.domain.models import ClientHealthSnapshot, ClientPulse

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
WEEK = date(2026, 11, 23)
LAST_WEEK = date(2026, 11, 16)


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def build(engine: Engine) -> dict[str, Any]:
    e = engine
    team = f.team(e, "Delivery")
    manager = f.user(e, "m@x.test", role="manager", team_id=team.id)
    f.set_lead(e, team, manager)
    u1 = f.user(e, "u1@x.test", team_id=team.id, bill_rate=100.0)
    u2 = f.user(e, "u2@x.test", team_id=team.id)
    outsider = f.user(e, "o@x.test")
    acme = f.client(e, "Acme", target_rate=100.0, account_lead_id=manager.id)
    build_p = f.project(
        e,
        "Build",
        client_id=acme.id,
        billing_model="t_and_m",
        budget_hours=100.0,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
    )
    care = f.project(
        e,
        "Care",
        client_id=acme.id,
        billing_model="retainer",
        budget_hours=26.0,
        budget_period="monthly",
        fee=3000.0,
    )
    f.entry(e, u1, build_p, at(10, 30, 9), 5.0, bill_rate=100.0)
    for month, day in [(11, 1), (11, 2), (11, 3), (11, 9), (11, 10), (11, 16), (11, 17)]:
        f.entry(e, u1, build_p, at(month, day, 9), 10.0, bill_rate=100.0)
    f.entry(e, u1, build_p, at(11, 23, 9), 10.0, bill_rate=100.0)
    f.entry(e, u1, build_p, at(11, 24, 9), 10.0, bill_rate=100.0)
    for month, day in [(10, 27), (11, 4), (11, 11), (11, 18)]:
        f.entry(e, u2, care, at(month, day, 9), 6.0)
    f.entry(e, u2, care, at(11, 23, 8), 8.0)
    f.entry(e, u2, care, at(11, 25, 9), None)  # running: 1 h at 10:00
    beta = f.client(e, "Beta", account_lead_id=outsider.id)
    beta_p = f.project(e, "Beta work", client_id=beta.id)
    f.entry(e, outsider, beta_p, at(11, 24, 10), 2.0, bill_rate=50.0)
    gamma = f.client(e, "Gamma", account_lead_id=outsider.id)
    gamma_p = f.project(e, "Gamma work", client_id=gamma.id)
    f.entry(e, u1, gamma_p, at(11, 20, 10), 1.0, bill_rate=100.0)
    gone = f.client(e, "Gone", status="archived")
    with Session(e) as session:
        session.add(ClientPulse(client_id=acme.id, week=date(2026, 11, 9), rating="amber"))
        session.commit()
    return {
        "manager": manager.id,
        "outsider": outsider.id,
        "acme": acme.id,
        "beta": beta.id,
        "gamma": gamma.id,
        "gone": gone.id,
        "build": build_p.id,
        "care": care.id,
        "u1": u1,
        "u2": u2,
        "build_row": build_p,
    }


def add_snapshot(engine: Engine, client_id: int, week: date, *, score: int, hours: float) -> None:
    with Session(engine) as session:
        session.add(
            ClientHealthSnapshot(
                client_id=client_id,
                week=week,
                score=score,
                rag="amber",
                components={"hours": hours},
                computed_at=NOW,
            )
        )
        session.commit()
