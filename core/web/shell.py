"""The web shell: static files, security headers, request ids, flash, error pages."""
from __future__ import annotations

import logging

from pyramid.httpexceptions import HTTPClientError
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from core.errors import AccessDenied, NotFound
from core.i18n import _, translate

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def security_headers_tween_factory(handler, registry):
    def tween(request):
        response = handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
    return tween


def refuse_nul_in_forms(view, info):
    """A view deriver: a posted form holding a NUL byte is refused (400, nothing written), whatever view reads it.

    Workflow buttons read free text (a reason, a note) straight from ``request.POST``;
    PostgreSQL cannot store NUL in text, so such a value was a 500 there. Typed
    fields are checked by core.web.parsing; this is the net under the rest.
    """
    from pyramid.httpexceptions import HTTPBadRequest

    def wrapper(context, request):
        if (getattr(request, "exception", None) is None and request.method in ("POST", "PUT", "PATCH")
                and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
                and any(isinstance(v, str) and "\x00" in v for v in request.POST.values())):
            raise HTTPBadRequest(detail=_("A field holds a NUL character; remove it and send the form again."))
        return view(context, request)
    return wrapper


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return ("/api/" in request.path or request.path.startswith("/api") or "application/json" in accept
            or request.headers.get("Authorization", "").lower().startswith("bearer "))


MAX_FLASHES = 5  # the session lives in a cookie (4 KB): unread messages must not grow it without end
MAX_FLASH_LENGTH = 400


def flash(request, message, kind: str = "success") -> None:
    """Queue a message for the next page, in the user's language (a TranslationString, text or a
    refusal); only the newest few unread ones are kept, each cut short."""
    message = translate(message, getattr(request, "localizer", None))
    if len(message) > MAX_FLASH_LENGTH:
        message = message[:MAX_FLASH_LENGTH - 1] + "…"
    queue = request.session.peek_flash()
    if len(queue) >= MAX_FLASHES:
        kept = request.session.pop_flash()[-(MAX_FLASHES - 1):]
        for item in kept:
            request.session.flash(item, allow_duplicate=True)
    request.session.flash((kind, message))


def flashes(request) -> list[tuple[str, str]]:
    out = []
    for item in request.session.pop_flash():
        out.append(tuple(item) if isinstance(item, (list, tuple)) else ("info", str(item)))
    return out


@forbidden_view_config(renderer="core:web/templates/error.pt")
def forbidden(exc, request):
    from pyramid.httpexceptions import HTTPFound

    if _api(request):
        return _api_forbidden(exc, request)
    if request.user is None:
        if wants_json(request):
            request.response.status = 401
            request.override_renderer = "json"
            return {"error": "authentication required", "detail": "send Authorization: Bearer <api key>"}
        return HTTPFound(request.route_url("login", _query={"next": request.path_qs}))
    missing = _missing_permission(exc)
    _audit_denied(request, missing)
    request.response.status = 403
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": "forbidden", "missing_permission": missing}
    return {"title": _("Not allowed"), "code": 403,
            "message": _("You need the permission “${permission}” for this page. Ask an administrator to give one "
                         "of your roles that permission.", mapping={"permission": missing}) if missing
            else _("You are not allowed to do this.")}


def _api(request) -> bool:
    """Under /api/ every error is an RFC 9457 problem document (core.web.api), never HTML."""
    return request.path_info.startswith("/api/")


def _api_forbidden(exc, request):
    from core.web.api import problem_response

    if request.user is None:
        return problem_response(request, 401, detail=_("Send Authorization: Bearer <api key>, or log in."),
                                kind="unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="mutuo"'})
    missing = _missing_permission(exc)
    _audit_denied(request, missing)
    return problem_response(request, 403, detail=_("You need the permission ${permission}.",
                                                   mapping={"permission": missing}) if missing else None,
                            kind="forbidden", missing_permission=missing)


def _api_http_error(exc, request):
    from pyramid.exceptions import BadCSRFToken

    from core.web.api import problem_response

    if isinstance(exc, BadCSRFToken):
        return problem_response(request, 403, detail=_("A logged-in session must send its CSRF token in the "
                                "X-CSRF-Token header on POST, PUT, PATCH and DELETE."), kind="csrf")
    return problem_response(request, exc.code, exc.title, exc.detail or None)


def _missing_permission(exc) -> str | None:
    if isinstance(exc, AccessDenied):
        return exc.permission
    result = getattr(exc, "result", None)
    perm = getattr(result, "permission", None)
    if perm:
        return perm
    msg = str(getattr(result, "msg", "") or getattr(result, "s", "") or "")
    return msg.removeprefix("missing ").strip() or None


def _audit_denied(request, permission) -> None:
    # The request's own transaction is aborted on an exception: record in a new one.
    from core.audit import record_event, request_actor, set_actor
    from core.db import run_in_transaction

    actor = request_actor(request)
    # pyramid_tm aborts this request's transaction anyway (an exception view ran);
    # end it now so its SQLite write lock cannot block the audit write below.
    request.tm.abort()
    request.tm.begin()

    def write(session):
        set_actor(session, actor)
        record_event(session, "access_denied", "core.route", None,
                     {"path": request.path, "method": request.method, "permission": permission})

    try:
        run_in_transaction(request.registry["dbsession_factory"], write)
    except Exception:  # never turn a 403 into a 500
        log.exception("could not audit an access denial")


@notfound_view_config(renderer="core:web/templates/error.pt", append_slash=True)
def notfound(request):
    if _api(request):
        from core.web.api import problem_response

        return problem_response(request, 404)
    request.response.status = 404
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": "not found"}
    return {"title": _("Not found"), "code": 404, "message": _("There is nothing at this address, or you may not see it.")}


# Services raise domain errors (core.errors); only the web turns them into HTTP answers.
@exception_view_config(NotFound, renderer="core:web/templates/error.pt")
def not_found_error(exc, request):
    return notfound(request)


@exception_view_config(AccessDenied, renderer="core:web/templates/error.pt")
def access_denied_error(exc, request):
    return forbidden(exc, request)


@exception_view_config(Exception, renderer="core:web/templates/error.pt")
def server_error(exc, request):
    log.exception("unhandled error on %s %s", request.method, request.path)
    if _api(request):
        from core.web.api import problem_response

        return problem_response(request, 500, detail=_("The error is logged under this request id."))
    request.response.status = 500
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": "internal error", "request_id": request.request_id}
    return {"title": _("Something went wrong"), "code": 500,
            "message": _("Nothing was saved. The error is logged under request id ${id}; tell an administrator "
                         "if it happens again.", mapping={"id": request.request_id})}


@exception_view_config(HTTPClientError, renderer="core:web/templates/error.pt")
def http_error(exc, request):
    # 4xx raised deliberately (400, 409, 413, 415...): a page that says why.
    if exc.code < 400 or exc.code in (401,):
        return exc
    if _api(request):
        return _api_http_error(exc, request)
    request.response.status = exc.code
    if wants_json(request):
        request.override_renderer = "json"
        return {"error": exc.title, "detail": translate(exc.detail) if exc.detail is not None else None}
    return {"title": translate(HTTP_TITLES.get(exc.code, exc.title)), "code": exc.code,
            "message": translate(exc.detail) if exc.detail else translate(HTTP_EXPLANATIONS.get(exc.code, exc.explanation))}


#: The words of the 4xx pages (WebOb's titles and explanations are English only).
HTTP_TITLES = {
    400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 405: _("Method not allowed"),
    409: _("Conflict"), 410: _("Gone"), 413: _("Too large"), 415: _("Unsupported file type"),
    422: _("Cannot be processed"), 429: _("Too many requests"),
}
HTTP_EXPLANATIONS = {
    400: _("The request could not be understood; check what you sent and try again."),
    403: _("You are not allowed to do this."),
    404: _("There is nothing at this address, or you may not see it."),
    405: _("This address does not accept that kind of request."),
    409: _("The record changed meanwhile, or its state refuses this; reload the page and try again."),
    410: _("What was here is no longer available."),
    413: _("What you sent is too large."),
    415: _("This type of file is not accepted."),
    422: _("What you sent could not be processed."),
    429: _("Too many requests; wait a moment and try again."),
}


def includeme(config):
    config.add_tween("core.web.shell.security_headers_tween_factory")
    config.include("core.web.hosts")  # allowed hosts and request.request_id
    config.add_view_deriver(refuse_nul_in_forms)
    config.add_static_view("static/deform", "deform:static", cache_max_age=3600, permission=NO_PERMISSION_REQUIRED)
    config.add_static_view("static/core", "core:web/static", cache_max_age=3600, permission=NO_PERMISSION_REQUIRED)
    config.add_request_method(lambda r: flashes(r), "flashes")
    config.add_route("home", "/")
    config.add_route("health", "/health")
    config.scan("core.web.shell")
