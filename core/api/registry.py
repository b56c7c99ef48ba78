"""Collect the operations of core and the enabled plugins (hook ``mutuo_api``) at start-up."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from core.api import API_PREFIX, ID, METHODS, Operation, WebhookEvent
from core.errors import StartupError

_PLACEHOLDER = re.compile(r"{([a-z_][a-z0-9_]*)}")


@dataclass(frozen=True)
class Mounted:
    """An operation with its owner and full path."""

    plugin: str
    op: Operation

    @property
    def path(self) -> str:
        return f"{API_PREFIX}/{self.plugin}{self.op.path}"

    @property
    def operation_id(self) -> str:
        return f"{self.plugin}.{self.op.name}"

    @property
    def route_name(self) -> str:
        return f"api.{self.plugin}.{self.op.name}"


@dataclass
class ApiRegistry:
    operations: list[Mounted] = field(default_factory=list)
    events: dict[str, tuple[str, WebhookEvent]] = field(default_factory=dict)  # name -> (plugin, event)

    def by_route(self) -> dict[str, Mounted]:
        return {m.route_name: m for m in self.operations}


def _check(owner: str, op: Operation, known_permissions) -> Operation:
    where = f"API operation {op.name!r} of plugin {owner!r}"
    if op.method not in METHODS:
        raise StartupError(f"{where}: method {op.method!r} is not one of {', '.join(METHODS)}.")
    if not op.path.startswith("/") or op.path.endswith("/") and op.path != "/":
        raise StartupError(f"{where}: path {op.path!r} must start with '/' and not end with one.")
    if not op.permission:
        raise StartupError(f"{where} declares no permission; every operation must.")
    if known_permissions is not None and op.permission not in known_permissions:
        raise StartupError(f"{where} names unknown permission {op.permission!r}; declare it in mutuo_permissions().")
    names = _PLACEHOLDER.findall(op.path)
    if set(op.path_params) - set(names):
        raise StartupError(f"{where}: path_params {sorted(set(op.path_params) - set(names))} are not in its path.")
    if op.idempotent and op.method != "POST":
        raise StartupError(f"{where}: only POST operations take an Idempotency-Key.")
    if not op.body_required and op.body is None:
        raise StartupError(f"{where}: body_required=False without a JSON body schema.")
    if op.raw and len(op.statuses) > 1:
        raise StartupError(f"{where}: a raw operation answers one status.")
    if op.listing is not None and op.method != "GET":
        raise StartupError(f"{where}: a listing must be a GET.")
    path_params = {n: op.path_params.get(n, ID) for n in names}
    return replace(op, method=op.method.upper(), path_params=path_params)


def build_api_registry(pm, known_permissions=None) -> ApiRegistry:
    reg = ApiRegistry()
    seen: dict[tuple[str, str], str] = {}
    names: set[str] = set()
    for owner, ops in pm.call_per_plugin("mutuo_api"):
        for op in ops:
            op = _check(owner, op, known_permissions)
            mounted = Mounted(owner, op)
            if mounted.operation_id in names:
                raise StartupError(f"API operation {mounted.operation_id!r} is declared twice; rename one.")
            shape = (op.method, _PLACEHOLDER.sub("{}", mounted.path))
            if shape in seen:
                raise StartupError(f"API operations {seen[shape]!r} and {mounted.operation_id!r} both answer "
                                   f"{op.method} {mounted.path}; change one path.")
            seen[shape] = mounted.operation_id
            names.add(mounted.operation_id)
            reg.operations.append(mounted)
    from core.webhooks import webhook_events

    reg.events = dict(webhook_events(pm))
    return reg


def api_registry(request_or_registry) -> ApiRegistry:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.api"]
