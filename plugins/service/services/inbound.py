"""E-mail into tickets: one rule for the mail provider's webhook and the mailbox job.

A subject naming one of our tickets (``#12``, as our messages' subjects do) from
that ticket's own address adds the text to it; anything else opens a ticket,
matched to the customer by e-mail.

The mailbox job (:func:`read_mailbox`) reads unseen messages over IMAP (stdlib
``imaplib``, TLS) when ``service.imap_host`` is set, with ``service.imap_user``,
``service.imap_password`` and ``service.imap_folder`` (default ``INBOX``); each
message read is marked seen, so a message becomes a ticket once.
"""
from __future__ import annotations

import email
import email.policy
import re
from email.utils import parseaddr

from plugins.service.models import Ticket
from plugins.service.services import tickets

TICKET_REFERENCE = re.compile(r"#(\d{1,9})\b")


def receive_email(session, sender: str, subject: str, text: str, name: str = "") -> tuple[Ticket, bool]:
    """(the ticket, True when the mail was added to an existing one). ``UserError`` when unusable."""
    sender = (sender or "").strip()
    reference = TICKET_REFERENCE.search(subject or "")
    if reference:
        ticket = session.get(Ticket, int(reference.group(1)))
        if ticket is not None and ticket.status != "closed" and ticket.contact_email.lower() == sender.lower():
            tickets.customer_wrote(session, ticket, text or subject)
            return ticket, True
    ticket = tickets.open_ticket(session, subject=(subject or text[:80]).strip()[:200], channel="email",
                                 body=text, contact_name=name, contact_email=sender)
    return ticket, False


def _plain_text(message) -> str:
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    if part is None:
        return ""
    try:
        return part.get_content().strip()
    except (LookupError, UnicodeDecodeError):
        return ""


def read_mailbox(session, mailbox) -> tuple[int, int]:
    """Turn the unseen messages of an open, selected ``imaplib.IMAP4`` into tickets: (read, refused)."""
    from core.errors import UserError

    status, data = mailbox.search(None, "UNSEEN")
    read = refused = 0
    for number in (data[0] or b"").split() if status == "OK" else []:
        status, parts = mailbox.fetch(number, "(RFC822)")
        if status != "OK" or not parts or not isinstance(parts[0], tuple):
            continue
        message = email.message_from_bytes(parts[0][1], policy=email.policy.default)
        name, sender = parseaddr(str(message.get("From", "")))
        try:
            with session.begin_nested():
                receive_email(session, sender, str(message.get("Subject", "")), _plain_text(message), name)
            read += 1
        except UserError:
            refused += 1
        mailbox.store(number, "+FLAGS", "\\Seen")
    return read, refused


def connect(settings):
    """The configured mailbox, logged in and its folder selected; None when no ``service.imap_host``."""
    import imaplib

    host = settings.get("service.imap_host")
    if not host:
        return None
    mailbox = imaplib.IMAP4_SSL(host, int(settings.get("service.imap_port", 993)))
    mailbox.login(settings.get("service.imap_user", ""), settings.get("service.imap_password", ""))
    mailbox.select(settings.get("service.imap_folder", "INBOX"))
    return mailbox
