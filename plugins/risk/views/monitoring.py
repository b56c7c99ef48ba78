"""The monitoring queue: early-warning signals and the analyst's follow-up."""
from __future__ import annotations

import colander
from pyramid.view import view_config

from core.security import get_visible_or_404, restricted_query
from core.web.forms import CSRFSchema, make_form, page, process
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from core.web.shell import flash
from plugins.lending.models import Customer
from plugins.risk.i18n import _, word
from plugins.risk.models import SIGNAL_KINDS, SIGNAL_STATUSES, Signal
from plugins.risk.services import monitoring
from plugins.risk.views.common import FORM_PAGE, choices, text_node


@view_config(route_name="risk.signals", renderer=LIST_PAGE, permission="risk.signal.view")
def signal_list(request):
    stmt = restricted_query(request, Signal).join(Customer, Customer.id == Signal.customer_id) \
        .add_columns(Customer.name)
    handle = lambda request, r: request.route_url("risk.signal", id=r[0].id)  # noqa: E731
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Signal.id, value=lambda r: r[0].id, link=handle),
        Column("raised_on", _("Raised"), Signal.raised_on, value=lambda r: r[0].raised_on),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.name, wide=True,
               link=lambda request, r: request.route_url("lending.customer", id=r[0].customer_id)),
        Column("loan", _("Loan"), Signal.loan_id, value=lambda r: r[0].loan_id),
        Column("kind", _("Signal"), Signal.kind, value=lambda r: r[0].kind, kind="label", domain="risk", card="key"),
        Column("detail", _("Detail"), None, value=lambda r: r[0].detail, wide=True),
        Column("status", _("Status"), Signal.status, value=lambda r: r[0].status, kind="label", domain="risk"),
        Column("follow_up", _("Follow-up"), None, value=lambda r: r[0].follow_up, wide=True, optional=True),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(Signal.status == v), tuple(choices(SIGNAL_STATUSES))),
        Filter("kind", _("Signal"), lambda s, v: s.where(Signal.kind == v), tuple(choices(SIGNAL_KINDS))),
    ], default_sort="-id", export_name="risk-signals")
    return render_listing(listing, title=_("Monitoring signals"))


class FollowUpSchema(CSRFSchema):
    follow_up = text_node(_("Follow-up"), _("What was done about the signal."), rows=3, missing=None)
    watch = colander.SchemaNode(colander.Boolean(), title=_("Put the borrower on watch"), missing=False,
                                description=_("Raises their risk level to high and refers their new applications."))


@view_config(route_name="risk.signal", renderer=FORM_PAGE, permission="risk.signal.handle")
def signal_page(request):
    signal = get_visible_or_404(request, Signal, request.matchdict["id"])
    form = make_form(request, FollowUpSchema(), buttons=("close",))

    def close(data):
        monitoring.close_signal(request.dbsession, signal, data["follow_up"], watch=data["watch"])
        flash(request, _("Signal closed."))
        return request.route_url("risk.signals")

    intro = _("${customer}: ${kind} on ${day} — ${detail}", mapping={
        "customer": signal.customer.name, "kind": word(signal.kind), "day": signal.raised_on.isoformat(),
        "detail": signal.detail})
    return page(_("Signal ${id}", mapping={"id": signal.id}), process(request, form, close), intro=intro)
