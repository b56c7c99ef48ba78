"""What customers reach without logging in: the contact form, the survey page, the notice board feed,
and the inbound e-mail webhook of a mail provider (authenticated by a shared secret, not a session)."""
from __future__ import annotations

import hmac

from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from core.errors import NotFound, UserError
from core.i18n import translate
from plugins.service.i18n import _
from plugins.service.services import announcements, inbound, surveys, tickets

PUBLIC = "plugins.service:templates/public.pt"


@view_config(route_name="service.notices", renderer="json", permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def notices(request):
    """The public notice board: published announcements, newest first (JSON, locale-independent)."""
    return {"notices": announcements.notice_board(request.dbsession)}


@view_config(route_name="service.contact", renderer=PUBLIC, permission=NO_PERMISSION_REQUIRED)
def contact(request):
    values = {"title": _("Contact us"), "kind": "contact", "errors": {}, "done": None, "form": dict(request.POST)}
    if request.method == "POST":
        post = request.POST
        try:
            ticket = tickets.open_ticket(request.dbsession, subject=post.get("subject", ""), channel="web",
                                         category=post.get("category", "other"), body=post.get("message", ""),
                                         contact_name=post.get("name", ""), contact_phone=post.get("phone", ""),
                                         contact_email=post.get("email", ""))
        except UserError as exc:
            request.response.status = 400
            values["errors"] = {exc.field or "message": translate(exc)}
            return values
        values["done"] = _("Thank you. Your enquiry number is ${id}; we answer on working days.",
                           mapping={"id": ticket.id})
    return values


@view_config(route_name="service.survey", renderer=PUBLIC, permission=NO_PERMISSION_REQUIRED)
def survey(request):
    session = request.dbsession
    try:
        found = surveys.find(session, request.matchdict["token"])
    except NotFound:
        raise HTTPNotFound() from None
    low, high = surveys.RANGES[found.kind]
    values = {"title": _("How did we do?"), "kind": "survey", "survey": found, "scores": range(low, high + 1),
              "errors": {}, "done": None, "form": {}}
    if found.answered_at is not None:
        values["done"] = _("Thank you for your answer.")
    elif request.method == "POST":
        raw = request.POST.get("score", "")
        try:
            surveys.answer(session, found.token, int(raw) if raw.isdigit() else None, request.POST.get("comment", ""))
        except UserError as exc:
            request.response.status = 400
            values["errors"] = {"score": translate(exc)}
            return values
        values["done"] = _("Thank you for your answer.")
    return values


@view_config(route_name="service.inbound_email", request_method="POST", renderer="json",
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def inbound_email(request):
    """A mail provider's inbound webhook: JSON ``{"from", "name", "subject", "text"}`` with the header
    ``X-Service-Token`` equal to the setting ``service.inbound_token``. A subject naming one of our tickets
    (``#12``) adds to it; anything else opens a ticket matched to the customer by e-mail
    (:func:`plugins.service.services.inbound.receive_email`)."""
    secret = request.registry.settings.get("service.inbound_token") or ""
    if not secret:  # switched off: the endpoint does not exist until a secret is set
        request.response.status = 404
        return {"error": "service.inbound_token is not set"}
    if not hmac.compare_digest(request.headers.get("X-Service-Token", "").encode(), secret.encode()):
        request.response.status = 403  # a plain answer: the forbidden view would send a mail provider to login
        return {"error": "wrong or missing X-Service-Token"}
    try:
        mail = request.json_body
        sender, subject, text = str(mail.get("from", "")), str(mail.get("subject", "")), str(mail.get("text", ""))
    except (ValueError, AttributeError):
        request.response.status = 400
        return {"error": "send a JSON object with from, subject and text"}
    try:
        ticket, added = inbound.receive_email(request.dbsession, sender, subject, text, str(mail.get("name", "")))
    except UserError as exc:
        request.response.status = 422
        return {"error": translate(exc), "field": exc.field}
    return {"ticket": ticket.id, "added": added}
