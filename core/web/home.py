"""Dashboard and health."""
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import text

from core.i18n import _
from core.web.menu import visible_widgets


@view_config(route_name="home", renderer="core:web/templates/home.pt", permission="core.dashboard.view")
def home(request):
    return {"title": _("Dashboard"), "widgets": visible_widgets(request)}


@view_config(route_name="health", renderer="json", permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def health(request):
    try:
        with request.registry["dbengine"].connect() as conn:
            conn.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    if not database:
        request.response.status = 503
    return {"status": "ok" if database else "degraded", "database": database,
            "plugins": request.registry["mutuo.pm"].enabled_names}


def includeme(config):
    config.scan("core.web.home")
