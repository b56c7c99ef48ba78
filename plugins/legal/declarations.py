"""What legal declares to core: permissions, roles, record types, record rules, lookups, menu, jobs."""
from __future__ import annotations

from core.security import Permission, RecordRule, RoleSpec
from plugins.legal.i18n import _

P = "legal."


def permissions() -> list[Permission]:
    return [
        Permission(P + "contract.view", _("See contracts"), _("Contracts, their texts, approvals and signatures.")),
        Permission(P + "contract.manage", _("Draft contracts"), _("Create, generate, upload texts, change terms, "
                                                                  "record signatures, renew and terminate.")),
        Permission(P + "contract.review", _("Review contracts"), _("Approve or reject contracts at the first "
                                                                   "review level (a lawyer).")),
        Permission(P + "contract.approve_high", _("Approve high-value contracts"),
                   _("The head of legal's level: contracts above the threshold and sensitive types.")),
        Permission(P + "template.manage", _("Edit templates and clauses"), _("Contract templates, their versions "
                                                                             "and the clause library.")),
        Permission(P + "seal.view", _("See the seal register"), _("Seals, requests and every use.")),
        Permission(P + "seal.request", _("Request a seal"), _("Ask to use a company seal on an approved "
                                                              "document.")),
        Permission(P + "seal.approve", _("Approve seal requests"), _("Decide other people's seal requests.")),
        Permission(P + "seal.keep", _("Keep seals"), _("Record the use and return of the seals one keeps.")),
        Permission(P + "matter.view", _("See my matters"), _("Litigation and arbitration matters assigned to me.")),
        Permission(P + "matter.view_all", _("See every matter"), _("Every matter, whoever handles it.")),
        Permission(P + "matter.manage", _("Run matters"), _("Open matters, move them, record hearings, "
                                                            "judgments, costs and recoveries.")),
        Permission(P + "opinion.request", _("Ask legal for an opinion"), _("Any department asks legal a "
                                                                           "question.")),
        Permission(P + "opinion.answer", _("Answer legal opinions"), _("See and answer the opinions assigned to "
                                                                       "me.")),
        Permission(P + "opinion.assign", _("Assign legal opinions"), _("See every opinion request and assign "
                                                                       "lawyers.")),
        Permission(P + "report.view", _("See legal reports"), _("Matters by status and body, recovery from "
                                                                "litigation, expiries by month, limitation.")),
    ]


def roles() -> list[RoleSpec]:
    everything = tuple(p.name for p in permissions())
    lawyer = ("core.dashboard.view", P + "contract.view", P + "contract.manage", P + "contract.review",
              P + "seal.view", P + "seal.request", P + "matter.view", P + "matter.manage", P + "opinion.request",
              P + "opinion.answer", P + "report.view", "lending.loan.view", "lending.customer.view")
    return [
        RoleSpec("lawyer", _("Lawyer"), lawyer,
                 _("Reviews contracts, runs the matters and answers the opinions assigned to them.")),
        RoleSpec("head_of_legal", _("Head of legal"), ("core.dashboard.view", *everything, "lending.loan.view",
                                                        "lending.customer.view", "lending.repayment.view"),
                 _("Approves high-value contracts and seal use, assigns matters and opinions, edits templates.")),
        RoleSpec("seal_custodian", _("Seal custodian"), ("core.dashboard.view", P + "seal.view", P + "seal.keep",
                                                          P + "seal.request"),
                 _("Keeps the company's seals and records each use and return.")),
    ]


CONTRACT_FIELDS = {"title": _("Title"), "contract_type": _("Type"), "status": _("Status"), "value": _("Value"),
                   "owner_id": _("Owner"), "parties": _("Parties"), "counterparty": _("Counterparty"),
                   "approved_sha256": _("Approved text hash"), "approved_version": _("Approved version"),
                   "start_date": _("Start"), "end_date": _("End"), "renewal_type": _("Renewal"),
                   "renewal_months": _("Renewal period (months)"), "notice_days": _("Notice period (days)"),
                   "renewals": _("Renewals"), "notice_given_on": _("Notice given on"), "ended_on": _("Ended on")}
MATTER_FIELDS = {"title": _("Title"), "kind": _("Kind"), "status": _("Status"), "body_id": _("Court or body"),
                 "case_number": _("Case number"), "claim_principal": _("Claimed principal"),
                 "claim_interest": _("Claimed interest"), "claim_penalties": _("Claimed penalties"),
                 "claim_costs": _("Claimed costs"), "outside_counsel": _("Outside counsel"), "fees": _("Fees"),
                 "costs": _("Costs"), "lawyer_id": _("Lawyer"), "outcome": _("Outcome"), "awarded": _("Awarded"),
                 "recovered": _("Recovered"), "judgment_on": _("Judgment on"), "closed_on": _("Closed on")}


def entity_types():
    from core.entities import EntityType
    from plugins.legal.models import Body, Clause, Contract, Matter, Opinion, Seal, SealRequest, Template

    return [
        EntityType(Contract, _("Contract"), P + "contract.view", P + "contract.manage", "legal.contract",
                   "{title}", fields=CONTRACT_FIELDS),
        EntityType(Template, _("Contract template"), P + "contract.view", P + "template.manage", "legal.template",
                   "{name}"),
        EntityType(Clause, _("Clause"), P + "contract.view", P + "template.manage", None, "{title}"),
        EntityType(Seal, _("Seal"), P + "seal.view", P + "seal.keep", None, "{name}"),
        EntityType(SealRequest, _("Seal request"), P + "seal.view", P + "seal.request", "legal.seal_request",
                   _("Seal request {id}")),
        EntityType(Matter, _("Legal matter"), P + "matter.view", P + "matter.manage", "legal.matter", "{title}",
                   fields=MATTER_FIELDS),
        EntityType(Body, _("Court or arbitration body"), P + "matter.view", P + "matter.manage", None, "{name}"),
        EntityType(Opinion, _("Legal opinion"), P + "opinion.request", P + "opinion.answer", "legal.opinion",
                   "{subject}"),
    ]


def _mine(request):
    return request.user.id if request.user is not None else -1


def record_rules() -> list[RecordRule]:
    from sqlalchemy import or_

    from plugins.legal.models import Matter, Opinion

    return [
        RecordRule(Matter, P + "matter.view_all", lambda r: Matter.lawyer_id == _mine(r),
                   _("A lawyer sees the matters assigned to them.")),
        RecordRule(Opinion, P + "opinion.assign",
                   lambda r: or_(Opinion.lawyer_id == _mine(r), Opinion.requested_by_id == _mine(r)),
                   _("A lawyer sees the opinions assigned to them; anyone the ones they asked for.")),
    ]


def lookups():
    from core.models.user import Role, User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup
    from plugins.legal.models import Body, Contract, Seal
    from plugins.legal.search import BODIES, CONTRACTS, SEALS

    def lawyers(stmt, q):
        return USERS.match(stmt.where(User.active.is_(True), User.roles.any(Role.name.in_(("lawyer", "head_of_legal")))),
                           q)

    def custodians(stmt, q):
        return USERS.match(stmt.where(User.active.is_(True), User.roles.any(Role.name == "seal_custodian")), q)

    def approved(stmt, q):
        return CONTRACTS.match(stmt.where(Contract.status.in_(("approved", "signed", "active"))), q)

    return [
        Lookup("legal.contract", Contract, P + "contract.view", approved, lambda c: c.title,
               lambda c: f"#{c.id} · {c.approved_sha256[:12]}"),
        Lookup("legal.lawyer", User, P + "matter.view", lawyers, lambda u: u.full_name or u.username,
               lambda u: u.username),
        Lookup("legal.custodian", User, P + "template.manage", custodians, lambda u: u.full_name or u.username,
               lambda u: u.username),
        Lookup("legal.seal", Seal, P + "seal.request", lambda stmt, q: SEALS.match(stmt.where(Seal.active), q),
               lambda s: s.name, lambda s: s.kind),
        Lookup("legal.body", Body, P + "matter.view", BODIES.match, lambda b: b.name, lambda b: b.jurisdiction),
    ]


def menu():
    from core.web.menu import MenuEntry

    section = _("Legal")
    return [
        MenuEntry(_("Contracts"), "legal.contracts", P + "contract.view", section, 400),
        MenuEntry(_("Templates and clauses"), "legal.templates", P + "contract.view", section, 401),
        MenuEntry(_("Matters"), "legal.matters", P + "matter.view", section, 410),
        MenuEntry(_("Seal register"), "legal.seals", P + "seal.view", section, 420),
        MenuEntry(_("Opinions"), "legal.opinions", P + "opinion.request", section, 430),
        MenuEntry(_("Limitation periods"), "legal.limitation", P + "report.view", section, 440),
        MenuEntry(_("Reports"), "legal.reports", P + "report.view", section, 450),
    ]


def jobs():
    from core.jobs import JobSpec
    from plugins.legal import jobs as tasks

    return [JobSpec("legal.daily", tasks.legal_daily, "55 0 * * *",
                    _("Renews tacit contracts, expires the others, and reminds owners, lawyers and custodians of "
                      "notice deadlines, end dates, hearings and seals out of the office."))]
