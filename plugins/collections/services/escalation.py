"""Escalating late cases to legal, and reporting high-risk clients to risk — through hooks.

``collections`` does not know the ``legal`` or ``risk`` plugins: it calls
``collections_case_escalated(case)`` and
``collections_high_risk_reported(case, reason)`` and whoever is enabled
answers (see plugins/collections/hookspecs.py). Both run in the caller's
transaction; an implementation's UserError refuses the whole action.
"""
from __future__ import annotations

from core import context
from core.audit import record_event
from core.errors import UserError
from core.models.meta import utcnow
from plugins.collections.i18n import _, word
from plugins.collections.models import Case, RiskReport
from plugins.collections.services import events

ESCALATABLE_STAGES = ("late",)


def escalate(session, case: Case, reason: str = "") -> Case:
    """A late, open case goes to legal: status ``escalated`` and the hook is called."""
    reason = (reason or "").strip()
    if not case.is_open:
        raise UserError(_("Case ${id} is ${status}; only open cases can be escalated.",
                          mapping={"id": case.id, "status": word(case.status)}), "status")
    if case.status == "escalated":
        from core.formatting import current

        raise UserError(_("Case ${id} was already escalated on ${date}.",
                          mapping={"id": case.id, "date": current().date(case.escalated_at)}), "status")
    if case.stage not in ESCALATABLE_STAGES:
        raise UserError(_("Case ${id} is in the ${stage} stage; only late cases (91+ days past due) are escalated. "
                          "Follow the ${stage} strategy first.", mapping={"id": case.id, "stage": word(case.stage)}),
                        "stage")
    case.status = "escalated"
    case.escalated_at = utcnow()
    record_event(session, "case_escalated", "collections.case", case.id, {"reason": reason})
    session.flush()
    context.hooks(session).collections_case_escalated(case=case)
    events.case_escalated(session, case, reason)
    return case


def report_high_risk(session, case: Case, reason: str, reported_by_id: int | None) -> RiskReport:
    """Store a high-risk report, flag the case and tell the risk plugin."""
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Say why this client is high-risk (what you saw or heard)."), "reason")
    if len(reason) > 2000:
        from core.formatting import current

        raise UserError(_("Keep the reason under ${n} characters; attach documents to the case for more.",
                          mapping={"n": current().number(2000)}), "reason")
    report = RiskReport(case_id=case.id, reason=reason, reported_by_id=reported_by_id)
    session.add(report)
    case.high_risk = True
    session.flush()
    context.hooks(session).collections_high_risk_reported(case=case, reason=reason)
    return report
