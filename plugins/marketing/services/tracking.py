"""Tracked links, clicks, visitors and touchpoints.

How a click becomes a customer's touchpoint (the decision, see also models.py):
the public ``/r/<code>`` gives the browser an anonymous visitor id (cookie
``mutuo_vid``) and records the click; the company's sign-up page identifies
the visitor by the e-mail or phone they type (``identify_visitor``, reached
through the public ``/marketing/join`` form or ``POST /api/v1/marketing/visitors``
from the website's back end); when lending creates a customer with that
e-mail or phone, every click of those visitors becomes one of the customer's
touchpoints, and later clicks of an identified visitor become touchpoints at
once. Nothing is guessed from IP addresses or user agents.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import or_, select

from core import context, search
from core.errors import UserError
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import Campaign, Click, Link, Touchpoint, Visitor
from plugins.marketing.services import now

VISITOR_COOKIE = "mutuo_vid"
_VISITOR_ID = re.compile(r"^[0-9a-f]{32}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{3,32}$")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", search.fold(text)).strip("-")[:60] or "x"


# -- links ---------------------------------------------------------------------------------------

def check_target(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 900 or any(c in url for c in "\r\n "):
        raise UserError(_("Give the full address the link leads to, starting with https:// or http://."),
                        "target_url")
    return url


def create_link(session, campaign: Campaign, target_url: str, medium: str = "", code: str = "") -> Link:
    target_url = check_target(target_url)
    code = (code or "").strip()
    if code:
        if not _CODE.match(code):
            raise UserError(_("A code has 3 to 32 letters, digits, '-' or '_'."), "code")
        if session.scalar(select(Link.id).where(Link.code == code)):
            raise UserError(_("The code ${code} is taken; choose another.", mapping={"code": code}), "code")
    else:
        code = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
        while session.scalar(select(Link.id).where(Link.code == code)):  # 2**48 codes: a repeat is rare
            code = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
    link = Link(code=code, campaign_id=campaign.id, medium=slug(medium) if medium else "", target_url=target_url,
                active=True)
    session.add(link)
    session.flush()
    return link


def destination(link: Link, campaign: Campaign) -> str:
    """The link's stored target with its UTM parameters (the visitor's own query string is never used)."""
    parts = urlsplit(link.target_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", slug(campaign.channel.name)), ("utm_medium", link.medium or campaign.channel.kind),
              ("utm_campaign", slug(campaign.name)), ("utm_content", link.code)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


# -- clicks and visitors -----------------------------------------------------------------------------

def visitor_id(cookie: str | None) -> tuple[str, bool]:
    """The visitor id from the cookie if it is one of ours, else a new one (and True: set the cookie)."""
    if cookie and _VISITOR_ID.match(cookie):
        return cookie, False
    return secrets.token_hex(16), True


def record_click(session, link: Link, visitor: str, referrer: str = "", at: datetime | None = None) -> Click:
    click = Click(link_id=link.id, campaign_id=link.campaign_id, visitor_id=visitor,
                  referrer=(referrer or "")[:500], clicked_at=at or now(session))
    session.add(click)
    session.flush()
    known = session.scalar(select(Visitor.customer_id).where(Visitor.visitor_id == visitor,
                                                            Visitor.customer_id.is_not(None)).limit(1))
    if known is not None:  # an identified visitor: the click is the customer's touchpoint at once
        _touch(session, known, link.campaign_id, click.clicked_at, "click", click_id=click.id)
    return click


def identify_visitor(session, visitor: str, email: str = "", phone: str = "") -> Visitor:
    """Remember the e-mail/phone a visitor typed on the sign-up page; an existing customer claims the clicks now."""
    if not _VISITOR_ID.match(visitor or ""):
        raise UserError(_("This visitor id is not one of ours."), "visitor_id")
    email, phone = search.email(email), search.phone(phone)
    if email and ("@" not in email or len(email) > 200):
        raise UserError(_("Give a valid e-mail address."), "email")
    if not (email or phone):
        raise UserError(_("Give an e-mail address or a phone number."), "email")
    record = Visitor(visitor_id=visitor, email=email, phone=phone)
    session.add(record)
    session.flush()
    matches = [c for c in (Customer.email_key == email if email else None,
                           Customer.phone_key == phone if phone else None) if c is not None]
    customer_id = session.scalar(select(Customer.id).where(or_(*matches)).order_by(Customer.id).limit(1))
    if customer_id is not None:
        claim_clicks(session, customer_id, [record])
    return record


def claim_clicks(session, customer_id: int, visitors: list[Visitor]) -> list[Touchpoint]:
    """Turn the visitors' clicks that are nobody's touchpoint yet into ``customer_id``'s touchpoints."""
    ids = {v.visitor_id for v in visitors}
    for record in visitors:
        record.customer_id = customer_id
    taken = select(Touchpoint.click_id).where(Touchpoint.click_id.is_not(None))
    clicks = session.scalars(select(Click).where(Click.visitor_id.in_(ids), Click.id.not_in(taken))
                             .order_by(Click.clicked_at, Click.id)).all()
    return [_touch(session, customer_id, c.campaign_id, c.clicked_at, "click", click_id=c.id) for c in clicks]


def on_customer_created(session, customer: Customer) -> list[Touchpoint]:
    """lending_customer_created: the clicks of the visitors who gave this e-mail or phone become touchpoints."""
    matches = []
    if customer.email_key:
        matches.append(Visitor.email == customer.email_key)
    if customer.phone_key:
        matches.append(Visitor.phone == customer.phone_key)
    if not matches:
        return []
    visitors = session.scalars(select(Visitor).where(or_(*matches), Visitor.customer_id.is_(None))).all()
    return claim_clicks(session, customer.id, list(visitors)) if visitors else []


# -- touchpoints -----------------------------------------------------------------------------------

def _touch(session, customer_id: int, campaign_id: int, at: datetime, source: str, click_id: int | None = None,
           note: str = "") -> Touchpoint:
    touch = Touchpoint(customer_id=customer_id, campaign_id=campaign_id, touched_at=at, source=source,
                       click_id=click_id, note=note[:200])
    session.add(touch)
    session.flush()
    context.hooks(session).marketing_touchpoint_recorded(touchpoint=touch)
    return touch


def add_offline_touch(session, customer: Customer, campaign: Campaign, touched_on: date, note: str = "",
                      source: str = "offline") -> Touchpoint:
    """An event attendance or a partner's referral, typed by hand (or a CSV line)."""
    if customer is None:
        raise UserError(_("Choose the customer."), "customer_id")
    if campaign is None:
        raise UserError(_("Choose the campaign."), "campaign_id")
    if not isinstance(touched_on, date):
        raise UserError(_("Give the date of the contact."), "touched_on")
    if touched_on > context.today(session):
        raise UserError(_("A contact cannot be in the future."), "touched_on")
    return _touch(session, customer.id, campaign.id, datetime.combine(touched_on, time(12), tzinfo=UTC), source,
                  note=(note or "").strip())


CSV_COLUMNS = ("customer_id_number", "campaign", "date", "note")


def import_touches(session, text: str) -> int:
    """Offline touchpoints from CSV (``customer_id_number,campaign,date,note``; campaign by id or exact name).

    All or nothing: the first bad line is named and nothing is written.
    """
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise UserError(_("The file has no lines under its header."), "file")
    missing = [c for c in CSV_COLUMNS[:3] if c not in (rows[0].keys() or ())]
    if missing:
        raise UserError(_("The header must name the columns ${columns}.", mapping={"columns": ", ".join(CSV_COLUMNS)}),
                        "file")
    made = 0
    for line, row in enumerate(rows, start=2):
        customer = session.scalar(select(Customer).where(Customer.id_number == (row["customer_id_number"] or "").strip()))
        name = (row["campaign"] or "").strip()
        campaign = (session.get(Campaign, int(name)) if name.isdigit() else
                    session.scalar(select(Campaign).where(Campaign.name == name).limit(1)))
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            day = None
        if customer is None or campaign is None or day is None:
            what = _("customer") if customer is None else _("campaign") if campaign is None else _("date")
            raise UserError(_("Line ${line}: unknown ${what}; nothing was imported.",
                              mapping={"line": line, "what": what}), "file")
        try:
            add_offline_touch(session, customer, campaign, day, row.get("note") or "", source="import")
        except UserError as exc:
            raise UserError(_("Line ${line}: ${error}", mapping={"line": line, "error": exc.message}), "file") from None
        made += 1
    return made
