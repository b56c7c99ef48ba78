"""The service context: what a service finds beside its session.

Services take a session and nothing else. What they need outside their
arguments — the plugin manager (to fire events), the settings, the registry
holding the infrastructure services (:mod:`core.services`: the business clock,
the blob store, ...), the business date and the actor — travels in
``session.info``, put there by the one thing every process already shares: the
session factory. :func:`core.db.get_session_factory` is built with the
registry, its plugin manager and settings, so a web request, a job,
a CLI command, the demo loader and a test fixture all get a bound session without
doing anything. :func:`bind` replaces either for one session (a test that swaps the
plugin manager, a script with its own).

Firing an event with no plugin manager bound raises :class:`ServiceContextError`
instead of doing nothing: a department that silently misses an event is a
department whose numbers are wrong (the demo once replayed 90 days of history
without telling collections, so its roll rates said "all current").
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

PM_KEY = "mutuo.pm"
SETTINGS_KEY = "mutuo.settings"
AS_OF_KEY = "mutuo.as_of"
REGISTRY_KEY = "mutuo.registry"


class ServiceContextError(RuntimeError):
    """A service needed the plugin manager but its session was made outside the platform."""


def factory_info(pm=None, settings=None, registry=None) -> dict:
    """What :func:`core.db.get_session_factory` puts in every new session's ``info``."""
    info = {}
    if pm is not None:
        info[PM_KEY] = pm
    if settings is not None:
        info[SETTINGS_KEY] = settings
    if registry is not None:
        info[REGISTRY_KEY] = registry
    return info


def bind(session, pm=None, settings=None, registry=None) -> None:
    """Give one session a plugin manager, settings and/or a registry (its services) of its own."""
    session.info.update(factory_info(pm, settings, registry))


def _registry(session):
    found = session.info.get(REGISTRY_KEY)
    if found is not None:
        return found
    request = session.info.get("request")
    return getattr(request, "registry", None)


def registry(session):
    """The Pyramid registry whose services (:mod:`core.services`) this session's code uses."""
    found = _registry(session)
    if found is None:
        raise ServiceContextError(
            "this session has no registry, so its infrastructure services cannot be found: make sessions "
            "with core.db.get_session_factory(engine, pm=..., settings=..., registry=...) "
            "or call core.context.bind(session, registry=...)")
    return found


def plugin_manager(session):
    """The session's plugin manager; raises when none is bound (see the module docstring)."""
    pm = session.info.get(PM_KEY)
    if pm is None:
        registry = _registry(session)
        pm = registry.get("mutuo.pm") if registry is not None else None
    if pm is None:
        raise ServiceContextError(
            "this session has no plugin manager, so the event would reach nobody: make sessions "
            "with core.db.get_session_factory(engine, pm=..., settings=...) or call core.context.bind()")
    return pm


def hooks(session):
    """``pm.hook`` of the session's plugin manager."""
    return plugin_manager(session).hook


def has_listeners(session, hook_name: str) -> bool:
    """Whether any enabled plugin implements ``hook_name`` (lets a service skip preparing an event)."""
    caller = getattr(hooks(session), hook_name, None)
    return bool(caller and caller.get_hookimpls())


def settings(session) -> dict:
    found = session.info.get(SETTINGS_KEY)
    if found is not None:
        return found
    registry = _registry(session)
    return dict(getattr(registry, "settings", None) or {})


def today(session) -> date:
    """Today's business date in the company's time zone (setting ``mutuo.timezone``).

    :func:`as_of` replaces it for replays of history (demo data, importing an
    existing loan book): every check then happens as of that date. Otherwise
    the clock service (:class:`core.services.IClock`) says; a session with no
    registry (made outside the platform) reads the system clock.
    """
    as_of_day = session.info.get(AS_OF_KEY)
    if as_of_day is not None:
        return as_of_day
    zone = settings(session).get("mutuo.timezone") or "UTC"
    clock = _clock(session)
    if clock is None:  # a session made outside the platform: the system clock
        return datetime.now(ZoneInfo(zone)).date()
    return clock.today(zone)


def _clock(session):
    from core.interfaces import IClock

    request = session.info.get("request")
    found = _registry(session)
    if getattr(request, "find_service", None) is not None or (found is not None and has_service(found, IClock)):
        return service(session, IClock)
    return None


# -- infrastructure services (core.services) ------------------------------------------

class _RegistryHolder:
    """What ``pyramid_services.find_service_factory`` wants: something with a ``registry``."""

    def __init__(self, registry):
        self.registry = registry


def find_in_registry(registry, iface):
    """The service registered for ``iface`` on a Pyramid registry, outside any request."""
    from pyramid_services import find_service_factory

    return find_service_factory(_RegistryHolder(registry), iface)(None, None)


def has_service(registry, iface) -> bool:
    """Whether ``registry`` (a Pyramid registry, or anything else) has a service for ``iface``."""
    from pyramid_services import IServiceRegistry

    query = getattr(registry, "queryUtility", None)
    services = query(IServiceRegistry) if query is not None else None
    return services is not None and services.find_factory(iface) is not None


def service(session, iface):
    """The service for ``iface`` seen from a session: its request's ``find_service``, else its registry's."""
    request = session.info.get("request")
    if getattr(request, "find_service", None) is not None:
        return request.find_service(iface)
    return find_in_registry(registry(session), iface)


def set_as_of(session, day: date | None) -> None:
    """Run the services as of ``day`` (None: back to the real today)."""
    if day is None:
        session.info.pop(AS_OF_KEY, None)
    else:
        session.info[AS_OF_KEY] = day


@contextmanager
def as_of(session, day: date):
    """``with as_of(session, day):`` — the business date is ``day`` inside, restored after."""
    before = session.info.get(AS_OF_KEY)
    set_as_of(session, day)
    try:
        yield
    finally:
        set_as_of(session, before)


def actor(session):
    """Who the audit log will name for this session's changes."""
    from core.audit import current_actor

    return current_actor(session)
