"""Lists: campaigns, channels, spend, tracked links, touchpoints, conversions (filters, sort, CSV)."""
from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.formatting import current
from core.security import restricted_query
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import (
    CAMPAIGN_STATUSES,
    CHANNEL_KINDS,
    CONVERSION_KINDS,
    SPEND_KINDS,
    TOUCH_SOURCES,
    Campaign,
    Channel,
    Click,
    Conversion,
    Link,
    Spend,
    Touchpoint,
)
from plugins.marketing.search import CAMPAIGNS, TOUCHPOINTS


def label(value):
    return current().label(value, "marketing") if value else ""


def campaign_url(request, row):
    return request.route_url("marketing.campaign", id=row[0].campaign_id if not isinstance(row[0], Campaign)
                             else row[0].id)


def _choices(values):
    return tuple((v, label(v)) for v in values)


@view_config(route_name="marketing.campaigns", renderer=LIST_PAGE, permission="marketing.campaign.view")
def campaigns(request):
    actual = (select(func.coalesce(func.sum(Spend.amount), 0)).where(Spend.campaign_id == Campaign.id,
                                                                     Spend.kind == "actual")
              .correlate(Campaign).scalar_subquery().label("actual"))
    stmt = restricted_query(request, Campaign).join(Channel).add_columns(Channel.name.label("channel"), actual)
    listing = Listing(request, stmt, columns=[
        Column("name", _("Campaign"), Campaign.name, value=lambda r: r[0].name, link=campaign_url, wide=True),
        Column("channel", _("Channel"), Channel.name, value=lambda r: r.channel),
        Column("starts_on", _("Starts"), Campaign.starts_on, value=lambda r: r[0].starts_on),
        Column("ends_on", _("Ends"), Campaign.ends_on, value=lambda r: r[0].ends_on or ""),
        Column("goal", _("Goal"), Campaign.goal, value=lambda r: label(r[0].goal)),
        Column("budget", _("Budget"), Campaign.budget, value=lambda r: r[0].budget, css="money"),
        Column("actual", _("Actual cost"), actual, value=lambda r: r.actual, css="money"),
        Column("status", _("Status"), Campaign.status, value=lambda r: label(r[0].status), card="key"),
    ], filters=[
        CAMPAIGNS.filter(_("Search")),
        Filter("status", _("Status"), lambda s, v: s.where(Campaign.status == v), _choices(CAMPAIGN_STATUSES)),
        Filter("kind", _("Kind of channel"), lambda s, v: s.where(Channel.kind == v), _choices(CHANNEL_KINDS)),
    ], default_sort="-starts_on", export_name="marketing-campaigns")
    actions = [(_("New campaign"), request.route_url("marketing.campaign_new"))] \
        if request.has_permission("marketing.campaign.manage") else []
    return render_listing(listing, title=_("Campaigns"), actions=actions)


@view_config(route_name="marketing.channels", renderer=LIST_PAGE, permission="marketing.campaign.view")
def channels(request):
    count = (select(func.count(Campaign.id)).where(Campaign.channel_id == Channel.id).correlate(Channel)
             .scalar_subquery().label("campaigns"))
    listing = Listing(request, restricted_query(request, Channel).add_columns(count), columns=[
        Column("name", _("Channel"), Channel.name, value=lambda r: r[0].name),
        Column("kind", _("Kind"), Channel.kind, value=lambda r: label(r[0].kind)),
        Column("campaigns", _("Campaigns"), count, value=lambda r: r.campaigns),
    ], filters=[
        Filter("kind", _("Kind"), lambda s, v: s.where(Channel.kind == v), _choices(CHANNEL_KINDS)),
    ], default_sort="name", export_name="marketing-channels")
    actions = [(_("New channel"), request.route_url("marketing.channel_new"))] \
        if request.has_permission("marketing.campaign.manage") else []
    return render_listing(listing, title=_("Channels"), actions=actions)


@view_config(route_name="marketing.spend", renderer=LIST_PAGE, permission="marketing.campaign.view")
def spend(request):
    stmt = restricted_query(request, Spend).join(Campaign).add_columns(Campaign.name.label("campaign"))
    listing = Listing(request, stmt, columns=[
        Column("spent_on", _("Date"), Spend.spent_on, value=lambda r: r[0].spent_on),
        Column("campaign", _("Campaign"), Campaign.name, value=lambda r: r.campaign, link=campaign_url),
        Column("kind", _("Planned or actual"), Spend.kind, value=lambda r: label(r[0].kind)),
        Column("amount", _("Amount"), Spend.amount, value=lambda r: r[0].amount, css="money"),
        Column("description", _("Description"), None, value=lambda r: r[0].description, wide=True),
    ], filters=[
        Filter("kind", _("Planned or actual"), lambda s, v: s.where(Spend.kind == v), _choices(SPEND_KINDS)),
        Filter("campaign", _("Campaign"), lambda s, v: s.where(Campaign.name.ilike(f"%{v}%"))),
    ], default_sort="-spent_on", export_name="marketing-spend")
    return render_listing(listing, title=_("Campaign spend"))


@view_config(route_name="marketing.links", renderer=LIST_PAGE, permission="marketing.campaign.view")
def links(request):
    clicks = (select(func.count(Click.id)).where(Click.link_id == Link.id).correlate(Link).scalar_subquery()
              .label("clicks"))
    stmt = restricted_query(request, Link).join(Campaign).add_columns(Campaign.name.label("campaign"), clicks)
    listing = Listing(request, stmt, columns=[
        Column("code", _("Short link"), Link.code,
               value=lambda r: request.route_url("marketing.redirect", code=r[0].code)),
        Column("campaign", _("Campaign"), Campaign.name, value=lambda r: r.campaign, link=campaign_url),
        Column("medium", _("Medium"), Link.medium, value=lambda r: r[0].medium),
        Column("target", _("Target"), None, value=lambda r: r[0].target_url, wide=True),
        Column("clicks", _("Clicks"), clicks, value=lambda r: r.clicks),
        Column("created_at", _("Created"), Link.created_at, value=lambda r: r[0].created_at, optional=True),
    ], filters=[
        Filter("campaign", _("Campaign"), lambda s, v: s.where(Campaign.name.ilike(f"%{v}%"))),
    ], default_sort="-created_at", export_name="marketing-links")
    return render_listing(listing, title=_("Tracked links"))


@view_config(route_name="marketing.touchpoints", renderer=LIST_PAGE, permission="marketing.touchpoint.view")
def touchpoints(request):
    stmt = (restricted_query(request, Touchpoint).join(Campaign, Campaign.id == Touchpoint.campaign_id)
            .join(Customer, Customer.id == Touchpoint.customer_id)
            .add_columns(Campaign.name.label("campaign"), Customer.name.label("customer")))
    listing = Listing(request, stmt, columns=[
        Column("touched_at", _("When"), Touchpoint.touched_at, value=lambda r: r[0].touched_at),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.customer,
               link=lambda req, r: req.route_url("lending.customer", id=r[0].customer_id)),
        Column("campaign", _("Campaign"), Campaign.name, value=lambda r: r.campaign, link=campaign_url),
        Column("source", _("Source"), Touchpoint.source, value=lambda r: label(r[0].source)),
        Column("note", _("Note"), None, value=lambda r: r[0].note, wide=True, optional=True),
    ], filters=[
        TOUCHPOINTS.filter(_("Customer")),
        Filter("source", _("Source"), lambda s, v: s.where(Touchpoint.source == v), _choices(TOUCH_SOURCES)),
        Filter("campaign", _("Campaign"), lambda s, v: s.where(Campaign.name.ilike(f"%{v}%"))),
    ], default_sort="-touched_at", export_name="marketing-touchpoints")
    actions = [(_("Record an offline touchpoint"), request.route_url("marketing.touchpoint_new")),
               (_("Import from CSV"), request.route_url("marketing.touchpoint_import"))] \
        if request.has_permission("marketing.touchpoint.manage") else []
    return render_listing(listing, title=_("Touchpoints"), actions=actions)


@view_config(route_name="marketing.conversions", renderer=LIST_PAGE, permission="marketing.touchpoint.view")
def conversions(request):
    who = aliased(Customer)
    stmt = (restricted_query(request, Conversion).join(who, who.id == Conversion.customer_id)
            .add_columns(who.name.label("customer")))
    listing = Listing(request, stmt, columns=[
        Column("occurred_at", _("When"), Conversion.occurred_at, value=lambda r: r[0].occurred_at),
        Column("customer", _("Customer"), who.name, value=lambda r: r.customer,
               link=lambda req, r: req.route_url("lending.customer", id=r[0].customer_id)),
        Column("kind", _("Conversion"), Conversion.kind, value=lambda r: label(r[0].kind)),
        Column("value", _("Value"), Conversion.value, value=lambda r: r[0].value, css="money"),
        Column("touches", _("Touches in the window"), Conversion.touches, value=lambda r: r[0].touches),
        Column("reference", _("Reference"), None, value=lambda r: r[0].reference, optional=True),
    ], filters=[
        Filter("kind", _("Conversion"), lambda s, v: s.where(Conversion.kind == v), _choices(CONVERSION_KINDS)),
        Filter("customer", _("Customer"), lambda s, v: s.where(who.name_key.contains(v.lower()))),
    ], default_sort="-occurred_at", export_name="marketing-conversions")
    return render_listing(listing, title=_("Conversions"))
