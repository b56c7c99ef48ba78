"""Where a service finds the plugin manager (to fire events) and the settings.

Services take a session and nothing else. In a web request the session's
``info["request"]`` leads to the registry; jobs and scripts may put the
plugin manager and settings in ``session.info`` themselves
(:func:`bind`). Without a plugin manager no event is fired (demo loader,
bare scripts) — that is the documented behaviour, not an accident.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PM_KEY = "mutuo.pm"
SETTINGS_KEY = "mutuo.settings"
TODAY_KEY = "lending.as_of"


class _NoHooks:
    """Stands in for ``pm.hook`` when no plugin manager is known: every hook answers []."""

    def __getattr__(self, name):
        return lambda **kw: []


def bind(session, pm=None, settings=None) -> None:
    """Tell services outside a web request which plugin manager and settings to use."""
    if pm is not None:
        session.info[PM_KEY] = pm
    if settings is not None:
        session.info[SETTINGS_KEY] = settings


def _registry(session):
    request = session.info.get("request")
    return getattr(request, "registry", None)


def plugin_manager(session):
    pm = session.info.get(PM_KEY)
    if pm is not None:
        return pm
    registry = _registry(session)
    if registry is not None:
        try:
            return registry["mutuo.pm"]
        except (KeyError, TypeError):
            return None
    return None


def hooks(session):
    """``pm.hook`` of the session's plugin manager, or a stand-in that fires nothing."""
    pm = plugin_manager(session)
    return pm.hook if pm is not None else _NoHooks()


def has_listeners(session, hook_name: str) -> bool:
    pm = plugin_manager(session)
    if pm is None:
        return False
    caller = getattr(pm.hook, hook_name, None)
    return bool(caller and caller.get_hookimpls())


def settings(session) -> dict:
    found = session.info.get(SETTINGS_KEY)
    if found is not None:
        return found
    registry = _registry(session)
    return dict(getattr(registry, "settings", None) or {})


def today(session) -> date:
    """Today's business date in the company's time zone (setting ``mutuo.timezone``).

    ``session.info["lending.as_of"]`` replaces it for replays of history (demo
    data, importing an existing loan book): every check then happens as of that date.
    """
    as_of = session.info.get(TODAY_KEY)
    if as_of is not None:
        return as_of
    zone = settings(session).get("mutuo.timezone") or "UTC"
    return datetime.now(ZoneInfo(zone)).date()


def set_as_of(session, day: date | None) -> None:
    """Run the services as of ``day`` (None: back to the real today)."""
    if day is None:
        session.info.pop(TODAY_KEY, None)
    else:
        session.info[TODAY_KEY] = day
