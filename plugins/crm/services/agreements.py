"""Partner agreements: a simple record with the signed document attached (core's documents panel).

With a contracts department enabled the agreement would be its contract of type partner agreement; crm
does not depend on it, so the record stays here and others may link to it by id.
"""
from __future__ import annotations

from datetime import date

from core.errors import UserError
from plugins.crm.i18n import _
from plugins.crm.models import Account, Agreement


def create_agreement(session, partner: Account, title: str, signed_on: date | None = None,
                     valid_until: date | None = None, terms: str = "") -> Agreement:
    if partner.kind != "partner":
        raise UserError(_("Agreements are made with partner accounts."), "partner_id")
    title = (title or "").strip()
    if not title:
        raise UserError(_("Give the agreement a title."), "title")
    if signed_on and valid_until and valid_until < signed_on:
        raise UserError(_("An agreement ends after it is signed."), "valid_until")
    agreement = Agreement(partner=partner, title=title, signed_on=signed_on, valid_until=valid_until,
                          terms=terms or "")
    session.add(agreement)
    session.flush()
    return agreement
