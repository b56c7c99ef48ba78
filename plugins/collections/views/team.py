"""The team: collectors and their stage queues, monthly targets and the ranking."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import func, or_, select

from core.formatting import current
from core.models.user import Role, User, user_role
from core.web import parsing
from core.web.charts import bar_chart
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.parsing import request_locale
from core.web.shell import flash
from plugins.collections.i18n import _, _n
from plugins.collections.models import OPEN_STATUSES, STAGES, Case, CollectorQueue, Target
from plugins.collections.services import assignment, config, targets
from plugins.collections.services.targets import parse_month
from plugins.collections.views.common import (
    FORM_PAGE,
    TEMPLATES,
    label,
    money_node,
    month_rule,
    run_action,
    text_node,
)

COLLECTOR_ROLES = ("collector", "collections_supervisor")


# -- collectors and queues ------------------------------------------------------------------------

def _team_stmt(request):
    """Users who hold a queue or a collections role, with their open load."""
    holders = select(CollectorQueue.collector_id)
    with_role = (select(user_role.c.user_id).join(Role, Role.id == user_role.c.role_id)
                 .where(Role.name.in_(COLLECTOR_ROLES)))
    load = (select(Case.collector_id.label("uid"), func.count(Case.id).label("cases"),
                   func.sum(Case.overdue_amount).label("overdue"))
            .where(Case.status.in_(OPEN_STATUSES)).group_by(Case.collector_id).subquery())
    return (select(User).where(or_(User.id.in_(holders), User.id.in_(with_role)))
            .outerjoin(load, load.c.uid == User.id)
            .add_columns(func.coalesce(load.c.cases, 0).label("cases"),
                         func.coalesce(load.c.overdue, 0).label("overdue")), load)


@view_config(route_name="collections.collectors", renderer=LIST_PAGE,
             permission="collections.case.assign")
def collectors(request):
    stmt, load = _team_stmt(request)
    everyone = request.dbsession.scalars(select(User.id).where(User.id.in_(
        select(CollectorQueue.collector_id)))).all()
    queues = assignment.queues_of(request.dbsession, everyone)
    listing = Listing(request, stmt, columns=[
        Column("username", _("Collector"), User.username, value=lambda r: r[0].username,
               link=lambda req, r: req.route_url("collections.collector", id=r[0].id)),
        Column("name", _("Name"), User.full_name, value=lambda r: r[0].full_name),
        Column("region", _("Region"), User.region, value=lambda r: r[0].region or _("any")),
        Column("queues", _("Queues"), None, value=lambda r: _queues(queues.get(r[0].id, []))),
        Column("cases", _("Open cases"), load.c.cases, value=lambda r: r.cases),
        Column("overdue", _("Open overdue amount"), load.c.overdue, value=lambda r: r.overdue, css="money"),
        Column("active", _("Active"), User.active, value=lambda r: _("yes") if r[0].active else _("no")),
    ], filters=[
        Filter("stage", _("Holds queue"), lambda s, v: s.where(User.id.in_(
            select(CollectorQueue.collector_id).where(CollectorQueue.stage == v, CollectorQueue.active.is_(True)))),
            tuple((x, label(x)) for x in STAGES)),
        Filter("region", _("Region"), lambda s, v: s.where(User.region == v)),
    ], default_sort="username", export_name="collectors")
    intro = _("Each collector holds the queues of the stages they work; the assignment job gives new and re-staged "
              "cases to the least loaded holder of the stage's queue, in the case's region when someone covers it. "
              "Regions are set on the user (Admin → Users).")
    waiting = request.dbsession.scalar(select(func.count(Case.id)).where(Case.status.in_(OPEN_STATUSES),
                                                                         Case.collector_id.is_(None)))
    actions = [(_("Cases waiting for a collector (${n})", mapping={"n": current().number(waiting)}),
                request.route_url("collections.cases", _query={"collector": "-", "status": "open_any"}))]
    return render_listing(listing, title=_("Collectors and queues"), intro=intro, actions=actions)


def _queues(stages) -> str:
    """``early, mid`` in the words of the language being served; a dash when none."""
    fmt = current()
    return ", ".join(fmt.label(s, "collections") for s in stages) or "—"


class QueuesSchema(CSRFSchema):
    stages = colander.SchemaNode(colander.Set(), title=_("Stage queues held"), missing=(),
                                 widget=deform.widget.CheckboxChoiceWidget(values=[(s, label(s)) for s in STAGES]))


def _user(request) -> User:
    user = request.dbsession.get(User, parsing.id_or_404(request.matchdict["id"], parsing.int_bound(User.id)))
    if user is None:
        raise HTTPNotFound()
    return user


@view_config(route_name="collections.collector", renderer=FORM_PAGE, permission="collections.case.assign")
def collector_page(request):
    user = _user(request)
    session = request.dbsession
    form = make_form(request, QueuesSchema(), buttons=(deform.Button("save", _("Save")),))

    def save(data):
        held = assignment.set_queues(session, user, data["stages"])
        if held:
            flash(request, _n("${user} holds the ${stages} queue.", "${user} holds the ${stages} queues.", len(held),
                              mapping={"user": user.username, "stages": _queues(held)}))
        else:
            flash(request, _("${user} holds no queue.", mapping={"user": user.username}))
        return request.route_url("collections.collectors")

    held_now = assignment.queues_of(session, [user.id]).get(user.id, [])
    cases = session.scalar(select(func.count(Case.id)).where(Case.collector_id == user.id,
                                                             Case.status.in_(OPEN_STATUSES)))
    fmt = current()
    intro = " ".join((
        _n("${name} · region ${region} · ${n} open case.", "${name} · region ${region} · ${n} open cases.", cases,
           mapping={"name": user.full_name or user.username, "region": user.region or fmt.translate(_("any"))}),
        fmt.translate(_("To hand their cases to the others (leave, change of team), use “Return cases to the pool”."))))
    result = page(_("Queues of ${user}", mapping={"user": user.username}), process(request, form, save, appstruct={"stages": set(held_now)}),
                  intro=intro)
    if isinstance(result, dict) and cases:
        from markupsafe import escape

        confirm = escape(fmt.translate(_("Return all their open cases to the pool?")))
        button = escape(fmt.translate(_("Return cases to the pool")))
        result["form"] += (f'<form method="post" class="mt-3" action="'
                           f'{request.route_url("collections.collector_release", id=user.id)}">'
                           f'<input type="hidden" name="csrf_token" value="{request.session.get_csrf_token()}">'
                           f'<button class="btn btn-sm btn-outline-danger" data-confirm="{confirm}">{button}'
                           f'</button></form>')
    return result


@view_config(route_name="collections.collector_release", request_method="POST",
             permission="collections.case.assign")
def collector_release(request):
    user = _user(request)
    return run_action(request, lambda: assignment.release_cases(request.dbsession, user),
                      lambda n: _n("${n} case of ${user} returned to the pool; the assignment job gives it to the "
                                   "others.", "${n} cases of ${user} returned to the pool; the assignment job gives "
                                   "them to the others.", n, mapping={"user": user.username}),
                      request.route_url("collections.collector", id=user.id))


# -- targets ---------------------------------------------------------------------------------------------

_SET = deform.Button("set", _("Set"))


class TargetSchema(CSRFSchema):
    month = text_node(_("Month"), _("Like 2026-03."), missing=colander.required, validator=month_rule)
    amount = money_node(_("Team target"), _("Amount the team should recover in the month."),
                        missing=colander.required)
    note = text_node(_("Note"))


def _targets_page(request, form_result=None) -> dict:
    session = request.dbsession
    rows = []
    for target in session.scalars(select(Target).order_by(Target.month.desc()).limit(24)):
        recovered = sum(targets.recovered_by_collector(session, target.month).values(), 0)
        rows.append((target, sum((s.amount for s in target.shares), 0), recovered))
    values = {"title": _("Targets and ranking"), "rows": rows, "form": None}
    if form_result is not None:
        values.update(form_result)
    elif request.has_permission("collections.target.manage"):
        today = config.today(session)
        values["form"] = make_form(request, TargetSchema(), buttons=(_SET,)).render({"month": f"{today:%Y-%m}"})
    return values


@view_config(route_name="collections.targets", renderer=TEMPLATES + "targets.pt",
             permission="collections.target.view", request_method="GET")
def target_list(request):
    return _targets_page(request)


@view_config(route_name="collections.targets", renderer=TEMPLATES + "targets.pt",
             permission="collections.target.manage", request_method="POST")
def target_set(request):
    session = request.dbsession
    form = make_form(request, TargetSchema(), buttons=(_SET,))

    def save(data):
        target = targets.set_target(session, data["month"], data["amount"], data["note"])
        flash(request, _("Team target for ${month}: ${amount}.",
                         mapping={"month": f"{target.month:%Y-%m}", "amount": current().money(target.amount)}))
        return request.route_url("collections.target", id=target.id)

    answer = process(request, form, save)
    return _targets_page(request, answer) if isinstance(answer, dict) else answer


def _target(request) -> Target:
    target = request.dbsession.get(Target, parsing.id_or_404(request.matchdict["id"], parsing.int_bound(Target.id)))
    if target is None:
        raise HTTPNotFound()
    return target


@view_config(route_name="collections.target", renderer=TEMPLATES + "target.pt",
             permission="collections.target.view", request_method="GET")
def target_page(request):
    from core.web.record import record_panels

    target = _target(request)
    session = request.dbsession
    standings = targets.ranking(session, target.month)
    shares = {s.collector_id: s.amount for s in target.shares}
    return {"title": _("Target ${month}", mapping={"month": f"{target.month:%Y-%m}"}), "target": target, "standings": standings, "shares": shares,
            "team": assignment.team(session), "split": sum(shares.values(), 0),
            "can_manage": request.has_permission("collections.target.manage"),
            "csrf": request.session.get_csrf_token(),
            "chart": _achievement_chart(standings), "panels": record_panels(request, target, can_edit=False)}


@view_config(route_name="collections.target", request_method="POST", permission="collections.target.manage")
def target_change(request):
    target = _target(request)
    session = request.dbsession
    back = request.route_url("collections.target", id=target.id)
    what = request.POST.get("action", "")
    if what == "split":
        return run_action(request, lambda: targets.split_evenly(session, target),
                          _("Target split evenly between the team."), back)
    if what == "amount":
        return run_action(request, lambda: targets.set_target(session, target.month, request.POST.get("amount", ""),
                                                               request.POST.get("note", ""),
                                                               locale=request_locale(request)),
                          _("Team target saved."), back)
    shares = {key.removeprefix("share_"): value for key, value in request.POST.items() if key.startswith("share_")}
    return run_action(request, lambda: targets.set_shares(session, target, shares, locale=request_locale(request)),
                      _("Shares saved."), back)


def _achievement_chart(standings) -> str:
    items = [(s.username, (s.rate or 0) * 100) for s in standings]
    title = current().translate(_("Achievement (% of share)"))
    return bar_chart(items, title=title, value_width=60) if items else ""


@view_config(route_name="collections.ranking", renderer=TEMPLATES + "ranking.pt",
             permission="collections.target.view")
def ranking(request):
    session = request.dbsession
    today = config.today(session)
    try:
        month = parse_month(request.params.get("month") or f"{today:%Y-%m}")
    except Exception:
        month = today.replace(day=1)
    standings = targets.ranking(session, month)
    target = targets.get_target(session, month)
    return {"title": _("Ranking ${month}", mapping={"month": f"{month:%Y-%m}"}), "month": month, "standings": standings, "target": target,
            "chart": _achievement_chart(standings), "mine": request.user.id}

