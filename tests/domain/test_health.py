"""Client health (SPEC §4): each component at and between its set points, the weighted score
rounded half up, the RAG thresholds and both overrides."""

from __future__ import annotations

import pytest

from workshub.domain.health import (
    HealthInputs,
    rag_for,
    round_half_up,
    s_overservice,
    s_pace,
    s_pulse,
    s_rate,
    s_volatility,
    score_health,
    volatility,
)


@pytest.mark.parametrize(
    ("worst_pace", "expected"),
    [(None, 100.0), (0.6, 100.0), (1.0, 100.0), (1.1, 80.0), (1.25, 50.0), (1.5, 0.0), (2.0, 0.0)],
)
def test_s_pace(worst_pace: float | None, expected: float) -> None:
    assert s_pace(worst_pace) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(None, 100.0), (0.5, 100.0), (1.1, 100.0), (1.3, 50.0), (1.4, 25.0), (1.5, 0.0), (3.0, 0.0)],
)
def test_s_overservice(ratio: float | None, expected: float) -> None:
    assert s_overservice(ratio) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(None, 100.0), (1.4, 100.0), (1.0, 100.0), (0.9, 80.0), (0.75, 50.0), (0.5, 0.0), (0.2, 0.0)],
)
def test_s_rate(ratio: float | None, expected: float) -> None:
    assert s_rate(ratio) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(0.0, 100.0), (0.25, 100.0), (0.4, 80.0), (0.625, 50.0), (1.0, 0.0), (2.5, 0.0)],
)
def test_s_volatility(ratio: float, expected: float) -> None:
    assert s_volatility(ratio) == pytest.approx(expected)


def test_volatility_divides_by_the_prior_mean_but_never_by_less_than_one() -> None:
    assert volatility(10.0, 8.0) == pytest.approx(0.25)
    assert volatility(6.0, 8.0) == pytest.approx(0.25)
    assert volatility(3.0, 0.5) == pytest.approx(2.5)
    assert volatility(0.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("rating", "expected"), [("green", 100.0), ("amber", 50.0), ("red", 0.0), (None, 75.0)]
)
def test_s_pulse(rating: str | None, expected: float) -> None:
    assert s_pulse(rating) == expected


def test_round_half_up_is_not_bankers_rounding() -> None:
    assert round_half_up(69.5) == 70
    assert round_half_up(2.5) == 3 and round(2.5) == 2
    assert round_half_up(69.49) == 69
    assert round_half_up(0.0) == 0


def test_round_half_up_rounds_the_decimal_meant_not_its_binary_neighbour() -> None:
    weighted = 0.30 * 54.5 + 0.25 * 13.6 + 0.20 * 21.2 + 0.10 * 95.1 + 0.15 * 100
    assert weighted < 48.5  # 48.49999999999999 in binary floating point
    assert round_half_up(weighted) == 49


@pytest.mark.parametrize(
    ("score", "rag"), [(100, "green"), (70, "green"), (69, "amber"), (40, "amber"), (39, "red")]
)
def test_rag_thresholds(score: int, rag: str) -> None:
    assert rag_for(score) == rag


def half_way(**overrides: object) -> HealthInputs:
    """S: pace 100, overservice 100, rate 0, volatility 70, pulse 50 → 69.5."""
    fields: dict[str, object] = {
        "hours": 14.75,
        "prior_mean_hours": 10.0,  # v = 0.475 → 70
        "rate_ratio": 0.5,
        "pulse": "amber",
    }
    fields.update(overrides)
    return HealthInputs(**fields)  # type: ignore[arg-type]


def test_score_is_the_weighted_sum_rounded_half_up() -> None:
    health = score_health(half_way())
    assert (health.pace, health.overservice, health.rate, health.pulse) == (100, 100, 0, 50)
    assert health.volatility == pytest.approx(70.0)
    assert health.score == 70
    assert health.rag == "green"


def test_an_over_budget_project_caps_the_client_at_amber() -> None:
    health = score_health(half_way(over_budget=True))
    assert (health.score, health.rag) == (70, "amber")


def test_over_budget_does_not_lift_a_red_client() -> None:
    health = score_health(half_way(over_budget=True, worst_pace=1.5, worst_overservice=1.5))
    assert health.score == 15  # 0 + 0 + 0 + 7 + 7.5 = 14.5 → 15
    assert health.rag == "red"


def test_a_red_pulse_for_that_very_week_makes_the_client_red() -> None:
    calm = {"hours": 10.0, "prior_mean_hours": 10.0}
    assert score_health(HealthInputs(**calm, pulse="red")).rag == "green"  # 85, an older pulse
    health = score_health(HealthInputs(**calm, pulse="red", pulse_this_week="red"))
    assert (health.score, health.rag) == (85, "red")


def test_components_hold_the_s_values_and_the_raw_inputs() -> None:
    components = score_health(half_way(worst_pace=0.8, worst_overservice=0.9)).components()
    assert components["pace"] == 100.0
    assert components["worst_pace"] == 0.8
    assert components["worst_overservice"] == 0.9
    assert components["rate_ratio"] == 0.5
    assert components["volatility_ratio"] == pytest.approx(0.475)
    assert components["hours"] == 14.75
    assert components["pulse_rating"] == "amber"
    assert components["over_budget"] is False
