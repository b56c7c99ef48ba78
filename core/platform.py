"""What every Mutuo process needs, web or not: plugins, models, declarations."""
from __future__ import annotations

import importlib

from core.config import check_settings
from core.plugins import conventional_migrations, conventional_models, get_plugin_manager


def _declared_or_conventional(pm, hook_name: str, convention) -> dict:
    """Owner -> what it returned from ``hook_name``, else what ``convention(plugin module)`` finds.

    Core first, then the enabled plugins in dependency order; owners with
    neither are left out. Core always declares its own.
    """
    declared = dict(pm.call_per_plugin(hook_name))
    found = {}
    for owner in ["core", *pm.enabled_names]:
        value = declared.get(owner)
        if value is None and owner != "core":
            value = convention(pm.module(owner))
        if value:
            found[owner] = value
    return found


def plugin_models(pm) -> dict[str, list]:
    """Owner -> the modules (or dotted names) defining its models, core first.

    A plugin's ``mutuo_models`` wins; without one, its package's ``models``
    module (or package) is used by convention (:func:`core.plugins.conventional_models`).
    """
    found = _declared_or_conventional(pm, "mutuo_models", conventional_models)
    return {owner: list(mods) for owner, mods in found.items()}


def import_models(pm) -> list:
    modules = []
    for mods in plugin_models(pm).values():
        for mod in mods:
            modules.append(importlib.import_module(mod) if isinstance(mod, str) else mod)
    return modules


def migration_locations(pm) -> dict[str, str]:
    """Owner -> Alembic version directory, core first, then the enabled plugins in dependency order.

    The one place that says where each branch's revisions live. A plugin's
    ``mutuo_migrations`` wins; without one, its package's ``migrations/versions/``
    folder is used by convention (:func:`core.plugins.conventional_migrations`).
    """
    found = _declared_or_conventional(pm, "mutuo_migrations", conventional_migrations)
    return {owner: str(path) for owner, path in found.items()}


def populate_registry(registry, settings: dict, pm=None) -> None:
    """Fill a Pyramid registry (or any dict-like) with the platform's parts."""
    from core.audit import install as install_audit
    from core.entities import build_entity_registry
    from core.jobs import build_job_registry
    from core.messages.gateways import build_gateway_registry
    from core.security import build_security_registry
    from core.web.lookups import build_lookup_registry

    check_settings(settings)
    from core import search

    search.configure(settings)  # the region phones are read in
    pm = pm or get_plugin_manager(settings)
    registry["mutuo.pm"] = pm
    import_models(pm)
    install_audit()
    from core.stamps import install as install_stamps

    install_stamps()  # roles/grants/active changes move the security stamps (cached permission sets)
    security = build_security_registry(pm)
    registry["mutuo.security"] = security
    registry["mutuo.entities"] = build_entity_registry(pm, security.permissions)
    registry["mutuo.lookups"] = build_lookup_registry(pm, security.permissions)
    registry["mutuo.jobs"] = build_job_registry(pm)
    registry["mutuo.message_gateways"] = build_gateway_registry(pm, settings)
    attach_celery(registry, settings)


def attach_celery(registry, settings: dict, app=None):
    """Keep a Celery app for this registry on it (``registry["mutuo.celery"]``): ``app``, else a new one.

    Built at configuration time like the rest of the platform; the broker is only
    contacted when a task is sent.
    """
    from core.celery_app import REGISTRY_KEY, make_celery_app

    if app is None:
        existing = registry.get(REGISTRY_KEY)
        app = existing if getattr(existing, "mutuo_registry", None) is registry else make_celery_app(settings, registry)
    else:
        app.mutuo_registry = registry
    registry[REGISTRY_KEY] = app
    return app


def plugin_manager(request_or_registry):
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.pm"]
