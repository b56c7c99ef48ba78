"""Admin screens for webhooks: endpoints (the secret shown once), their delivery log, redeliver, a test ping."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select

from core import webhooks as hooks
from core.i18n import _
from core.models.api import WebhookDelivery, WebhookEndpoint
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.parsing import int_bound, parse_id
from core.web.shell import flash

MANAGE = "core.webhook.manage"
STATUS_CLASS = {"pending": "bg-info text-dark", "delivered": "bg-success", "failed": "bg-danger"}
LOG_SIZE = 100


def _events(request) -> dict:
    return hooks.webhook_events(request.registry["mutuo.pm"])


def _endpoint_or_404(request) -> WebhookEndpoint:
    try:
        endpoint = request.dbsession.get(WebhookEndpoint, parse_id(request.matchdict["id"],
                                                                   maximum=int_bound(WebhookEndpoint.id)))
    except (TypeError, ValueError):
        endpoint = None
    if endpoint is None:
        raise HTTPNotFound()
    return endpoint


@view_config(route_name="webhooks.list", renderer="core:web/templates/webhooks.pt", permission=MANAGE,
             request_method="GET")
def webhooks_list(request):
    endpoints = request.dbsession.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return {"title": _("Webhooks"), "endpoints": endpoints, "events": sorted(_events(request).items()),
            "allowed_hosts": hooks.allowed_hosts(request.registry.settings),
            "secret": request.session.pop("mutuo.webhook_secret", None)}


class EndpointSchema(CSRFSchema):
    url = colander.SchemaNode(colander.String(), title=_("URL"), validator=colander.Length(max=500))
    description = colander.SchemaNode(colander.String(), title=_("Description"), missing="",
                                      validator=colander.Length(max=200))

    @colander.deferred
    def _event_widget(node, kw):
        return deform.widget.CheckboxChoiceWidget(values=kw["events"])

    events = colander.SchemaNode(colander.Set(), title=_("Events"), widget=_event_widget)


@view_config(route_name="webhooks.new", renderer="core:web/templates/form_page.pt", permission=MANAGE)
def webhook_new(request):
    events = _events(request)
    form = make_form(request, EndpointSchema(), buttons=(deform.Button("save", _("Register")),),
                     bind={"events": [(name, f"{name} — {event.description}") for name, (_p, event) in
                                      sorted(events.items())]})

    def save(data):
        endpoint, secret = hooks.create_endpoint(request.dbsession, request.registry.settings, events,
                                                 url=data["url"], events=data["events"],
                                                 description=data["description"], user_id=request.user.id)
        # Shown once, on the next page, from the server-side session cookie; never stored elsewhere in clear.
        request.session["mutuo.webhook_secret"] = {"id": endpoint.id, "secret": secret}
        return request.route_url("webhooks.endpoint", id=endpoint.id)

    return page(_("New webhook endpoint"), process(request, form, save),
                intro=_("Deliveries are POSTed as JSON and signed with a secret shown once, after saving."))


@view_config(route_name="webhooks.endpoint", renderer="core:web/templates/webhooks_endpoint.pt", permission=MANAGE,
             request_method="GET")
def webhook_endpoint(request):
    endpoint = _endpoint_or_404(request)
    deliveries = request.dbsession.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                           .order_by(WebhookDelivery.id.desc()).limit(LOG_SIZE)).all()
    secret = request.session.pop("mutuo.webhook_secret", None)
    if secret and secret.get("id") != endpoint.id:
        secret = None
    return {"title": _("Webhook endpoint ${id}", mapping={"id": endpoint.id}), "endpoint": endpoint,
            "deliveries": deliveries, "status_class": STATUS_CLASS, "secret": secret and secret["secret"]}


def _back(request, endpoint_id):
    return HTTPFound(request.route_url("webhooks.endpoint", id=endpoint_id))


@view_config(route_name="webhooks.toggle", request_method="POST", permission=MANAGE)
def webhook_toggle(request):
    endpoint = _endpoint_or_404(request)
    hooks.set_active(request.dbsession, endpoint, not endpoint.active)
    flash(request, _("The endpoint is on.") if endpoint.active else _("The endpoint is off; nothing is sent to it."))
    return _back(request, endpoint.id)


@view_config(route_name="webhooks.delete", request_method="POST", permission=MANAGE)
def webhook_delete(request):
    endpoint = _endpoint_or_404(request)
    hooks.delete_endpoint(request.dbsession, endpoint)
    flash(request, _("The endpoint and its delivery log are deleted."))
    return HTTPFound(request.route_url("webhooks.list"))


@view_config(route_name="webhooks.ping", request_method="POST", permission=MANAGE)
def webhook_ping(request):
    endpoint = _endpoint_or_404(request)
    if "core.webhook.ping" not in endpoint.event_names:
        endpoint.events = " ".join(sorted({*endpoint.event_names, "core.webhook.ping"}))
    hooks.publish(request.dbsession, "core.webhook.ping", {"endpoint_id": endpoint.id, "message": "ping"})
    deliver_soon(request)
    flash(request, _("A test event is queued; it is sent within a minute."))
    return _back(request, endpoint.id)


@view_config(route_name="webhooks.redeliver", request_method="POST", permission=MANAGE)
def webhook_redeliver(request):
    try:
        delivery = request.dbsession.get(WebhookDelivery, parse_id(request.matchdict["id"],
                                                                   maximum=int_bound(WebhookDelivery.id)))
    except (TypeError, ValueError):
        delivery = None
    if delivery is None:
        raise HTTPNotFound()
    hooks.redeliver(request.dbsession, delivery)
    deliver_soon(request)
    flash(request, _("Delivery ${id} is queued again.", mapping={"id": delivery.id}))
    return _back(request, delivery.endpoint_id)


def deliver_soon(request) -> None:
    """Run the delivery job once this request commits (the schedule would within a minute anyway)."""
    from core.celery_app import enqueue_job

    try:
        enqueue_job("core.deliver_webhooks", "manual", request.user.username, time_limit=300, request=request)
    except Exception:  # no broker: the scheduled run delivers it
        import logging

        logging.getLogger(__name__).warning("could not enqueue core.deliver_webhooks", exc_info=True)


def includeme(config):
    config.add_route("webhooks.list", "/admin/webhooks")
    config.add_route("webhooks.new", "/admin/webhooks/new")
    config.add_route("webhooks.endpoint", "/admin/webhooks/{id}")
    config.add_route("webhooks.toggle", "/admin/webhooks/{id}/toggle")
    config.add_route("webhooks.delete", "/admin/webhooks/{id}/delete")
    config.add_route("webhooks.ping", "/admin/webhooks/{id}/ping")
    config.add_route("webhooks.redeliver", "/admin/webhook-deliveries/{id}/redeliver")
    config.scan("core.web.webhook_views")
