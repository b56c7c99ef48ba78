"""Risk's settings, with their documented defaults (docs/plugins/risk.md, "Settings").

The rules' limits live on the rules themselves (editable data); the
settings give the limits the default rules are created with.
"""
from __future__ import annotations

from decimal import Decimal

from core import context

DEFAULTS = {
    "risk.min_age": "18",                 # knock-out: younger applicants are declined
    "risk.max_dti": "0.45",               # referral: debt (with the new installment) / income above this
    "risk.max_amount": "30000",           # referral: amounts above this go to the committee
    "risk.exposure_cap": "50000",         # knock-out: open principal across the borrower's loans + this one
    "risk.past_due_days": "30",           # knock-out: a loan of the borrower now more than N days past due
    "risk.min_score": "480",              # knock-out: scores below this are declined
    "risk.fuzzy_threshold": "90",         # blacklist: name similarity (0-100) that opens a hit for review
    "risk.maker_checker_amount": "0",     # loans from this amount need approver != disburser (0: all)
}


def setting(session, name: str) -> str:
    return str(context.settings(session).get(name) or DEFAULTS[name]).strip()


def decimal_setting(session, name: str) -> Decimal:
    return Decimal(setting(session, name))
