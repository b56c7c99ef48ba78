"""Identity, the security policy, the permission registry and record rules."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.security import Allowed, Denied
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import select

from core.errors import NotFound, StartupError  # noqa: F401  (StartupError: its old home)
from core.models.meta import utcnow
from core.models.user import ApiKey, Role, User, UserSession

ADMIN_ROLE = "admin"
#: Every logged-in *session* holds it: the pages of one's own account (password, sessions, keys).
ACCOUNT = "core.account.manage"
#: Never granted through an API key, whatever its scope: keys cannot make keys, change passwords or users.
SESSION_ONLY = frozenset({ACCOUNT, "core.user.manage"})

PUBLIC = NO_PERMISSION_REQUIRED  # views that say so explicitly: login, logout, health, static

_hasher = PasswordHasher()


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


# -- passwords and keys ------------------------------------------------------

def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = None


def burn_password_time(password: str) -> None:
    """Spend the time of a real check, so unknown usernames answer as slowly."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    verify_password(_DUMMY_HASH, password)


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
    granted: dict[str, list[str]] = {}
    for role in user.roles:
        names = registry.permissions if role.name == ADMIN_ROLE else role.permissions
        for name in names:
            if name in registry.permissions:
                granted.setdefault(name, []).append(role.name)
    return granted


# -- the policy ----------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """Who sent the request and how: through a login session or an API key (never both)."""

    user: User | None
    session: UserSession | None = None
    api_key: ApiKey | None = None


ANONYMOUS = Identity(None)


class MutuoSecurityPolicy:
    """Identity from a server-side session (named by the signed cookie) or a Bearer API key.

    Session-only permissions (``SESSION_ONLY``) are refused to API keys here, in one
    place, so no view has to remember it.
    """

    def identity(self, request):
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return user.id if user else None

    def permits(self, request, context, permission):
        if permission in request.user_permissions:
            return Allowed(f"granted {permission}")
        return Denied(f"missing {permission}")

    def remember(self, request, userid, **kw):
        from core.sessions import SESSION_TOKEN, start_session

        user = request.dbsession.get(User, userid)
        request.session.invalidate()  # a fresh cookie (and CSRF token) at login
        row, token = start_session(request.dbsession, user, ip=request.client_addr,
                                   user_agent=request.user_agent)
        request.session[SESSION_TOKEN] = token
        request.__dict__["identity_info"] = Identity(user, session=row)
        return []

    def forget(self, request, **kw):
        from core.sessions import revoke_session

        row = request.identity_info.session
        if row is not None:
            revoke_session(request.dbsession, row, "logout")
        request.session.invalidate()
        return []


def bearer_token(request) -> str | None:
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _request_identity(request) -> Identity:
    from core.apikeys import key_for_token
    from core.sessions import SESSION_TOKEN, find_session

    token = bearer_token(request)
    if token is not None:
        key = key_for_token(request.dbsession, token, request.client_addr)
        return Identity(key.user, api_key=key) if key is not None else ANONYMOUS
    sid = request.session.get(SESSION_TOKEN)
    if sid is None:
        return ANONYMOUS
    row = find_session(request.dbsession, sid, request.registry.settings)
    if row is None:
        request.session.invalidate()
        return ANONYMOUS
    return Identity(row.user, session=row)


def _request_user(request) -> User | None:
    return request.identity_info.user


def _user_permissions(request) -> dict[str, list[str]]:
    """Permission -> what grants it. A key: its scope ∩ the user's permissions, minus session-only ones."""
    ident = request.identity_info
    granted = effective_permissions(ident.user, security_registry(request))
    if ident.api_key is not None:
        scope = ident.api_key.scopes
        return {p: by for p, by in granted.items() if p in scope and p not in SESSION_ONLY}
    if ident.user is not None:
        granted.setdefault(ACCOUNT, ["login session"])
    return granted


def _csrf_applies(request) -> bool:
    # API keys are not sent by browsers on their own: no CSRF risk, no token.
    return bearer_token(request) is None


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


def get_visible_or_404(request, model, ident):
    """One record the user may see, or :class:`core.errors.NotFound` (a 404 on the web: a record outside
    a rule does not exist for them)."""
    pk = model.__mapper__.primary_key[0]
    try:
        ident = pk.type.python_type(ident)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = request.dbsession.scalars(restricted_query(request, model, pk == ident)).first()
    if obj is None:
        raise NotFound()
    return obj


def includeme(config):
    settings = config.get_settings()
    from pyramid.session import SignedCookieSessionFactory

    from core.config import as_bool, is_development

    from core.sessions import session_limits

    secure = as_bool(settings.get("mutuo.cookie_secure", not is_development(settings)))
    _idle, lifetime = session_limits(settings)
    # The cookie only names the server-side session (core.sessions), which decides what is live.
    config.set_session_factory(SignedCookieSessionFactory(
        settings["mutuo.secret"], cookie_name="mutuo", httponly=True, samesite="Lax", secure=secure,
        timeout=int(lifetime.total_seconds()), reissue_time=300,
    ))
    config.set_security_policy(MutuoSecurityPolicy())
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True, callback=_csrf_applies)
    config.add_request_method(_request_identity, "identity_info", reify=True)
    config.add_request_method(_request_user, "user", reify=True)
    config.add_request_method(_user_permissions, "user_permissions", reify=True)


__all__ = [
    "PUBLIC", "Permission", "RoleSpec", "RecordRule", "restricted_query", "get_visible_or_404",
    "hash_password", "verify_password", "utcnow", "Role",
]
