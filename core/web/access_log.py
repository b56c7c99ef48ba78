"""One line per request on the console while ``mutuo serve`` runs: method, path, status, time, user.

``GET /lending/loans?page=2 200 14 ms admin`` — on stderr, through the ``mutuo.access`` logger.
``mutuo serve`` includes this module (``pyramid.includes``); tests and other WSGI servers
(gunicorn, waitress-serve) do not, unless their config says ``pyramid.includes = core.web.access_log``.
"""
from __future__ import annotations

import logging
import sys
import time

from pyramid.tweens import EXCVIEW

log = logging.getLogger("mutuo.access")


def access_line(method: str, path: str, status: int, millis: float, user: str | None) -> str:
    return f"{method} {path} {status} {millis:.0f} ms {user or '-'}"


def _username(request) -> str | None:
    # Only a user the request already looked up: a static file or an anonymous page costs no query.
    identity = request.__dict__.get("identity_info")
    user = getattr(identity, "user", None)
    return getattr(user, "username", None)


def access_log_tween_factory(handler, registry):
    def tween(request):
        started = time.perf_counter()
        status = 500
        try:
            response = handler(request)
            status = response.status_int
            return response
        finally:
            path = request.path_qs if len(request.path_qs) <= 300 else request.path_qs[:300] + "…"
            log.info(access_line(request.method, path, status, (time.perf_counter() - started) * 1000,
                                 _username(request)))
    return tween


def includeme(config):
    if not log.handlers:  # the console, whatever logging the config set up (and only once)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    # Inside the transaction (the user is still readable), outside the exception views (their status counts).
    config.add_tween("core.web.access_log.access_log_tween_factory", under="pyramid_tm.tm_tween_factory",
                     over=EXCVIEW)
