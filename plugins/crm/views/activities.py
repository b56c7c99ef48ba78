"""Activities: the list (overdue first and marked), the form, the page (done / cancelled), the calendar."""
from __future__ import annotations

import calendar as cal
from collections import defaultdict
from datetime import timedelta

import colander
import deform
from pyramid.view import view_config
from sqlalchemy import case, select

from core import context
from core.formatting import current
from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.crm.declarations import visible_owners
from plugins.crm.i18n import _
from plugins.crm.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Account, Activity, Opportunity
from plugins.crm.services import activities
from plugins.crm.views.common import (
    FORM_PAGE,
    LIST_PAGE,
    TEMPLATES,
    date_node,
    lookup_node,
    minutes_node,
    run_action,
    select_node,
    text_node,
)


def activity_url(request, activity) -> str:
    return request.route_url("crm.activity", id=activity.id)


@view_config(route_name="crm.activities", renderer=LIST_PAGE, permission="crm.account.view")
def activity_list(request):
    today = context.today(request.dbsession)
    overdue = case((activities.overdue_condition(today), 0), else_=1).label("overdue")
    stmt = (restricted_query(request, Activity).outerjoin(Account, Account.id == Activity.account_id)
            .outerjoin(User, User.id == Activity.owner_id).add_columns(Account.name, User.username, overdue))
    listing = Listing(request, stmt, columns=[
        Column("overdue", _("Overdue"), overdue, value=lambda r: _("overdue") if r.overdue == 0 else "",
               css="text-danger fw-semibold"),
        Column("planned_on", _("Planned"), Activity.planned_on, value=lambda r: r[0].planned_on),
        Column("kind", _("Kind"), Activity.kind, value=lambda r: r[0].kind, kind="label", domain="crm"),
        Column("subject", _("Subject"), Activity.subject, value=lambda r: r[0].subject,
               link=lambda req, r: activity_url(req, r[0]), wide=True),
        Column("account", _("Account"), Account.name, value=lambda r: r.name or ""),
        Column("status", _("Status"), Activity.status, value=lambda r: r[0].status, kind="label", domain="crm"),
        Column("planned_minutes", _("Planned minutes"), Activity.planned_minutes,
               value=lambda r: r[0].planned_minutes, kind="number"),
        Column("actual_minutes", _("Actual minutes"), Activity.actual_minutes,
               value=lambda r: r[0].actual_minutes if r[0].actual_minutes is not None else "", kind="number"),
        Column("place", _("Place"), None, value=lambda r: r[0].place, optional=True),
        Column("outcome", _("Outcome"), None, value=lambda r: r[0].outcome, wide=True, optional=True),
        Column("owner", _("Owner"), User.username, value=lambda r: r.username or "—"),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(Activity.status == v),
               tuple((x, _(x)) for x in ACTIVITY_STATUSES)),
        Filter("kind", _("Kind"), lambda s, v: s.where(Activity.kind == v), tuple((x, _(x)) for x in ACTIVITY_KINDS)),
        Filter("overdue", _("Overdue"), lambda s, v: s.where(activities.overdue_condition(today)),
               (("1", _("overdue only")),)),
        Filter("owner", _("Owner"), lambda s, v: s.where(User.username == v)),
    ], default_sort="overdue", export_name="crm-activities")
    actions = [(_("My calendar"), request.route_url("crm.calendar"))]
    if request.has_permission("crm.activity.manage"):
        actions.insert(0, (_("Plan an activity"), request.route_url("crm.activity_new")))
    return render_listing(listing, title=_("Activities"), actions=actions)


class ActivitySchema(CSRFSchema):
    kind = select_node(_("Kind"), ACTIVITY_KINDS, default="call")
    subject = text_node(_("Subject"), missing=colander.required, validator=colander.Length(1, 200))
    planned_on = date_node(_("Planned date"), missing=colander.required)
    planned_minutes = minutes_node(_("Planned minutes"))
    place = text_node(_("Place"))
    account_id = lookup_node(_("Account"), "crm.account", Account.id)
    owner_id = lookup_node(_("Owner"), "crm.user", User.id)


@view_config(route_name="crm.activity_new", renderer=FORM_PAGE, permission="crm.activity.manage")
def activity_new(request):
    form = make_form(request, ActivitySchema(), buttons=(deform.Button("plan", _("Plan")),))

    def plan(data):
        account = get_visible_or_404(request, Account, data["account_id"]) if data["account_id"] else None
        opportunity = None
        if request.params.get("opportunity_id"):
            opportunity = get_visible_or_404(request, Opportunity, request.params["opportunity_id"])
        activity = activities.plan(request.dbsession, data["kind"], data["subject"], data["planned_on"],
                                   data["owner_id"] or request.user.id, account=account, opportunity=opportunity,
                                   planned_minutes=data["planned_minutes"], place=data["place"])
        flash(request, _("Activity planned for ${day}.", mapping={"day": current().date(activity.planned_on)}))
        return activity_url(request, activity)

    account_id = parsing.id_or_404(request.params["account_id"]) if request.params.get("account_id") else None
    return page(_("Plan an activity"), process(request, form, plan, appstruct={
        "account_id": account_id, "owner_id": request.user.id, "planned_minutes": 30,
        "planned_on": context.today(request.dbsession)}))


@view_config(route_name="crm.activity", renderer=TEMPLATES + "activity.pt", permission="crm.account.view")
def activity_page(request):
    activity = get_visible_or_404(request, Activity, request.matchdict["id"])
    today = context.today(request.dbsession)
    can = request.has_permission("crm.activity.manage")
    return {"title": activity.subject, "a": activity, "overdue": activities.is_overdue(activity, today),
            "can_finish": can and activity.status == "planned", "csrf": request.session.get_csrf_token(),
            "panels": record_panels(request, activity, can_edit=can)}


@view_config(route_name="crm.activity_done", request_method="POST", permission="crm.activity.manage")
def activity_done(request):
    activity = get_visible_or_404(request, Activity, request.matchdict["id"])
    p = request.POST

    def finish():
        minutes = p.get("actual_minutes", "").strip()
        if not minutes.isdigit():
            from core.errors import UserError

            raise UserError(_("The actual duration is at least one minute."), "actual_minutes")
        return activities.complete(request.dbsession, activity, int(minutes), p.get("outcome", ""),
                                   p.get("next_step", ""))

    return run_action(request, finish, _("Activity done."), activity_url(request, activity))


@view_config(route_name="crm.activity_cancel", request_method="POST", permission="crm.activity.manage")
def activity_cancel(request):
    activity = get_visible_or_404(request, Activity, request.matchdict["id"])
    return run_action(request, lambda: activities.cancel(request.dbsession, activity), _("Activity cancelled."),
                      activity_url(request, activity))


@view_config(route_name="crm.calendar", renderer=TEMPLATES + "calendar.pt", permission="crm.account.view")
def calendar_page(request):
    """One person's month (``?user=`` for a manager looking at their team), overdue activities marked."""
    session = request.dbsession
    today = context.today(session)
    try:
        month = parsing.parse_month(request.params["month"], "month") if request.params.get("month") \
            else today.replace(day=1)
    except parsing.InputError:
        month = today.replace(day=1)
    people = session.execute(select(User.id, User.username).where(User.id.in_(visible_owners(request)))
                             .order_by(User.username)).all() \
        if not request.has_permission("crm.account.view_all") else \
        session.execute(select(User.id, User.username).where(User.active.is_(True)).order_by(User.username)).all()
    allowed = {uid for uid, _name in people}
    wanted = request.params.get("user", "")
    user_id = int(wanted) if wanted.isdigit() and int(wanted) in allowed else request.user.id
    last = month.replace(day=cal.monthrange(month.year, month.month)[1])
    found = session.scalars(restricted_query(request, Activity).where(
        Activity.owner_id == user_id, Activity.planned_on >= month, Activity.planned_on <= last)
        .order_by(Activity.planned_on, Activity.id)).all()
    by_day = defaultdict(list)
    for activity in found:
        by_day[activity.planned_on].append(activity)
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    overdue = session.scalars(restricted_query(request, Activity).where(
        Activity.owner_id == user_id, activities.overdue_condition(today)).order_by(Activity.planned_on)
        .limit(50)).all()
    previous = (month - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return {"title": _("Calendar"), "month": month, "weeks": weeks, "by_day": by_day, "today": today,
            "people": people, "user_id": user_id, "overdue": overdue,
            "previous": previous.strftime("%Y-%m"), "following": following.strftime("%Y-%m"),
            "is_overdue": lambda a: activities.is_overdue(a, today)}


