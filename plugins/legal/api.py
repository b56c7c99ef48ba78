"""Legal's JSON API under ``/api/v1/legal`` (the convention: docs/api.md).

Contracts (list, record with approvals and signatures, the review decision), matters (list,
record with the calendar, recoveries posted to the loan). Every handler calls the services the
screens call; their refusals become problems. Record rules apply as on the screens: a lawyer
sees the matters assigned to them.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.api import DATE, DATETIME, ID, MONEY, Filter, Listing, Operation, Reply, array, nullable, obj, text
from core.security import get_visible_or_404, restricted_query
from plugins.legal.i18n import _
from plugins.legal.models import CONTRACT_STATUSES, CONTRACT_TYPES, MATTER_STATUSES, RENEWAL_TYPES, Contract, Matter
from plugins.legal.services import contracts, matters

P = "legal."
COUNT = {"type": "integer", "minimum": 0}
SHA = {"type": "string", "pattern": "^([0-9a-f]{64})?$"}
CONTRACT = obj({
    "id": ID, "title": text(200), "contract_type": {"type": "string", "enum": list(CONTRACT_TYPES)},
    "status": {"type": "string", "enum": list(CONTRACT_STATUSES)}, "loan_id": nullable(ID),
    "customer_id": nullable(ID), "counterparty": text(200), "parties": array(text(200)), "value": MONEY,
    "owner_id": nullable(ID), "approved_sha256": SHA, "review_levels": COUNT, "start_date": nullable(DATE),
    "end_date": nullable(DATE), "renewal_type": {"type": "string", "enum": list(RENEWAL_TYPES)},
    "notice_deadline": nullable(DATE), "renewals": COUNT})
APPROVAL = obj({"level": COUNT, "user_id": ID, "decision": text(10), "comment": {"type": "string"},
                "text_sha256": SHA, "current": {"type": "boolean"}, "decided_at": DATETIME})
SIGNATURE = obj({"party": text(200), "method": text(20), "signed_on": DATE, "document_version": COUNT,
                 "copy_sha256": SHA})
CONTRACT_RECORD = {**CONTRACT, "properties": {**CONTRACT["properties"], "approvals": array(APPROVAL),
                                              "signatures": array(SIGNATURE)},
                   "required": [*CONTRACT["required"], "approvals", "signatures"]}
DECISION = obj({"approve": {"type": "boolean"}, "comment": text(2000)}, required=["approve"])
MATTER = obj({
    "id": ID, "kind": text(12), "title": text(200), "status": {"type": "string", "enum": list(MATTER_STATUSES)},
    "loan_id": nullable(ID), "customer_id": nullable(ID), "collections_case_id": nullable(ID),
    "case_number": text(100), "claim_principal": MONEY, "claim_interest": MONEY, "claim_penalties": MONEY,
    "claim_costs": MONEY, "lawyer_id": nullable(ID), "opened_on": DATE, "awarded": MONEY, "recovered": MONEY})
EVENT = obj({"kind": text(24), "title": text(200), "due_on": DATE, "done": {"type": "boolean"}})
MATTER_RECORD = {**MATTER, "properties": {**MATTER["properties"], "events": array(EVENT)},
                 "required": [*MATTER["required"], "events"]}
RECOVERY = obj({"amount": MONEY, "paid_on": DATE}, required=["amount", "paid_on"])
RECOVERY_REPLY = obj({"id": ID, "matter_id": ID, "repayment_id": ID, "amount": MONEY, "paid_on": DATE})


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def contract_json(c: Contract) -> dict:
    return {"id": c.id, "title": c.title, "contract_type": c.contract_type, "status": c.status,
            "loan_id": c.loan_id, "customer_id": c.customer_id, "counterparty": c.counterparty,
            "parties": contracts.party_list(c), "value": _money(c.value), "owner_id": c.owner_id,
            "approved_sha256": c.approved_sha256, "review_levels": c.review_levels,
            "start_date": _day(c.start_date), "end_date": _day(c.end_date), "renewal_type": c.renewal_type,
            "notice_deadline": _day(c.notice_deadline), "renewals": c.renewals}


def contract_record(c: Contract) -> dict:
    return {**contract_json(c),
            "approvals": [{"level": a.level, "user_id": a.user_id, "decision": a.decision, "comment": a.comment,
                           "text_sha256": a.text_sha256, "current": a.current,
                           "decided_at": a.decided_at.isoformat()} for a in c.approvals],
            "signatures": [{"party": s.party, "method": s.method, "signed_on": s.signed_on.isoformat(),
                            "document_version": s.document_version, "copy_sha256": s.copy_sha256}
                           for s in c.signatures]}


def matter_json(m: Matter) -> dict:
    return {"id": m.id, "kind": m.kind, "title": m.title, "status": m.status, "loan_id": m.loan_id,
            "customer_id": m.customer_id, "collections_case_id": m.collections_case_id,
            "case_number": m.case_number, "claim_principal": _money(m.claim_principal),
            "claim_interest": _money(m.claim_interest), "claim_penalties": _money(m.claim_penalties),
            "claim_costs": _money(m.claim_costs), "lawyer_id": m.lawyer_id, "opened_on": m.opened_on.isoformat(),
            "awarded": _money(m.awarded), "recovered": _money(m.recovered)}


def list_contracts(request, call):
    return restricted_query(request, Contract)


def read_contract(request, call):
    return contract_record(get_visible_or_404(request, Contract, call.path["id"]))


def decide_contract(request, call):
    contract = get_visible_or_404(request, Contract, call.path["id"])
    contracts.decide(request.dbsession, contract, request.user, call.body["approve"], call.body.get("comment", ""))
    return contract_record(contract)


def list_matters(request, call):
    return restricted_query(request, Matter)


def read_matter(request, call):
    matter = get_visible_or_404(request, Matter, call.path["id"])
    return {**matter_json(matter), "events": [{"kind": e.kind, "title": e.title, "due_on": e.due_on.isoformat(),
                                               "done": e.done} for e in matter.events]}


def create_recovery(request, call):
    matter = get_visible_or_404(request, Matter, call.path["id"])
    recovery = matters.record_recovery(request.dbsession, matter, Decimal(call.body["amount"]),
                                       date.fromisoformat(call.body["paid_on"]))
    return Reply({"id": recovery.id, "matter_id": matter.id, "repayment_id": recovery.repayment_id,
                  "amount": _money(recovery.amount), "paid_on": recovery.paid_on.isoformat()}, status=201)


def operations() -> list[Operation]:
    tags = ("legal",)
    return [
        Operation("GET", "/contracts", "contracts.list", list_contracts, P + "contract.view", _("List contracts"),
                  response=CONTRACT, tags=tags,
                  listing=Listing(Contract, contract_json, default_sort="-id", filters={
                      "status": Filter(Contract.status, schema={"type": "string", "enum": list(CONTRACT_STATUSES)}),
                      "contract_type": Filter(Contract.contract_type,
                                              schema={"type": "string", "enum": list(CONTRACT_TYPES)}),
                      "customer_id": Filter(Contract.customer_id, schema=ID),
                      "loan_id": Filter(Contract.loan_id, schema=ID)})),
        Operation("GET", "/contracts/{id}", "contracts.read", read_contract, P + "contract.view",
                  _("A contract with its approvals and signatures"), response=CONTRACT_RECORD, tags=tags),
        Operation("POST", "/contracts/{id}/decision", "contracts.decide", decide_contract, P + "contract.review",
                  _("Approve or reject a contract at its next review level"),
                  description=_("The owner never approves their own contract; the head of legal's level needs "
                                "legal.contract.approve_high. A rejection needs a comment."),
                  body=DECISION, response=CONTRACT_RECORD, tags=tags),
        Operation("GET", "/matters", "matters.list", list_matters, P + "matter.view",
                  _("List litigation and arbitration matters"),
                  description=_("A lawyer sees the matters assigned to them; legal.matter.view_all sees every one."),
                  response=MATTER, tags=tags,
                  listing=Listing(Matter, matter_json, default_sort="-id", filters={
                      "status": Filter(Matter.status, schema={"type": "string", "enum": list(MATTER_STATUSES)}),
                      "loan_id": Filter(Matter.loan_id, schema=ID),
                      "customer_id": Filter(Matter.customer_id, schema=ID)})),
        Operation("GET", "/matters/{id}", "matters.read", read_matter, P + "matter.view",
                  _("A matter with its calendar"), response=MATTER_RECORD, tags=tags),
        Operation("POST", "/matters/{id}/recoveries", "matters.recover", create_recovery, P + "matter.manage",
                  _("Record money recovered through a matter"),
                  description=_("Posted to the loan as a repayment (reference LEGAL-<matter>-<n>) through lending."),
                  body=RECOVERY, response=RECOVERY_REPLY, status=201, idempotent=True, tags=tags),
    ]
