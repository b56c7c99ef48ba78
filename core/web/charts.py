"""Tiny server-side charts: inline SVG, no JavaScript, no inline styles.

The Content-Security-Policy forbids inline scripts and styles, so charts are
plain SVG elements with classes (``.chart .bar`` in mutuo.css) and
presentation attributes only. Put the markup in ``Widget.chart`` or render it
with ``${structure: svg}``.

Labels and the title may be TranslationStrings (``_("Loans by status")``): they
are shown in the user's language; values are written the user's way
(``10.625,00``) by ``kind`` (core.formatting.Formatter.cell: ``money``,
``percent`` for fractions, ``number``; by default by their type).
"""
from __future__ import annotations

from decimal import Decimal
from html import escape

_TENTH = Decimal("0.1")


def bar_chart(items: list[tuple[str, Decimal | int]], *, width: int = 320, bar_height: int = 18,
              gap: int = 6, label_width: int = 120, value_width: int = 48, title: str = "",
              css_class: str = "bar", kind: str | None = None) -> str:
    """Horizontal bars, one per ``(label, value)``, scaled to the largest value.

    Negative values are drawn as empty bars; the value is printed beside each bar,
    formatted in the current language by ``kind``.
    """
    from core.formatting import current
    from core.i18n import translate

    formatter = current()

    def shown(value) -> str:
        return formatter.cell(value, kind)

    items = [(translate(label), value) for label, value in items]
    span = max(width - label_width - value_width, 10)
    largest = max((Decimal(v) for _, v in items), default=Decimal(0))
    height = max(len(items), 1) * (bar_height + gap)
    rows = []
    for index, (label, value) in enumerate(items):
        y = index * (bar_height + gap)
        length = Decimal(0) if largest <= 0 or value <= 0 else (Decimal(value) * span / largest).quantize(_TENTH)
        middle = y + bar_height // 2 + 4
        rows.append(
            f'<text x="0" y="{middle}">{escape(label)}</text>'
            f'<rect class="{escape(css_class)}" x="{label_width}" y="{y}" width="{length}" height="{bar_height}">'
            f'<title>{escape(label)}: {escape(shown(value))}</title></rect>'
            f'<text x="{label_width + length + Decimal(4)}" y="{middle}">{escape(shown(value))}</text>'
        )
    name = escape(translate(title) if title else ", ".join(f"{label}: {shown(value)}" for label, value in items))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{name}">' + "".join(rows) + "</svg>")
