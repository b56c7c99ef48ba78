"""Term, renewal and notice of contracts, and the daily job that renews, expires and reminds.

Renewal types: ``none`` (ends at the end date), ``express`` (renewed by
hand, :func:`renew`), ``tacit`` (renews by ``renewal_months`` unless notice
was given on or before the notice deadline). The notice deadline is
``end_date - notice_days`` where ``end_date`` is the **current** end, moved
by each renewal (:attr:`Contract.notice_deadline`) — the bug of systems that
compute it from the first end date is tested explicitly. Renewed end dates
are counted from the first end date (``first_end_date + k × period``), so a
contract ending on 31 January renews to 28/29 February, then 31 March — not
to the 28th of every month after one short February; a term ending on a month's
last day keeps ending on the last day (30 June renews to 31 December).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select

from core import context
from core.audit import record_event
from core.errors import ConflictError, UserError
from core.formatting import current
from plugins.legal.i18n import _, _n, word
from plugins.legal.models import Contract
from plugins.legal.services import reminders
from plugins.legal.services.common import add_months
from plugins.legal.services.contracts import activate_if_started, changed_behind_review, check_frozen


def next_end(contract: Contract) -> date:
    anchor = contract.first_end_date or contract.end_date
    # A term ending on a month's last day keeps ending on the last day (30 June -> 31 December).
    day = 31 if (anchor + timedelta(days=1)).day == 1 else anchor.day
    return add_months(anchor, contract.renewal_months * (contract.renewals + 1), day)


def renew(session, contract: Contract, by_hand: bool = True) -> Contract:
    """One more term: express contracts by hand, tacit ones by the daily job."""
    if contract.status != "active":
        raise ConflictError(_("Only an active contract renews (contract ${id} is ${status}).",
                              mapping={"id": contract.id, "status": word(contract.status)}), "status")
    if contract.renewal_type == "none" or (by_hand and contract.renewal_type != "express"):
        raise ConflictError(_("Contract ${id} does not renew by hand.", mapping={"id": contract.id}),
                            "renewal_type")
    if contract.notice_given_on is not None:
        raise ConflictError(_("Notice was given on ${date}; the contract ends at its end date.",
                              mapping={"date": current().date(contract.notice_given_on)}), "status")
    old = contract.end_date
    contract.end_date = next_end(contract)
    contract.renewals += 1
    record_event(session, "contract_renewed", "legal.contract", contract.id,
                 {"from": old.isoformat(), "to": contract.end_date.isoformat(), "renewals": contract.renewals})
    session.flush()
    return contract


def give_notice(session, contract: Contract, on: date) -> Contract:
    """Notice against renewal: it ends at its current end date. Refused after the notice deadline."""
    if contract.status not in ("signed", "active"):
        raise ConflictError(_("Notice is given on a signed or active contract."), "status")
    if contract.renewal_type == "none":
        raise ConflictError(_("Contract ${id} does not renew; it ends on its end date anyway.",
                              mapping={"id": contract.id}), "renewal_type")
    if on > contract.notice_deadline:
        raise UserError(_("The notice deadline was ${deadline}; the contract renews on ${end}. Give notice for "
                          "the next term, by ${next}.",
                          mapping={"deadline": current().date(contract.notice_deadline),
                                   "end": current().date(contract.end_date),
                                   "next": current().date(next_end(contract)
                                                          - (contract.end_date - contract.notice_deadline))}),
                        "notice_given_on")
    contract.notice_given_on = on
    record_event(session, "notice_given", "legal.contract", contract.id, {"on": on.isoformat()})
    session.flush()
    return contract


def terminate(session, contract: Contract, on: date, reason: str) -> Contract:
    if contract.status in ("expired", "terminated"):
        raise ConflictError(_("Contract ${id} has already ended.", mapping={"id": contract.id}), "status")
    if not (reason or "").strip():
        raise UserError(_("Say why the contract is terminated."), "reason")
    contract.status, contract.ended_on = "terminated", on
    record_event(session, "contract_terminated", "legal.contract", contract.id, {"reason": reason.strip()})
    session.flush()
    return contract


class DailyRun:
    def __init__(self):
        self.activated = self.renewed = self.expired = self.reminded = self.back_to_review = 0

    @property
    def summary(self) -> str:
        fmt = current()
        return ", ".join(fmt.translate(x) for x in (
            _n("${n} contract activated", "${n} contracts activated", self.activated),
            _n("${n} renewal", "${n} renewals", self.renewed),
            _n("${n} contract expired", "${n} contracts expired", self.expired),
            _n("${n} reminder", "${n} reminders", self.reminded),
            _n("${n} contract back to review", "${n} contracts back to review", self.back_to_review)))


def daily(session, today: date | None = None) -> DailyRun:
    """Activate signed contracts that started, renew tacit ones, expire the rest, remind owners."""
    today = today or context.today(session)
    run = DailyRun()
    leads = reminders.lead_times(session)
    hooks = context.hooks(session)
    live = Contract.status.in_(("approved", "signed", "active"))
    for contract_id in sorted(changed_behind_review(session, select(Contract.id).where(live))):
        check_frozen(session, session.get(Contract, contract_id))
        run.back_to_review += 1
    # Only what may change today is loaded: contracts waiting to start, and those with an end date (a loan
    # agreement lasts as long as its debt and has none; there are as many of them as loans).
    todo = session.scalars(select(Contract).where(live, or_(Contract.status != "active",
                                                            Contract.end_date.is_not(None)))
                           .order_by(Contract.id)).all()
    for contract in todo:
        if contract.status not in ("approved", "signed", "active"):
            continue  # just sent back to review
        if activate_if_started(session, contract, today):
            run.activated += 1
        if contract.status != "active" or contract.end_date is None:
            continue
        while contract.end_date < today:
            if contract.renewal_type == "tacit" and contract.notice_given_on is None:
                renew(session, contract, by_hand=False)
                run.renewed += 1
            else:
                contract.status, contract.ended_on = "expired", contract.end_date
                record_event(session, "contract_expired", "legal.contract", contract.id, {})
                run.expired += 1
                break
        if contract.status != "active" or contract.owner_id is None:
            continue  # nobody to remind
        run.reminded += _remind_contract(session, contract, today, leads, hooks)
    session.flush()
    return run


def _remind_contract(session, contract: Contract, today: date, leads, hooks) -> int:
    deadlines = [("end_date", contract.end_date, _("Contract ${id} (${title}) ends on ${date}."))]
    if contract.renewal_type != "none" and contract.notice_given_on is None:
        deadlines.insert(0, ("notice_deadline", contract.notice_deadline,
                             _("Contract ${id} (${title}): the last day to give notice against renewal is "
                               "${date}.")))
    sent = 0
    for kind, deadline, text in deadlines:
        if reminders.due_lead(leads, deadline, today) is None:
            continue  # most days: nothing to check in the database
        message = _(text, mapping={"id": contract.id, "title": contract.title, "date": current().date(deadline)})
        reminder = reminders.remind(session, entity_type="legal.contract", entity_id=contract.id, kind=kind,
                                    deadline=deadline, today=today, user_id=contract.owner_id, text=message,
                                    leads=leads)
        if reminder is not None:
            sent += 1
            hooks.legal_contract_expiring(contract=contract, kind=kind, deadline=deadline,
                                          days_before=reminder.days_before)
    return sent
