"""The blacklist / watch list and screening against it.

Screening order (moov-io/watchman's lesson, "exact before fuzzy"):

1. **Exact matches on validated identifiers**: the ID number (compacted and
   check-digit validated with python-stdnum when it is in one of the
   formats of ``risk.id_formats``, else compared as core's search key),
   the phone in E.164 (phonenumbers, through ``core.search.phone``) and the
   e-mail. An exact hit is strong evidence.
2. **Fuzzy name match** with RapidFuzz's ``token_sort_ratio`` (word order
   does not matter) on the folded names, at or above
   ``risk.fuzzy_threshold`` (default 90 of 100). Names shorter than two
   words are never fuzzy-matched ("George Bush" ~ "George Habbash",
   watchman #115, is why the threshold is high).

Every hit is ``open`` until a person confirms or clears it, with a note;
a hit never declines anything by itself. A confirmed hit puts the customer
on watch (:func:`plugins.risk.services.monitoring.put_on_watch`).
"""
from __future__ import annotations

from decimal import Decimal

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select

from core import context
from core.audit import current_actor, record_event
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from core.search import fold, identifier
from plugins.lending.models import Customer, Loan
from plugins.risk.i18n import _
from plugins.risk.models import BlacklistEntry, Hit
from plugins.risk.services.config import decimal_setting

DEFAULT_ID_FORMATS = "es.dni es.nie es.nif"


def compact_id(value: str, formats: str = DEFAULT_ID_FORMATS) -> tuple[str, str | None]:
    """(the ID in its compact form, the stdnum format that validated it or None)."""
    from stdnum.util import get_cc_module

    value = (value or "").strip()
    for name in formats.split():
        country, _dot, module = name.partition(".")
        checker = get_cc_module(country, module)
        if checker is not None and checker.is_valid(value):
            return checker.compact(value), name
    return value, None


def add_entry(session, *, name: str, id_number: str = "", phone: str = "", email: str = "", reason: str = "",
              source: str = "") -> BlacklistEntry:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the name of the person or company."), "name")
    if not (reason or "").strip():
        raise UserError(_("Say why they are on the list."), "reason")
    formats = str(context.settings(session).get("risk.id_formats") or DEFAULT_ID_FORMATS)
    compact, _format = compact_id(id_number, formats)
    entry = BlacklistEntry(name=name, id_number=compact, phone=(phone or "").strip(), email=(email or "").strip(),
                           reason=reason.strip(), source=(source or "").strip(), active=True,
                           added_on=context.today(session))
    session.add(entry)
    session.flush()
    screen_entry(session, entry)
    return entry


def deactivate(session, entry: BlacklistEntry, reason: str) -> BlacklistEntry:
    if not (reason or "").strip():
        raise UserError(_("Say why the entry is removed from the list."), "reason")
    entry.active = False
    session.flush()
    record_event(session, "risk_blacklist_removed", "risk.blacklist", entry.id, {"reason": reason.strip()})
    return entry


def threshold(session) -> float:
    return float(decimal_setting(session, "risk.fuzzy_threshold"))


def fuzzy_matches(name: str, choices: dict, cutoff: float, limit: int = 5) -> list[tuple[int, float]]:
    """[(choice key, similarity 0-100)] for names of at least two words, best first."""
    folded = fold(name)
    if len(folded.split()) < 2 or not choices:
        return []
    found = process.extract(folded, choices, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=limit)
    return [(key, score) for _choice, score, key in found]


class Screener:
    """Fuzzy name screening against a large list: an inverted index of the names' words narrows the
    candidates to the entries sharing the query's rarest word (of three letters or more; the next
    rarest too when it is not common), then RapidFuzz scores only those. A name misspelt in every
    uncommon word is missed: the price of screening 100,000 entries in a millisecond (bench/risk.py)."""

    COMMON = 1000  # a word in more entries than this narrows too little to be worth scoring

    def __init__(self, entries, cutoff: float):
        from collections import defaultdict

        self.cutoff = cutoff
        self.names: dict = {}
        self.index: dict[str, list] = defaultdict(list)
        for key, name in entries:
            folded = fold(name)
            self.names[key] = folded
            for word in set(folded.split()):
                if len(word) > 2:
                    self.index[word].append(key)

    def matches(self, name: str, limit: int = 5) -> list[tuple[int, float]]:
        words = sorted({w for w in fold(name).split() if len(w) > 2}, key=lambda w: len(self.index.get(w, ())))
        chosen = words[:1] + [w for w in words[1:2] if len(self.index.get(w, ())) <= self.COMMON]
        candidates = {key: self.names[key] for w in chosen for key in self.index.get(w, ())}
        return fuzzy_matches(name, candidates, self.cutoff, limit)


def _open_hit(session, customer: Customer, entry: BlacklistEntry, match: str, similarity: float) -> Hit | None:
    existing = session.scalar(select(Hit).where(Hit.customer_id == customer.id, Hit.entry_id == entry.id))
    if existing is not None:
        return None
    hit = Hit(customer_id=customer.id, entry_id=entry.id, match=match, similarity=Decimal(str(round(similarity, 2))),
              status="open", found_on=context.today(session))
    session.add(hit)
    session.flush()
    context.hooks(session).risk_watchlist_hit(customer=customer, hit=hit)
    active_loan = session.scalar(select(Loan.id).where(Loan.customer_id == customer.id, Loan.status == "active")
                                 .limit(1))
    if active_loan is not None:
        from plugins.risk.services import monitoring

        monitoring.raise_signal(session, customer.id, active_loan, "watchlist_hit",
                                f"{entry.name} ({match}, {hit.similarity})")
    return hit


def screen_customer(session, customer: Customer, screener: Screener | None = None) -> list[Hit]:
    """New hits of ``customer`` against the active list (exact identifiers first, then the name);
    ``screener``: the list's name index, built once by :func:`screen_all`."""
    exact = []
    if customer.id_number_key:
        exact.append((BlacklistEntry.id_number_key == identifier(compact_id(customer.id_number)[0]), "id_number"))
    if customer.phone_key:
        exact.append((BlacklistEntry.phone_key == customer.phone_key, "phone"))
    if customer.email_key:
        exact.append((BlacklistEntry.email_key == customer.email_key, "email"))
    hits, matched = [], set()
    if exact:
        rows = session.scalars(select(BlacklistEntry).where(BlacklistEntry.active.is_(True),
                                                            or_(*(cond for cond, _m in exact))))
        for entry in rows:
            match = ("id_number" if entry.id_number_key and entry.id_number_key == identifier(
                compact_id(customer.id_number)[0]) else "phone" if entry.phone_key and
                entry.phone_key == customer.phone_key else "email")
            matched.add(entry.id)
            hit = _open_hit(session, customer, entry, match, 100.0)
            if hit is not None:
                hits.append(hit)
    if screener is not None:
        found = screener.matches(customer.name)
    else:
        names = dict(session.execute(select(BlacklistEntry.id, BlacklistEntry.name_key)
                                     .where(BlacklistEntry.active.is_(True))).all())
        found = fuzzy_matches(customer.name, names, threshold(session))
    for entry_id, similarity in found:
        if entry_id in matched:
            continue
        hit = _open_hit(session, customer, session.get(BlacklistEntry, entry_id), "name", similarity)
        if hit is not None:
            hits.append(hit)
    return hits


def screen_entry(session, entry: BlacklistEntry) -> list[Hit]:
    """A new entry screened against every customer (the list changed)."""
    conditions = []
    if entry.id_number_key:
        conditions.append(Customer.id_number_key == entry.id_number_key)
    if entry.phone_key:
        conditions.append(Customer.phone_key == entry.phone_key)
    if entry.email_key:
        conditions.append(Customer.email_key == entry.email_key)
    hits = []
    matched = set()
    if conditions:
        for customer in session.scalars(select(Customer).where(or_(*conditions))):
            match = ("id_number" if entry.id_number_key == customer.id_number_key else
                     "phone" if entry.phone_key and entry.phone_key == customer.phone_key else "email")
            matched.add(customer.id)
            hit = _open_hit(session, customer, entry, match, 100.0)
            if hit is not None:
                hits.append(hit)
    first_word = entry.name_key.split(" ")[0] if entry.name_key else ""
    if first_word and len(entry.name_key.split()) >= 2:
        # candidates share a word with the entry (a cheap SQL narrowing before RapidFuzz)
        words = [w for w in entry.name_key.split() if len(w) > 2][:3]
        candidates = dict(session.execute(select(Customer.id, Customer.name_key).where(
            or_(*(Customer.name_key.contains(w) for w in words)))).all()) if words else {}
        for customer_id, similarity in fuzzy_matches(entry.name, candidates, threshold(session), limit=50):
            if customer_id not in matched:
                hit = _open_hit(session, session.get(Customer, customer_id), entry, "name", similarity)
                if hit is not None:
                    hits.append(hit)
    return hits


def screen_all(session) -> int:
    """The job: every customer against the whole active list; returns the number of new hits."""
    screener = Screener(session.execute(select(BlacklistEntry.id, BlacklistEntry.name)
                                        .where(BlacklistEntry.active.is_(True))).all(), threshold(session))
    count = 0
    for customer in session.scalars(select(Customer).order_by(Customer.id)):
        count += len(screen_customer(session, customer, screener))
    return count


def decide_hit(session, hit: Hit, status: str, note: str) -> Hit:
    """A person confirms (a true match: the customer goes on watch) or clears (a false match) a hit."""
    if hit.status != "open":
        raise ConflictError(_("This hit was already decided."), "status")
    if status not in ("confirmed", "cleared"):
        raise UserError(_("Confirm or clear the hit."), "status")
    note = (note or "").strip()
    if not note:
        raise UserError(_("Say why: the decision on a hit is kept with its reason."), "note")
    hit.status, hit.note = status, note
    hit.decided_by_id = current_actor(session).id
    hit.decided_at = utcnow()
    session.flush()
    record_event(session, "risk_hit_" + status, "risk.hit", hit.id, {"note": note, "customer_id": hit.customer_id})
    if status == "confirmed":
        from plugins.risk.services import monitoring

        monitoring.put_on_watch(session, hit.customer, _("Blacklist: ${name}", mapping={"name": hit.entry.name}))
    return hit


def open_hits(session, customer_id: int) -> list[Hit]:
    return list(session.scalars(select(Hit).where(Hit.customer_id == customer_id, Hit.status == "open")))


def screening_state(session, customer_id: int) -> str:
    """``hit`` (a confirmed or an open exact hit), ``review`` (an open fuzzy hit) or ``clear``."""
    states = session.execute(select(Hit.status, Hit.match).where(Hit.customer_id == customer_id,
                                                                 Hit.status != "cleared")).all()
    if any(s == "confirmed" or m != "name" for s, m in states):
        return "hit"
    return "review" if states else "clear"


