"""Risk's JSON API under ``/api/v1/risk`` (the convention: docs/api.md).

Reviews (list with filters, one review with its explained score, rules and
screening, the decision), scoring an application's facts with the active
card without storing anything (``/score``), the blacklist (list, add) and a
hit's decision, monitoring signals (list, close), committee votes. Every
handler calls the services the screens call; their refusals become problems.
"""
from __future__ import annotations

from decimal import Decimal

from core.api import DATE, DATETIME, ID, MONEY, Filter, Listing, Operation, array, nullable, obj, text
from core.errors import NotFound
from core.security import get_visible_or_404, restricted_query
from plugins.risk.i18n import _
from plugins.risk.models import (
    HIT_STATUSES,
    LEVELS,
    MATCHES,
    OUTCOMES,
    RECOMMENDATIONS,
    REVIEW_STATUSES,
    SIGNAL_KINDS,
    SIGNAL_STATUSES,
    VOTES,
    AgendaItem,
    BlacklistEntry,
    Hit,
    Review,
    Signal,
)
from plugins.risk.services import blacklist, committee, monitoring, reviews, scorecards

P = "risk."
SCORE = {"type": "string", "pattern": r"^-?[0-9]{1,10}(\.[0-9]{1,2})?$", "description": "A score as a string."}


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


CONTRIBUTION = obj({"code": text(60), "label": text(200), "value": nullable({"type": "string"}), "bin": text(200),
                    "points": {"type": "string"}, "shortfall": {"type": "string"}, "reason": text(200)})
RULE_RESULT = obj({"code": text(40), "check": text(20), "limit": nullable({"type": "string"}),
                   "result": _enum(("pass", "fired", "missing")), "outcome": _enum(OUTCOMES)})
REVIEW = obj({"id": ID, "application_id": ID, "customer_id": ID, "scorecard_id": nullable(ID),
              "score": nullable(SCORE), "grade": text(4), "status": _enum(REVIEW_STATUSES),
              "rule_outcome": _enum(OUTCOMES), "screening": _enum(("clear", "review", "hit")), "exposure": MONEY,
              "level": text(10), "recommendation": text(24), "warnings": {"type": "string"},
              "conditions": {"type": "string"}, "reasons": {"type": "array", "items": {"type": "string"}},
              "opened_on": DATE, "decided_at": nullable(DATETIME)})
REVIEW_RECORD = {**REVIEW, "properties": {**REVIEW["properties"], "explanation": array(CONTRIBUTION),
                                          "rule_results": array(RULE_RESULT)},
                 "required": [*REVIEW["required"], "explanation", "rule_results"]}
DECISION = obj({"recommendation": _enum(RECOMMENDATIONS), "level": _enum(LEVELS), "warnings": text(5000),
                "conditions": text(5000), "reason": text(5000)}, required=["recommendation", "level"])
SCORED = obj({"scorecard_id": ID, "version": {"type": "integer"}, "score": SCORE, "grade": text(4),
              "level": text(10), "bad_rate": {"type": "number"}, "reasons": {"type": "array", "items": text(200)},
              "explanation": array(CONTRIBUTION)})
FACTS = obj({name: {"type": ["string", "number", "integer", "null"]} for name in scorecards.FACTS}, required=[])
ENTRY = obj({"id": ID, "name": text(200, 1), "id_number": text(64), "phone": text(50), "email": text(200),
             "reason": {"type": "string"}, "source": text(100), "active": {"type": "boolean"}, "added_on": DATE})
NEW_ENTRY = obj({"name": text(200, 1), "id_number": text(64), "phone": text(50), "email": text(200),
                 "reason": text(5000, 1), "source": text(100)}, required=["name", "reason"])
HIT = obj({"id": ID, "customer_id": ID, "entry_id": ID, "match": _enum(MATCHES), "similarity": {"type": "number"},
           "status": _enum(HIT_STATUSES), "found_on": DATE, "note": {"type": "string"}})
SIGNAL = obj({"id": ID, "customer_id": ID, "loan_id": nullable(ID), "kind": _enum(SIGNAL_KINDS),
              "detail": {"type": "string"}, "raised_on": DATE, "status": _enum(SIGNAL_STATUSES),
              "follow_up": {"type": "string"}})
VOTE = obj({"item_id": ID, "vote": _enum(VOTES), "decision": text(24), "approvals": {"type": "integer"},
            "declines": {"type": "integer"}})


def _money(value) -> str:
    return f"{value or 0:.2f}"


def review_json(review: Review) -> dict:
    return {"id": review.id, "application_id": review.application_id, "customer_id": review.customer_id,
            "scorecard_id": review.scorecard_id, "score": None if review.score is None else f"{review.score:.2f}",
            "grade": review.grade, "status": review.status, "rule_outcome": review.rule_outcome,
            "screening": review.screening, "exposure": _money(review.exposure), "level": review.level,
            "recommendation": review.recommendation, "warnings": review.warnings, "conditions": review.conditions,
            "reasons": [r for r in review.reasons.split(", ") if r], "opened_on": review.opened_on,
            "decided_at": review.decided_at}


def review_record(review: Review) -> dict:
    return {**review_json(review), "explanation": review.explanation or [], "rule_results": review.rule_results or []}


def entry_json(entry: BlacklistEntry) -> dict:
    return {"id": entry.id, "name": entry.name, "id_number": entry.id_number, "phone": entry.phone,
            "email": entry.email, "reason": entry.reason, "source": entry.source, "active": entry.active,
            "added_on": entry.added_on}


def hit_json(hit: Hit) -> dict:
    return {"id": hit.id, "customer_id": hit.customer_id, "entry_id": hit.entry_id, "match": hit.match,
            "similarity": float(hit.similarity), "status": hit.status, "found_on": hit.found_on, "note": hit.note}


def signal_json(signal: Signal) -> dict:
    return {"id": signal.id, "customer_id": signal.customer_id, "loan_id": signal.loan_id, "kind": signal.kind,
            "detail": signal.detail, "raised_on": signal.raised_on, "status": signal.status,
            "follow_up": signal.follow_up}


# -- handlers ------------------------------------------------------------------------------------

def list_reviews(request, call):
    return restricted_query(request, Review)


def read_review(request, call):
    return review_record(get_visible_or_404(request, Review, call.path["id"]))


def decide_review(request, call):
    review = get_visible_or_404(request, Review, call.path["id"])
    body = call.body
    return review_record(reviews.decide(request.dbsession, review, recommendation=body["recommendation"],
                                        level=body["level"], warnings=body.get("warnings", ""),
                                        conditions=body.get("conditions", ""), reason=body.get("reason", "")))


def score_facts(request, call):
    card_row = scorecards.active(request.dbsession)
    if card_row is None:
        raise NotFound(_("No scorecard is active."))
    facts = {k: (Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
             for k, v in (call.body or {}).items()}
    result = scorecards.card(card_row).score(facts)
    return {"scorecard_id": card_row.id, "version": card_row.version, "score": f"{result.score:.2f}",
            "grade": result.grade, "level": result.level, "bad_rate": round(result.bad_rate, 6),
            "reasons": list(result.reasons), "explanation": result.explanation()}


def list_entries(request, call):
    return restricted_query(request, BlacklistEntry)


def add_entry(request, call):
    return entry_json(blacklist.add_entry(request.dbsession, **call.body))


def list_hits(request, call):
    return restricted_query(request, Hit)


def decide_hit(request, call):
    hit = get_visible_or_404(request, Hit, call.path["id"])
    return hit_json(blacklist.decide_hit(request.dbsession, hit, call.body["status"], call.body["note"]))


def list_signals(request, call):
    return restricted_query(request, Signal)


def close_signal(request, call):
    signal = get_visible_or_404(request, Signal, call.path["id"])
    return signal_json(monitoring.close_signal(request.dbsession, signal, call.body["follow_up"],
                                               watch=bool(call.body.get("watch"))))


def vote_item(request, call):
    item = get_visible_or_404(request, AgendaItem, call.path["id"])
    cast = committee.vote(request.dbsession, item, request.user.id, call.body["vote"], call.body.get("note", ""))
    result = committee.item_tally(item)
    return {"item_id": item.id, "vote": cast.vote, "decision": item.decision, "approvals": result.approvals,
            "declines": result.declines}


def operations() -> list[Operation]:
    tags = ("risk",)
    return [
        Operation("GET", "/reviews", "reviews.list", list_reviews, P + "review.view", _("List risk reviews"),
                  response=REVIEW, tags=tags,
                  listing=Listing(Review, review_json, default_sort="-id", filters={
                      "status": Filter(Review.status, schema=_enum(REVIEW_STATUSES)),
                      "grade": Filter(Review.grade), "rule_outcome": Filter(Review.rule_outcome, schema=_enum(OUTCOMES)),
                      "application_id": Filter(Review.application_id, schema=ID),
                      "customer_id": Filter(Review.customer_id, schema=ID)},
                      sorts={"opened_on": Review.opened_on})),
        Operation("GET", "/reviews/{id}", "reviews.read", read_review, P + "review.view",
                  _("One review: the explained score, the rules and the screening"), response=REVIEW_RECORD,
                  tags=tags),
        Operation("POST", "/reviews/{id}/decision", "reviews.decide", decide_review, P + "review.decide",
                  _("Assess and decide a pending review"),
                  description=_("approve / approve_with_conditions approve the application in lending (refused after "
                                "a knock-out, with an open blacklist hit, or by the person who prepared it); decline "
                                "needs a reason; refer puts it on the committee's next agenda."),
                  body=DECISION, response=REVIEW_RECORD, tags=tags),
        Operation("POST", "/score", "score", score_facts, P + "review.view",
                  _("Score facts with the active scorecard (nothing is stored)"), body=FACTS, response=SCORED,
                  tags=tags),
        Operation("GET", "/blacklist", "blacklist.list", list_entries, P + "blacklist.view", _("List the blacklist"),
                  response=ENTRY, tags=tags,
                  listing=Listing(BlacklistEntry, entry_json, default_sort="-id",
                                  filters={"active": Filter(BlacklistEntry.active)})),
        Operation("POST", "/blacklist", "blacklist.create", add_entry, P + "blacklist.manage",
                  _("Add a blacklist entry (every customer is screened against it)"), body=NEW_ENTRY,
                  response=ENTRY, status=201, idempotent=True, tags=tags),
        Operation("GET", "/hits", "hits.list", list_hits, P + "blacklist.view", _("List blacklist hits"),
                  response=HIT, tags=tags,
                  listing=Listing(Hit, hit_json, default_sort="-id", filters={
                      "status": Filter(Hit.status, schema=_enum(HIT_STATUSES)),
                      "customer_id": Filter(Hit.customer_id, schema=ID)})),
        Operation("POST", "/hits/{id}/decision", "hits.decide", decide_hit, P + "blacklist.manage",
                  _("Confirm or clear a blacklist hit, saying why"),
                  body=obj({"status": _enum(("confirmed", "cleared")), "note": text(5000, 1)}), response=HIT,
                  tags=tags),
        Operation("GET", "/signals", "signals.list", list_signals, P + "signal.view", _("List monitoring signals"),
                  response=SIGNAL, tags=tags,
                  listing=Listing(Signal, signal_json, default_sort="-id", filters={
                      "status": Filter(Signal.status, schema=_enum(SIGNAL_STATUSES)),
                      "kind": Filter(Signal.kind, schema=_enum(SIGNAL_KINDS)),
                      "customer_id": Filter(Signal.customer_id, schema=ID)})),
        Operation("POST", "/signals/{id}/close", "signals.close", close_signal, P + "signal.handle",
                  _("Close a signal with the follow-up"),
                  body=obj({"follow_up": text(5000, 1), "watch": {"type": "boolean"}}, required=["follow_up"]),
                  response=SIGNAL, tags=tags),
        Operation("POST", "/agenda-items/{id}/votes", "items.vote", vote_item, P + "committee.vote",
                  _("Vote on a committee agenda item, as oneself"),
                  body=obj({"vote": _enum(VOTES), "note": text(5000)}, required=["vote"]), response=VOTE,
                  status=201, idempotent=True, tags=tags),
    ]
