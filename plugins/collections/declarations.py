"""What collections declares to core: permissions, roles, record types, record rules, menu, jobs."""
from __future__ import annotations

from core.entities import Field
from core.security import Permission, RecordRule, RoleSpec
from plugins.collections.i18n import _

P = "collections."


def permissions() -> list[Permission]:
    return [
        Permission(P + "case.view", _("See my collection cases"), _("The cases assigned to me, my queue, their "
                                                                    "contacts, promises and action items.")),
        Permission(P + "case.view_all", _("See every collection case"), _("Every case, whoever holds it: lists, "
                                                                          "case pages and exports.")),
        Permission(P + "contact.log", _("Log contacts and promises"), _("Record contact attempts, promises to pay "
                                                                        "and finish action items on the cases one "
                                                                        "may see.")),
        Permission(P + "case.assign", _("Assign cases and queues"), _("Reassign cases by hand, return a "
                                                                      "collector's cases to the pool, and choose "
                                                                      "which stage queues collectors hold.")),
        Permission(P + "case.escalate", _("Escalate late cases"), _("Send late-stage cases to legal.")),
        Permission(P + "case.report_risk", _("Report high-risk clients"), _("Report an abnormal, high-risk client "
                                                                            "to the risk department.")),
        Permission(P + "strategy.view", _("See collection strategies"), _("The actions of each stage's strategy.")),
        Permission(P + "strategy.manage", _("Edit collection strategies"), _("Add, change, deactivate and delete "
                                                                             "strategy actions.")),
        Permission(P + "target.view", _("See targets and ranking"), _("Monthly team targets, collectors' shares, "
                                                                      "achievement and ranking.")),
        Permission(P + "target.manage", _("Set targets"), _("Set the team's monthly target and split it between "
                                                            "collectors.")),
        Permission(P + "report.view", _("See collections reports"), _("Recovery, roll rates, contact and promise "
                                                                      "rates, per-collector performance and "
                                                                      "breakdowns, with CSV.")),
        Permission(P + "outbox.view", _("See collections' messages"), _("SMS and email composed for debtors "
                                                                        "(core's messages sent by collections), "
                                                                        "narrowed to the cases one may see.")),
    ]


def roles() -> list[RoleSpec]:
    everything = tuple(p.name for p in permissions())
    return [
        RoleSpec("collector", _("Collector"),
                 ("core.dashboard.view", P + "case.view", P + "contact.log", P + "case.report_risk",
                  P + "strategy.view", P + "target.view"),
                 _("Works the cases assigned to them: calls, messages, promises to pay, reports high-risk clients.")),
        RoleSpec("collections_supervisor", _("Collections supervisor"),
                 ("core.dashboard.view", *everything, "lending.loan.view", "lending.customer.view",
                  "lending.repayment.view"),
                 _("Leads the collectors: strategies, queues, assignment, targets, escalation and reports.")),
    ]


def entity_types():
    from core.entities import EntityType
    from plugins.collections.models import Case, CollectorQueue, Contact, Promise, StrategyAction, Target

    return [
        EntityType(Case, _("Collection case"), P + "case.view", P + "contact.log", "collections.case", _("Case {id}"),
                   fields=CASE_FIELDS),
        EntityType(Contact, _("Contact attempt"), P + "case.view", P + "contact.log", None, _("Contact {id}"),
                   fields=CONTACT_FIELDS),
        EntityType(Promise, _("Promise to pay"), P + "case.view", P + "contact.log", None, _("Promise {id}"),
                   fields=PROMISE_FIELDS),
        EntityType(StrategyAction, _("Strategy action"), P + "strategy.view", P + "strategy.manage",
                   "collections.strategy", "{title}", fields=ACTION_FIELDS),
        EntityType(CollectorQueue, _("Collector queue"), P + "case.view_all", P + "case.assign", None, "{stage} queue"),
        EntityType(Target, _("Collections target"), P + "target.view", P + "target.manage", "collections.target",
                   "Target {month}"),
    ]


def _mine(request):
    return request.user.id if request.user is not None else -1


def record_rules() -> list[RecordRule]:
    from sqlalchemy import select

    from plugins.collections.models import ActionItem, Case, Contact, Promise, Recovery, RiskReport

    def my_case_ids(request):
        return select(Case.id).where(Case.collector_id == _mine(request)).scalar_subquery()

    bypass = P + "case.view_all"
    why = _("Collectors see the cases assigned to them.")
    return [
        RecordRule(Case, bypass, lambda r: Case.collector_id == _mine(r), why),
        RecordRule(Contact, bypass, lambda r: Contact.case_id.in_(my_case_ids(r)), why),
        RecordRule(Promise, bypass, lambda r: Promise.case_id.in_(my_case_ids(r)), why),
        RecordRule(ActionItem, bypass, lambda r: ActionItem.case_id.in_(my_case_ids(r)), why),
        RecordRule(RiskReport, bypass, lambda r: RiskReport.case_id.in_(my_case_ids(r)), why),
        RecordRule(Recovery, bypass, lambda r: Recovery.collector_id == _mine(r), why),
    ]


def lookups():
    """The case picker: a debtor's name, ID, phone or the case number, through the cases' record rule (a
    collector finds only the cases assigned to them)."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import MAX_RESULTS, Lookup
    from plugins.collections.models import Case
    from plugins.collections.search import CASES

    def match(stmt, q):
        # the case's or loan's number, or the debtor's name, ID or phone (the cases list's search)
        # (no name of its own to rank by: as many candidates as results)
        return CASES.match(stmt, q, MAX_RESULTS).options(joinedload(Case.customer)).order_by(Case.id.desc())

    def label(case):
        return _("Case ${id} · ${name}", mapping={"id": case.id, "name": case.customer.name})

    def detail(case):
        return " · ".join(part for part in (case.customer.id_number, case.customer.phone) if part)

    def collectors(stmt, q):
        from plugins.collections.models import CollectorQueue

        holders = select(CollectorQueue.collector_id).where(CollectorQueue.active.is_(True))
        return USERS.match(stmt.where(User.id.in_(holders), User.active.is_(True)), q)

    return [Lookup("collections.case", Case, P + "case.view", match, label, detail),
            # the team a supervisor gives cases to: users holding an active queue
            Lookup("collections.collector", User, P + "case.assign", collectors,
                   lambda u: u.full_name or u.username, lambda u: " · ".join(x for x in (u.username, u.region) if x))]


def menu():
    from core.web.menu import MenuEntry

    section = _("Collections")
    return [
        MenuEntry(_("My queue"), "collections.queue", P + "case.view", section, 300),
        MenuEntry(_("Cases"), "collections.cases", P + "case.view", section, 301),
        MenuEntry(_("Promises to pay"), "collections.promises", P + "case.view", section, 302),
        MenuEntry(_("Contacts"), "collections.contacts", P + "case.view", section, 303),
        MenuEntry(_("Strategies"), "collections.strategies", P + "strategy.view", section, 310),
        MenuEntry(_("Collectors and queues"), "collections.collectors", P + "case.assign", section, 311),
        MenuEntry(_("Targets and ranking"), "collections.targets", P + "target.view", section, 312),
        MenuEntry(_("Reports"), "collections.reports", P + "report.view", section, 320),
        MenuEntry(_("Messages"), "collections.outbox", P + "outbox.view", section, 330),
    ]


def jobs():
    from core.jobs import JobSpec
    from plugins.collections import jobs as tasks

    return [
        JobSpec("collections.sync_cases", tasks.sync_cases, "35 0 * * *",
                _("Closes cases of closed, written-off or current loans, opens missing ones and refreshes every "
                  "open case's overdue amount."), time_limit=1800),
        JobSpec("collections.check_promises", tasks.check_promises, "40 0 * * *",
                _("Marks promises to pay kept or broken (settings collections.promise_threshold and "
                  "collections.promise_grace_days)."), time_limit=1800),
        JobSpec("collections.assign_cases", tasks.assign_cases, "45 0 * * *",
                _("Assigns new and re-staged cases to the collectors holding their stage's queue, least loaded "
                  "first, matching regions."), time_limit=1800,
                chunk=tasks.assign_cases_chunk, finish=tasks.assign_cases_finish),
        JobSpec("collections.create_action_items", tasks.create_action_items, "50 0 * * *",
                _("Creates each open case's due action items from its stage's strategy and sends the SMS and "
                  "email ones."), time_limit=1800),
    ]


#: What history calls the fields of collections' records (kinds come from the columns).
CASE_FIELDS = {
    "loan_id": _("Loan"), "open_loan_id": Field(_("Open loan"), ref="lending.loan"), "customer_id": _("Borrower"),
    "status": _("Status"), "stage": _("Stage"), "bucket": _("Bucket"), "region": _("Region"),
    "collector_id": _("Collector"), "needs_assignment": _("Needs assignment"), "assigned_at": _("Assigned"),
    "overdue_amount": _("Overdue amount"), "overdue_since": _("Overdue since"), "opened_on": _("Opened"),
    "stage_since": _("In this stage since"), "closed_on": _("Closed"), "close_reason": Field(_("Closed because"), "label"),
    "next_action_on": _("Next action"), "promise_due": _("Promise due"), "broken_promises": _("Broken promises"),
    "high_risk": _("High risk"), "escalated_at": _("Escalated"), "created_at": _("Created"),
}
CONTACT_FIELDS = {
    "case_id": _("Case"), "collector_id": _("Collector"), "channel": _("Channel"), "outcome": _("Outcome"),
    "note": _("Note"), "next_action_on": _("Next action"), "contacted_on": _("Contacted on"), "stage": _("Stage"),
    "created_at": _("Created"),
}
PROMISE_FIELDS = {
    "case_id": _("Case"), "contact_id": _("Contact"), "collector_id": _("Collector"), "amount": _("Amount"),
    "made_on": _("Made on"), "due_on": _("Due on"), "status": _("Status"), "paid_amount": _("Paid"),
    "resolved_on": _("Resolved on"), "created_at": _("Created"),
}
ACTION_FIELDS = {
    "stage": _("Stage"), "position": _("Position"), "day_offset": _("Days into the stage"), "channel": _("Channel"),
    "repeat_every": _("Repeat every (days)"), "title": _("Title"), "message": _("Message"), "active": _("Active"),
}
