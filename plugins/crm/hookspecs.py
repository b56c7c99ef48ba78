"""Hooks the ``crm`` plugin calls, for other departments to implement (docs/plugins/crm.md).

Called with keyword arguments inside the caller's transaction, like lending's:
an implementation's writes commit or roll back with the opportunity's change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.crm.models import Agreement, Opportunity


@hookspec
def crm_opportunity_won(opportunity: Opportunity) -> None:
    """React to an opportunity won: lending funded the application it became.

    Called once per opportunity, inside lending's ``lending_application_funded`` (or when an
    application already funded is linked), after the contributors were credited and the partner's
    commission accrued.
    ``opportunity.status`` is ``"won"``, ``won_amount`` the funded amount,
    ``application_id`` lending's application and ``partner_id`` the partner
    account that brought it (or None). Marketing may attribute the conversion
    here. Returns nothing.
    """


@hookspec
def crm_opportunity_lost(opportunity: Opportunity) -> None:
    """React to an opportunity marked lost.

    Called once, when a person (or the API) marks an open opportunity lost with a reason.
    ``opportunity.status`` is ``"lost"`` and ``lost_reason`` one of
    :data:`plugins.crm.models.LOST_REASONS`. Returns nothing.
    """


@hookspec(firstresult=True)
def crm_partner_agreement_created(agreement: Agreement) -> str | None:
    """Make a new partner agreement a contract in a contracts department (legal, when enabled).

    Called once, by :func:`plugins.crm.services.agreements.create_agreement`, after the agreement
    is flushed (it has an id, ``partner`` and ``title``). An implementation creates its own record
    (legal: a draft contract of type partner, its text generated from legal's partner template when
    there is one) and returns that record's reference ``"<entity type>:<id>"``, e.g.
    ``"legal.contract:42"``: crm stores it, links to it from the agreement's page and, when the
    contract is signed, marks the agreement signed (see ``legal_contract_signed``). Return None
    to leave the agreement a simple record. The first non-None answer wins.
    """
