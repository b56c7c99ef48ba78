"""Assemble the Pyramid app: platform, database, security, shell, core and plugin views."""
from __future__ import annotations

import threading

from chameleon.template import BaseTemplate
from pyramid.config import Configurator

from core.config import expand_env
from core.platform import populate_registry


def _serialize_template_compilation() -> None:
    """Compile Chameleon templates one at a time.

    Several waitress threads compiling templates on first requests at once can
    crash CPython 3.11's ``compile()`` ("AST constructor recursion depth
    mismatch"); seen under load in bench/web_lists.py. Compilation happens
    once per template, so the lock costs nothing afterwards.

    This is the one process-wide patch Mutuo applies, on purpose and only here:
    Chameleon offers no hook for it. It is idempotent (applied once per process,
    whatever the number of apps built); the Celery app and the password cost,
    once module globals too, are now built from settings (core.celery_app,
    core.passwords).
    """
    if getattr(BaseTemplate.cook, "_mutuo_locked", False):
        return
    lock = threading.RLock()
    original = BaseTemplate.cook

    def cook(self, body):
        with lock:
            return original(self, body)

    cook._mutuo_locked = True  # type: ignore[attr-defined]
    BaseTemplate.cook = cook  # type: ignore[method-assign]


def make_app(settings: dict, *, pm=None, engine=None):
    settings = expand_env(dict(settings))
    settings.setdefault("pyramid.reload_templates", "false")
    _serialize_template_compilation()
    with Configurator(settings=settings) as config:
        if engine is not None:
            config.registry["dbengine"] = engine
        populate_registry(config.registry, settings, pm)
        config.include("pyramid_chameleon")
        config.include("core.services")  # pyramid_services + blob store, clock, gateways, webhooks
        config.include("core.db")
        config.include("core.web.policy")
        config.include("core.i18n")  # catalogues of core and the enabled plugins, the language negotiator
        config.include("core.web.shell")
        # Core's screens come through its own mutuo_configure (core.hooks), at the root.
        config.registry["mutuo.pm"].call_plugin("core", "mutuo_configure", config=config)
        config.commit()
        include_plugins(config)
        config.commit()
        return config.make_wsgi_app()


def include_plugins(config) -> None:
    """Each plugin's ``mutuo_configure`` inside its own route prefix ``/<plugin>``."""
    pm = config.registry["mutuo.pm"]
    for owner in pm.implementers("mutuo_configure"):
        if owner == "core":
            continue  # core's own, at the root, is called by make_app before the plugins'
        with config.route_prefix_context(owner):
            pm.call_plugin(owner, "mutuo_configure", config=config)
            config.commit()
