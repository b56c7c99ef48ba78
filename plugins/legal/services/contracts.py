"""Contracts: generated or uploaded, reviewed by tiers, frozen by hash when approved, signed against the hash.

The workflow is draft → in_review → approved → signed → active → expired /
terminated. Review tiers are data: every contract needs a lawyer
(``legal.contract.review``); a contract of a type listed in
``legal.review.head_types`` (default ``guarantee partner``) or worth at least
``legal.review.head_above`` (default 100000) also needs the head of legal
(``legal.contract.approve_high``), and not the same person. The owner never
approves their own contract.

The text is a core document; approving freezes the version under review and
its SHA-256. A signed copy is stored as a new version of the same document
and must carry the approved hash: either the copy is the approved file
itself (same bytes), or the hash the signer saw (printed on the signing
page, or returned by an e-signature provider's receipt) equals it. Any
change of the text or of the terms after approval — a new version uploaded
here or through the documents panel, a new value, other parties — sends the
contract back to review and clears its approvals.
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from core import context
from core.audit import record_event
from core.errors import ConflictError, UserError
from core.money import ZERO, money
from plugins.legal.i18n import _, word
from plugins.legal.models import CONTRACT_TYPES, FROZEN_STATUSES, RENEWAL_TYPES, Contract, ContractApproval, Signature
from plugins.legal.services import templates
from plugins.legal.services.common import can

LAWYER = "legal.contract.review"
HEAD = "legal.contract.approve_high"


# -- creating ---------------------------------------------------------------------------------------------

def _check_terms(contract_type, value, start_date, end_date, renewal_type, renewal_months, notice_days):
    if contract_type not in CONTRACT_TYPES:
        raise UserError(_("Choose a contract type."), "contract_type")
    if value is None or money(value) < ZERO:
        raise UserError(_("The value cannot be negative."), "value")
    if renewal_type not in RENEWAL_TYPES:
        raise UserError(_("Choose how the contract renews: none, express or tacit."), "renewal_type")
    if start_date and end_date and end_date < start_date:
        raise UserError(_("The end date is before the start date."), "end_date")
    if renewal_type != "none" and end_date is None:
        raise UserError(_("A contract that renews needs an end date."), "end_date")
    if renewal_type != "none" and not 1 <= int(renewal_months or 0) <= 120:
        raise UserError(_("The renewal period is between 1 and 120 months."), "renewal_months")
    if not 0 <= int(notice_days or 0) <= 3650:
        raise UserError(_("The notice period is between 0 and 3650 days."), "notice_days")


def create_contract(session, *, title: str, contract_type: str, owner_id: int | None, value=ZERO, parties="",
                    counterparty: str = "", loan_id: int | None = None, customer_id: int | None = None,
                    start_date: date | None = None, end_date: date | None = None, renewal_type: str = "none",
                    renewal_months: int = 12, notice_days: int = 30) -> Contract:
    title = (title or "").strip()
    if not title:
        raise UserError(_("Give the contract a title."), "title")
    _check_terms(contract_type, value, start_date, end_date, renewal_type, renewal_months, notice_days)
    contract = Contract(title=title[:200], contract_type=contract_type, owner_id=owner_id, value=money(value),
                        parties=_parties_text(parties), counterparty=(counterparty or "").strip()[:200],
                        loan_id=loan_id, customer_id=customer_id, start_date=start_date, end_date=end_date,
                        first_end_date=end_date, renewal_type=renewal_type, renewal_months=int(renewal_months or 12),
                        notice_days=int(notice_days or 0), status="draft")
    session.add(contract)
    session.flush()
    return contract


def _parties_text(parties) -> str:
    lines = parties.splitlines() if isinstance(parties, str) else list(parties)
    return "\n".join(dict.fromkeys(line.strip() for line in lines if line.strip()))


def party_list(contract: Contract) -> list[str]:
    return [p for p in contract.parties.splitlines() if p.strip()]


def _store_text(session, contract: Contract, data: bytes, filename: str, store, user_id):
    from core.documents import upload

    version = upload(session, store, stream=io.BytesIO(data), filename=filename, title=contract.title,
                     entity_type="legal.contract", entity_id=contract.id,
                     document_id=contract.document_id, user_id=user_id)
    contract.document_id = version.document_id
    return version


def generate(session, contract: Contract, version, values: dict, store, user_id: int | None = None):
    """Render ``version`` with ``values`` as the contract's text (a new version of its document)."""
    data, ext, _html = templates.render(session, version, values, store)
    contract.template_version_id = version.id
    stored = _store_text(session, contract, data, f"contract-{contract.id}.{ext}", store, user_id)
    _text_changed(session, contract, "generated")
    return stored


def revise_text(session, contract: Contract, data: bytes, filename: str, store, user_id: int | None = None):
    """Upload a new text (a redline, the counterparty's version): after approval it goes back to review."""
    if contract.status in ("expired", "terminated"):
        raise ConflictError(_("Contract ${id} has ended; its text can no longer change.",
                              mapping={"id": contract.id}), "status")
    stored = _store_text(session, contract, data, filename, store, user_id)
    _text_changed(session, contract, "text revised")
    return stored


def update_terms(session, contract: Contract, **changes) -> bool:
    """Change title, type, value, parties or dates; a change after approval sends it back to review."""
    if contract.status in ("expired", "terminated"):
        raise ConflictError(_("Contract ${id} has ended; its terms can no longer change.",
                              mapping={"id": contract.id}), "status")
    merged = {k: getattr(contract, k) for k in ("contract_type", "value", "start_date", "end_date", "renewal_type",
                                                  "renewal_months", "notice_days")}
    merged.update({k: v for k, v in changes.items() if k in merged})
    _check_terms(**merged)
    if "parties" in changes:
        changes["parties"] = _parties_text(changes["parties"])
    if "value" in changes:
        changes["value"] = money(changes["value"])
    changed = [k for k, v in changes.items() if getattr(contract, k) != v]
    for key in changed:
        setattr(contract, key, changes[key])
    if "end_date" in changed:
        contract.first_end_date, contract.renewals = contract.end_date, 0
    if changed:
        _text_changed(session, contract, "terms changed: " + ", ".join(sorted(changed)))
    return bool(changed)


def _text_changed(session, contract: Contract, why: str) -> None:
    """What was approved no longer holds: clear approvals; an approved contract goes back to review."""
    session.execute(update(ContractApproval).where(ContractApproval.contract_id == contract.id,
                                                   ContractApproval.current.is_(True))
                    .values(current=False).execution_options(synchronize_session="fetch"))
    if contract.status in FROZEN_STATUSES:
        contract.status = "in_review"
        contract.approved_sha256, contract.approved_version = "", None
        record_event(session, "back_to_review", "legal.contract", contract.id, {"why": why})
    session.flush()


# -- review -----------------------------------------------------------------------------------------------

def required_levels(session, contract: Contract) -> int:
    head_above = Decimal(str(context.settings(session).get("legal.review.head_above", "100000")))
    head_types = str(context.settings(session).get("legal.review.head_types", "guarantee partner")).split()
    return 2 if contract.value >= head_above or contract.contract_type in head_types else 1


def _current_version(session, contract: Contract):
    from core.models.document import Document, DocumentVersion

    if contract.document_id is None:
        raise UserError(_("Generate or upload the contract's text first."), "document")
    document = session.get(Document, contract.document_id)
    return session.scalar(select(DocumentVersion).where(DocumentVersion.document_id == document.id,
                                                        DocumentVersion.number == document.current_version))


def submit(session, contract: Contract) -> Contract:
    if contract.status != "draft":
        raise ConflictError(_("Only a draft goes to review (contract ${id} is ${status}).",
                              mapping={"id": contract.id, "status": word(contract.status)}), "status")
    _current_version(session, contract)
    if not party_list(contract):
        raise UserError(_("Name the parties who sign, one a line."), "parties")
    contract.status = "in_review"
    contract.review_levels = required_levels(session, contract)
    session.flush()
    return contract


def current_approvals(contract: Contract) -> list[ContractApproval]:
    return [a for a in contract.approvals if a.current and a.decision == "approved"]


def next_level(contract: Contract) -> int:
    return len(current_approvals(contract)) + 1


def can_review(session, contract: Contract, user) -> str | None:
    """Why ``user`` may not decide the contract's next level now, or None when they may."""
    if contract.status != "in_review":
        return _("Contract ${id} is not in review.", mapping={"id": contract.id})
    if user.id == contract.owner_id:
        return _("You own this contract; another lawyer reviews it.")
    level = next_level(contract)
    if level >= 2 and not can(session, user, HEAD):
        return _("This contract also needs the head of legal's approval.")
    if level == 1 and not can(session, user, LAWYER):
        return _("Only a lawyer reviews contracts.")
    if any(a.user_id == user.id for a in current_approvals(contract)):
        return _("You approved the previous level; another person approves this one.")
    return None


def decide(session, contract: Contract, user, approve: bool, comment: str = "") -> Contract:
    """The reviewer's decision at the next level. Rejection returns the contract to draft."""
    refusal = can_review(session, contract, user)
    if refusal:
        raise ConflictError(refusal, "status")
    if not approve and not (comment or "").strip():
        raise UserError(_("Say what must change before approval."), "comment")
    version = _current_version(session, contract)
    earlier = current_approvals(contract)
    if earlier and earlier[-1].text_sha256 != version.sha256:
        _text_changed(session, contract, "text changed between levels")
        earlier = []
    level = len(earlier) + 1
    session.add(ContractApproval(contract_id=contract.id, level=level, user_id=user.id,
                                 decision="approved" if approve else "rejected", comment=(comment or "").strip(),
                                 text_sha256=version.sha256))
    session.flush()
    session.refresh(contract, ["approvals"])
    if not approve:
        _text_changed(session, contract, "rejected")
        contract.status = "draft"
    elif level >= contract.review_levels:
        contract.status = "approved"
        contract.approved_version, contract.approved_sha256 = version.number, version.sha256
        record_event(session, "contract_approved", "legal.contract", contract.id,
                     {"sha256": version.sha256, "version": version.number})
        session.flush()
        context.hooks(session).legal_contract_approved(contract=contract)
    session.flush()
    return contract


# -- the frozen text and signatures -----------------------------------------------------------------------

def check_frozen(session, contract: Contract) -> bool:
    """True when the approved text is untouched; otherwise the contract goes back to review (and False).

    A version of the document newer than the approved one that is not a
    recorded signed copy is a change of the text (someone uploaded it through
    the documents panel)."""
    if contract.status not in FROZEN_STATUSES:
        return True
    from core.models.document import DocumentVersion

    numbers = set(session.scalars(select(DocumentVersion.number).where(
        DocumentVersion.document_id == contract.document_id, DocumentVersion.number > contract.approved_version)))
    signed = {s.document_version for s in contract.signatures}
    if numbers - signed:
        _text_changed(session, contract, "a new version of the text was uploaded")
        return False
    return True


def changed_behind_review(session, contract_ids) -> set[int]:
    """Of ``contract_ids`` (approved, signed or active; a list or a SELECT of ids), those whose document has
    a version after the approved one that is not a signed copy — one query, whatever the number of contracts."""
    from sqlalchemy import and_, exists

    from core.models.document import DocumentVersion

    if isinstance(contract_ids, list | set | tuple) and not contract_ids:
        return set()
    signed = exists().where(Signature.contract_id == Contract.id,
                            Signature.document_version == DocumentVersion.number)
    rows = session.scalars(select(Contract.id).join(DocumentVersion, and_(
        DocumentVersion.document_id == Contract.document_id, DocumentVersion.number > Contract.approved_version))
        .where(Contract.id.in_(contract_ids), ~signed).distinct())
    return set(rows)


def sign(session, contract: Contract, *, party: str, data: bytes, filename: str, store, signed_on: date,
         signed_text_sha256: str = "", method: str = "scan", user_id: int | None = None) -> Signature:
    """Store one party's signed copy and check it against the approved hash."""
    return sign_envelope(session, contract, parties=[party], data=data, filename=filename, store=store,
                         signed_on=signed_on, signed_text_sha256=signed_text_sha256, method=method,
                         user_id=user_id)[0]


def sign_envelope(session, contract: Contract, *, parties: list[str], data: bytes, filename: str, store,
                  signed_on: date, signed_text_sha256: str = "", method: str = "scan",
                  user_id: int | None = None) -> list[Signature]:
    """One signed copy for several parties (an e-signature envelope every party signed, or a paper copy
    signed at one table): stored once, one signature per party, each checked against the approved hash.

    The copy proves the approved text when it is that very file (same bytes), or when the hash the
    signers saw — printed on the signing page, or in the e-signature provider's receipt — is the
    approved one. Anything else was signed on another text and is refused, nothing stored."""
    if contract.status not in ("approved", "signed", "active"):
        raise ConflictError(_("Contract ${id} must be approved before it is signed.", mapping={"id": contract.id}),
                            "status")
    if not check_frozen(session, contract):
        raise ConflictError(_("The contract's text changed after approval; it went back to review."), "status")
    parties = [(p or "").strip() for p in parties]
    known, signed = party_list(contract), {s.party for s in contract.signatures}
    for party in parties:
        if party not in known:
            raise UserError(_("Choose one of the contract's parties."), "party")
        if party in signed:
            raise ConflictError(_("${party} has already signed.", mapping={"party": party}), "party")
    if not parties or len(set(parties)) != len(parties):
        raise UserError(_("Choose the parties who signed this copy, each once."), "party")
    if not data:
        raise UserError(_("Upload the signed copy."), "file")
    import hashlib

    copy_sha = hashlib.sha256(data).hexdigest()
    declared = (signed_text_sha256 or "").strip().lower()
    if copy_sha != contract.approved_sha256 and declared != contract.approved_sha256:
        raise ConflictError(_("This copy was not signed on the approved text: its hash does not match "
                              "${hash}. Have the party sign the approved version.",
                              mapping={"hash": contract.approved_sha256[:16]}), "signed_text_sha256")
    stored = _store_text(session, contract, data, filename, store, user_id)
    rows = [Signature(contract_id=contract.id, party=party, method=method, signed_on=signed_on,
                      document_version=stored.number, copy_sha256=copy_sha,
                      signed_text_sha256=contract.approved_sha256, recorded_by_id=user_id) for party in parties]
    session.add_all(rows)
    session.flush()
    session.refresh(contract, ["signatures"])
    if contract.status == "approved" and {s.party for s in contract.signatures} >= set(known):
        contract.status = "signed"
        record_event(session, "contract_signed", "legal.contract", contract.id, {"sha256": contract.approved_sha256})
        session.flush()
        context.hooks(session).legal_contract_signed(contract=contract)
        activate_if_started(session, contract, context.today(session))
    return rows


def activate_if_started(session, contract: Contract, today: date) -> bool:
    if contract.status == "signed" and (contract.start_date is None or contract.start_date <= today):
        contract.status = "active"
        if contract.start_date is None:
            contract.start_date = today
        session.flush()
        return True
    return False


# -- generated loan agreements ----------------------------------------------------------------------------

def loan_values(loan) -> dict:
    """The fields a loan agreement fills, as text in the company's language (core.formatting)."""
    from core.formatting import current

    fmt = current()
    investors = sorted({h.investor.name for h in loan.holdings})
    first_due = loan.installments[0].due_date if loan.installments else loan.disbursed_on
    return {"loan_number": str(loan.id), "borrower_name": loan.customer.name,
            "borrower_id_number": loan.customer.id_number, "principal": fmt.money(loan.principal),
            "annual_rate": fmt.percent(loan.annual_rate), "term_months": str(loan.term_months),
            "disbursed_on": fmt.date(loan.disbursed_on), "first_due_date": fmt.date(first_due),
            "repayment_method": loan.repayment_method, "investors": ", ".join(investors) or "-"}


def generate_for_loan(session, loan, store) -> Contract | None:
    """The loan agreement of a loan at disbursement (borrower and investors as parties), sent to review.

    Returns None when legal has no active loan-agreement template yet: the loan
    is disbursed either way (lending never waits for legal). It has no end date:
    it lasts as long as the debt (the schedule is in the text), so the daily job
    never expires it."""
    from core.formatting import current

    template = templates.template_for(session, "loan_agreement")
    if template is None or session.scalar(select(Contract.id).where(Contract.loan_id == loan.id,
                                                                    Contract.contract_type == "loan_agreement")):
        return None
    version = templates.current_version(session, template)
    investors = sorted({h.investor.name for h in loan.holdings})
    contract = create_contract(session, title=current().translate(_("Loan agreement ${id}", mapping={"id": loan.id})),
                               contract_type="loan_agreement", owner_id=None, value=loan.principal,
                               parties=[loan.customer.name, *investors], counterparty=loan.customer.name,
                               loan_id=loan.id, customer_id=loan.customer_id, start_date=loan.disbursed_on)
    generate(session, contract, version, loan_values(loan), store)
    submit(session, contract)
    return contract


# -- partner agreements made in crm (crm_partner_agreement_created) ---------------------------------------

PARTNER_FIELDS = ("agreement_number", "agreement_title", "partner_name", "terms", "valid_until")


def partner_agreement_values(agreement) -> dict:
    """The fields a partner-agreement template may use, from crm's agreement (read, never imported)."""
    from core.formatting import current

    fmt = current()
    return {"agreement_number": str(agreement.id), "agreement_title": agreement.title,
            "partner_name": agreement.partner.name, "terms": (agreement.terms or "").strip() or "-",
            "valid_until": fmt.date(agreement.valid_until) if agreement.valid_until else "-"}


def create_for_partner_agreement(session, agreement, store) -> Contract:
    """A draft contract of type partner for a partner agreement crm just created.

    Its text is generated from legal's active partner template when there is one and it can be filled
    (else legal uploads the text); it stays a draft: a lawyer submits it to review. The partner is the
    counterparty and a party; legal adds the company's signatory to the parties before review."""
    partner = agreement.partner
    contract = create_contract(session, title=agreement.title, contract_type="partner", owner_id=None,
                               parties=[partner.name], counterparty=partner.name,
                               customer_id=getattr(partner, "customer_id", None), end_date=agreement.valid_until)
    record_event(session, "contract_from_partner_agreement", "legal.contract", contract.id,
                 {"agreement": agreement.id})
    template = templates.template_for(session, "partner")
    if template is not None:
        try:
            version = templates.current_version(session, template)
            templates.check_values(version, partner_agreement_values(agreement))
        except UserError:
            return contract  # no published version, or a field crm cannot fill: legal writes the text
        generate(session, contract, version, partner_agreement_values(agreement), store)
    return contract


# -- e-signature providers (plugins.legal.signing) ---------------------------------------------------------

def gateways(session) -> dict:
    return {g.name: g for group in context.hooks(session).legal_signature_gateways() for g in (group or [])}


def send_for_signature(session, contract: Contract, gateway_name: str, store) -> str:
    """Hand the approved text to an e-signature provider; the daily job collects the signed envelope."""
    from core.documents import open_version
    from core.models.document import Document

    gateway = gateways(session).get(gateway_name)
    if gateway is None:
        raise UserError(_("No e-signature provider named ${name} is enabled.", mapping={"name": gateway_name}),
                        "gateway")
    if contract.status != "approved" or not check_frozen(session, contract):
        raise ConflictError(_("Contract ${id} must be approved before it is signed.", mapping={"id": contract.id}),
                            "status")
    if contract.signature_envelope:
        raise ConflictError(_("Contract ${id} is already out for signature.", mapping={"id": contract.id}),
                            "status")
    version, stream = open_version(session, store, session.get(Document, contract.document_id),
                                   contract.approved_version)
    with stream:
        data = stream.read()
    envelope = gateway.send(contract_id=contract.id, title=contract.title, document=data,
                            filename=version.filename, parties=party_list(contract))
    contract.signature_gateway, contract.signature_envelope = gateway.name, str(envelope)[:100]
    record_event(session, "sent_for_signature", "legal.contract", contract.id,
                 {"gateway": gateway.name, "envelope": contract.signature_envelope})
    session.flush()
    return contract.signature_envelope


def collect_signatures(session, contract: Contract, store) -> list[Signature]:
    """Store a completed envelope's signed copy, checked against the approved hash ([] while incomplete)."""
    gateway = gateways(session).get(contract.signature_gateway)
    if gateway is None or not contract.signature_envelope:
        return []
    envelope = gateway.fetch(contract.signature_envelope)
    if envelope is None:
        return []
    signed = sign_envelope(session, contract, parties=envelope.parties, data=envelope.data,
                           filename=envelope.filename, store=store, signed_on=envelope.signed_on,
                           signed_text_sha256=envelope.document_sha256, method=gateway.name)
    contract.signature_envelope = ""
    session.flush()
    return signed
