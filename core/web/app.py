"""Assemble the Pyramid app: platform, database, security, shell, core and plugin views."""
from __future__ import annotations

from pyramid.config import Configurator

from core.config import expand_env
from core.platform import populate_registry


def make_app(settings: dict, *, pm=None, engine=None):
    settings = expand_env(dict(settings))
    settings.setdefault("pyramid.reload_templates", "false")
    with Configurator(settings=settings) as config:
        if engine is not None:
            config.registry["dbengine"] = engine
        populate_registry(config.registry, settings, pm)
        config.include("pyramid_chameleon")
        config.include("core.db")
        config.include("core.security")
        config.include("core.web.shell")
        config.include("core.web.views")
        include_plugins(config)
        config.commit()
        return config.make_wsgi_app()


def include_plugins(config) -> None:
    pm = config.registry["mutuo.pm"]
    for owner, impl in _configure_impls(pm):
        with config.route_prefix_context(owner):
            impl(config=config)
            config.commit()


def _configure_impls(pm):
    impls = {i.plugin_name: i.function for i in pm.hook.mutuo_configure.get_hookimpls()}
    return [(name, impls[name]) for name in pm.enabled_names if name in impls]
