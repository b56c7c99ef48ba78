"""Repayments on loans in collections: credited to the case's collector and stage, promises settled."""
from __future__ import annotations

from plugins.collections.models import Recovery
from plugins.collections.services import cases, contacts


def on_repayment_posted(session, repayment) -> Recovery | None:
    """Called by lending's ``lending_repayment_posted`` (before the loan's bucket is refreshed).

    The repayment is credited to whoever holds the case now — the figure
    targets and per-collector performance are measured on — and to the
    current stage entry (recovery rate by stage); pending promises it
    fulfils are kept at once; the case's overdue amount is refreshed.
    """
    case = cases.open_case_for(session, repayment.loan_id)
    if case is None:
        return None
    entry = cases.current_stage_entry(session, case)
    recovery = Recovery(case_id=case.id, repayment_id=repayment.id, stage_entry_id=entry.id if entry else None,
                        collector_id=case.collector_id, stage=case.stage, amount=repayment.amount,
                        paid_on=repayment.paid_on)
    session.add(recovery)
    cases.refresh_case(session, case, cases.business_date(session))
    session.flush()
    contacts.on_repayment(session, case)
    return recovery
