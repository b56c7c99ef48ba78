"""Menu entries and dashboard widgets plugins contribute."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MenuEntry:
    title: str
    route: str
    permission: str
    section: str = ""  # the dropdown it belongs to; "" = top level
    order: int = 100


@dataclass
class Widget:
    title: str
    permission: str
    rows: list = field(default_factory=list)  # [(label, value)] shown as a small table
    chart: str | None = None  # SVG markup from core.web.charts
    link: str | None = None
    order: int = 100


def visible_menu(request) -> list[tuple[str, list[MenuEntry]]]:
    """Entries the user may use, grouped by section, in a stable order.

    Kept with the user's permission set per security stamp and plugin set (``core.web.policy.cached``):
    entries are declarations (titles are translation strings, translated when rendered)."""
    from core.web.policy import cached

    return cached(request, "menu", lambda: _visible_menu(request))


def _visible_menu(request) -> list[tuple[str, list[MenuEntry]]]:
    pm = request.registry["mutuo.pm"]
    entries = [e for group in pm.call("mutuo_menu", request=request) for e in group]
    allowed = [e for e in entries if request.has_permission(e.permission)]
    sections: dict[str, list[MenuEntry]] = {}
    for entry in sorted(allowed, key=lambda e: (e.order, e.title)):
        sections.setdefault(entry.section, []).append(entry)
    return list(sections.items())


def visible_widgets(request) -> list[Widget]:
    pm = request.registry["mutuo.pm"]
    widgets = [w for group in pm.call("mutuo_dashboard", request=request) for w in group]
    return sorted((w for w in widgets if request.has_permission(w.permission)), key=lambda w: (w.order, w.title))
