"""Partner agreements: a simple record with the signed document attached (core's documents panel), or,
with a contracts department enabled (legal), the link to its contract of type partner agreement.

crm does not import legal: it asks through its own hook ``crm_partner_agreement_created`` whether
another plugin makes the agreement a contract, stores the reference it answers
(``"legal.contract:42"``) and learns that the contract is signed through legal's
``legal_contract_signed`` (an optional hook crm implements).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import context
from core.audit import record_event
from core.errors import UserError
from plugins.crm.i18n import _
from plugins.crm.models import Account, Agreement

AGREEMENT_STATUSES = ("draft", "signed", "active")
STATUS_WORDS = {"draft": _("draft"), "signed": _("signed"), "active": _("active")}


def status_label(status: str):
    return STATUS_WORDS.get(status, status)


def create_agreement(session, partner: Account, title: str, signed_on: date | None = None,
                     valid_until: date | None = None, terms: str = "") -> Agreement:
    """A partner agreement. One already signed on paper (``signed_on``) is a simple record, active; one
    not signed yet is offered to a contracts department, whose contract's signature activates it."""
    if partner.kind != "partner":
        raise UserError(_("Agreements are made with partner accounts."), "partner_id")
    title = (title or "").strip()
    if not title:
        raise UserError(_("Give the agreement a title."), "title")
    if signed_on and valid_until and valid_until < signed_on:
        raise UserError(_("An agreement ends after it is signed."), "valid_until")
    agreement = Agreement(partner=partner, title=title, signed_on=signed_on, valid_until=valid_until,
                          terms=terms or "", status="active" if signed_on else "draft", contract_ref="")
    session.add(agreement)
    session.flush()
    if signed_on is None:
        ref = context.hooks(session).crm_partner_agreement_created(agreement=agreement)
        if ref:
            agreement.contract_ref = str(ref)[:60]
            session.flush()
    return agreement


def contract_ref(entity_type: str, entity_id: int) -> str:
    return f"{entity_type}:{entity_id}"


def split_ref(ref: str) -> tuple[str, int] | None:
    """``"legal.contract:42"`` -> ("legal.contract", 42); None for an empty or malformed reference."""
    kind, _sep, number = (ref or "").rpartition(":")
    return (kind, int(number)) if kind and number.isdigit() else None


def on_contract_signed(session, ref: str, *, signed_on: date, in_force: bool,
                       valid_until: date | None = None) -> Agreement | None:
    """The contract ``ref`` was signed by every party: its agreement is signed (active once in force)."""
    agreement = session.scalar(select(Agreement).where(Agreement.contract_ref == ref))
    if agreement is None or agreement.status == "active":
        return agreement
    agreement.status = "active" if in_force else "signed"
    agreement.signed_on = signed_on
    if valid_until is not None:
        agreement.valid_until = valid_until
    session.flush()
    record_event(session, "agreement_signed", "crm.agreement", agreement.id,
                 {"contract": ref, "status": agreement.status})
    return agreement
