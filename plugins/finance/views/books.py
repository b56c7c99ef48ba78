"""The books: journal, trial balance, chart of accounts, posting rules, period close."""
from __future__ import annotations

import csv
import io
from datetime import date

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from core.security import get_visible_or_404
from core.web.forms import run_action
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from plugins.finance.i18n import _, label
from plugins.finance.models import ACCOUNT_KINDS, Account, Entry, Period, PostingRule
from plugins.finance.services import journal, periods


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@view_config(route_name="finance.journal", renderer=LIST_PAGE, permission="finance.books.view")
def journal_list(request):
    journal.ensure_defaults(request.dbsession)
    listing = Listing(request, select(Entry), columns=[
        Column("id", "#", Entry.id, value=lambda e: e.id,
               link=lambda request, e: request.route_url("finance.entry", id=e.id)),
        Column("entry_date", _("Posted on"), Entry.entry_date, value=lambda e: e.entry_date),
        Column("event_date", _("Happened on"), Entry.event_date, value=lambda e: e.event_date, optional=True),
        Column("event_type", _("Event"), Entry.event_type, value=lambda e: label(e.event_type.replace("_", " "))),
        Column("source", _("Source"), Entry.source_id, value=lambda e: f"{e.source_type} {e.source_id}"),
        Column("loan", _("Loan"), Entry.loan_id, value=lambda e: e.loan_id or ""),
        Column("memo", _("Memo"), None, value=lambda e: e.memo, wide=True),
        Column("reversal_of", _("Reverses"), Entry.reversal_of_id, value=lambda e: e.reversal_of_id or ""),
    ], filters=[
        Filter("event_type", _("Event"), lambda s, v: s.where(Entry.event_type == v),
               tuple((k, label(k.replace("_", " "))) for k in sorted(journal.rules(request.dbsession)))),
        Filter("loan", _("Loan"), lambda s, v: s.where(Entry.loan_id == int(v)) if v.isdigit() else s),
        Filter("on", _("Posted on"), lambda s, v: s.where(Entry.entry_date == _day(v)) if _day(v) else s, kind="date"),
    ], default_sort="-id", export_name="journal")
    return render_listing(listing, title=_("Journal"))


@view_config(route_name="finance.accounts", renderer=LIST_PAGE, permission="finance.books.view")
def accounts(request):
    journal.ensure_defaults(request.dbsession)
    manage = request.has_permission("finance.books.manage")
    listing = Listing(request, select(Account), columns=[
        Column("code", _("Code"), Account.code, value=lambda a: a.code,
               link=(lambda request, a: request.route_url("finance.account", id=a.id)) if manage else None),
        Column("name", _("Name"), Account.name, value=lambda a: a.name, wide=True),
        Column("kind", _("Kind"), Account.kind, value=lambda a: label(a.kind)),
        Column("custodial", _("Custodial"), Account.custodial, value=lambda a: a.custodial),
        Column("active", _("Active"), Account.active, value=lambda a: a.active),
    ], filters=[
        Filter("kind", _("Kind"), lambda s, v: s.where(Account.kind == v), tuple((k, label(k)) for k in ACCOUNT_KINDS)),
    ], default_sort="code", export_name="chart-of-accounts")
    actions = [(_("New account"), request.route_url("finance.account_new"))] if manage else []
    return render_listing(listing, title=_("Chart of accounts"), actions=actions)


@view_config(route_name="finance.rules", renderer=LIST_PAGE, permission="finance.books.view")
def rules(request):
    journal.ensure_defaults(request.dbsession)
    manage = request.has_permission("finance.books.manage")
    listing = Listing(request, select(PostingRule), columns=[
        Column("event_type", _("Event"), PostingRule.event_type, value=lambda r: r.event_type),
        Column("position", "#", PostingRule.position, value=lambda r: r.position,
               link=(lambda request, r: request.route_url("finance.rule", id=r.id)) if manage else None),
        Column("account", _("Account"), PostingRule.account_code, value=lambda r: r.account_code),
        Column("side", _("Side"), PostingRule.side, value=lambda r: label(r.side)),
        Column("amount", _("Amount"), PostingRule.amount, value=lambda r: r.amount),
        Column("party", _("Party"), PostingRule.party, value=lambda r: label(r.party) if r.party else ""),
    ], default_sort="event_type", export_name="posting-rules")
    return render_listing(listing, title=_("Posting rules"),
                          intro=_("What each event posts: the side of an account by one of the event's amounts."))


@view_config(route_name="finance.trial_balance", renderer="plugins.finance:templates/trial_balance.pt",
             permission="finance.books.view")
def trial_balance(request):
    session = request.dbsession
    journal.ensure_defaults(session)
    end = _day(request.params.get("end"))
    result = journal.trial_balance(session, end)
    if request.params.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["code", "name", "kind", "debit", "credit", "balance"])
        for row in result["rows"]:
            a = row["account"]
            writer.writerow([a.code, a.name, a.kind, row["debit"], row["credit"], row["balance"]])
        writer.writerow(["", "total", "", result["debits"], result["credits"], result["difference"]])
        return Response(out.getvalue(), content_type="text/csv",
                        content_disposition="attachment; filename=trial-balance.csv")
    differences = journal.differences(session)
    return {"title": _("Trial balance"), "result": result, "end": end, "differences": differences}


@view_config(route_name="finance.periods", renderer="plugins.finance:templates/periods.pt",
             permission="finance.books.view")
def periods_page(request):
    session = request.dbsession
    closed = session.scalars(select(Period).order_by(Period.month.desc())).all()
    upcoming = periods.next_open_month(session)
    checks = periods.checklist(session, upcoming) if upcoming else []
    return {"title": _("Period close"), "closed": closed, "upcoming": upcoming, "checks": checks,
            "lock": journal.lock_date(session), "can_close": request.has_permission("finance.period.close"),
            "csrf": request.session.get_csrf_token()}


@view_config(route_name="finance.periods", request_method="POST", permission="finance.period.close")
def period_close(request):
    month = _day(request.POST.get("month"))
    back = request.route_url("finance.periods")
    if month is None:
        return HTTPFound(back)
    return run_action(request, lambda: periods.close_month(request.dbsession, month, request.POST.get("override", "")),
                      _("The month is closed."), back)


@view_config(route_name="finance.entry_reverse", request_method="POST", permission="finance.books.manage")
def entry_reverse(request):
    entry = get_visible_or_404(request, Entry, request.matchdict["id"])
    return run_action(request, lambda: request.route_url(
        "finance.entry", id=journal.reverse(request.dbsession, entry, request.POST.get("memo", ""))),
        _("Entry reversed."), request.route_url("finance.entry", id=entry.id))


@view_config(route_name="finance.entry", renderer="plugins.finance:templates/entry.pt", permission="finance.books.view")
def entry_page(request):
    from sqlalchemy.orm import selectinload

    from plugins.finance.models import Line

    session = request.dbsession
    entry = get_visible_or_404(request, Entry, request.matchdict["id"])
    lines = session.scalars(select(Line).options(selectinload(Line.account)).where(Line.entry_id == entry.id)
                            .order_by(Line.id)).all()
    reversed_by = session.scalar(select(Entry.id).where(Entry.reversal_of_id == entry.id))
    return {"title": _("Entry ${id}", mapping={"id": entry.id}), "entry": entry, "lines": lines,
            "reversed_by": reversed_by, "csrf": request.session.get_csrf_token(),
            "can_reverse": request.has_permission("finance.books.manage") and reversed_by is None
            and entry.event_type != "reversal"}
