"""crm's panel on lending's customer page (hook ``lending_customer_panels``): the account, its owner,
its open pipeline. Two indexed queries."""
from __future__ import annotations

from sqlalchemy import func, select

from core.formatting import for_request
from plugins.crm.i18n import _
from plugins.crm.models import Account, Opportunity
from plugins.lending.panels import CustomerPanel


def customer_panels(request, customer) -> list[CustomerPanel]:
    if not request.has_permission("crm.account.view"):
        return []
    session = request.dbsession
    account = session.scalars(select(Account).where(Account.customer_id == customer.id)).first()
    title = _("Market development")
    if account is None:
        return [CustomerPanel(title, "crm.account.view", empty=_("No CRM account is linked to this customer."),
                              order=60)]
    fmt = for_request(request)
    count, amount = session.execute(select(func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
                                    .where(Opportunity.account_id == account.id,
                                           Opportunity.status == "open")).one()
    rows = [(_("Account"), account.name), (_("Owner"), account.owner.username if account.owner else "—"),
            (_("Tier"), account.tier), (_("Open opportunities"), fmt.number(count)),
            (_("Open pipeline"), fmt.money(amount))]
    return [CustomerPanel(title, "crm.account.view", rows=rows, link=request.route_url("crm.account", id=account.id),
                          order=60)]
