"""The whole daily run: contracts (terms), the matters' calendar and seals out, in one transaction."""
from __future__ import annotations

from datetime import date

from core import context
from core.formatting import current
from plugins.legal.i18n import _n
from plugins.legal.services import matters, reminders, seals, terms


class Run:
    def __init__(self, contracts: terms.DailyRun, calendar: int, seals_out: int):
        self.contracts, self.calendar, self.seals_out = contracts, calendar, seals_out

    @property
    def summary(self) -> str:
        fmt = current()
        return "; ".join((self.contracts.summary,
                          fmt.translate(_n("${n} hearing or deadline reminder", "${n} hearing or deadline reminders",
                                           self.calendar)),
                          fmt.translate(_n("${n} seal return reminder", "${n} seal return reminders",
                                           self.seals_out))))


def collect_envelopes(session) -> int:
    """Signed envelopes of the e-signature providers; one signed on another text is refused and logged."""
    from sqlalchemy import select

    from core.audit import record_event
    from core.documents import blob_store
    from core.errors import UserError
    from plugins.legal.models import Contract
    from plugins.legal.services import contracts as contract_services

    waiting = session.scalars(select(Contract).where(Contract.status == "approved",
                                                     Contract.signature_envelope != "")).all()
    collected = 0
    for contract in waiting:
        try:
            with session.begin_nested():
                collected += bool(contract_services.collect_signatures(session, contract, blob_store(session)))
        except UserError as refused:
            record_event(session, "signature_refused", "legal.contract", contract.id,
                         {"envelope": contract.signature_envelope, "why": str(refused)})
            contract.signature_envelope = ""
    return collected


def run(session, today: date | None = None) -> Run:
    today = today or context.today(session)
    leads = reminders.lead_times(session)
    collect_envelopes(session)
    contracts = terms.daily(session, today)
    return Run(contracts, matters.remind_calendar(session, today, leads), seals.remind_overdue(session, today, leads))
