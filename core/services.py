"""Infrastructure as Pyramid services: one interface per service, found one way.

The blob store, the business clock, the message gateways and the webhooks
sender are registered with ``pyramid_services`` by their feature's
``includeme`` (:mod:`core.documents`, :mod:`core.clock`,
:mod:`core.messages.gateways`, :mod:`core.webhooks`), each with a backend
chosen by a setting and an in-memory (or null) backend for tests. Domain
services stay plain functions that take a session.

Look a service up with :func:`find_service`: in a request it is
``request.find_service(iface)``; from a session (a job, the CLI, a test) it
goes through the registry the session factory put in the session's context
(:func:`core.context.registry`).
"""
from __future__ import annotations

from core.config import _
from core.context import find_in_registry, has_service
from core.errors import ConfigError
from core.interfaces import IBlobStore, IClock, IMessageGateways, IWebhookSender

__all__ = ["IBlobStore", "IClock", "IMessageGateways", "IWebhookSender", "find_service", "find_in_registry",
           "has_service", "replace_service", "choose_backend", "install"]


def find_service(request_or_session, iface):
    """The service for ``iface``: ``request.find_service`` in a request, else through a session's context.

    A session from :func:`core.db.get_session_factory` (or :func:`core.context.bind`) carries the
    registry; a session made with a request (``session.info["request"]``) uses that request.
    Raises :class:`core.context.ServiceContextError` when neither is there. The interfaces
    live in :mod:`core.interfaces` (re-exported here).
    """
    from core import context

    finder = getattr(request_or_session, "find_service", None)
    if finder is not None:
        return finder(iface)
    return context.service(request_or_session, iface)


def replace_service(registry, iface, service):
    """Register ``service`` for ``iface`` on an already configured registry; returns an undo function.

    For tests (the ``clock`` fixture swaps the clock of the app, the jobs and the test sessions).
    """
    from pyramid_services import IServiceRegistry, ProxyFactory, SingletonServiceWrapper

    services = registry.getUtility(IServiceRegistry)
    before = services.find_factory(iface)
    services.register_factory(ProxyFactory(SingletonServiceWrapper(service)), iface)

    def undo():
        if before is not None:
            services.register_factory(before, iface)
    return undo


def choose_backend(settings, key: str, backends: dict, default: str):
    """The backend factory named by setting ``key``: a name in ``backends``, or a dotted ``module:factory``.

    An unknown name is a :class:`ConfigError` (the process must not start).
    """
    name = (settings.get(key) or default).strip()
    if name in backends:
        return backends[name]
    if ":" in name:
        from pyramid.path import DottedNameResolver

        try:
            return DottedNameResolver().resolve(name)
        except (ImportError, AttributeError, ValueError):
            raise ConfigError(_("Setting ${key} names ${name}, which cannot be imported.",
                                mapping={"key": key, "name": repr(name)})) from None
    raise ConfigError(_("Setting ${key} must be one of ${choices} (or a dotted module:factory), not ${name}.",
                        mapping={"key": key, "choices": ", ".join(sorted(backends)), "name": repr(name)}))


FEATURES = ("core.documents", "core.clock", "core.messages.gateways", "core.webhooks")


def includeme(config):
    """``pyramid_services`` and core's infrastructure services (each feature's ``includeme``)."""
    config.include("pyramid_services")
    for feature in FEATURES:
        config.include(feature)


def install(registry, *, share_from=None) -> None:
    """Give a registry built without a Configurator (jobs, the CLI, tests) the same services as the app.

    ``share_from``: a registry whose service instances to reuse (a job built from the app's, so a
    memory store or a test's frozen clock is the same object in both).
    """
    from pyramid.config import Configurator

    config = Configurator(registry=registry)
    if share_from is not None and has_service(share_from, IClock):
        from pyramid_services import IServiceRegistry

        config.include("pyramid_services")
        config.set_service_registry(share_from.getUtility(IServiceRegistry))
    else:
        config.include(includeme)
    config.commit()
