"""Core's message service: SMS and e-mail for every department. See docs/messages.md.

Departments compose (:func:`compose`, or :func:`compose_from_select` for a
set-based job), using :func:`check_template` / :func:`render` /
:func:`render_sql` for their texts; consent is kept per channel and address
(:func:`opt_out`, :func:`opt_in`); gateways are plugins
(``mutuo_message_gateways``, :class:`Gateway`); the job
``core.deliver_messages`` sends, rate-limits and retries (:func:`deliver`).
No department talks to a gateway itself.
"""
from core.messages.consent import is_opted_out, opt_in, opt_out, opted_out_sql  # noqa: F401
from core.messages.delivery import deliver  # noqa: F401
from core.messages.gateways import Gateway, MemoryGateway, gateways_for  # noqa: F401
from core.messages.outbox import SELECT_COLUMNS, compose, compose_from_select  # noqa: F401
from core.messages.templates import amount_sql, check_template, render, render_sql  # noqa: F401
