"""The blacklist (entries, adding, removing) and the hits of screening with their decisions."""
from __future__ import annotations

from pyramid.view import view_config

from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.models import Customer
from plugins.risk.i18n import _, word
from plugins.risk.models import HIT_STATUSES, MATCHES, BlacklistEntry, Hit
from plugins.risk.search import ENTRIES
from plugins.risk.services import blacklist
from plugins.risk.views.common import FORM_PAGE, TEMPLATES, choices, run_action, select_node, text_node


def entry_url(request, entry_id) -> str:
    return request.route_url("risk.entry", id=entry_id)


@view_config(route_name="risk.entries", renderer=LIST_PAGE, permission="risk.blacklist.view")
def entry_list(request):
    link = lambda request, e: entry_url(request, e.id)  # noqa: E731
    listing = Listing(request, restricted_query(request, BlacklistEntry), columns=[
        Column("id", "#", BlacklistEntry.id, link=link),
        Column("name", _("Name"), BlacklistEntry.name, link=link, wide=True),
        Column("id_number", _("ID number"), BlacklistEntry.id_number),
        Column("phone", _("Phone"), BlacklistEntry.phone),
        Column("email", _("Email"), BlacklistEntry.email, optional=True),
        Column("reason", _("Reason"), None, wide=True),
        Column("source", _("Source"), BlacklistEntry.source),
        Column("added_on", _("Added"), BlacklistEntry.added_on),
        Column("active", _("Active"), BlacklistEntry.active),
    ], filters=[
        ENTRIES.filter(_("Search")),
        Filter("active", _("Active"), lambda s, v: s.where(BlacklistEntry.active.is_(v == "yes")),
               (("yes", _("yes")), ("no", _("no")))),
    ], default_sort="-id", export_name="risk-blacklist")
    actions = [(_("Add an entry"), request.route_url("risk.entry_new"))] \
        if request.has_permission("risk.blacklist.manage") else []
    return render_listing(listing, title=_("Blacklist"), actions=actions)


class EntrySchema(CSRFSchema):
    name = text_node(_("Name"), missing=None)
    id_number = text_node(_("ID number"), _("DNI, NIE or NIF are validated and compacted; others are kept as "
                                            "typed."))
    phone = text_node(_("Phone"))
    email = text_node(_("Email"))
    reason = text_node(_("Reason"), rows=2, missing=None)
    source = text_node(_("Source"), _("Where the information comes from."))


@view_config(route_name="risk.entry_new", renderer=FORM_PAGE, permission="risk.blacklist.manage")
def entry_new(request):
    form = make_form(request, EntrySchema(), buttons=("add",))

    def add(data):
        entry = blacklist.add_entry(request.dbsession, **data)
        hits = len(request.dbsession.query(Hit).filter(Hit.entry_id == entry.id).all())
        flash(request, _("Entry added; ${n} customers matched it.", mapping={"n": hits}))
        return entry_url(request, entry.id)

    return page(_("Add to the blacklist"), process(request, form, add))


@view_config(route_name="risk.entry", renderer=TEMPLATES + "entry.pt", permission="risk.blacklist.view")
def entry_page(request):
    entry = get_visible_or_404(request, BlacklistEntry, request.matchdict["id"])
    hits = request.dbsession.query(Hit).filter(Hit.entry_id == entry.id).order_by(Hit.id).all()
    return {"title": entry.name, "entry": entry, "hits": hits, "word": word,
            "csrf": request.session.get_csrf_token(),
            "can_manage": entry.active and request.has_permission("risk.blacklist.manage"),
            "panels": record_panels(request, entry, can_edit=False)}


@view_config(route_name="risk.entry_remove", request_method="POST", permission="risk.blacklist.manage")
def entry_remove(request):
    entry = get_visible_or_404(request, BlacklistEntry, request.matchdict["id"])
    return run_action(request, lambda: blacklist.deactivate(request.dbsession, entry, request.POST.get("reason", "")),
                      _("Entry removed from the list."), entry_url(request, entry.id))


@view_config(route_name="risk.hits", renderer=LIST_PAGE, permission="risk.blacklist.view")
def hit_list(request):
    stmt = restricted_query(request, Hit).join(Customer, Customer.id == Hit.customer_id) \
        .join(BlacklistEntry, BlacklistEntry.id == Hit.entry_id).add_columns(Customer.name, BlacklistEntry.name)
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Hit.id, value=lambda r: r[0].id),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r[1],
               link=lambda request, r: request.route_url("lending.customer", id=r[0].customer_id), wide=True),
        Column("entry", _("Blacklist entry"), BlacklistEntry.name, value=lambda r: r[2],
               link=lambda request, r: entry_url(request, r[0].entry_id), wide=True),
        Column("match", _("Match"), Hit.match, value=lambda r: r[0].match, kind="label", domain="risk"),
        Column("similarity", _("Similarity"), Hit.similarity, value=lambda r: r[0].similarity, kind="number"),
        Column("found_on", _("Found"), Hit.found_on, value=lambda r: r[0].found_on),
        Column("status", _("Status"), Hit.status, value=lambda r: r[0].status, kind="label", domain="risk"),
        Column("note", _("Decision note"), None, value=lambda r: r[0].note, wide=True),
        Column("decide", _("Decision"), None, value=lambda r: _("decide") if r[0].status == "open" else "",
               link=lambda request, r: request.route_url("risk.hit_decide", id=r[0].id)
               if r[0].status == "open" and request.has_permission("risk.blacklist.manage") else None),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(Hit.status == v), tuple(choices(HIT_STATUSES))),
        Filter("match", _("Match"), lambda s, v: s.where(Hit.match == v), tuple(choices(MATCHES))),
    ], default_sort="-id", export_name="risk-hits")
    return render_listing(listing, title=_("Blacklist hits"),
                          intro=_("A hit is a question for a person: confirm a true match (the customer goes on "
                                  "watch) or clear a false one, saying why."))


class HitSchema(CSRFSchema):
    status = select_node(_("Decision"), [("confirmed", _("Confirm: the same person")),
                                         ("cleared", _("Clear: a different person"))])
    note = text_node(_("Why"), _("Kept with the decision."), rows=2, missing=None)


@view_config(route_name="risk.hit_decide", renderer=FORM_PAGE, permission="risk.blacklist.manage")
def hit_decide(request):
    hit = get_visible_or_404(request, Hit, request.matchdict["id"])
    form = make_form(request, HitSchema(), buttons=("decide",))

    def decide(data):
        blacklist.decide_hit(request.dbsession, hit, data["status"], data["note"])
        flash(request, _("Hit decided."))
        return request.route_url("risk.hits")

    intro = _("${customer} (${cid}) against ${entry}: ${match}, similarity ${score}.", mapping={
        "customer": hit.customer.name, "cid": hit.customer.id_number, "entry": hit.entry.name,
        "match": word(hit.match), "score": hit.similarity})
    return page(_("Blacklist hit ${id}", mapping={"id": hit.id}), process(request, form, decide), intro=intro)
