"""The collections services: plain functions over a session, used by views, jobs, hooks and tests.

Every refusal is a :class:`core.errors.UserError` naming its field. Callers
own the transaction (one per request or job run). Settings, today's date and
the plugin manager come from the session the way lending's services find
them (:mod:`core.context`).
"""
from plugins.collections.services.actions import create_due_items, finish_item  # noqa: F401
from plugins.collections.services.assignment import (  # noqa: F401
    assign_cases,
    reassign,
    release_cases,
    set_queues,
    team,
)
from plugins.collections.services.cases import (  # noqa: F401
    business_date,
    on_delinquency_changed,
    on_loan_closed,
    open_case_for,
    sync,
)
from plugins.collections.services.contacts import check_promises, log_contact  # noqa: F401
from plugins.collections.services.escalation import escalate, report_high_risk  # noqa: F401
from plugins.collections.services.recoveries import on_repayment_posted  # noqa: F401
