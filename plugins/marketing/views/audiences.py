"""Audiences and their broadcasts, customers' consent, and the public opt-out page."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config
from sqlalchemy import func, select

from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.shell import flash
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import CONSENT_CHANNELS, ROLES, Audience, Broadcast, Campaign, Consent
from plugins.marketing.services import audiences as service
from plugins.marketing.views.campaigns import FORM_PAGE, TEMPLATES, _select, _text
from plugins.marketing.views.lists import label


@view_config(route_name="marketing.audiences", renderer=LIST_PAGE, permission="marketing.audience.view")
def audience_list(request):
    sent = (select(func.count(Broadcast.id)).where(Broadcast.audience_id == Audience.id).correlate(Audience)
            .scalar_subquery().label("broadcasts"))
    listing = Listing(request, restricted_query(request, Audience).add_columns(sent), columns=[
        Column("name", _("Audience"), Audience.name, value=lambda r: r[0].name,
               link=lambda req, r: req.route_url("marketing.audience", id=r[0].id), wide=True),
        Column("role", _("Customers"), Audience.role, value=lambda r: label(r[0].role)),
        Column("verified_only", _("Verified only"), Audience.verified_only,
               value=lambda r: _("yes") if r[0].verified_only else _("no")),
        Column("region", _("Region"), Audience.region, value=lambda r: r[0].region or "—"),
        Column("broadcasts", _("Broadcasts"), sent, value=lambda r: r.broadcasts),
    ], default_sort="name", export_name="marketing-audiences")
    actions = [(_("New audience"), request.route_url("marketing.audience_new"))] \
        if request.has_permission("marketing.audience.send") else []
    return render_listing(listing, title=_("Audiences"), actions=actions)


class AudienceSchema(CSRFSchema):
    name = _text(_("Name"), colander.required, validator=colander.Length(1, 200))
    role = _text(_("Customers"), "any", widget=_select(ROLES))
    verified_only = colander.SchemaNode(colander.Boolean(), title=_("Verified customers only"), missing=False,
                                        widget=deform.widget.CheckboxWidget())
    region = _text(_("Region"), "", validator=colander.Length(0, 100), description=_("Empty: every region."))
    registered_since = colander.SchemaNode(parsing.BoundedDate(), title=_("Registered since"), missing=None,
                                           widget=parsing.DateTextWidget())


@view_config(route_name="marketing.audience_new", renderer=FORM_PAGE, permission="marketing.audience.send")
def audience_new(request):
    form = make_form(request, AudienceSchema().bind(request=request), buttons=("create",))

    def create(data):
        audience = service.create_audience(request.dbsession, **data)
        return request.route_url("marketing.audience", id=audience.id)

    return page(_("New audience"), process(request, form, create, {"verified_only": True, "role": "any"}))


class BroadcastSchema(CSRFSchema):
    channel = _text(_("Channel"), "email", widget=_select(CONSENT_CHANNELS))
    subject = _text(_("Subject (e-mail)"), "", validator=colander.Length(0, 200))
    body = _text(_("Message"), colander.required, validator=colander.Length(1, 2000),
                 widget=deform.widget.TextAreaWidget(rows=5),
                 description=_("An opt-out link is added at the end of every message."))
    campaign_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Campaign.id)), title=_("Campaign"), missing=None,
                                      widget=LookupWidget(lookup="marketing.campaign"))
    promotes_project = colander.SchemaNode(colander.Boolean(), title=_("Promotes a specific loan project"),
                                           missing=False, widget=deform.widget.CheckboxWidget())


@view_config(route_name="marketing.audience", renderer=FORM_PAGE, permission="marketing.audience.view")
def audience_page(request):
    session = request.dbsession
    audience = get_visible_or_404(request, Audience, request.matchdict["id"])
    sizes = service.sizes(session, audience)
    intro = _("${members} customers; ${email} consented to e-mail, ${sms} to SMS. Only they receive a broadcast.",
              mapping=sizes)
    if not request.has_permission("marketing.audience.send"):
        return {"title": audience.name, "intro": intro, "form": ""}
    form = make_form(request, BroadcastSchema().bind(request=request), buttons=("send",))

    def send(data):
        campaign = session.get(Campaign, data["campaign_id"]) if data["campaign_id"] else None
        record = service.broadcast(session, audience, data["channel"], data["body"],
                                   lambda t: request.route_url("marketing.unsubscribe", token=t),
                                   data["subject"], campaign, data["promotes_project"])
        flash(request, _("${n} messages written to core's outbox; ${skipped} members without consent skipped.",
                         mapping={"n": record.recipients, "skipped": record.skipped}))
        return request.route_url("marketing.audience", id=audience.id)

    return page(audience.name, process(request, form, send, {"channel": "email"}), intro=intro)


@view_config(route_name="marketing.consents", renderer=LIST_PAGE, permission="marketing.audience.view")
def consents(request):
    stmt = restricted_query(request, Consent).join(Customer, Customer.id == Consent.customer_id) \
        .add_columns(Customer.name.label("customer"))
    listing = Listing(request, stmt, columns=[
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.customer,
               link=lambda req, r: req.route_url("lending.customer", id=r[0].customer_id)),
        Column("channel", _("Channel"), Consent.channel, value=lambda r: r[0].channel),
        Column("granted_at", _("Given"), Consent.granted_at, value=lambda r: r[0].granted_at),
        Column("withdrawn_at", _("Withdrawn"), Consent.withdrawn_at, value=lambda r: r[0].withdrawn_at or ""),
        Column("source", _("Source"), None, value=lambda r: r[0].source),
    ], filters=[
        Filter("channel", _("Channel"), lambda s, v: s.where(Consent.channel == v),
               tuple((c, c) for c in CONSENT_CHANNELS)),
        Filter("active", _("Still given"), lambda s, v: s.where(Consent.withdrawn_at.is_(None)) if v == "yes"
               else s.where(Consent.withdrawn_at.is_not(None)), (("yes", _("yes")), ("no", _("no")))),
    ], default_sort="-granted_at", export_name="marketing-consents")
    actions = [(_("Record consent"), request.route_url("marketing.consent_new"))] \
        if request.has_permission("marketing.audience.send") else []
    return render_listing(listing, title=_("Marketing consent"), actions=actions)


class ConsentSchema(CSRFSchema):
    customer_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Customer"),
                                      widget=LookupWidget(lookup="lending.customer"))
    channel = _text(_("Channel"), "email", widget=_select(CONSENT_CHANNELS))
    source = _text(_("Where it came from"), colander.required, validator=colander.Length(1, 60),
                   description=_("e.g. signed form, sign-up page, phone call"))


@view_config(route_name="marketing.consent_new", renderer=FORM_PAGE, permission="marketing.audience.send")
def consent_new(request):
    form = make_form(request, ConsentSchema().bind(request=request), buttons=("save",))

    def save(data):
        customer = get_visible_or_404(request, Customer, data["customer_id"])
        service.grant_consent(request.dbsession, customer, data["channel"], data["source"])
        flash(request, _("Consent recorded."))
        return request.route_url("marketing.consents")

    return page(_("Record consent"), process(request, form, save, {"channel": "email"}))


@view_config(route_name="marketing.unsubscribe", renderer=TEMPLATES + "unsubscribe.pt",
             permission=NO_PERMISSION_REQUIRED)
def unsubscribe(request):
    """The opt-out link: GET asks (mail scanners open links), POST withdraws the consent."""
    found = service.read_token(request.dbsession, request.matchdict["token"])
    if found is None:
        raise HTTPNotFound()
    done = False
    if request.method == "POST":
        service.withdraw_consent(request.dbsession, found[0], found[1], "opt-out link")
        done = True
    return {"title": _("Stop marketing messages"), "done": done, "channel": found[1]}
