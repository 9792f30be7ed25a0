"""Client health (SPEC §4): five components, a weighted score rounded half up, and a RAG.

Pure functions of a week's inputs. Each component runs linearly between its two set points and
is clamped to [0, 100]; the score is rounded half up (69.5 → 70, not Python's banker's 70/69).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from workshub.domain.models import Rag

__all__ = [
    "WEIGHTS",
    "ClientHealth",
    "HealthInputs",
    "rag_for",
    "round_half_up",
    "s_overservice",
    "s_pace",
    "s_pulse",
    "s_rate",
    "s_volatility",
    "score_health",
    "volatility",
]

WEIGHTS = {"pace": 0.30, "overservice": 0.25, "rate": 0.20, "volatility": 0.10, "pulse": 0.15}
GREEN, AMBER, RED = Rag.green.value, Rag.amber.value, Rag.red.value  # plain str: fast to compare
PULSE_SCORES = {GREEN: 100.0, AMBER: 50.0, RED: 0.0}
NO_PULSE_SCORE = 75.0
GREEN_FROM, AMBER_FROM = 70, 40


def _between(value: float, *, full_at: float, zero_at: float) -> float:
    """100 at `full_at`, 0 at `zero_at`, linear between, clamped (either direction)."""
    share = (value - zero_at) / (full_at - zero_at)
    return 100.0 * min(1.0, max(0.0, share))


def s_pace(worst_pace: float | None) -> float:
    """≤ 1.0 → 100, ≥ 1.5 → 0; no budgeted project or no pace → 100."""
    return 100.0 if worst_pace is None else _between(worst_pace, full_at=1.0, zero_at=1.5)


def s_overservice(worst_ratio: float | None) -> float:
    """o = hours that week / (monthly budget × 12 / 52): ≤ 1.1 → 100, ≥ 1.5 → 0; none → 100."""
    return 100.0 if worst_ratio is None else _between(worst_ratio, full_at=1.1, zero_at=1.5)


def s_rate(ratio: float | None) -> float:
    """r = effective rate / target: ≥ 1.0 → 100, ≤ 0.5 → 0; no target or no hours → 100."""
    return 100.0 if ratio is None else _between(ratio, full_at=1.0, zero_at=0.5)


def volatility(hours: float, prior_mean: float) -> float:
    return abs(hours - prior_mean) / max(prior_mean, 1.0)


def s_volatility(ratio: float) -> float:
    """v: ≤ 0.25 → 100, ≥ 1.0 → 0."""
    return _between(ratio, full_at=0.25, zero_at=1.0)


def s_pulse(rating: str | None) -> float:
    return NO_PULSE_SCORE if rating is None else PULSE_SCORES[rating]


def round_half_up(value: float) -> int:
    """Half up on the decimal value meant, not its binary neighbour (69.49999999999999 → 70)."""
    return int(Decimal(repr(round(value, 9))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rag_for(score: int) -> str:
    if score >= GREEN_FROM:
        return GREEN
    if score >= AMBER_FROM:
        return AMBER
    return RED


@dataclass(frozen=True, slots=True)
class HealthInputs:
    """What one client's week is scored from.

    `worst_pace` and `over_budget` look at the client's active budgeted projects;
    `worst_overservice` at its retainers with a monthly budget; `rate_ratio` is the week's
    effective rate over the target (None without a target or hours); `pulse` is the latest
    rating at or before the week, `pulse_this_week` that week's own."""

    hours: float
    prior_mean_hours: float
    worst_pace: float | None = None
    over_budget: bool = False
    worst_overservice: float | None = None
    rate_ratio: float | None = None
    pulse: str | None = None
    pulse_this_week: str | None = None


@dataclass(frozen=True, slots=True)
class ClientHealth:
    score: int
    rag: str
    pace: float
    overservice: float
    rate: float
    volatility: float
    pulse: float
    inputs: HealthInputs

    def components(self) -> dict[str, Any]:
        """The S values and the raw inputs worth showing, JSON-ready (also what is frozen)."""
        inputs = self.inputs
        return {
            "pace": self.pace,
            "overservice": self.overservice,
            "rate": self.rate,
            "volatility": self.volatility,
            "pulse": self.pulse,
            "worst_pace": inputs.worst_pace,
            "over_budget": inputs.over_budget,
            "worst_overservice": inputs.worst_overservice,
            "rate_ratio": inputs.rate_ratio,
            "volatility_ratio": volatility(inputs.hours, inputs.prior_mean_hours),
            "hours": inputs.hours,
            "prior_mean_hours": inputs.prior_mean_hours,
            "pulse_rating": inputs.pulse,
        }


def score_health(inputs: HealthInputs) -> ClientHealth:
    parts = {
        "pace": s_pace(inputs.worst_pace),
        "overservice": s_overservice(inputs.worst_overservice),
        "rate": s_rate(inputs.rate_ratio),
        "volatility": s_volatility(volatility(inputs.hours, inputs.prior_mean_hours)),
        "pulse": s_pulse(inputs.pulse),
    }
    score = round_half_up(sum(WEIGHTS[name] * value for name, value in parts.items()))
    rag = rag_for(score)
    if inputs.over_budget and rag == GREEN:
        rag = AMBER
    if inputs.pulse_this_week == RED:
        rag = RED
    return ClientHealth(score=score, rag=rag, inputs=inputs, **parts)
