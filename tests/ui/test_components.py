"""What every page prints the same way: hours, shares, money, week labels and table columns
(SPEC §7)."""

from __future__ import annotations

from datetime import date

from workshub.ui.components import (
    column,
    fmt_hours,
    fmt_money,
    fmt_pct,
    fmt_per_hour,
    week_label,
)


def test_hours_and_shares_round_half_up_with_a_dash_for_nothing() -> None:
    assert fmt_hours(7.25) == "7.3"
    assert fmt_hours(-0.04) == "0.0"
    assert fmt_hours(None) == "—"
    assert fmt_pct(0.125) == "13%"
    assert fmt_pct(None) == "—"


def test_money_is_whole_units_with_the_currency_symbol_on_every_page() -> None:
    assert fmt_money(12345.6, "EUR") == "€12,346"
    assert fmt_money(-500, "USD") == "−$500"  # a minus sign before the symbol
    assert fmt_money(1000, "JPY") == "¥1,000"
    assert fmt_money(1000, "SEK") == "SEK 1,000"  # no common symbol: the ISO code
    assert fmt_money(None, "EUR") == "—"
    assert fmt_per_hour(92.4, "GBP") == "£92/h"
    assert fmt_per_hour(None, "GBP") == "—"


def test_week_labels_name_this_and_last_week_and_a_year_only_when_not_this_one() -> None:
    current = date(2026, 11, 23)
    assert week_label(current, current) == "This week · 23–29 Nov"
    assert week_label(date(2026, 11, 16), current) == "Last week · 16–22 Nov"
    assert week_label(date(2026, 10, 26), current) == "26 Oct – 1 Nov"
    assert week_label(date(2025, 12, 29), date(2026, 1, 5)) == "Last week · 29 Dec 2025 – 4 Jan"


def test_a_column_shows_its_field_and_sorts_only_when_asked() -> None:
    assert column("hours", "Hours", "right") == {
        "name": "hours",
        "label": "Hours",
        "field": "hours",
        "align": "right",
    }
    assert column("name", "Name", sortable=True)["sortable"] is True
    assert column("name", "Name")["align"] == "left"
