"""Seal usage authorization: the register of seals, requests, approvals, each use and each return.

A request names the seal, the exact document (an approved contract version,
by its frozen hash, or an uploaded file, by its version's hash), the copies
and whether the seal leaves the office (then a return date is required).
The applicant never approves their own request; only the seal's custodian
records its use, and only of the document approved; a seal out past its
return date is overdue (dashboard and the daily reminders).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import context
from core.audit import record_event
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from plugins.legal.i18n import _
from plugins.legal.models import SEAL_KINDS, Contract, Seal, SealRequest, SealUse
from plugins.legal.services.common import can

APPROVE = "legal.seal.approve"


def create_seal(session, name: str, kind: str, custodian_id: int) -> Seal:
    if not (name or "").strip():
        raise UserError(_("Name the seal."), "name")
    if kind not in SEAL_KINDS:
        raise UserError(_("Choose the kind of seal."), "kind")
    if not custodian_id:
        raise UserError(_("Choose the seal's custodian."), "custodian_id")
    seal = Seal(name=name.strip()[:200], kind=kind, custodian_id=custodian_id)
    session.add(seal)
    session.flush()
    return seal


def request_use(session, *, seal: Seal, applicant_id: int, purpose: str, copies: int = 1,
                contract: Contract | None = None, document_id: int | None = None, takes_out: bool = False,
                return_due: date | None = None, today: date | None = None) -> SealRequest:
    today = today or context.today(session)
    if not seal.active:
        raise UserError(_("Seal ${name} is no longer in use.", mapping={"name": seal.name}), "seal_id")
    if not (purpose or "").strip():
        raise UserError(_("Say what the seal is for."), "purpose")
    if not 1 <= int(copies or 0) <= 500:
        raise UserError(_("The number of copies is between 1 and 500."), "copies")
    if (contract is None) == (document_id is None):
        raise UserError(_("Name the document to be sealed: an approved contract or an uploaded file."),
                        "contract_id")
    if contract is not None:
        if contract.status not in ("approved", "signed", "active") or not contract.approved_sha256:
            raise ConflictError(_("Contract ${id} is not approved; only an approved text is sealed.",
                                  mapping={"id": contract.id}), "contract_id")
        sha = contract.approved_sha256
    else:
        from core.models.document import Document, DocumentVersion

        document = session.get(Document, document_id)
        if document is None or document.deleted:
            raise UserError(_("Choose an existing document."), "document_id")
        sha = session.scalar(select(DocumentVersion.sha256).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == document.current_version))
    if takes_out and (return_due is None or return_due < today):
        raise UserError(_("A seal that leaves the office needs a return date, today or later."), "return_due")
    request = SealRequest(seal_id=seal.id, applicant_id=applicant_id, contract_id=contract.id if contract else None,
                          document_id=document_id, document_sha256=sha, purpose=purpose.strip(),
                          copies=int(copies), takes_out=bool(takes_out), return_due=return_due if takes_out else None,
                          requested_on=today)
    session.add(request)
    session.flush()
    return request


def decide(session, request: SealRequest, approver, approve: bool, note: str = "") -> SealRequest:
    if request.status != "requested":
        raise ConflictError(_("Request ${id} was already decided.", mapping={"id": request.id}), "status")
    if approver.id == request.applicant_id:
        raise ConflictError(_("You applied for this seal; someone else approves the request."), "approver")
    if not can(session, approver, APPROVE):
        raise ConflictError(_("Only the head of legal or an authorized approver decides seal requests."),
                            "approver")
    if not approve and not (note or "").strip():
        raise UserError(_("Say why the request is rejected."), "note")
    request.status = "approved" if approve else "rejected"
    request.approver_id, request.decided_at, request.decision_note = approver.id, utcnow(), (note or "").strip()
    session.flush()
    return request


def record_use(session, request: SealRequest, custodian, used_on: date, document_sha256: str = "") -> SealUse:
    """The custodian stamps the approved document; a seal leaving the office is marked out."""
    seal = request.seal
    if request.status != "approved":
        raise ConflictError(_("Request ${id} is not approved.", mapping={"id": request.id}), "status")
    if custodian.id != seal.custodian_id:
        raise ConflictError(_("Only the custodian of ${seal} records its use.", mapping={"seal": seal.name}),
                            "custodian")
    if document_sha256 and document_sha256.strip().lower() != request.document_sha256:
        raise ConflictError(_("That is not the document approved for sealing (the hash differs)."),
                            "document_sha256")
    if request.contract_id is not None:
        contract = session.get(Contract, request.contract_id)
        if contract.approved_sha256 != request.document_sha256:
            raise ConflictError(_("The contract's text changed since the request; ask again for its new "
                                  "approved version."), "contract_id")
    if request.takes_out and seal.out_request_id is not None:
        raise ConflictError(_("${seal} is out of the office; it must come back first.", mapping={"seal": seal.name}),
                            "seal_id")
    use = SealUse(request_id=request.id, seal_id=seal.id, custodian_id=custodian.id, used_on=used_on,
                  copies=request.copies, document_sha256=request.document_sha256, taken_out=request.takes_out,
                  return_due=request.return_due)
    session.add(use)
    request.status = "used"
    if request.takes_out:
        seal.out_request_id = request.id
    session.flush()
    record_event(session, "seal_used", "legal.seal", seal.id, {"request": request.id, "copies": request.copies,
                                                               "sha256": request.document_sha256})
    return use


def record_return(session, seal: Seal, custodian, returned_on: date) -> SealUse:
    if seal.out_request_id is None:
        raise ConflictError(_("${seal} is in the office.", mapping={"seal": seal.name}), "seal_id")
    if custodian.id != seal.custodian_id:
        raise ConflictError(_("Only the custodian of ${seal} records its return.", mapping={"seal": seal.name}),
                            "custodian")
    use = session.scalar(select(SealUse).where(SealUse.request_id == seal.out_request_id))
    use.returned_on = returned_on
    use.request.status = "returned"
    seal.out_request_id = None
    session.flush()
    return use


def overdue(session, today: date) -> list[SealUse]:
    """Seals out of the office past their return date."""
    return list(session.scalars(select(SealUse).where(SealUse.taken_out.is_(True), SealUse.returned_on.is_(None),
                                                      SealUse.return_due < today).order_by(SealUse.return_due)))


def remind_overdue(session, today: date, leads) -> int:
    from core.formatting import current
    from plugins.legal.services import reminders

    sent = 0
    for use in session.scalars(select(SealUse).where(SealUse.taken_out.is_(True), SealUse.returned_on.is_(None))):
        text = _("${seal} was taken out under request ${id} and is due back on ${date}.",
                 mapping={"seal": use.seal.name, "id": use.request_id, "date": current().date(use.return_due)})
        for user_id in {use.seal.custodian_id, use.request.applicant_id}:
            if reminders.remind(session, entity_type="legal.seal", entity_id=use.seal_id, kind=f"return:{user_id}",
                                deadline=use.return_due, today=min(today, use.return_due), user_id=user_id,
                                text=text, leads=leads + [0]) is not None:
                sent += 1
    return sent
