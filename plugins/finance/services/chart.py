"""Editing the chart of accounts and the posting rules (finance managers).

An account's code is unique and never changes once lines use it; an account with lines is
deactivated, not deleted. A rule names an account of the chart, a side, an amount key and a party.
Whether the rules of an event still balance shows at the next event: :func:`.journal.post` refuses
an unbalanced entry, and the lending operation with it, so a wrong edit cannot reach the books.
"""
from __future__ import annotations

from sqlalchemy import select

from core.errors import UserError
from plugins.finance.i18n import _
from plugins.finance.models import ACCOUNT_KINDS, PARTIES, SIDES, Account, Line, PostingRule
from plugins.finance.services import journal


def save_account(session, account: Account | None, *, code: str, name: str, kind: str, custodial: bool = False,
                 active: bool = True, description: str = "") -> Account:
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 12:
        raise UserError(_("Give the account a code of at most 12 characters."), "code")
    if not name:
        raise UserError(_("Give the account a name."), "name")
    if kind not in ACCOUNT_KINDS:
        raise UserError(_("Choose the kind of account."), "kind")
    other = session.scalar(select(Account).where(Account.code == code))
    if other is not None and other is not account:
        raise UserError(_("Account ${code} exists already.", mapping={"code": code}), "code")
    if account is not None and account.code != code and session.scalar(
            select(Line.id).where(Line.account_id == account.id).limit(1)) is not None:
        raise UserError(_("Account ${code} has entries; its code stays.", mapping={"code": account.code}), "code")
    if account is None:
        account = Account()
        session.add(account)
    account.code, account.name, account.kind = code, name, kind
    account.custodial, account.active, account.description = bool(custodial), bool(active), description or ""
    session.flush()
    journal.forget(session)
    return account


def save_rule(session, rule: PostingRule, *, account_code: str, side: str, amount: str, party: str = "") -> PostingRule:
    if session.scalar(select(Account.id).where(Account.code == account_code)) is None:
        raise UserError(_("There is no account ${code} in the chart.", mapping={"code": account_code}), "account_code")
    if side not in SIDES:
        raise UserError(_("Choose debit or credit."), "side")
    if party not in PARTIES:
        raise UserError(_("Choose nobody, the customer or the investors."), "party")
    if not (amount or "").strip():
        raise UserError(_("Name the event's amount."), "amount")
    rule.account_code, rule.side, rule.amount, rule.party = account_code, side, amount.strip(), party
    session.flush()
    journal.forget(session)
    return rule
