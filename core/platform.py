"""What every Mutuo process needs, web or not: plugins, models, declarations."""
from __future__ import annotations

import importlib

from core.config import check_settings
from core.plugins import get_plugin_manager


def import_models(pm) -> list:
    modules = []
    for _owner, mods in pm.call_per_plugin("mutuo_models"):
        for mod in mods:
            modules.append(importlib.import_module(mod) if isinstance(mod, str) else mod)
    return modules


def migration_locations(pm) -> dict[str, str]:
    """Owner -> Alembic version directory, core first."""
    return {owner: str(path) for owner, path in pm.call_per_plugin("mutuo_migrations")}


def populate_registry(registry, settings: dict, pm=None) -> None:
    """Fill a Pyramid registry (or any dict-like) with the platform's parts."""
    from core.audit import install as install_audit
    from core.entities import build_entity_registry
    from core.jobs import build_job_registry
    from core.messages.gateways import build_gateway_registry
    from core.security import build_security_registry

    check_settings(settings)
    pm = pm or get_plugin_manager(settings)
    registry["mutuo.pm"] = pm
    import_models(pm)
    install_audit()
    security = build_security_registry(pm)
    registry["mutuo.security"] = security
    registry["mutuo.entities"] = build_entity_registry(pm, security.permissions)
    registry["mutuo.jobs"] = build_job_registry(pm)
    registry["mutuo.message_gateways"] = build_gateway_registry(pm, settings)


def plugin_manager(request_or_registry):
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.pm"]
