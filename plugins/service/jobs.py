"""Customer service's scheduled jobs: thin wrappers over the services (one transaction per run)."""
from __future__ import annotations

from core.i18n import translate
from plugins.service.i18n import _
from plugins.service.services import routing, surveys, tickets
from plugins.service.services.escalation import check_slas as check


def check_slas(request) -> str:
    answered = routing.ask_departments(request.dbsession)
    run = check(request.dbsession)
    return translate(_("${checked} tickets checked, ${at_risk} at risk, ${escalated} escalated, ${answered} answered by "
             "departments.", mapping={"checked": run.checked, "at_risk": run.at_risk, "escalated": run.escalated,
                                      "answered": answered}))


def close_solved(request) -> str:
    days = int(request.registry.settings.get("service.close_after_days", 7))
    closed = tickets.close_solved(request.dbsession, days)
    return translate(_("${n} solved tickets closed.", mapping={"n": closed}))


def send_nps(request) -> str:
    sample = int(request.registry.settings.get("service.nps_sample", 200))
    sent = surveys.send_nps(request.dbsession, limit=sample)
    return translate(_("${n} NPS surveys sent.", mapping={"n": sent}))


def read_mailbox(request) -> str:
    """Unseen mail of the mailbox in service.imap_host into tickets (nothing to do without it)."""
    from plugins.service.services import inbound

    mailbox = inbound.connect(request.registry.settings)
    if mailbox is None:
        return translate(_("No mailbox configured (service.imap_host)."))
    try:
        read, refused = inbound.read_mailbox(request.dbsession, mailbox)
    finally:
        mailbox.logout()
    return translate(_("${read} e-mails read, ${refused} refused.", mapping={"read": read, "refused": refused}))
