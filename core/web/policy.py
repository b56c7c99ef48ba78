"""The Pyramid security policy: who sent the request (login session or API key) and what they may do.

The declarations (permissions, roles, record rules), password and key hashing
and the effective permissions of a user live in :mod:`core.security`; this
module is the web's use of them, with the server-side sessions
(:mod:`core.sessions`) and API keys (:mod:`core.apikeys`). Keeping it in
``core/web`` is what lets ``core.apikeys`` import ``core.security`` without a
circle.
"""
from __future__ import annotations

from dataclasses import dataclass

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.security import Allowed, Denied

from core.apikeys import key_for_token
from core.models.user import ApiKey, User, UserSession
from core.security import ACCOUNT, SESSION_ONLY, effective_permissions, security_registry
from core.sessions import SESSION_TOKEN, find_session, revoke_session, session_limits, start_session


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
        user = request.dbsession.get(User, userid)
        request.session.invalidate()  # a fresh cookie (and CSRF token) at login
        row, token = start_session(request.dbsession, user, ip=request.client_addr,
                                   user_agent=request.user_agent)
        request.session[SESSION_TOKEN] = token
        request.__dict__["identity_info"] = Identity(user, session=row)
        return []

    def forget(self, request, **kw):
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


#: Entries kept per process (per app); past it the cache starts again (a few KB per entry).
SECURITY_CACHE_SIZE = 5000


def security_cache(registry) -> dict:
    """The app's cache of permission sets and menus, keyed by :func:`_security_key`."""
    cache = registry.get("mutuo.security_cache")
    if cache is None:
        cache = registry["mutuo.security_cache"] = {}
    return cache


def _security_key(request) -> tuple | None:
    """(plugin set, user id, user stamp, global stamp) of a login session read by ``find_session``, else None
    (API keys, anonymous, the login request itself): what a cached permission set and menu are valid for."""
    row = request.identity_info.session
    key = row.security_key() if row is not None else None
    if key is None:
        return None
    return (tuple(request.registry["mutuo.pm"].enabled_names), *key)


def cached(request, name: str, compute):
    """``compute()``, kept per security key (core.stamps) when the request has one; else computed anew."""
    key = request.security_key
    if key is None:
        return compute()
    cache = security_cache(request.registry)
    entry = cache.get(key)
    if entry is None:
        if len(cache) >= SECURITY_CACHE_SIZE:
            cache.clear()
        entry = cache.setdefault(key, {})
    if name not in entry:
        entry[name] = compute()
    return entry[name]


def _user_permissions(request) -> dict[str, list[str]]:
    """Permission -> what grants it. A key: its scope ∩ the user's permissions, minus session-only ones.

    A login session's set is cached per security stamp (:func:`cached`): no role-grants query on a
    plain request. The returned dict is shared: callers must not change it."""
    ident = request.identity_info
    if ident.api_key is None and ident.user is not None:
        return cached(request, "permissions", lambda: _session_permissions(request))
    granted = effective_permissions(ident.user, security_registry(request))
    if ident.api_key is not None:
        scope = ident.api_key.scopes
        return {p: by for p, by in granted.items() if p in scope and p not in SESSION_ONLY}
    return granted


def _session_permissions(request) -> dict[str, list[str]]:
    granted = effective_permissions(request.identity_info.user, security_registry(request))
    granted.setdefault(ACCOUNT, ["login session"])
    return granted


def _csrf_applies(request) -> bool:
    # API keys are not sent by browsers on their own: no CSRF risk, no token.
    return bearer_token(request) is None


def includeme(config):
    settings = config.get_settings()
    from pyramid.session import SignedCookieSessionFactory

    from core.config import as_bool, is_development

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
    config.add_request_method(_security_key, "security_key", reify=True)
