"""Allowed hosts and checked request ids: what a client says about itself, checked at the door.

Absolute URLs (redirects after login, ``route_url``) are built from the request's
``Host`` header. A tween refuses, with 400, every request whose Host is not in
``mutuo.allowed_hosts`` (space-separated names; ``.example.com`` also allows its
subdomains; ``*`` allows any, for setups where a proxy checks), so every absolute
URL the app builds names a configured host. Ports are ignored.

``X-Request-Id`` is accepted from a client only when it is 1–64 of
``[A-Za-z0-9._-]``; anything else is replaced by a fresh id before it reaches
logs or the audit chain.
"""
from __future__ import annotations

import re
import uuid

from pyramid.response import Response

from core.config import ConfigError, is_development

DEVELOPMENT_HOSTS = "127.0.0.1 localhost"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def allowed_hosts(settings) -> tuple[str, ...]:
    raw = settings.get("mutuo.allowed_hosts")
    if raw is None and is_development(settings):
        raw = DEVELOPMENT_HOSTS
    hosts = tuple(h.strip().lower() for h in (raw or "").split() if h.strip())
    if not hosts:
        raise ConfigError("Setting mutuo.allowed_hosts is empty; list the host names users reach Mutuo by, "
                          "e.g. `mutuo.allowed_hosts = mutuo.example.com` (or set MUTUO_ALLOWED_HOSTS).")
    return hosts


def host_name(host_header: str) -> str:
    """``Example.com:8080`` -> ``example.com``; ``[::1]:80`` -> ``::1``."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str, allowed: tuple[str, ...]) -> bool:
    name = host_name(host_header)
    if not name or not re.fullmatch(r"[a-z0-9.:_-]+", name):
        return False
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith(".") and (name == pattern[1:] or name.endswith(pattern)):
            return True
    return False


def allowed_hosts_tween_factory(handler, registry):
    allowed = allowed_hosts(registry.settings)

    def tween(request):
        if not host_allowed(request.host, allowed):
            return Response(_refusal(request) + "\n", status=400, content_type="text/plain", charset="utf-8")
        return handler(request)

    return tween


def _refusal(request) -> str:
    """Why a request to an unknown host is refused, in the browser's language (no session is read for it)."""
    from core.i18n import _, available_locales, default_locale, localizer_for

    settings = request.registry.settings
    try:
        chosen = request.accept_language.lookup(language_tags=available_locales(settings), default="")
    except (ValueError, TypeError):
        chosen = ""
    localizer = localizer_for(chosen or default_locale(settings))
    return localizer.translate(_("Bad request: this server does not answer to that host name "
                                 "(see the setting mutuo.allowed_hosts)."))


def checked_request_id(request) -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if REQUEST_ID.fullmatch(given) else str(uuid.uuid4())


def includeme(config):
    from pyramid.tweens import INGRESS

    allowed_hosts(config.get_settings())  # fail at start-up, not at the first request
    config.add_tween("core.web.hosts.allowed_hosts_tween_factory", under=INGRESS)
    config.add_request_method(checked_request_id, "request_id", reify=True)
