"""Hooks the ``collections`` plugin calls, for other departments to implement.

Every hook is called with keyword arguments, **inside the caller's
transaction**: what an implementation writes commits or rolls back with the
collections operation that triggered it, and an implementation raising
:class:`core.errors.UserError` refuses the whole operation (the user sees the
message; nothing is saved). A plugin that is not enabled simply does not
answer.

Implementations receive ORM objects of :mod:`plugins.collections.models`;
read them and link to them by foreign key, but change them only through
:mod:`plugins.collections.services`.

Each hook is documented in docs/plugins/collections.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.collections.models import Case, OutboxMessage


@hookspec
def collections_case_escalated(case: Case) -> None:
    """React to a late-stage case escalated for legal action.

    Called once, right after ``case`` (a :class:`plugins.collections.models.Case`,
    ``case.loan`` and ``case.customer`` loaded on access) moved to status
    ``"escalated"`` by a user holding ``collections.case.escalate``. The
    ``legal`` plugin opens a litigation matter here. Returns nothing.
    """


@hookspec
def collections_high_risk_reported(case: Case, reason: str) -> None:
    """React to a collector reporting an abnormal, high-risk client.

    Called once per report, after the report is stored and ``case.high_risk``
    is set; ``reason`` is the collector's text (never empty). The ``risk``
    plugin adds the customer to its watch list or blacklist here. Returns
    nothing.
    """


@hookspec(firstresult=True)
def collections_send_message(message: OutboxMessage) -> str | None:
    """Deliver one SMS or email through a real message gateway.

    ``message`` is a :class:`plugins.collections.models.OutboxMessage`
    (``channel`` ``"sms"`` or ``"email"``, ``recipient``, ``body``). Called by
    the job ``collections.deliver_messages`` after the transaction that wrote
    the message committed — never while a user waits. Return the provider's
    reference (a string) once the gateway accepted it; raise to mark it
    failed (the error is kept on the message). The first implementation that
    returns a value wins. When no enabled plugin implements this hook, the
    outbox table is the gateway: messages stay there with status ``outbox``
    and the Outbox screen shows them.
    """
