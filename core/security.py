"""Permissions, roles and record rules plugins declare; a user's effective permissions; API key hashing.

The Pyramid security policy that uses them (login sessions, API keys) is
:mod:`core.web.policy`; password hashing is :mod:`core.passwords`.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from core.errors import NotFound, StartupError  # noqa: F401  (StartupError: its old home)
from core.models.meta import utcnow
from core.models.user import Role, User
from core.passwords import burn_password_time, hash_password, verify_password  # noqa: F401  (their old home)

ADMIN_ROLE = "admin"
#: Every logged-in *session* holds it: the pages of one's own account (password, sessions, keys).
ACCOUNT = "core.account.manage"
#: Never granted through an API key, whatever its scope: keys cannot make keys, change passwords or users.
SESSION_ONLY = frozenset({ACCOUNT, "core.user.manage"})

PUBLIC = NO_PERMISSION_REQUIRED  # views that say so explicitly: login, logout, health, static

# -- declarations plugins return -------------------------------------------

@dataclass(frozen=True)
class Permission:
    name: str
    title: str
    description: str = ""

    @property
    def plugin(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class RoleSpec:
    name: str
    title: str
    permissions: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class RecordRule:
    """Narrow what a user sees of ``model`` unless they hold ``bypass``."""

    model: type
    bypass: str
    filter: Callable  # filter(request) -> SQL expression on model
    description: str = ""


@dataclass
class SecurityRegistry:
    permissions: dict[str, Permission] = field(default_factory=dict)
    roles: dict[str, tuple[str, RoleSpec]] = field(default_factory=dict)  # name -> (plugin, spec)
    record_rules: dict[type, list[RecordRule]] = field(default_factory=dict)


def build_security_registry(pm) -> SecurityRegistry:
    reg = SecurityRegistry()
    for owner, perms in pm.call_per_plugin("mutuo_permissions"):
        for perm in perms:
            if perm.name in reg.permissions:
                raise StartupError(f"Permission '{perm.name}' is declared twice ({owner}); rename one of them.")
            reg.permissions[perm.name] = perm
    for owner, roles in pm.call_per_plugin("mutuo_roles"):
        for role in roles:
            if role.name in reg.roles:
                raise StartupError(f"Role '{role.name}' is declared twice ({owner}); rename one of them.")
            unknown = [p for p in role.permissions if p not in reg.permissions]
            if unknown:
                raise StartupError(
                    f"Role '{role.name}' of plugin '{owner}' names unknown permission(s) {', '.join(unknown)}; "
                    f"declare them in mutuo_permissions() or fix the names."
                )
            reg.roles[role.name] = (owner, role)
    for _owner, rules in pm.call_per_plugin("mutuo_record_rules"):
        for rule in rules:
            if rule.bypass not in reg.permissions:
                raise StartupError(f"Record rule on {rule.model.__name__} names unknown permission '{rule.bypass}'.")
            reg.record_rules.setdefault(rule.model, []).append(rule)
    return reg


def security_registry(request_or_registry) -> SecurityRegistry:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.security"]


# -- API keys ----------------------------------------------------------------

def hash_api_key(key: str) -> str:
    # Keys are 256 random bits: a fast hash is enough and keeps API calls quick.
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return "mutuo_" + secrets.token_urlsafe(32)


# -- effective permissions ---------------------------------------------------

def effective_permissions(user: User | None, registry: SecurityRegistry) -> dict[str, list[str]]:
    """Permission -> names of the user's roles granting it. Admin holds all."""
    if user is None or not user.active:
        return {}
    rows = _role_grants(user)
    if rows is not None:
        return _granted(rows, registry)
    granted: dict[str, list[str]] = {}
    for role in user.roles:
        names = registry.permissions if role.name == ADMIN_ROLE else role.permissions
        for name in names:
            if name in registry.permissions:
                granted.setdefault(name, []).append(role.name)
    return granted


def _role_grants(user: User):
    """``[(role name, permission or None)]`` of a persistent user whose roles are not loaded, in one
    Core query (what the request's permissions are computed from on every request, instead of loading
    the roles and each role's grants as objects); None when the user's loaded roles must be used."""
    from sqlalchemy import inspect as sa_inspect

    from core.models.user import RolePermission, user_role

    state = sa_inspect(user)
    if "roles" in state.dict or state.session is None or not state.persistent:
        return None
    stmt = (select(Role.name, RolePermission.permission)
            .select_from(user_role)
            .join(Role, Role.id == user_role.c.role_id)
            .outerjoin(RolePermission, RolePermission.role_id == Role.id)
            .where(user_role.c.user_id == user.id)
            .order_by(Role.name, RolePermission.permission))
    return state.session.execute(stmt).all()


def _granted(rows, registry: SecurityRegistry) -> dict[str, list[str]]:
    by_role: dict[str, set[str]] = {}
    for role, permission in rows:
        names = by_role.setdefault(role, set())
        if permission is not None:
            names.add(permission)
    granted: dict[str, list[str]] = {}
    for role, names in by_role.items():  # in role-name order, as ``User.roles``
        for name in (registry.permissions if role == ADMIN_ROLE else names):
            if name in registry.permissions:
                granted.setdefault(name, []).append(role)
    return granted


# -- record rules ------------------------------------------------------------

def apply_record_rules(request, stmt, model):
    """Narrow a select of ``model`` by every rule the user does not bypass."""
    for rule in security_registry(request).record_rules.get(model, []):
        if not request.has_permission(rule.bypass):
            stmt = stmt.where(rule.filter(request))
    return stmt


def restricted_query(request, model, *criteria):
    """``select(model)`` narrowed by record rules: use it for lists, pages and exports."""
    return apply_record_rules(request, select(model).where(*criteria), model)


def get_visible_or_404(request, model, ident, options=()):
    """One record the user may see, or :class:`core.errors.NotFound` (a 404 on the web: a record outside
    a rule does not exist for them). ``options``: loader options (what the page shows of its relations,
    loaded in the same statement)."""
    from core.web.parsing import int_bound, parse_id

    pk = model.__mapper__.primary_key[0]
    try:
        if pk.type.python_type is int:  # ASCII digits within the column's type, never an overflow
            ident = parse_id(ident if isinstance(ident, (str, int)) else None, maximum=int_bound(pk))
        else:
            ident = pk.type.python_type(ident)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = request.dbsession.scalars(restricted_query(request, model, pk == ident).options(*options)).first()
    if obj is None:
        raise NotFound()
    return obj


__all__ = [
    "PUBLIC", "Permission", "RoleSpec", "RecordRule", "restricted_query", "get_visible_or_404",
    "hash_password", "verify_password", "utcnow", "Role",
]
