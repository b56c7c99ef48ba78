"""Hooks the ``service`` plugin calls, for other departments to implement.

Every hook is called with keyword arguments, **inside the caller's
transaction**: what an implementation writes commits or rolls back with the
service operation that triggered it, and an implementation raising
:class:`core.errors.UserError` refuses the whole operation (the agent sees the
message; nothing is saved). A plugin that is not enabled simply does not
answer. Implementations mark them ``@hookimpl(optionalhook=True)``: they do
not depend on ``service``.

Implementations receive :class:`plugins.service.models.Ticket` objects (with
``ticket.customer`` and ``ticket.loan`` loaded on access); read them, and
answer through the return values below or the department queue page — never
by changing the ticket.

Each hook is documented in docs/plugins/service.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from core import hookspec

if TYPE_CHECKING:
    from plugins.service.models import Ticket


@hookspec
def service_departments() -> list[dict]:
    """Offer a department queue that tickets can be routed to.

    Called whenever the routing form or the department queue is drawn. Return a list of dicts ``{"name": <plugin name>, "title": <translated
    title>, "permission": <permission>}``: ``permission`` is the department's
    own permission that marks a user as working in it (e.g.
    ``"collections.case.view"``); such a user holding ``service.queue.answer``
    answers the department's tickets on service's department queue page.
    Service already offers ``collections``, ``risk``, ``legal`` and
    ``finance`` when those plugins are enabled; declaring one of those names
    replaces service's default.
    """


@hookspec
def service_ticket_routed(ticket: Ticket, department: str) -> str | None:
    """React to a ticket handed to ``department``'s queue.

    Called once per routing, right after ``ticket.status`` became
    ``"waiting_department"`` and ``ticket.department == department``. Only
    the department named should act (open a repayment arrangement, a dispute
    review, a complaint matter…); others return ``None``. An implementation
    may return a short text (e.g. ``"Case 12 opened"``): it is added to the
    ticket's conversation as the department's acknowledgement. The
    department's answer comes later, through :func:`service_ticket_answer` or
    its people on the department queue page. Returns a string or None.
    """


@hookspec
def service_ticket_answer(ticket: Ticket, department: str) -> str | None:
    """Give the department's answer to a routed ticket, if it has one now.

    Called by the hourly SLA job (and when an agent presses "Ask the
    department") for every ticket waiting on ``department``. Return the answer
    text to record it (the ticket goes back to the agent, status ``"open"``,
    and the customer is informed), or ``None`` while there is none yet.
    Returns a string or None.
    """


@hookspec
def service_ticket_answered(ticket: Ticket, department: str, answer: str) -> None:
    """React to a department's answer being recorded on a ticket (by a person or a hook).

    Called after the answer is added to the ticket's thread. Returns nothing.
    """


@hookspec
def service_ticket_escalated(ticket: Ticket, reason: str) -> None:
    """React to a ticket escalated by the SLA job (``reason``: ``"first_response"`` or ``"resolution"``
    breached). Called once per ticket. Returns nothing."""
