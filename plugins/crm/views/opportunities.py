"""Opportunities: the list, the kanban board, the form, the page and its workflow buttons."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.formatting import current
from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.lookups import lookup_input
from core.web.record import record_panels
from core.web.shell import flash
from plugins.crm.i18n import _
from plugins.crm.models import LOST_REASONS, OPPORTUNITY_KINDS, OPPORTUNITY_STATUSES, Account, Opportunity, Stage
from plugins.crm.search import OPPORTUNITIES
from plugins.crm.services import pipeline
from plugins.crm.views.common import (
    FORM_PAGE,
    LIST_PAGE,
    TEMPLATES,
    date_node,
    lookup_node,
    money_node,
    run_action,
    safe_next,
    select_node,
    text_node,
)


def opportunity_url(request, opportunity) -> str:
    return request.route_url("crm.opportunity", id=opportunity.id)


@view_config(route_name="crm.opportunities", renderer=LIST_PAGE, permission="crm.account.view")
def opportunity_list(request):
    stmt = (restricted_query(request, Opportunity).join(Account, Account.id == Opportunity.account_id)
            .join(Stage, Stage.id == Opportunity.stage_id).outerjoin(User, User.id == Opportunity.owner_id)
            .add_columns(Account.name, Stage.name.label("stage_name"), Stage.probability.label("stage_p"),
                         User.username))

    def probability(row):
        o = row[0]
        return o.manual_probability if o.manual_probability is not None else row.stage_p

    listing = Listing(request, stmt, columns=[
        Column("id", "#", Opportunity.id, value=lambda r: r[0].id, link=lambda req, r: opportunity_url(req, r[0])),
        Column("title", _("Title"), Opportunity.title, value=lambda r: r[0].title,
               link=lambda req, r: opportunity_url(req, r[0]), wide=True),
        Column("account", _("Account"), Account.name, value=lambda r: r.name),
        Column("kind", _("Kind"), Opportunity.kind, value=lambda r: r[0].kind, kind="label", domain="crm"),
        Column("stage", _("Stage"), Stage.position, value=lambda r: r.stage_name),
        Column("status", _("Status"), Opportunity.status, value=lambda r: r[0].status, kind="label", domain="crm"),
        Column("amount", _("Amount"), Opportunity.amount, value=lambda r: r[0].amount, kind="money"),
        Column("probability", _("Probability"), None, value=probability, kind="percent"),
        Column("weighted", _("Weighted"), None, kind="money",
               value=lambda r: (r[0].amount * probability(r)).quantize(Decimal("0.01"))
               if r[0].status == "open" else Decimal("0.00")),
        Column("expected_close", _("Expected close"), Opportunity.expected_close,
               value=lambda r: r[0].expected_close or ""),
        Column("owner", _("Owner"), User.username, value=lambda r: r.username or "—"),
        Column("lost_reason", _("Lost because"), Opportunity.lost_reason, value=lambda r: r[0].lost_reason,
               kind="label", domain="crm", optional=True),
    ], filters=[
        OPPORTUNITIES.filter(_("Title or account")),
        Filter("status", _("Status"), lambda s, v: s.where(Opportunity.status == v),
               tuple((x, _(x)) for x in OPPORTUNITY_STATUSES)),
        Filter("stage", _("Stage"), lambda s, v: s.where(Stage.name == v)),
        Filter("owner", _("Owner"), lambda s, v: s.where(User.username == v)),
    ], default_sort="-id", export_name="crm-opportunities")
    actions = [(_("Pipeline board"), request.route_url("crm.board"))]
    if request.has_permission("crm.opportunity.manage"):
        actions.insert(0, (_("New opportunity"), request.route_url("crm.opportunity_new")))
    return render_listing(listing, title=_("Opportunities"), actions=actions)


@view_config(route_name="crm.board", renderer=TEMPLATES + "board.pt", permission="crm.account.view")
def board(request):
    """The kanban board: one column per active stage, open opportunities as cards; moving is a form POST."""
    session = request.dbsession
    columns = pipeline.stages(session)
    cards: dict[int, list[Opportunity]] = defaultdict(list)
    found = session.scalars(pipeline.open_opportunities(restricted_query(request, Opportunity))
                            .options(joinedload(Opportunity.account), joinedload(Opportunity.owner))
                            .order_by(Opportunity.expected_close, Opportunity.id).limit(1000)).unique().all()
    for opportunity in found:
        cards[opportunity.stage_id].append(opportunity)
    totals = {s.id: (sum((o.amount for o in cards[s.id]), Decimal("0.00")), pipeline.weighted_pipeline(cards[s.id]))
              for s in columns}
    return {"title": _("Pipeline board"), "columns": columns, "cards": cards, "totals": totals,
            "weighted": pipeline.weighted_pipeline(found), "can_move": request.has_permission("crm.opportunity.manage"),
            "csrf": request.session.get_csrf_token(), "back": request.route_path("crm.board")}


class OpportunitySchema(CSRFSchema):
    account_id = lookup_node(_("Account"), "crm.account", Account.id, missing=colander.required)
    title = text_node(_("Title"), missing=colander.required, validator=colander.Length(1, 200))
    kind = select_node(_("Kind"), OPPORTUNITY_KINDS, default="borrowing")
    amount = money_node(_("Expected amount"))
    product = text_node(_("Product"))
    expected_close = date_node(_("Expected close date"))
    stage_id = colander.SchemaNode(colander.String(), title=_("Stage"), missing="",
                                   widget=deform.widget.SelectWidget(values=[]))
    probability = text_node(_("Manual probability (%)"), _("Leave blank to use the stage's. Kept when the stage "
                                                           "changes."))
    partner_id = lookup_node(_("Partner"), "crm.partner", Account.id, description=_("The partner or channel that "
                                                                                     "brought it (commissions)."))
    owner_id = lookup_node(_("Owner"), "crm.user", User.id)


@view_config(route_name="crm.opportunity_new", renderer=FORM_PAGE, permission="crm.opportunity.manage")
def opportunity_new(request):
    session = request.dbsession
    schema = OpportunitySchema()
    schema["stage_id"].widget.values = [(str(s.id), s.name) for s in pipeline.stages(session)]
    form = make_form(request, schema, buttons=(deform.Button("create", _("Create")),))

    def create(data):
        account = get_visible_or_404(request, Account, data["account_id"])
        partner = get_visible_or_404(request, Account, data["partner_id"]) if data["partner_id"] else None
        stage = session.get(Stage, int(data["stage_id"])) if data["stage_id"].isdigit() else None
        opportunity = pipeline.create_opportunity(
            session, account, data["title"], data["amount"], data["owner_id"] or request.user.id, kind=data["kind"],
            stage=stage, product=data["product"], expected_close=data["expected_close"], partner=partner,
            probability=data["probability"])
        flash(request, _("Opportunity ${title} created.", mapping={"title": opportunity.title}))
        return opportunity_url(request, opportunity)

    account_id = parsing.id_or_404(request.params["account_id"]) if request.params.get("account_id") else None
    return page(_("New opportunity"), process(request, form, create, appstruct={
        "account_id": account_id, "owner_id": request.user.id}))


@view_config(route_name="crm.opportunity", renderer=TEMPLATES + "opportunity.pt", permission="crm.account.view")
def opportunity_page(request):
    opportunity = get_visible_or_404(request, Opportunity, request.matchdict["id"])
    can_work = request.has_permission("crm.opportunity.manage") and opportunity.status == "open"
    names = dict(request.dbsession.execute(select(User.id, User.username).where(
        User.id.in_([s.user_id for s in opportunity.shares]))).all()) if opportunity.shares else {}
    return {"title": opportunity.title, "o": opportunity, "stages": pipeline.stages(request.dbsession),
            "can_work": can_work, "reasons": LOST_REASONS, "shares": [(names.get(s.user_id, s.user_id), s.share)
                                                                       for s in opportunity.shares],
            "weighted": pipeline.weighted_amount(opportunity) if opportunity.status == "open" else None,
            "application_lookup": lookup_input(request, "crm.application", "application_id", _("Application"))
            if can_work and opportunity.application_id is None else "",
            "share_inputs": [lookup_input(request, "crm.user", f"user_{n}", _("Person"), oid=f"share-user-{n}")
                             for n in range(3)] if can_work else [],
            "csrf": request.session.get_csrf_token(),
            "panels": record_panels(request, opportunity, can_edit=request.has_permission("crm.opportunity.manage"))}


def _action(request, work, message):
    opportunity = get_visible_or_404(request, Opportunity, request.matchdict["id"])
    back = safe_next(request, opportunity_url(request, opportunity))
    return run_action(request, lambda: work(opportunity), message, back)


@view_config(route_name="crm.opportunity_move", request_method="POST", permission="crm.opportunity.manage")
def opportunity_move(request):
    return _action(request, lambda o: pipeline.move(request.dbsession, o, request.POST.get("stage_id")),
                   lambda o: _("${title} moved to ${stage}.", mapping={"title": o.title, "stage": o.stage.name}))


@view_config(route_name="crm.opportunity_probability", request_method="POST", permission="crm.opportunity.manage")
def opportunity_probability(request):
    def message(o):
        if o.manual_probability is None:
            return _("Probability cleared: the stage's applies.")
        return _("Probability set to ${p}.", mapping={"p": current().percent(o.manual_probability)})

    return _action(request, lambda o: pipeline.set_probability(request.dbsession, o,
                                                               request.POST.get("probability", "")), message)


@view_config(route_name="crm.opportunity_lost", request_method="POST", permission="crm.opportunity.manage")
def opportunity_lost(request):
    return _action(request, lambda o: pipeline.mark_lost(request.dbsession, o, request.POST.get("reason", ""),
                                                         request.POST.get("note", "")),
                   lambda o: _("${title} marked lost.", mapping={"title": o.title}))


@view_config(route_name="crm.opportunity_link", request_method="POST", permission="crm.opportunity.manage")
def opportunity_link(request):
    def message(o):
        if o.status == "won":
            return _("Application linked; it is already funded: the opportunity is won.")
        return _("Application ${id} linked: the opportunity is won when lending funds it.",
                 mapping={"id": o.application_id})

    return _action(request, lambda o: pipeline.link_application(request.dbsession, o,
                                                                request.POST.get("application_id")), message)


@view_config(route_name="crm.opportunity_shares", request_method="POST", permission="crm.opportunity.manage")
def opportunity_shares(request):
    """Who contributed and how much (percentages summing to 100): achievement is credited by these shares."""
    p = request.POST

    def save(o):
        shares = {}
        for n in range(3):
            user, percent = p.get(f"user_{n}", "").strip(), p.get(f"share_{n}", "").strip()
            if user.isdigit() and len(user) < 10 and percent:
                shares[int(user)] = percent
        return pipeline.set_shares(request.dbsession, o, shares)

    return _action(request, save, _("Contributions saved."))
