"""The 100-point rules as table tests on the pure functions."""

from decimal import Decimal as D

import pytest

from app.assessments.scoring import (
    Band,
    Entry,
    LineScore,
    band_for,
    below_target_runs,
    money,
    overall,
    score,
    settle,
    weighted,
)

WEIGHTS = {
    "daily": D("1.0"),
    "weekly_joint": D("1.2"),
    "monthly": D("1.5"),
    "half_yearly": D("2.0"),
    "ad_hoc": D("1.0"),
}
SCORE_BANDS = [Band(D(95), D(10)), Band(D(90), D(0)), Band(D(80), D(-10)), Band(D(0), D(-30))]
SATISFACTION_BANDS = [Band(D(95), D(5)), Band(D(90), D(0)), Band(D(80), D(-5)), Band(D(0), D(-15))]


def entries(*points):
    return [Entry("finding", n, f"问题{n}", D(p)) for n, p in enumerate(points, start=1)]


@pytest.mark.parametrize(
    "deductions, bonuses, cap, expected",
    [
        ((), (), "5", "100"),  # a clean month
        (("2", "0.5"), (), "5", "97.5"),  # general and major findings
        (("10", "10", "5"), (), "5", "75"),  # critical findings
        (("60", "60"), (), "5", "0"),  # never below zero
        (("60", "60"), ("2",), "5", "2"),  # ...but bonus still counts
        ((), ("3", "4"), "5", "105"),  # bonus capped at the cap
        (("1",), ("3",), "5", "102"),  # bonus above 100 up to the cap
        (("1",), ("3",), "0", "99"),  # no bonus when the cap is 0
    ],
)
def test_score_stays_within_zero_and_one_hundred_plus_the_cap(deductions, bonuses, cap, expected):
    assert score(entries(*deductions), entries(*bonuses), D(cap)) == D(expected)


@pytest.mark.parametrize(
    "points, tier, expected",
    [
        ("2", "daily", "2.0"),
        ("2", "weekly_joint", "2.4"),
        ("2", "monthly", "3.0"),
        ("2", "half_yearly", "4.0"),
        ("0.5", "monthly", "0.8"),
        ("3", "unknown", "3.0"),
    ],
)
def test_tiers_weigh_differently(points, tier, expected):
    assert weighted(D(points), tier, WEIGHTS) == D(expected)


def test_a_contractors_overall_is_the_mean_of_its_lines():
    lines = [
        settle(LineScore(1, 1, entries("4")), D(5)),
        settle(LineScore(1, 2, entries("1", "2")), D(5)),
    ]
    assert [line.score for line in lines] == [D(96), D(97)]
    assert overall(lines) == D("96.5")
    assert overall([]) == D(100)


@pytest.mark.parametrize(
    "value, band",
    [("100", 0), ("95", 0), ("94.99", 1), ("90", 1), ("85", 2), ("79.9", 3), ("0", 3)],
)
def test_bands(value, band):
    assert band_for(D(value), SCORE_BANDS) == band


@pytest.mark.parametrize(
    "score_value, satisfaction, expected",
    [
        ("98", "96", "1500.00"),  # +10 % +5 % of 10,000
        ("92", "91", "0.00"),
        ("85", None, "-1000.00"),  # no survey yet: the score alone
        ("70", "75", "-4500.00"),  # -30 % -15 %
    ],
)
def test_money_against_the_months_deposit(score_value, satisfaction, expected):
    result = money(
        D(score_value),
        D(satisfaction) if satisfaction else None,
        D(10000),
        SCORE_BANDS,
        SATISFACTION_BANDS,
    )
    assert result == D(expected)


@pytest.mark.parametrize(
    "rates, expected",
    [
        ({"2026-01": "85", "2026-04": "86", "2026-07": "87"}, (True, False)),
        ({"2026-01": "85", "2026-04": "95", "2026-07": "87"}, (False, False)),
        ({"2026-01": "85", "2026-04": "86"}, (False, False)),  # two quarters only
        ({"2025-03": "85", "2025-12": "88", "2026-03": "89"}, (False, True)),  # two years below
        ({"2025-03": "95", "2025-12": "95", "2026-03": "80"}, (False, False)),
    ],
)
def test_exit_flags(rates, expected):
    assert below_target_runs({m: D(r) for m, r in rates.items()}, D(90)) == expected
