"""Hooks the ``legal`` plugin calls, for other departments to implement.

Every hook is called with keyword arguments **inside legal's transaction**:
what an implementation writes commits or rolls back with the legal operation;
an implementation raising :class:`core.errors.UserError` refuses it. A plugin
that is not enabled does not answer. Implementations receive ORM objects of
:mod:`plugins.legal.models`; read them, change them only through
:mod:`plugins.legal.services`. Documented in docs/plugins/legal.md.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.legal.models import Contract, Matter


@hookspec
def legal_contract_approved(contract: Contract) -> None:
    """React to a contract whose last review level approved it.

    Called once per approval, by :func:`plugins.legal.services.contracts.decide`, after the text's hash
    is frozen. ``contract.status`` is ``"approved"``; ``contract.approved_sha256`` is the
    frozen text's hash. CRM may mark a partner agreement ready to sign here.
    Returns nothing.
    """


@hookspec
def legal_contract_signed(contract: Contract) -> None:
    """React to a contract every party has signed.

    Called once, when the last party's signed copy is recorded (each copy matched the approved hash);
    ``contract.status`` is ``"signed"``, and ``"active"`` right after when its start date has come.
    Returns nothing.
    """


@hookspec
def legal_contract_expiring(contract: Contract, kind: str, deadline: date, days_before: int) -> None:
    """React to a reminder the daily job sent about an active contract.

    Called by the daily job ``legal.daily`` for each reminder it sends. ``kind`` is ``"notice_deadline"`` (the last day to give notice against a
    renewal, computed from the current end date) or ``"end_date"``;
    ``days_before`` the lead time reached (``legal.reminder_days``). Called once
    per contract, kind, deadline and lead time. Returns nothing.
    """


@hookspec
def legal_signature_gateways() -> list:
    """Offer e-signature providers to legal.

    Called when a contract is sent for signing and by the daily job that collects completed
    envelopes. Return objects shaped like :class:`plugins.legal.signing.SignatureGateway`
    (a ``name``, ``send`` and ``fetch``). Returns a list (may be empty).
    """


@hookspec
def legal_matter_opened(matter: Matter) -> None:
    """React to a litigation or arbitration matter just opened.

    Called once per matter, opened by hand or from a collections escalation (then
    ``matter.collections_case_id`` is set). Returns nothing.
    """


@hookspec
def legal_matter_closed(matter: Matter) -> None:
    """React to a matter closed.

    Called once, when the matter moves to ``"closed"``: ``matter.outcome``, ``awarded`` and
    ``recovered`` are final. Returns nothing.
    """
