"""Server-side charts drawn by pygal: inline SVG, no JavaScript, no inline styles.

One helper for every plugin's dashboard and report (docs/web.md, "Charts"):

* :func:`bar_chart` — horizontal bars, one per ``(label, value)``;
* :func:`stacked_bars` — vertical bars, one per category, stacked by series;
* :func:`time_series` — months on the x axis, a line per series (or stacked bars).

Each returns SVG markup for ``${structure: chart}`` or ``Widget(chart=...)``.
Labels and titles may be TranslationStrings; numbers, money and month names are
written the user's way (``core.formatting.current()``) by ``kind`` (``money``,
``number``, ``percent`` for fractions; by default by the value's type). A chart
with nothing but zeros says "No data yet" instead of drawing empty bars.

The page's Content-Security-Policy forbids inline ``<style>``, ``style=`` and
scripts, and pygal writes all three for its interactive mode: the markup is
cleaned here (styles come from ``core/web/static/charts.css``, classes only),
and every bar or point carries an SVG ``<title>`` — the browser's own tooltip.
Values are converted to float for drawing only; what is written comes from the
Decimal given.

:func:`months_table` is the SQL side: one row per month (its first day, the
first day of the next one, and its last day up to today), to join facts on and
``GROUP BY`` month in one portable query (SQLite and PostgreSQL alike).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pygal
from pygal.etree import etree as _pygal_etree
from sqlalchemy import Date, literal, select, union_all

# pygal switches to lxml whenever lxml is importable (docxtpl, weasyprint… bring it); the cleaning below
# works on xml.etree elements, so keep pygal on the standard library whatever else is installed.
_pygal_etree.to_etree()

SVG_NS = "http://www.w3.org/2000/svg"
_DROP = {"style", "script"}

Number = Decimal | int | float


# -- drawing -----------------------------------------------------------------------------

def _formatter():
    from core.formatting import current

    return current()


def _text(value) -> str:
    from core.i18n import translate

    return translate(value) if value else ""


def _shown(value, kind: str | None) -> str:
    return _formatter().cell(value, kind)


def _kind(kind: str | None, values) -> str:
    """The kind the values are written as: given, else money for Decimals and number for the rest."""
    if kind:
        return kind
    return "money" if any(isinstance(v, Decimal) for v in values) else "number"


def _decimal(value: float) -> Decimal | int:
    amount = Decimal(repr(value))
    return int(amount) if amount == amount.to_integral_value() else amount


def _axis(kind: str, fmt):
    """How the value axis writes its ticks (floats from pygal): money and percentages without decimals."""
    def label(value: float) -> str:
        amount = _decimal(value)
        if kind == "percent":
            return fmt.percent(amount, 0)
        if kind == "money":
            return fmt.money(amount, 0)
        return fmt.number(amount)
    return label


def _ticks(kind: str, totals) -> list[int] | None:
    """Whole-number ticks for small counts (pygal would write 0.2, 0.4 … for three loans)."""
    largest = max((Decimal(t) for t in totals if t is not None), default=Decimal(0))
    if kind == "number" and largest <= 10 and all(Decimal(t) == int(t) for t in totals if t is not None):
        return list(range(0, int(largest) + 1))
    return None


def _config(title: str, kind: str, **options) -> pygal.Config:
    fmt = _formatter()
    from core.i18n import _

    config = pygal.Config(js=[], css=[], no_prefix=True, disable_xml_declaration=True, show_legend=False,
                          legend_at_bottom=True, margin=8, spacing=6, explicit_size=False,
                          value_formatter=_axis(kind, fmt), formatter=lambda v: fmt.cell(_decimal(v), kind),
                          no_data_text=fmt.translate(_("No data yet")),
                          print_zeroes=False, classes=["pygal-chart", "mutuo-chart"], truncate_legend=-1,
                          truncate_label=-1, max_scale=6, min_scale=3)
    config.title = None  # the page says it; the SVG's <title> and aria-label carry it for screen readers
    for key, value in options.items():
        setattr(config, key, value)
    config.css = []
    return config


def _point(value: Number | None, tip: str, zero: bool = False) -> dict[str, Any] | None:
    """A pygal value whose label is the tooltip; None stays a gap; a zero bar is not drawn (``zero``:
    it is, as a point of a line)."""
    if value is None or (value == 0 and not zero):
        return None
    return {"value": float(value), "label": tip}


def _clean(chart, title: str) -> str:
    """The chart's SVG without style, scripts and JS tooltips; a <title> per value, an accessible name."""
    root = chart.render_tree()  # pygal's elements are un-namespaced; its root carries xmlns itself
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _DROP or not tag or (tag == "title" and parent is root):  # comments, pygal's "Pygal"
                parent.remove(child)
            elif tag == "desc":
                parent.remove(child)
                if child.get("class") == "label":  # the label pygal keeps for its JS: our tooltip
                    ET.SubElement(parent, "title").text = child.text
            elif "tooltip-overlay" in (child.get("class") or ""):
                parent.remove(child)
    for element in root.iter():
        element.attrib.pop("style", None)
    return _svg(root, title)


def _svg(root: ET.Element, title: str) -> str:
    root.attrib.pop("id", None)
    # Its natural size (the stylesheet shrinks it to its container, never stretches it past this).
    _x, _y, width, height = root.get("viewBox", "0 0 480 280").split()
    root.set("width", width)
    root.set("height", height)
    root.set("role", "img")
    root.set("aria-label", title)
    heading = ET.Element("title")
    heading.text = title
    root.insert(0, heading)
    return ET.tostring(root, encoding="unicode")


def _no_data(title: str, width: int, height: int) -> str:
    """An empty chart: the words "No data yet" where the bars would be, never a row of zeros."""
    from core.i18n import _

    root = ET.Element("svg", {"xmlns": SVG_NS, "class": "pygal-chart mutuo-chart no-data",
                              "viewBox": f"0 0 {width} {height}"})
    ET.SubElement(root, "text", {"x": str(width // 2), "y": str(height // 2), "class": "no_data"}).text = \
        _formatter().translate(_("No data yet"))
    return _svg(root, f"{title}: {root[0].text}" if title else root[0].text or "")


def _has_data(values) -> bool:
    return any(v for v in values if v is not None)


def bar_chart(items: list[tuple[str, Decimal | int]], *, width: int = 320, bar_height: int = 18,
              gap: int = 6, label_width: int = 120, value_width: int = 48, title: str = "",
              css_class: str = "bar", kind: str | None = None) -> str:
    """Horizontal bars, one per ``(label, value)``, the value written beside each bar.

    ``value_width`` is the room kept right of the longest bar for its value; ``label_width``
    and ``css_class`` are kept for the callers written before pygal drew the bars (pygal
    places the labels itself).
    """
    items = [(_text(label), value) for label, value in items]
    kind = _kind(kind, [v for _label, v in items])
    name = _text(title) or ", ".join(f"{label}: {_shown(value, kind)}" for label, value in items)
    height = max(len(items), 1) * (bar_height + gap) + 40
    config = _config(name, kind, width=max(width, 320), height=max(height, 120), print_values=True,
                     margin_right=value_width + 8, print_values_position="top", show_y_guides=False,
                     show_x_guides=True, max_scale=4, y_labels=_ticks(kind, [v for _label, v in items]))
    if not _has_data(v for _label, v in items):
        return _no_data(_text(title), config.width, config.height)
    chart = pygal.HorizontalBar(config)
    items = items[::-1]  # pygal stacks horizontal bars from the bottom: the first item goes on top
    chart.x_labels = [label for label, _value in items]
    chart.add(name, [_point(max(value, 0), f"{label}: {_shown(value, kind)}") for label, value in items])
    return _clean(chart, name)


def stacked_bars(categories: list[str], series: dict[str, list[Number | None]], *, title: str,
                 kind: str | None = None, width: int = 480, height: int = 280) -> str:
    """Vertical bars, one per category, each stacked from ``series`` (name → one value per category)."""
    categories = [_text(c) for c in categories]
    kind = _kind(kind, [v for values in series.values() for v in values])
    name = _text(title)
    totals = [sum((v or 0) for v in column) for column in zip(*series.values())]
    config = _config(name, kind, width=width, height=height, show_legend=len(series) > 1,
                     legend_at_bottom_columns=min(len(series), 4) or None, x_label_rotation=_rotation(categories),
                     y_labels=_ticks(kind, totals))
    if not categories or not _has_data(v for values in series.values() for v in values):
        return _no_data(name, width, height)
    chart = pygal.StackedBar(config)
    chart.x_labels = categories
    for label, values in series.items():
        label = _text(label)
        chart.add(label, [_point(v, f"{label} · {c}: {_shown(v, kind)}") for c, v in zip(categories, values)])
    return _clean(chart, name)


def time_series(series: dict[str, list[tuple[date, Number]]], *, title: str, kind: str | None = "money",
                months: list[date] | None = None, stacked: bool = False, width: int = 480,
                height: int = 280) -> str:
    """Months on the x axis: a line per series (``stacked=True``: bars stacked by series).

    ``series`` maps a name to ``(month, value)`` pairs, a month being any date in it;
    ``months`` is the axis (first days, see :func:`last_months`; default: the months
    present). A month a series lacks counts as zero.
    """
    fmt = _formatter()
    kind = _kind(kind, [v for points in series.values() for _d, v in points])
    by_month = {_text(label): {d.replace(day=1): Decimal(v) for d, v in points} for label, points in series.items()}
    axis = [m.replace(day=1) for m in months] if months is not None else \
        sorted({m for points in by_month.values() for m in points})
    names = [fmt.date(m, "LLL yy") for m in axis]
    if stacked:
        return stacked_bars(names, {label: [values.get(m, Decimal(0)) for m in axis]
                                    for label, values in by_month.items()},
                            title=title, kind=kind, width=width, height=height)
    name = _text(title)
    config = _config(name, kind, width=width, height=height, show_legend=len(series) > 1,
                     legend_at_bottom_columns=min(len(series), 4) or None, x_label_rotation=_rotation(names),
                     dots_size=3, show_x_guides=False,
                     y_labels=_ticks(kind, [v for values in by_month.values() for v in values.values()]))
    if not axis or not _has_data(v for values in by_month.values() for v in values.values()):
        return _no_data(name, width, height)
    chart = pygal.Line(config)
    chart.x_labels = names
    for label, values in by_month.items():
        points = [values.get(m, Decimal(0)) for m in axis]
        chart.add(label, [_point(v, f"{label} · {n}: {_shown(v, kind)}", zero=True) for n, v in zip(names, points)])
    return _clean(chart, name)


def _rotation(labels: list[str]) -> int:
    """Slant the x labels when they would overlap."""
    return 35 if sum(len(label) for label in labels) > 60 else 0


# -- months, for the queries behind time series ----------------------------------------

def last_months(today: date, count: int = 12) -> list[date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    out = [today.replace(day=1)]
    while len(out) < count:
        out.insert(0, (out[0] - timedelta(days=1)).replace(day=1))
    return out


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def months_table(months: list[date], today: date | None = None):
    """A subquery with one row per month: ``month`` (first day), ``next`` (first day of the next
    month) and ``end`` (its last day, or ``today`` if sooner). Join facts on
    ``fact_date >= month AND fact_date < next`` and group by ``month``; ``end`` is the as-of date
    of a month-end snapshot. Plain SELECTs of literals joined by UNION ALL: portable everywhere."""
    rows = []
    for month in months:
        following = _next_month(month)
        end = following - timedelta(days=1)
        if today is not None and today < end:
            end = today
        rows.append(select(literal(month, Date).label("month"), literal(following, Date).label("next"),
                           literal(end, Date).label("end")))
    return union_all(*rows).subquery("months")
