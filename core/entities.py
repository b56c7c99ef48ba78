"""Record types plugins declare, so documents and history work for any record."""
from __future__ import annotations

from dataclasses import dataclass

from core.audit import entity_type_of


@dataclass(frozen=True)
class EntityType:
    model: type
    title: str
    view_permission: str
    edit_permission: str
    route: str | None = None  # route name of the record page, called with id=<pk>
    label: str = "{id}"  # format string over the record's attributes

    @property
    def name(self) -> str:
        return entity_type_of(self.model)


def build_entity_registry(pm, permissions) -> dict[str, EntityType]:
    from core.errors import StartupError

    found: dict[str, EntityType] = {}
    for owner, types in pm.call_per_plugin("mutuo_entity_types"):
        for et in types:
            if et.name in found:
                raise StartupError(f"Entity type '{et.name}' is declared twice ({owner}).")
            for perm in (et.view_permission, et.edit_permission):
                if perm not in permissions:
                    raise StartupError(f"Entity type '{et.name}' names unknown permission '{perm}'.")
            found[et.name] = et
    return found


def entity_types(request_or_registry) -> dict[str, EntityType]:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.entities"]


def record_url(request, entity_type: str, entity_id) -> str | None:
    et = entity_types(request).get(entity_type)
    if et is None or et.route is None or entity_id is None:
        return None
    try:
        return request.route_url(et.route, id=entity_id)
    except KeyError:
        return None
