"""What customer service declares to core: permissions, roles, record types, record rules, lookups, menu, jobs."""
from __future__ import annotations

from core.entities import Field
from core.security import Permission, RecordRule, RoleSpec
from plugins.service.i18n import _

P = "service."


def permissions() -> list[Permission]:
    return [
        Permission(P + "ticket.view", _("See my tickets"), _("Tickets assigned to me or to nobody yet, their "
                                                             "conversation and documents.")),
        Permission(P + "ticket.view_all", _("See every ticket"), _("Every ticket, whoever handles it.")),
        Permission(P + "ticket.manage", _("Handle tickets"), _("Log calls, reply, add notes, change status, "
                                                               "route to departments, solve and close tickets.")),
        Permission(P + "queue.answer", _("Answer for my department"), _("Answer the tickets customer service "
                                                                        "routed to a department one works in.")),
        Permission(P + "customer.view", _("See the customer 360 page"), _("One page with what every department "
                                                                          "knows of a customer.")),
        Permission(P + "announcement.manage", _("Publish announcements"), _("Write notices, publish them to the "
                                                                            "notice board and send them to "
                                                                            "customers.")),
        Permission(P + "settings.manage", _("Set service levels"), _("SLA targets, public holidays and canned "
                                                                     "answers.")),
        Permission(P + "report.view", _("See service reports"), _("Enquiries, SLA attainment, backlog, CSAT and "
                                                                  "NPS, with CSV.")),
    ]


def roles() -> list[RoleSpec]:
    everything = tuple(p.name for p in permissions())
    return [
        RoleSpec("service_agent", _("Service agent"),
                 ("core.dashboard.view", P + "ticket.view", P + "ticket.manage", P + "customer.view",
                  "lending.customer.view", "lending.loan.view"),
                 _("Answers the hotline and online enquiries and follows each ticket to its resolution.")),
        RoleSpec("service_supervisor", _("Service supervisor"),
                 ("core.dashboard.view", *everything, "lending.customer.view", "lending.loan.view"),
                 _("Leads the agents: every ticket, service levels, announcements and reports.")),
        RoleSpec("department_contact", _("Department contact"), ("core.dashboard.view", P + "queue.answer"),
                 _("Answers, for their department, the tickets customer service routes to it.")),
    ]


TICKET_FIELDS = {
    "subject": _("Subject"), "channel": Field(_("Channel"), "label"), "category": Field(_("Category"), "label"),
    "priority": Field(_("Priority"), "label"), "status": Field(_("Status"), "label"), "customer_id": _("Customer"), "loan_id": _("Loan"), "assignee_id": _("Agent"),
    "department": _("Department"), "contact_name": _("Contact name"), "contact_phone": _("Phone"),
    "contact_email": _("E-mail"), "first_response_at": _("First response"), "solved_at": _("Solved"),
    "closed_at": _("Closed"), "first_response_due": _("First response due"), "resolution_due": _("Resolution due"),
    "sla_state": Field(_("SLA"), "label"), "escalated_at": _("Escalated"), "created_at": _("Created"),
}


def entity_types():
    from core.entities import EntityType
    from plugins.service.models import Announcement, CannedAnswer, Holiday, SlaTarget, Survey, Ticket, TicketMessage

    return [
        EntityType(Ticket, _("Ticket"), P + "ticket.view", P + "ticket.manage", "service.ticket", _("Ticket {id}"),
                   fields=TICKET_FIELDS),
        EntityType(TicketMessage, _("Ticket message"), P + "ticket.view", P + "ticket.manage", None,
                   _("Message {id}")),
        EntityType(SlaTarget, _("SLA target"), P + "settings.manage", P + "settings.manage", None,
                   "{category} {priority}"),
        EntityType(Holiday, _("Public holiday"), P + "settings.manage", P + "settings.manage", None, "{day} {name}"),
        EntityType(CannedAnswer, _("Canned answer"), P + "ticket.view", P + "settings.manage", None, "{title}"),
        EntityType(Survey, _("Satisfaction survey"), P + "report.view", P + "report.view", None, _("Survey {id}")),
        EntityType(Announcement, _("Announcement"), P + "announcement.manage", P + "announcement.manage",
                   "service.announcement", "{title}"),
    ]


def _mine(request):
    return request.user.id if request.user is not None else -1


def record_rules() -> list[RecordRule]:
    from sqlalchemy import select

    from plugins.service.models import Ticket, TicketMessage

    def mine_or_nobodys(request):
        return Ticket.assignee_id.is_(None) | (Ticket.assignee_id == _mine(request))

    def my_ticket_ids(request):
        return select(Ticket.id).where(mine_or_nobodys(request)).scalar_subquery()

    why = _("Agents see the tickets assigned to them and those nobody has taken yet.")
    return [RecordRule(Ticket, P + "ticket.view_all", mine_or_nobodys, why),
            RecordRule(TicketMessage, P + "ticket.view_all", lambda r: TicketMessage.ticket_id.in_(my_ticket_ids(r)),
                       why)]


def lookups():
    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup
    from plugins.service.models import Ticket
    from plugins.service.search import TICKETS

    def agents(stmt, q):
        return USERS.match(stmt.where(User.active.is_(True)), q)

    return [Lookup("service.agent", User, P + "ticket.manage", agents, lambda u: u.full_name or u.username,
                   lambda u: u.username),
            Lookup("service.ticket", Ticket, P + "ticket.view",
                   lambda stmt, q: TICKETS.match(stmt, q).order_by(Ticket.id.desc()),
                   lambda t: f"#{t.id} {t.subject}", lambda t: t.customer.name if t.customer else t.contact_name)]


def menu():
    from core.web.menu import MenuEntry

    section = _("Customer service")
    return [
        MenuEntry(_("Tickets"), "service.tickets", P + "ticket.view", section, 400),
        MenuEntry(_("Log a call"), "service.ticket_new", P + "ticket.manage", section, 401),
        MenuEntry(_("Department queue"), "service.queue", P + "queue.answer", section, 402),
        MenuEntry(_("Announcements"), "service.announcements", P + "announcement.manage", section, 410),
        MenuEntry(_("Service levels"), "service.settings", P + "settings.manage", section, 420),
        MenuEntry(_("Reports"), "service.reports", P + "report.view", section, 430),
    ]


def jobs():
    from core.jobs import JobSpec
    from plugins.service import jobs as tasks

    return [
        JobSpec("service.check_slas", tasks.check_slas, "every 1 hours",
                _("Recomputes every active ticket's service level on the business calendar, marks those at risk "
                  "and escalates the breached ones to the supervisors.")),
        JobSpec("service.read_mailbox", tasks.read_mailbox, "every 5 minutes",
                _("Turns unseen e-mail of the mailbox in service.imap_host into tickets (or adds it to the "
                  "ticket its subject names).")),
        JobSpec("service.send_nps", tasks.send_nps, "0 10 1 * *",
                _("Asks up to service.nps_sample customers (default 200) not asked in 90 days how likely they "
                  "are to recommend the platform (NPS).")),
        JobSpec("service.close_solved", tasks.close_solved, "20 1 * * *",
                _("Closes tickets solved for more than service.close_after_days days (default 7).")),
    ]
