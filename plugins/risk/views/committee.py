"""Committee meetings: the list, planning one, its page (attendance, agenda, votes, recusals) and closing it."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.risk.i18n import _, word
from plugins.risk.models import MEETING_STATUSES, VOTES, AgendaItem, Meeting, Member, Review
from plugins.risk.services import committee
from plugins.risk.views.common import FORM_PAGE, TEMPLATES, choices, run_action


def meeting_url(request, meeting_id) -> str:
    return request.route_url("risk.meeting", id=meeting_id)


@view_config(route_name="risk.meetings", renderer=LIST_PAGE, permission="risk.committee.view")
def meeting_list(request):
    link = lambda request, r: meeting_url(request, r[0].id)  # noqa: E731
    items = select(func.count(AgendaItem.id)).where(AgendaItem.meeting_id == Meeting.id).correlate(Meeting) \
        .scalar_subquery()
    listing = Listing(request, restricted_query(request, Meeting).add_columns(items.label("items")), columns=[
        Column("id", "#", Meeting.id, value=lambda r: r[0].id, link=link),
        Column("held_on", _("Date"), Meeting.held_on, value=lambda r: r[0].held_on, link=link),
        Column("title", _("Title"), Meeting.title, value=lambda r: r[0].title, wide=True),
        Column("items", _("Items"), items, value=lambda r: r.items, kind="number"),
        Column("status", _("Status"), Meeting.status, value=lambda r: r[0].status, kind="label", domain="risk",
               card="key"),
    ], filters=[Filter("status", _("Status"), lambda s, v: s.where(Meeting.status == v),
                       tuple(choices(MEETING_STATUSES)))],
        default_sort="-held_on", export_name="risk-meetings")
    actions = [(_("Plan a meeting"), request.route_url("risk.meeting_new"))] \
        if request.has_permission("risk.committee.manage") else []
    return render_listing(listing, title=_("Committee meetings"), actions=actions)


@colander.deferred
def _member_widget(node, kw):
    members = committee.committee_members(kw["request"].dbsession)
    return deform.widget.CheckboxChoiceWidget(values=[(str(u.id), u.full_name or u.username) for u in members])


class MeetingSchema(CSRFSchema):
    held_on = colander.SchemaNode(parsing.BoundedDate(), title=_("Date"), widget=parsing.DateTextWidget())
    title = colander.SchemaNode(colander.String(), title=_("Title"), missing="")
    member_ids = colander.SchemaNode(colander.Set(), title=_("Members"), widget=_member_widget,
                                     description=_("The users holding the committee member role."))


@view_config(route_name="risk.meeting_new", renderer=FORM_PAGE, permission="risk.committee.manage")
def meeting_new(request):
    form = make_form(request, MeetingSchema(), buttons=("create",))

    def create(data):
        meeting = committee.create_meeting(request.dbsession, held_on=data["held_on"], title=data["title"],
                                           member_ids=[int(m) for m in data["member_ids"]])
        flash(request, _("Meeting planned."))
        return meeting_url(request, meeting.id)

    return page(_("Plan a meeting"), process(request, form, create))


@view_config(route_name="risk.meeting", renderer=TEMPLATES + "meeting.pt", permission="risk.committee.view")
def meeting_page(request):
    meeting = get_visible_or_404(request, Meeting, request.matchdict["id"])
    me = request.user.id
    items = request.dbsession.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                      .order_by(AgendaItem.id).options(
        selectinload(AgendaItem.votes), selectinload(AgendaItem.recusals),
        joinedload(AgendaItem.review).joinedload(Review.customer),
        joinedload(AgendaItem.review).joinedload(Review.application))).all()  # one batch, not one per item
    members = request.dbsession.scalars(select(Member).where(Member.meeting_id == meeting.id).order_by(Member.id)
                                        .options(joinedload(Member.user))).all()
    rows = []
    for item in items:
        result = committee.item_tally(item)
        mine = next((v.vote for v in item.votes if v.user_id == me), None)
        recused = any(r.user_id == me for r in item.recusals)
        rows.append({"item": item, "tally": result, "mine": mine, "recused": recused})
    is_member = any(m.user_id == me for m in members)
    return {"title": _("Committee meeting ${date}", mapping={"date": meeting.held_on.isoformat()}),
            "meeting": meeting, "rows": rows, "members": members, "word": word, "votes": VOTES, "csrf": request.session.get_csrf_token(),
            "can_manage": meeting.status == "planned" and request.has_permission("risk.committee.manage"),
            "can_vote": meeting.status == "planned" and is_member and request.has_permission("risk.committee.vote"),
            "panels": record_panels(request, meeting, can_edit=False)}


@view_config(route_name="risk.meeting_attendance", request_method="POST", permission="risk.committee.manage")
def meeting_attendance(request):
    meeting = get_visible_or_404(request, Meeting, request.matchdict["id"])
    present = request.POST.get("present") == "1"
    return run_action(request, lambda: committee.set_attendance(
        request.dbsession, meeting, parsing.parse_id(request.POST.get("user_id", ""), "user_id"), present),
                      _("Attendance recorded."), meeting_url(request, meeting.id))


@view_config(route_name="risk.meeting_close", request_method="POST", permission="risk.committee.manage")
def meeting_close(request):
    meeting = get_visible_or_404(request, Meeting, request.matchdict["id"])
    return run_action(request, lambda: committee.close_meeting(request.dbsession, meeting),
                      _("Meeting closed; decisions applied and minutes written."), meeting_url(request, meeting.id))


def _item(request) -> AgendaItem:
    item = get_visible_or_404(request, AgendaItem, request.matchdict["id"])
    get_visible_or_404(request, Meeting, item.meeting_id)
    if request.user is None:
        raise HTTPForbidden()
    return item


@view_config(route_name="risk.item_vote", request_method="POST", permission="risk.committee.vote")
def item_vote(request):
    """A member votes as themself: never on someone else's behalf."""
    item = _item(request)
    return run_action(request, lambda: committee.vote(request.dbsession, item, request.user.id,
                                                      request.POST.get("vote", ""), request.POST.get("note", "")),
                      _("Vote recorded."), meeting_url(request, item.meeting_id))


@view_config(route_name="risk.item_recuse", request_method="POST", permission="risk.committee.vote")
def item_recuse(request):
    item = _item(request)
    return run_action(request, lambda: committee.recuse(request.dbsession, item, request.user.id,
                                                        request.POST.get("reason", "")),
                      _("Conflict of interest recorded: you do not vote on this item."),
                      meeting_url(request, item.meeting_id))
