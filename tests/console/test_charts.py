"""Chart drawing: whole-number ticks for counts, empty states, purpose names, weekly smoothing."""

import re
from datetime import date

from console import charts
from console.dashboard import Period, activity_buckets, rate_buckets


def y_tick_labels(svg):
    return re.findall(r'text-anchor="end" fill="#333333">([^<]*)</text>', str(svg))


def test_count_axes_tick_at_whole_numbers():
    svg = charts.line_chart("c", "t", "d", ["a", "b", "c"], [("withdrawals", [0, 3, 5])], integer=True)
    labels = y_tick_labels(svg)
    assert labels and all(re.fullmatch(r"\d+", label) for label in labels), labels
    assert labels[0] == "0" and int(labels[-1]) >= 5


def test_small_counts_do_not_get_fractional_ticks():
    top, ticks = charts._ticks(5, integer=True)
    assert ticks == [0, 2, 4, 6] and top == 6
    top, ticks = charts._ticks(1, integer=True)
    assert all(float(t).is_integer() for t in ticks) and top >= 1


def test_an_empty_chart_says_so_without_legend_or_axes():
    svg = str(charts.line_chart("c", "t", "d", ["a", "b"], [("withdrawals", [0, 0]), ("GPC", [0, 0])], integer=True))
    assert "No decisions in this period." in svg
    assert "<polyline" not in svg and '<rect x="8"' not in svg and "withdrawals" not in svg
    bars = str(charts.bar_chart("b", "t", "d", [], [("queued", []), ("sent", [])], empty="No notices."))
    assert "No notices." in bars and "queued" not in bars


def test_small_multiples_draw_one_named_panel_per_purpose():
    svg = str(
        charts.small_multiples(
            "r", "t", "d", ["01 Mar", "08 Mar", "15 Mar"], [("Analytics", [50, 60, 70]), ("Advertising", [None] * 3)]
        )
    )
    assert svg.count('font-weight="600"') == 2
    assert ">Analytics</text>" in svg and ">Advertising</text>" in svg
    assert svg.count("<polyline") == 1 and "No decisions" in svg


def _data(days, chosen_per_day, granted_per_day):
    period = Period(date(2026, 1, 1), date(2026, 1, days))
    return {
        "days": period.days,
        "counts": {"analytics": ([granted_per_day] * days, [chosen_per_day] * days)},
    }


def test_sparse_periods_are_shown_per_week_counted_back_from_the_last_day():
    bucket, starts, rates = rate_buckets(_data(30, 2, 1))
    assert bucket == "week"
    assert starts[-1] == date(2026, 1, 24) and starts[0] == date(2026, 1, 1)
    assert len(starts) == 5 and rates["analytics"] == [50.0] * 5


def test_busy_or_short_periods_stay_daily():
    assert rate_buckets(_data(30, 40, 10))[0] == "day"
    bucket, starts, rates = rate_buckets(_data(7, 1, 1))
    assert bucket == "day" and len(starts) == 7 and rates["analytics"] == [100.0] * 7


def test_sparse_withdrawals_and_gpc_are_summed_per_week():
    days = Period(date(2026, 1, 1), date(2026, 1, 28)).days
    daily = [{"withdrawals": 1 if i % 9 == 0 else 0, "gpc": 2 if i == 20 else 0} for i in range(28)]
    bucket, starts, withdrawals, gpc = activity_buckets({"days": days, "daily": daily})
    assert bucket == "week" and len(starts) == 4
    assert sum(withdrawals) == 4 and sum(gpc) == 2 and gpc == [0, 0, 2, 0]
    busy = [{"withdrawals": 1, "gpc": 0}] * 28
    assert activity_buckets({"days": days, "daily": busy})[0] == "day"
