"""Include every core view module and the renderer globals."""
from pyramid.events import BeforeRender, subscriber
from pyramid.renderers import get_renderer

from core.web.helpers import for_request
from core.web.menu import visible_menu


@subscriber(BeforeRender)
def add_globals(event):
    event.setdefault("view_menu", visible_menu)
    request = event.get("request")
    if request is not None:
        event.setdefault("h", for_request(request))
    event.setdefault("panels_macros", get_renderer("core:web/templates/panels.pt").implementation())
    event.setdefault("listing_macros", get_renderer("core:web/templates/listing.pt").implementation())


def includeme(config):
    config.scan("core.web.views")
    for module in ("home", "auth", "account", "admin_users", "admin_roles", "audit_views", "document_views", "job_views",
                   "message_views", "api", "webhook_views", "lookups",
                   "search_views"):
        config.include(f"core.web.{module}")
