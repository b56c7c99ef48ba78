"""Knock-out and referral rules as data: each rule is a check, a limit and an outcome.

A rule "fires" when its check fails against the application's facts; its
outcome is then ``decline`` (knock-out) or ``refer`` (to the committee). A
fact the rule needs but the application lacks (no income, no birth date)
gives the result ``missing`` and passes: a rule cannot knock out what it
cannot see, and the report shows the analyst which facts were missing. The outcome of all rules is the worst of them
(decline > refer > pass).

The default rules are created from the settings (:mod:`plugins.risk.services.config`)
the first time they are needed; after that they are edited as data.
"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from core.errors import UserError
from plugins.risk.i18n import _
from plugins.risk.models import OUTCOMES, RULE_CHECKS, Rule
from plugins.risk.services.config import decimal_setting

#: check -> (default code, setting giving the default limit, default outcome)
DEFAULTS = {
    "min_age": ("KO_MIN_AGE", "risk.min_age", "decline"),
    "max_dti": ("RF_DTI", "risk.max_dti", "refer"),
    "max_amount": ("RF_AMOUNT", "risk.max_amount", "refer"),
    "exposure_cap": ("KO_EXPOSURE", "risk.exposure_cap", "decline"),
    "past_due_days": ("KO_PAST_DUE", "risk.past_due_days", "decline"),
    "min_score": ("KO_SCORE", "risk.min_score", "decline"),
    "on_watch": ("RF_WATCH", None, "refer"),
}
SEVERITY = {"pass": 0, "refer": 1, "decline": 2}


CACHE = "risk.rules"  # session.info: a snapshot of the rules, read once per session (cleared by save_rule)


class RuleData(NamedTuple):
    code: str
    check: str
    limit: Decimal | None
    outcome: str
    active: bool


def current_rules(session) -> list[RuleData]:
    """The rules as plain data, read once per session (the demo reviews hundreds in one)."""
    cached = session.info.get(CACHE)
    if cached is None:
        cached = session.info[CACHE] = [RuleData(r.code, r.check, r.limit, r.outcome, r.active)
                                        for r in ensure_defaults(session)]
    return cached


def ensure_defaults(session) -> list[Rule]:
    rules = list(session.scalars(select(Rule).order_by(Rule.position, Rule.id)))
    if rules:
        return rules
    for position, (check, (code, setting, outcome)) in enumerate(DEFAULTS.items()):
        session.add(Rule(code=code, check=check, limit=decimal_setting(session, setting) if setting else None,
                         outcome=outcome, active=True, position=position))
    session.flush()
    return list(session.scalars(select(Rule).order_by(Rule.position, Rule.id)))


def save_rule(session, rule: Rule | None, *, code: str, check: str, limit, outcome: str, active: bool = True,
              position: int = 0) -> Rule:
    code = (code or "").strip().upper()
    if not code:
        raise UserError(_("Give the rule a code."), "code")
    if check not in RULE_CHECKS:
        raise UserError(_("Choose what the rule checks."), "check")
    if outcome not in ("decline", "refer"):
        raise UserError(_("A rule either declines or refers to the committee."), "outcome")
    if limit is None and check != "on_watch":
        raise UserError(_("This check needs a limit."), "limit")
    clash = session.scalar(select(Rule).where(Rule.code == code))
    if clash is not None and clash is not rule:
        raise UserError(_("Another rule already has the code ${code}.", mapping={"code": code}), "code")
    session.info.pop(CACHE, None)
    rule = rule or Rule()
    rule.code, rule.check, rule.limit, rule.outcome, rule.active, rule.position = (
        code, check, None if limit is None else Decimal(str(limit)), outcome, active, position)
    session.add(rule)
    session.flush()
    return rule


def _fires(check: str, limit: Decimal | None, facts: dict, score) -> bool | None:
    """True when the rule fires, False when it passes, None when a fact it needs is missing."""
    if check == "min_age":
        return None if facts.get("age") is None else facts["age"] < limit
    if check == "max_dti":
        return None if facts.get("dti") is None else facts["dti"] > limit
    if check == "max_amount":
        return facts["amount"] > limit
    if check == "exposure_cap":
        return facts["exposure"] + facts["amount"] > limit
    if check == "past_due_days":
        return (facts.get("past_max_dpd") or 0) > limit
    if check == "min_score":
        return None if score is None else score < limit
    if check == "on_watch":
        return bool(facts.get("on_watch"))
    raise ValueError(check)


def evaluate(rules: list, facts: dict, score=None) -> tuple[str, list[dict]]:
    """(the worst outcome, one result per active rule: code, check, limit, result, outcome)."""
    results, worst = [], "pass"
    for rule in rules:
        if not rule.active:
            continue
        fired = _fires(rule.check, rule.limit, facts, score)
        outcome = rule.outcome if fired else "pass"
        if SEVERITY[outcome] > SEVERITY[worst]:
            worst = outcome
        results.append({"code": rule.code, "check": rule.check,
                        "limit": None if rule.limit is None else str(rule.limit),
                        "result": "missing" if fired is None else "fired" if fired else "pass", "outcome": outcome})
    assert worst in OUTCOMES
    return worst, results
