"""Teams, yearly targets, their decomposition (company → teams → people → months) and attainment."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from core import context
from core.errors import UserError
from core.models.user import User
from core.security import get_visible_or_404
from core.web.charts import bar_chart
from core.web.forms import CSRFSchema, make_form, run_action
from core.web.lookups import lookup_input
from core.web.parsing import current_locale, parse_date, parse_money
from core.web.record import record_panels
from core.web.shell import flash
from plugins.crm.i18n import _
from plugins.crm.models import METRICS, Target, TargetPart, Team
from plugins.crm.services import targets
from plugins.crm.views.common import TEMPLATES, lookup_node, select_node, text_node


class TargetSchema(CSRFSchema):
    year = colander.SchemaNode(colander.Integer(), title=_("Year"), validator=colander.Range(2000, 2100))
    metric = select_node(_("Metric"), METRICS, default="funded_volume")
    amount = colander.SchemaNode(colander.String(), title=_("Amount"), description=_(
        "Money for funded volume and cost; a whole number for new borrowers and investors."))
    note = text_node(_("Note"))


class TeamSchema(CSRFSchema):
    name = text_node(_("Name"), missing=colander.required, validator=colander.Length(1, 100))
    region = text_node(_("Region"))
    manager_id = lookup_node(_("Manager"), "crm.user", User.id)


@view_config(route_name="crm.targets", renderer=TEMPLATES + "targets.pt", permission="crm.target.view")
def target_list(request):
    session = request.dbsession
    can_manage = request.has_permission("crm.target.manage")
    form = make_form(request, TargetSchema(), buttons=(deform.Button("set", _("Set target")),)) if can_manage else None
    if form is not None and request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            request.response.status = 400
            return _targets_page(request, failure.render())
        point = session.begin_nested()
        try:
            amount = parse_money(data["amount"], "amount", locale=current_locale())
            target = targets.set_target(session, data["year"], data["metric"], amount, data["note"])
        except UserError as exc:
            point.rollback()
            from core.web.forms import render_with_error

            request.response.status = 400
            return _targets_page(request, render_with_error(form, data, exc))
        flash(request, _("Target set; now split it between the teams."))
        return HTTPFound(request.route_url("crm.target", id=target.id))
    year = context.today(session).year
    return _targets_page(request, form.render({"year": year, "metric": "funded_volume"}) if form else "")


def _targets_page(request, form_html):
    rows = request.dbsession.scalars(select(Target).order_by(Target.year.desc(), Target.metric)).all()
    return {"title": _("Targets"), "rows": rows, "form": form_html}


def _weights(request, prefix: str) -> dict[int, Decimal]:
    """Weights typed on the split form (``team_3=60``): percentages or amounts alike, in the user's locale."""
    out = {}
    for key, value in request.POST.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit() and value.strip():
            out[int(key[len(prefix):])] = parse_money(value, key, locale=current_locale())
    return out


@view_config(route_name="crm.target", renderer=TEMPLATES + "target.pt", permission="crm.target.view")
def target_page(request):
    session = request.dbsession
    target = get_visible_or_404(request, Target, request.matchdict["id"])
    can_manage = request.has_permission("crm.target.manage")
    back = request.route_url("crm.target", id=target.id)
    if request.method == "POST" and can_manage:
        def split():
            months = [Decimal(1)] * 12
            typed = {int(k[6:]): v for k, v in request.POST.items() if k.startswith("month_") and k[6:].isdigit()}
            if any(v.strip() for v in typed.values()):
                months = [parse_money(typed.get(n, "") or "0", f"month_{n}", locale=current_locale())
                          for n in range(1, 13)]
            return targets.decompose_target(session, target, _weights(request, "team_"),
                                            _weights(request, "person_") or None, months)
        return run_action(request, split, _("Target split: every level adds up exactly."), back)
    parts = session.scalars(select(TargetPart).where(TargetPart.target_id == target.id)
                            .order_by(TargetPart.team_id, TargetPart.user_id, TargetPart.month)).all()
    teams = session.scalars(select(Team).order_by(Team.name)).all()
    team_parts = {p.team_id: p for p in parts if p.level == "team"}
    people = defaultdict(list)
    for p in parts:
        if p.level == "person":
            people[p.team_id].append(p)
    months = defaultdict(dict)
    for p in parts:
        if p.level == "month":
            months[(p.team_id, p.user_id)][p.month] = p.amount
    report = targets.attainment(session, target, list(parts)) if parts else {"people": [], "teams": [], "months": []}
    names = {a.user_id: a.key for a in report["people"]}
    chart = bar_chart([(row.key, row.actual) for row in report["people"]],
                      title=_("Attainment by person")) if report["people"] else ""
    return {"title": _("Target ${metric} ${year}", mapping={"metric": _(target.metric.replace("_", " ")),
                                                            "year": target.year}),
            "target": target, "teams": teams, "team_parts": team_parts, "people": people, "months": months,
            "names": names, "report": report, "chart": chart, "can_manage": can_manage,
            "csrf": request.session.get_csrf_token(), "panels": record_panels(request, target, can_edit=can_manage)}


@view_config(route_name="crm.teams", renderer=TEMPLATES + "teams.pt", permission="crm.target.manage")
def team_list(request):
    session = request.dbsession
    form = make_form(request, TeamSchema(), buttons=(deform.Button("create", _("Create team")),))
    if request.method == "POST":
        try:
            data = form.validate(request.POST.items())
        except deform.ValidationFailure as failure:
            request.response.status = 400
            return _teams_page(request, failure.render())
        point = session.begin_nested()
        try:
            team = targets.create_team(session, data["name"], data["manager_id"], data["region"])
        except UserError as exc:
            point.rollback()
            from core.web.forms import render_with_error

            request.response.status = 400
            return _teams_page(request, render_with_error(form, data, exc))
        flash(request, _("Team ${name} created.", mapping={"name": team.name}))
        return HTTPFound(request.route_url("crm.team", id=team.id))
    return _teams_page(request, form.render({}))


def _teams_page(request, form_html):
    teams = request.dbsession.scalars(select(Team).order_by(Team.name)).all()
    return {"title": _("Teams"), "teams": teams, "form": form_html}


@view_config(route_name="crm.team", renderer=TEMPLATES + "team.pt", permission="crm.target.manage")
def team_page(request):
    session = request.dbsession
    team = get_visible_or_404(request, Team, request.matchdict["id"])
    back = request.route_url("crm.team", id=team.id)
    if request.method == "POST":
        def add():
            raw = request.POST.get("user_id", "")
            if not raw.isdigit():
                raise UserError(_("Choose a person."), "user_id")
            joined = parse_date(request.POST.get("joined_on") or context.today(session).isoformat(), "joined_on",
                                locale=current_locale())
            return targets.add_member(session, team, int(raw), joined)
        return run_action(request, add, _("Member added."), back)
    return {"title": team.name, "team": team, "csrf": request.session.get_csrf_token(),
            "user_lookup": lookup_input(request, "crm.user", "user_id", _("Person")),
            "today": context.today(session)}
