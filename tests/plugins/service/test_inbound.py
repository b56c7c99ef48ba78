"""E-mail into tickets: the mailbox job's reading (over a fake IMAP mailbox) and replies continuing a ticket."""
from email.message import EmailMessage

from sqlalchemy import select

from plugins.service.models import Ticket, TicketMessage
from plugins.service.services import inbound


class FakeMailbox:
    """The part of imaplib.IMAP4 the job uses: UNSEEN search, RFC822 fetch, the Seen flag."""

    def __init__(self, messages: list[bytes]):
        self.messages = {str(n + 1).encode(): raw for n, raw in enumerate(messages)}
        self.seen: set[bytes] = set()

    def search(self, charset, criterion):
        return "OK", [b" ".join(n for n in self.messages if n not in self.seen)]

    def fetch(self, number, what):
        return "OK", [(b"1 (RFC822)", self.messages[number]), b")"]

    def store(self, number, command, flag):
        self.seen.add(number)
        return "OK", []


def mail(sender, subject, text) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "help@mutuo.example", subject
    message.set_content(text)
    return message.as_bytes()


def test_the_mailbox_job_turns_unseen_mail_into_tickets_once(session, world):
    customer = world.customer(email="luis@example.com")
    box = FakeMailbox([mail("Luis <Luis@Example.com>", "Statement", "Where is my statement?"),
                       mail("x@example.com", "", "")])  # nothing to say: refused, still marked seen
    assert inbound.read_mailbox(session, box) == (1, 1)
    ticket = session.scalars(select(Ticket)).one()
    assert ticket.customer_id == customer.id and ticket.channel == "email" and ticket.contact_name == "Luis"
    assert inbound.read_mailbox(session, box) == (0, 0)  # all seen

    box = FakeMailbox([mail("luis@example.com", f"Re: Your enquiry #{ticket.id}: Statement", "Found it, thanks")])
    assert inbound.read_mailbox(session, box) == (1, 0)
    assert session.scalars(select(Ticket)).one().id == ticket.id
    words = session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id)).all()
    assert words == ["Where is my statement?", "Found it, thanks"]


def test_a_reply_from_another_address_opens_a_new_ticket(session, world):
    first, _added = inbound.receive_email(session, "a@example.com", "Question", "Hi")
    other, added = inbound.receive_email(session, "b@example.com", f"Re: #{first.id}", "Me too")
    assert not added and other.id != first.id
