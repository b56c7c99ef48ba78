"""Campaign pages: the list's forms, the campaign's page (budget, links, spend, return under each model)."""
from __future__ import annotations

from datetime import date

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import func, select

from core.formatting import for_request
from core.models.user import User
from core.security import get_visible_or_404
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from core.web.shell import flash
from plugins.marketing.i18n import _
from plugins.marketing.models import (
    CAMPAIGN_STATUSES,
    CHANNEL_KINDS,
    GOALS,
    MODELS,
    SPEND_KINDS,
    Campaign,
    Channel,
    Click,
    Link,
    Spend,
)
from plugins.marketing.services import campaigns as service
from plugins.marketing.services import reports, tracking
from plugins.marketing.services import today as business_today
from plugins.marketing.views.lists import label

FORM_PAGE = "core:web/templates/form_page.pt"
TEMPLATES = "plugins.marketing:templates/"


def _select(values):
    return deform.widget.SelectWidget(values=[(v, label(v)) for v in values])


def _text(title, missing="", **kw):
    return colander.SchemaNode(colander.String(), title=title, missing=missing, **kw)


def _date(title, missing=colander.required):
    return colander.SchemaNode(parsing.BoundedDate(), title=title, missing=missing, widget=parsing.DateTextWidget())


def _money(title, missing=colander.required):
    return colander.SchemaNode(parsing.Money(), title=title, missing=missing,
                               widget=deform.widget.TextInputWidget(attributes={"inputmode": "decimal"}))


class CampaignSchema(CSRFSchema):
    name = _text(_("Name"), colander.required, validator=colander.Length(1, 200))
    channel_id = colander.SchemaNode(colander.Int(), title=_("Channel"), widget=deform.widget.SelectWidget())
    parent_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Campaign.id)), title=_("Programme"), missing=None,
                                    description=_("The parent campaign this one is part of, if any."),
                                    widget=LookupWidget(lookup="marketing.campaign"))
    owner_id = colander.SchemaNode(parsing.Id(parsing.int_bound(User.id)), title=_("Owner"), missing=None,
                                   widget=LookupWidget(lookup="marketing.owner"))
    starts_on = _date(_("Starts"))
    ends_on = _date(_("Ends (included)"), None)
    budget = _money(_("Budget"))
    goal = _text(_("Goal"), "funded", widget=_select(GOALS))
    audience = _text(_("Target audience"), "", widget=deform.widget.TextAreaWidget(rows=2),
                     validator=colander.Length(0, 2000))
    status = _text(_("Status"), "active", widget=_select(CAMPAIGN_STATUSES))


def _campaign_form(request, buttons):
    schema = CampaignSchema().bind(request=request)
    channels = request.dbsession.execute(select(Channel.id, Channel.name).where(Channel.active.is_(True))
                                         .order_by(Channel.name)).all()
    schema["channel_id"].widget = deform.widget.SelectWidget(values=[("", "—")] + [(str(i), n) for i, n in channels])
    return make_form(request, schema, buttons=buttons)


@view_config(route_name="marketing.campaign_new", renderer=FORM_PAGE, permission="marketing.campaign.manage")
def campaign_new(request):
    form = _campaign_form(request, ("create",))

    def create(data):
        data["owner_id"] = data["owner_id"] or request.user.id
        campaign = service.create_campaign(request.dbsession, **data)
        flash(request, _("Campaign ${name} created.", mapping={"name": campaign.name}))
        return request.route_url("marketing.campaign", id=campaign.id)

    return page(_("New campaign"), process(request, form, create,
                                           {"starts_on": business_today(request.dbsession), "goal": "funded",
                                            "status": "active"}))


@view_config(route_name="marketing.campaign_edit", renderer=FORM_PAGE, permission="marketing.campaign.manage")
def campaign_edit(request):
    campaign = get_visible_or_404(request, Campaign, request.matchdict["id"])
    form = _campaign_form(request, ("save",))

    def save(data):
        service.update_campaign(request.dbsession, campaign, **data)
        flash(request, _("Campaign ${name} saved.", mapping={"name": campaign.name}))
        return request.route_url("marketing.campaign", id=campaign.id)

    values = {k: getattr(campaign, k) for k in ("name", "channel_id", "parent_id", "owner_id", "starts_on", "ends_on",
                                                 "budget", "goal", "audience", "status")}
    values["channel_id"] = str(values["channel_id"])
    return page(_("Edit ${name}", mapping={"name": campaign.name}), process(request, form, save, values))


class SpendSchema(CSRFSchema):
    spent_on = _date(_("Date"))
    kind = _text(_("Planned or actual"), "actual", widget=_select(SPEND_KINDS))
    amount = _money(_("Amount"))
    description = _text(_("Description"), "", validator=colander.Length(0, 200))


@view_config(route_name="marketing.spend_new", renderer=FORM_PAGE, permission="marketing.spend.manage")
def spend_new(request):
    campaign = get_visible_or_404(request, Campaign, request.matchdict["id"])
    form = make_form(request, SpendSchema().bind(request=request), buttons=("add",))

    def add(data):
        service.add_spend(request.dbsession, campaign, data["spent_on"], data["amount"], data["kind"],
                          data["description"])
        status = service.budget_status(request.dbsession, campaign.id)
        if status["over"]:
            fmt = for_request(request)
            flash(request, _("The actual cost (${actual}) has passed the budget (${budget}).",
                             mapping={"actual": fmt.money(status["actual"]), "budget": fmt.money(status["budget"])}),
                  "warning")
        else:
            flash(request, _("Cost recorded."))
        return request.route_url("marketing.campaign", id=campaign.id)

    return page(_("Add a cost to ${name}", mapping={"name": campaign.name}),
                process(request, form, add, {"spent_on": business_today(request.dbsession), "kind": "actual"}),
                intro=_("Attach the invoice to the campaign's documents."))


class LinkSchema(CSRFSchema):
    target_url = _text(_("Target address"), colander.required, validator=colander.Length(1, 900),
                       description=_("Where the link leads, e.g. https://www.example.com/sign-up"))
    medium = _text(_("Medium"), "", validator=colander.Length(0, 50),
                   description=_("utm_medium, e.g. post, banner, newsletter (default: the channel's kind)."))
    code = _text(_("Code"), "", validator=colander.Length(0, 32),
                 description=_("Leave empty for a random one."))


@view_config(route_name="marketing.link_new", renderer=FORM_PAGE, permission="marketing.campaign.manage")
def link_new(request):
    campaign = get_visible_or_404(request, Campaign, request.matchdict["id"])
    form = make_form(request, LinkSchema().bind(request=request), buttons=("create",))

    def create(data):
        link = tracking.create_link(request.dbsession, campaign, data["target_url"], data["medium"], data["code"])
        flash(request, _("Tracked link ${url} created.",
                         mapping={"url": request.route_url("marketing.redirect", code=link.code)}))
        return request.route_url("marketing.campaign", id=campaign.id)

    return page(_("New tracked link for ${name}", mapping={"name": campaign.name}), process(request, form, create))


class ChannelSchema(CSRFSchema):
    name = _text(_("Name"), colander.required, validator=colander.Length(1, 100))
    kind = _text(_("Kind"), colander.required, widget=_select(CHANNEL_KINDS))


@view_config(route_name="marketing.channel_new", renderer=FORM_PAGE, permission="marketing.campaign.manage")
def channel_new(request):
    form = make_form(request, ChannelSchema().bind(request=request), buttons=("create",))

    def create(data):
        channel = service.create_channel(request.dbsession, data["name"], data["kind"])
        flash(request, _("Channel ${name} created.", mapping={"name": channel.name}))
        return request.route_url("marketing.channels")

    return page(_("New channel"), process(request, form, create))


def period(request, default_start: date, default_end: date) -> tuple[date, date]:
    """The report's period from ?from=&to= (ISO or the user's format), else the defaults."""
    try:
        start = parsing.parse_date(request.params.get("from") or "", "from") if request.params.get("from") \
            else default_start
        end = parsing.parse_date(request.params.get("to") or "", "to") if request.params.get("to") else default_end
    except parsing.InputError:
        return default_start, default_end
    return (start, end) if start <= end else (end, start)


@view_config(route_name="marketing.campaign", renderer=TEMPLATES + "campaign.pt", permission="marketing.campaign.view")
def campaign_page(request):
    session = request.dbsession
    campaign = get_visible_or_404(request, Campaign, request.matchdict["id"])
    start, end = period(request, campaign.starts_on, max(campaign.ends_on or business_today(session), campaign.starts_on))
    clicks = (select(func.count(Click.id)).where(Click.link_id == Link.id).correlate(Link).scalar_subquery())
    links = session.execute(select(Link, clicks.label("clicks")).where(Link.campaign_id == campaign.id)
                            .order_by(Link.id)).all()
    spend = session.scalars(select(Spend).where(Spend.campaign_id == campaign.id)
                            .order_by(Spend.spent_on.desc(), Spend.id.desc()).limit(20)).all()
    children = session.scalars(select(Campaign).where(Campaign.parent_id == campaign.id).order_by(Campaign.name)).all()
    parent = session.get(Campaign, campaign.parent_id) if campaign.parent_id else None
    owner = session.get(User, campaign.owner_id) if campaign.owner_id else None
    can_edit = request.has_permission("marketing.campaign.manage")
    return {"title": campaign.name, "campaign": campaign, "parent": parent, "children": children, "owner": owner,
            "budget": service.budget_status(session, campaign.id), "links": links, "spend": spend,
            "models": reports.compare_models(session, campaign.id, start, end) if request.has_permission(
                "marketing.report.view") else [],
            "funnel": reports.funnel(session, start, end, campaign.id), "start": start, "end": end,
            "can_edit": can_edit, "can_spend": request.has_permission("marketing.spend.manage"),
            "label": label, "MODELS": MODELS,
            "panels": record_panels(request, campaign, can_edit=can_edit)}
