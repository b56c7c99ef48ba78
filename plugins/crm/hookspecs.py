"""Hooks the ``crm`` plugin calls, for other departments to implement (docs/plugins/crm.md).

Called with keyword arguments inside the caller's transaction, like lending's:
an implementation's writes commit or roll back with the opportunity's change.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.crm.models import Opportunity


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
