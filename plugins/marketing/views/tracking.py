"""The public short link and sign-up page; offline touchpoints by hand and from CSV."""
from __future__ import annotations

import colander
from pyramid.httpexceptions import HTTPFound, HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import select

from core.errors import UserError
from core.i18n import translate
from core.web import parsing
from core.web.forms import CSRFSchema, Savepoint, make_form, page, process
from core.web.lookups import LookupWidget
from core.web.shell import flash
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Link
from plugins.marketing.services import today, tracking
from plugins.marketing.views.campaigns import FORM_PAGE, TEMPLATES

YEAR = 365 * 86400


def _set_visitor_cookie(request, response, visitor: str) -> None:
    secure = str(request.registry.settings.get("mutuo.cookie_secure", "true")).lower() == "true"
    response.set_cookie(tracking.VISITOR_COOKIE, visitor, max_age=YEAR, path="/", httponly=True, samesite="Lax",
                        secure=secure)


@view_config(route_name="marketing.redirect", permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def redirect(request):
    """Record the click and send the visitor to the link's stored target, never anywhere the request names."""
    session = request.dbsession
    link = session.scalar(select(Link).where(Link.code == request.matchdict["code"], Link.active.is_(True)))
    if link is None:
        raise HTTPNotFound()
    campaign = session.get(Campaign, link.campaign_id)
    visitor, new = tracking.visitor_id(request.cookies.get(tracking.VISITOR_COOKIE))
    tracking.record_click(session, link, visitor, request.referer or "")
    response = HTTPFound(location=tracking.destination(link, campaign))
    response.headers["Cache-Control"] = "no-store"  # every click must reach us
    response.headers["Referrer-Policy"] = "no-referrer"
    if new:
        _set_visitor_cookie(request, response, visitor)
    return response


@view_config(route_name="marketing.join", renderer=TEMPLATES + "join.pt", permission=NO_PERMISSION_REQUIRED)
def join(request):
    """The sign-up page a link may lead to: the visitor leaves an e-mail or phone (consent to be contacted)."""
    error, done = None, False
    email, phone = request.POST.get("email", ""), request.POST.get("phone", "")
    if request.method == "POST":
        visitor, new = tracking.visitor_id(request.cookies.get(tracking.VISITOR_COOKIE))
        try:
            tracking.identify_visitor(request.dbsession, visitor, email[:200], phone[:50])
            done = True
            if new:
                _set_visitor_cookie(request, request.response, visitor)
        except UserError as exc:
            error = translate(exc, request.localizer)
            request.response.status = 400
    return {"title": _("Open your account"), "error": error, "done": done, "email": email, "phone": phone}


class TouchSchema(CSRFSchema):
    customer_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Customer"),
                                      widget=LookupWidget(lookup="lending.customer"))
    campaign_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Campaign.id)), title=_("Campaign"),
                                      widget=LookupWidget(lookup="marketing.campaign"))
    touched_on = colander.SchemaNode(parsing.BoundedDate(), title=_("Date"), widget=parsing.DateTextWidget())
    note = colander.SchemaNode(colander.String(), title=_("Note"), missing="", validator=colander.Length(0, 200),
                               description=_("e.g. attended the Madrid fair; referred by partner X"))


@view_config(route_name="marketing.touchpoint_new", renderer=FORM_PAGE, permission="marketing.touchpoint.manage")
def touchpoint_new(request):
    form = make_form(request, TouchSchema().bind(request=request), buttons=("save",))

    def save(data):
        session = request.dbsession
        tracking.add_offline_touch(session, session.get(Customer, data["customer_id"]),
                                   session.get(Campaign, data["campaign_id"]), data["touched_on"], data["note"])
        flash(request, _("Touchpoint recorded."))
        return request.route_url("marketing.touchpoints")

    return page(_("Record an offline touchpoint"), process(request, form, save, {"touched_on": today(request.dbsession)}))


MAX_IMPORT = 2_000_000  # bytes


def _uploaded_text(request) -> str:
    upload = request.POST.get("file")
    raw = upload.file.read(MAX_IMPORT + 1) if getattr(upload, "filename", "") else \
        (request.POST.get("text") or "").encode("utf-8")
    if len(raw) > MAX_IMPORT:
        raise UserError(_("The file is larger than 2 MB; split it."), "file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(_("Save the file as UTF-8 CSV and try again."), "file") from None


@view_config(route_name="marketing.touchpoint_import", renderer=TEMPLATES + "import.pt",
             permission="marketing.touchpoint.manage")
def touchpoint_import(request):
    """A CSV file (or pasted lines): all or nothing, the first bad line named."""
    error = None
    if request.method == "POST":
        point = Savepoint(request)
        try:
            count = tracking.import_touches(request.dbsession, _uploaded_text(request))
        except UserError as exc:
            point.rollback()
            error = translate(exc, request.localizer)
            request.response.status = 400
        else:
            flash(request, _("${n} touchpoints imported.", mapping={"n": count}))
            return HTTPFound(request.route_url("marketing.touchpoints"))
    return {"title": _("Import offline touchpoints"), "error": error, "columns": ",".join(tracking.CSV_COLUMNS)}
