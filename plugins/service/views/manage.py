"""Announcements, service levels (SLA targets, public holidays) and the reports."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from core import context
from core.errors import UserError
from core.security import get_visible_or_404, restricted_query
from core.web.charts import bar_chart, last_months, time_series
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import Column, Listing, render_listing
from core.web.shell import flash
from plugins.service.i18n import _, word
from plugins.service.models import CATEGORIES, CHANNELS, PRIORITIES, Announcement, CannedAnswer, Holiday, SlaTarget
from plugins.service.services import announcements, reports
from plugins.service.services.sla import DEFAULT_TARGETS


def announcement_url(request, row) -> str:
    return request.route_url("service.announcement", id=row.id)


@view_config(route_name="service.announcements", renderer="core:web/templates/list_page.pt",
             permission="service.announcement.manage")
def announcement_list(request):
    listing = Listing(request, restricted_query(request, Announcement), columns=[
        Column("id", "#", Announcement.id, link=announcement_url),
        Column("title", _("Title"), Announcement.title, link=announcement_url, wide=True),
        Column("segment", _("Segment"), Announcement.segment, kind="label", domain="service"),
        Column("published_at", _("Published"), Announcement.published_at),
        Column("sent_count", _("Messages"), Announcement.sent_count),
    ], default_sort="-id", export_name="service-announcements")
    return render_listing(listing, title=_("Announcements"),
                          actions=[(_("New announcement"), request.route_url("service.announcement_new"))])


class AnnouncementSchema(CSRFSchema):
    title = colander.SchemaNode(colander.String(), title=_("Title"), validator=colander.Length(1, 200))
    body = colander.SchemaNode(colander.String(), title=_("Text"), widget=deform.widget.TextAreaWidget(rows=5))
    segment = colander.SchemaNode(colander.String(), title=_("Send to"), missing="all",
                                  widget=deform.widget.SelectWidget(values=[(s, word(s)) for s in
                                                                            announcements.SEGMENTS]))


@view_config(route_name="service.announcement_new", renderer="core:web/templates/form_page.pt",
             permission="service.announcement.manage")
def announcement_new(request):
    form = make_form(request, AnnouncementSchema(), buttons=("create",))

    def create(data):
        row = announcements.create(request.dbsession, data["title"], data["body"], data["segment"])
        return announcement_url(request, row)

    return page(_("New announcement"), process(request, form, create))


@view_config(route_name="service.announcement", renderer="plugins.service:templates/announcement.pt",
             permission="service.announcement.manage")
def announcement_page(request):
    row = get_visible_or_404(request, Announcement, request.matchdict["id"])
    session = request.dbsession
    if request.method == "POST":
        back = announcement_url(request, row)
        if "publish" in request.POST:
            return run_action(request, lambda: announcements.publish(session, row) and back,
                              _("Published on the notice board."), back)
        return run_action(request, lambda: announcements.send(session, row, tuple(request.POST.getall("channel")))
                          and back, _("Announcement sent."), back)
    return {"title": row.title, "row": row, "delivery": announcements.delivery(session, row),
            "csrf": request.session.get_csrf_token()}


@view_config(route_name="service.settings", renderer="plugins.service:templates/settings.pt",
             permission="service.settings.manage")
def settings_page(request):
    session = request.dbsession
    if request.method == "POST":
        try:
            _save_setting(session, request.POST)
        except (UserError, ValueError) as exc:
            flash(request, exc if isinstance(exc, UserError) else _("Check the values and try again."), "danger")
        else:
            flash(request, _("Saved."))
        return HTTPFound(request.route_url("service.settings"))
    targets = {(t.category, t.priority): t for t in session.scalars(select(SlaTarget))}
    return {"title": _("Service levels"), "targets": targets, "categories": CATEGORIES, "priorities": PRIORITIES,
            "defaults": DEFAULT_TARGETS, "csrf": request.session.get_csrf_token(),
            "holidays": session.scalars(select(Holiday).order_by(Holiday.day.desc())).all(),
            "canned": session.scalars(select(CannedAnswer).order_by(CannedAnswer.title)).all(),
            "hours": request.registry.settings.get("service.business_hours") or "09:00-18:00",
            "days": request.registry.settings.get("service.business_days") or "mon tue wed thu fri",
            "zone": request.registry.settings.get("mutuo.timezone") or "UTC"}


#: A target longer than a year of minutes is a typing mistake (and would not fit the column).
MAX_TARGET_MINUTES = 525600


def _save_setting(session, post) -> None:
    from datetime import date

    if "canned" in post:
        from core.messages import check_template

        title, body = post.get("title", "").strip(), post.get("body", "").strip()
        if not title or not body:
            raise UserError(_("Give the canned answer a title and a text."), "title")
        check_template(body, ("name", "ticket"), "body")
        session.add(CannedAnswer(title=title[:120], body=body, category="", active=True))
        session.flush()
        return
    if "holiday" in post:
        day = date.fromisoformat(post.get("day", ""))
        if session.scalars(select(Holiday).where(Holiday.day == day)).first() is None:
            session.add(Holiday(day=day, name=post.get("name", "")[:100]))
        return
    category, priority = post.get("category"), post.get("priority")
    if category not in CATEGORIES or priority not in PRIORITIES:
        raise UserError(_("Choose a category and a priority."), "category")
    first, resolution = int(post.get("first", "0")), int(post.get("resolution", "0"))
    if not 0 < first <= resolution <= MAX_TARGET_MINUTES:
        raise UserError(_("The first response must come within the resolution time, both above zero and within a year."), "first")
    row = session.scalars(select(SlaTarget).where(SlaTarget.category == category,
                                                  SlaTarget.priority == priority)).first()
    if row is None:
        row = SlaTarget(category=category, priority=priority)
        session.add(row)
    row.first_response_minutes, row.resolution_minutes = first, resolution
    session.flush()


@view_config(route_name="service.reports", renderer="plugins.service:templates/reports.pt",
             permission="service.report.view")
def reports_page(request):
    session = request.dbsession
    months = last_months(context.today(session), 12)
    enquiries = reports.enquiries(session, months)
    attainment = reports.sla_attainment(session, months)
    satisfaction = reports.satisfaction(session, months)
    table = []
    for month in months:
        met, breached = attainment.get(month, (0, 0))
        table.append((month, sum(c[month] for c in enquiries["category"].values()), met, breached,
                      reports.month_score(satisfaction["csat"], month), reports.month_score(satisfaction["nps"], month)))
    if request.GET.get("format") == "csv":
        return _csv(request, table)
    charts = {
        "category": time_series({word(c): sorted(v.items()) for c, v in enquiries["category"].items()},
                                title=_("Enquiries by category"), kind="number", months=months, stacked=True),
        "channel": time_series({word(c): sorted(v.items()) for c, v in enquiries["channel"].items() if c in CHANNELS},
                               title=_("Enquiries by channel"), kind="number", months=months),
        "sla": time_series({_("met"): [(m, v[0]) for m, v in attainment.items()],
                            _("breached"): [(m, v[1]) for m, v in attainment.items()]},
                           title=_("SLA attainment (solved tickets)"), kind="number", months=months, stacked=True),
        "backlog": bar_chart(reports.backlog_age(session), title=_("Backlog age (days)")),
        "satisfaction": time_series({"CSAT %": [(m, s.value) for m, s in satisfaction["csat"].items() if s.value is not None],
                                     "NPS": [(m, s.value) for m, s in satisfaction["nps"].items() if s.value is not None]},
                                    title=_("CSAT and NPS"), kind="number", months=months),
        "top": bar_chart([(word(c), n) for c, n in enquiries["top"].most_common(7)], title=_("Top reasons for contact")),
    }
    return {"title": _("Service reports"), "charts": charts, "table": table, "agents": satisfaction["agents"],
            "categories": satisfaction["categories"]}


def _csv(request, table):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "enquiries", "sla_met", "sla_breached", "csat_percent", "nps"])
    for month, count, met, breached, csat_value, nps_value in table:
        writer.writerow([month.isoformat(), count, met, breached, "" if csat_value is None else csat_value,
                         "" if nps_value is None else nps_value])
    response = request.response
    response.content_type, response.text = "text/csv", out.getvalue()
    response.content_disposition = 'attachment; filename="service-report.csv"'
    return response
