"""Collections' SMS and e-mail to debtors, composed through core's message service.

Collections writes the texts (strategy steps, a collector's message when
logging a contact) and decides who gets them; core keeps the messages
(``core_message``, ``sender = "collections"``, about the case
``collections.case``/<id>), checks consent, and its job
``core.deliver_messages`` hands them to the gateway plugins. Without a gateway
the outbox is the gateway (status ``outbox``). See docs/messages.md.

The daily job composes set-based: its SMS texts are rendered in SQL by core's
:func:`core.messages.render_sql` from the placeholder → column mapping below,
the same rule as :func:`render` (a test checks they agree).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import String, cast, literal, select
from sqlalchemy import case as sql_case

from core import messages as core_messages
from core.errors import UserError
from plugins.collections.i18n import _, word
from plugins.collections.models import MESSAGE_CHANNELS
from plugins.collections.services import bulk

SENDER = "collections"
ENTITY_TYPE = "collections.case"
PLACEHOLDERS = ("customer", "loan", "amount", "days", "case")


def check_template(text: str, field: str = "message") -> None:
    """Refuse a strategy text with placeholders other than :data:`PLACEHOLDERS` (core's rule)."""
    core_messages.check_template(text, PLACEHOLDERS, field)


def render(text: str, *, customer: str, loan: int, amount: Decimal, days: int, case: int,
           locale: str | None = None) -> str:
    """The reference rendering of a strategy text (the SQL one must give the same).

    The amount is written the way ``locale`` writes money (default: the language being served — jobs run
    in the company's, ``mutuo.default_locale``): ``1,234.56`` in English, ``1.234,56`` in Spanish.
    """
    from core.formatting import formatter

    shown = formatter(locale or _language()).money(amount)
    return core_messages.render(text, {"customer": customer, "loan": loan, "amount": shown, "days": days,
                                       "case": case})


def render_sql(dialect: str, text, *, customer, loan, amount, days, case, locale: str | None = None):
    """SQL rendering of a strategy text for many rows at once (the daily job); equals :func:`render`."""
    return core_messages.render_sql(text, {"customer": customer, "loan": loan,
                                           "amount": _localized_sql(core_messages.amount_sql(dialect, amount),
                                                                    locale or _language()),
                                           "days": days, "case": case})


def _language() -> str:
    from core.web.parsing import current_locale

    return current_locale()


def _localized_sql(english, locale: str):
    """``1,234.56`` (core's SQL amount) with ``locale``'s group and decimal symbols (``1.234,56`` in es)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol
    from sqlalchemy import func

    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    if (group, decimal) == (",", "."):
        return english
    marker = "\x01"
    return func.replace(func.replace(func.replace(english, ",", marker), ".", decimal), marker, group)


def recipient_for(customer, channel: str) -> str:
    return (customer.phone if channel == "sms" else customer.email) or ""


def check_sendable(case, channel: str, body: str) -> str:
    """The recipient of a message we may send; a UserError when there is no text or no address."""
    if channel not in MESSAGE_CHANNELS:
        raise UserError(_("Only SMS and email are sent as messages."), "channel")
    if not (body or "").strip():
        raise UserError(_("Write the ${channel} text.", mapping={"channel": word(channel)}), "message")
    recipient = recipient_for(case.customer, channel)
    if not recipient:
        if channel == "sms":
            raise UserError(_("${name} has no phone number on file; update the customer or choose another channel.",
                              mapping={"name": case.customer.name}), "channel")
        raise UserError(_("${name} has no email address on file; update the customer or choose another channel.",
                          mapping={"name": case.customer.name}), "channel")
    return recipient


def queue_message(session, case, channel: str, body: str, *, contact_id=None):
    """Compose one message about ``case`` (a collector's contact); refuse it when the customer has no address."""
    recipient = check_sendable(case, channel, body)
    return core_messages.compose(session, sender=SENDER, channel=channel, address=recipient, body=body,
                                 entity_type=ENTITY_TYPE, entity_id=case.id,
                                 sender_ref=f"contact:{contact_id}" if contact_id else "")


def queue_for_items(session, item_ids: list[int]) -> int:
    """Compose the messages of these SMS/email action items, rendered in SQL (the daily job's bulk path)."""
    from plugins.collections.models import ActionItem, Case, StrategyAction
    from plugins.lending.models import Customer, Loan

    if not item_ids:
        return 0
    A, S, C = ActionItem.__table__, StrategyAction.__table__, Case.__table__
    K, L = Customer.__table__, Loan.__table__
    dialect = session.get_bind().dialect.name
    body = render_sql(dialect, S.c.message, customer=K.c.name, loan=C.c.loan_id, amount=C.c.overdue_amount,
                      days=L.c.days_past_due, case=C.c.id)
    recipient = sql_case((A.c.channel == "sms", K.c.phone), else_=K.c.email)
    written = 0
    for chunk in bulk.id_chunks(session, item_ids):
        rows = (select(A.c.channel.label("channel"), recipient.label("address"), literal("").label("subject"),
                       body.label("body"), literal(ENTITY_TYPE).label("entity_type"), A.c.case_id.label("entity_id"),
                       (literal("action_item:") + cast(A.c.id, String)).label("sender_ref"))
                .select_from(A.join(S, S.c.id == A.c.action_id).join(C, C.c.id == A.c.case_id)
                             .join(K, K.c.id == C.c.customer_id).join(L, L.c.id == C.c.loan_id))
                .where(bulk.in_ids(session, A.c.id, chunk)))
        written += core_messages.compose_from_select(session, SENDER, rows)
    return written
