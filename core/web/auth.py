"""Login and logout: the only public pages besides /health and static files."""
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from core.accounts import authenticate
from core.audit import record_event
from core.i18n import _
from core.web.forms import safe_next


def _safe_next(request) -> str:
    # Only same-site paths, on a host from mutuo.allowed_hosts (core.web.hosts refused any other).
    return request.application_url + safe_next(request, "/")


@view_config(route_name="login", renderer="core:web/templates/login.pt", permission=NO_PERMISSION_REQUIRED)
def login(request):
    error = None
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        result = authenticate(request.dbsession, username, request.POST.get("password", ""),
                              request.registry.settings, request.client_addr)
        if result.user is not None:
            # The user is now known: the audit entry of this request names them.
            request.__dict__["user"] = result.user
            headers = remember(request, result.user.id)  # starts the server-side session
            return HTTPFound(_safe_next(request), headers=headers)
        error = result.error
        request.response.status = 400
    elif request.user is not None:
        return HTTPFound(request.route_url("home"))
    return {"title": _("Log in"), "error": error, "username": username, "next": request.params.get("next", "")}


@view_config(route_name="logout", permission=NO_PERMISSION_REQUIRED, request_method="POST")
def logout(request):
    if request.user is not None:
        record_event(request.dbsession, "logout", "core.user", request.user.id, {})
    headers = forget(request)  # revokes the server-side session: the old cookie no longer works
    return HTTPFound(request.route_url("login"), headers=headers)


def includeme(config):
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.scan("core.web.auth")
