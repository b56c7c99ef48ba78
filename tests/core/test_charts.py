"""core.web.charts: pygal's SVG made CSP-safe, written the user's way, honest when empty."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from core.i18n import _, in_locale
from core.web.charts import bar_chart, last_months, months_table, stacked_bars, time_series

MONTHS = last_months(date(2026, 3, 15), 3)  # Jan, Feb, Mar 2026


def svg(markup: str):
    return BeautifulSoup(markup, "html.parser").svg


def assert_csp_safe(markup: str) -> None:
    assert "<style" not in markup and "<script" not in markup and "style=" not in markup
    assert not re.search(r"\son\w+=", markup)  # no event handlers either


@pytest.mark.parametrize("draw", [
    lambda: bar_chart([("Current", Decimal("1234.50")), ("1-30", Decimal("200"))], title="By bucket"),
    lambda: stacked_bars(["a", "b"], {"x": [1, 2], "y": [3, 0]}, title="Stacked"),
    lambda: time_series({"Disbursed": [(MONTHS[0], Decimal("10"))], "Repaid": [(MONTHS[2], Decimal("5"))]},
                        months=MONTHS, title="Flows"),
    lambda: time_series({"Late": [(MONTHS[1], 2)]}, months=MONTHS, kind="number", stacked=True, title="Late"),
    lambda: bar_chart([], title="Nothing"),
])
def test_every_chart_is_csp_safe_and_named(draw):
    markup = draw()
    assert_csp_safe(markup)
    chart = svg(markup)
    assert chart["role"] == "img" and chart["aria-label"] and chart.title.text == chart["aria-label"]
    assert "mutuo-chart" in chart["class"]


def test_bar_chart_keeps_its_signature_and_writes_values_with_tooltips():
    markup = bar_chart([("Current", Decimal("1234.50")), ("1-30", Decimal("200"))], width=320, bar_height=18,
                       gap=6, label_width=120, value_width=80, title="", css_class="bar", kind=None)
    chart = svg(markup)
    assert chart["aria-label"] == "Current: 1,234.50, 1-30: 200.00"  # no title: the figures are the name
    texts = [t.text for t in chart.find_all("text")]
    assert "Current" in texts and "1,234.50" in texts
    tips = [t.text for t in chart.find_all("title")]
    assert "Current: 1,234.50" in tips and "1-30: 200.00" in tips


def test_counts_are_whole_numbers_on_the_axis():
    texts = [t.text for t in svg(bar_chart([("a", 1), ("b", 3)], title="Loans")).find_all("text")]
    assert "0.5" not in texts and "1" in texts and "3" in texts


def test_spanish_numbers_money_and_month_names():
    with in_locale("es"):
        line = svg(time_series({_("Disbursed"): [(MONTHS[0], Decimal("12500.5"))]}, months=MONTHS,
                               title=_("No data yet")))
        bars = svg(bar_chart([("Actual", Decimal("1234.5"))], title="Tramos", kind="money"))
    labels = [t.text for t in line.find_all("text")]
    assert "ene 26" in labels and "feb 26" in labels and "mar 26" in labels
    assert any(tip.text.endswith("12.500,50") for tip in line.find_all("title"))
    assert "1.234,50" in [t.text for t in bars.find_all("text")]
    assert line["aria-label"] == "Aún no hay datos"  # titles are translated too


def test_an_empty_chart_says_no_data_yet_instead_of_zeros():
    for markup in (bar_chart([("a", 0), ("b", Decimal(0))], title="Empty"),
                   time_series({"x": []}, months=MONTHS, title="Empty"),
                   stacked_bars(["a"], {"x": [0]}, title="Empty")):
        chart = svg(markup)
        assert [t.text for t in chart.find_all("text")] == ["No data yet"]
        assert chart["aria-label"] == "Empty: No data yet"
    with in_locale("es"):
        assert "Aún no hay datos" in bar_chart([], title="Vacío")


def test_last_months_and_the_months_table_group_in_sql(mutuo_db):
    from sqlalchemy import func, select

    assert last_months(date(2026, 1, 31), 3) == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    table = months_table(MONTHS, today=date(2026, 3, 15))
    session = mutuo_db.session_factory()
    try:
        rows = session.execute(select(table.c.month, table.c.next, table.c.end)).all()
        assert [tuple(r) for r in rows] == [(date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 31)),
                                             (date(2026, 2, 1), date(2026, 3, 1), date(2026, 2, 28)),
                                             (date(2026, 3, 1), date(2026, 4, 1), date(2026, 3, 15))]
        counted = session.execute(select(table.c.month, func.count()).group_by(table.c.month)
                                  .order_by(table.c.month)).all()
        assert counted == [(m, 1) for m in MONTHS]
    finally:
        session.close()
