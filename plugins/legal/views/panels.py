"""Legal's panel on a customer's page (lending's ``lending_customer_panels``): their contracts and matters."""
from __future__ import annotations

from sqlalchemy import select

from core.formatting import for_request
from core.security import restricted_query
from plugins.legal.i18n import _
from plugins.legal.models import Contract, Matter
from plugins.lending.panels import CustomerPanel


def customer_panels(request, customer) -> list[CustomerPanel]:
    fmt, session, out = for_request(request), request.dbsession, []
    if request.has_permission("legal.contract.view"):
        rows = session.scalars(select(Contract).where(Contract.customer_id == customer.id)
                               .order_by(Contract.id.desc()).limit(10)).all()
        out.append(CustomerPanel(_("Contracts"), "legal.contract.view",
                                 rows=[(c.title, f"{fmt.label(c.status, 'legal')} · {fmt.money(c.value)}")
                                       for c in rows],
                                 link=request.route_url("legal.contracts", _query={"customer": customer.id}),
                                 empty=_("No contracts."), order=400))
    if request.has_permission("legal.matter.view"):
        rows = session.scalars(restricted_query(request, Matter, Matter.customer_id == customer.id)
                               .order_by(Matter.id.desc()).limit(10)).all()
        out.append(CustomerPanel(_("Legal matters"), "legal.matter.view",
                                 rows=[(m.title, f"{fmt.label(m.status, 'legal')} · {fmt.money(m.recovered)}")
                                       for m in rows],
                                 link=request.route_url("legal.matters", _query={"customer": customer.id}),
                                 empty=_("No legal matters."), order=401))
    return out
