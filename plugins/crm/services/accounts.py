"""Accounts (prospects, investors, partners) and their link to lending's customer.

When lending creates a customer (:func:`on_customer_created`), the account
that names the same person is linked: the same ID number first, else the same
e-mail, else the same phone — compared through core.search's normalisers
(``identifier``, ``email``, ``phone``: ``12.345.678-z`` is ``12345678Z``,
``600 12 34 56`` is ``+34600123456``), on indexed keys. Only an account not
yet linked is taken; when two accounts match at the same rank, the older one.
The owner is credited with a new borrower or a new investor (targets).
"""
from __future__ import annotations

from sqlalchemy import or_, select

from core import context, search
from core.errors import ConflictError, UserError
from plugins.crm.i18n import _
from plugins.crm.models import ACCOUNT_KINDS, PARTNER_TYPES, TIERS, Account, Contact, Credit
from plugins.crm.services.pipeline import _probability

FIELDS = ("name", "kind", "partner_type", "is_company", "owner_id", "region", "industry", "tier", "id_number",
          "email", "phone", "notes", "commission_rate")


def _clean(session, data: dict, account: Account | None = None) -> dict:
    data = {k: v for k, v in data.items() if k in FIELDS}
    name = (data.get("name") or "").strip()
    if not name:
        raise UserError(_("Give the account a name."), "name")
    data["name"] = name
    if data.get("kind") not in ACCOUNT_KINDS:
        raise UserError(_("Choose borrower, investor or partner."), "kind")
    data["partner_type"] = data.get("partner_type") or ""
    if data["partner_type"] not in PARTNER_TYPES:
        raise UserError(_("Choose a partner type."), "partner_type")
    if data["kind"] != "partner":
        data["partner_type"] = ""
    data["tier"] = data.get("tier") or "C"
    if data["tier"] not in TIERS:
        raise UserError(_("Choose tier A, B or C."), "tier")
    rate = _probability(data.get("commission_rate"), "commission_rate")
    data["commission_rate"] = rate if rate is not None else 0
    for key in ("region", "industry", "id_number", "email", "phone", "notes"):
        data[key] = (data.get(key) or "").strip()
    return data


def create_account(session, **data) -> Account:
    account = Account(**_clean(session, data))
    session.add(account)
    session.flush()
    return account


def update_account(session, account: Account, **data) -> Account:
    for key, value in _clean(session, data, account).items():
        setattr(account, key, value)
    session.flush()
    return account


def add_contact(session, account: Account, name: str, position: str = "", email: str = "",
                phone: str = "") -> Contact:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the contact a name."), "name")
    contact = Contact(account=account, name=name, position=position or "", email=email or "", phone=phone or "")
    session.add(contact)
    session.flush()
    return contact


def matching_account(session, customer) -> Account | None:
    """The unlinked account naming ``customer``: same ID number, else e-mail, else phone (one query)."""
    keys = [(rank, column, key) for rank, (column, key) in enumerate((
        (Account.id_number_key, search.identifier(customer.id_number)), (Account.email_key, search.email(customer.email)),
        (Account.phone_key, search.phone(customer.phone)))) if key]
    if not keys:
        return None
    found = session.scalars(select(Account).where(or_(*(column == key for _rank, column, key in keys)),
                                                  Account.customer_id.is_(None), Account.kind != "partner")
                            .order_by(Account.id).limit(20)).all()
    for _rank, column, key in keys:  # the best kind of match first, then the oldest account
        for account in found:
            if getattr(account, column.key) == key:
                return account
    return None


def link_customer(session, account: Account, customer, credit: bool = True) -> Account:
    if account.customer_id not in (None, customer.id):
        raise ConflictError(_("This account is already linked to another customer."), "customer_id")
    other = session.scalars(select(Account.id).where(Account.customer_id == customer.id,
                                                     Account.id != account.id)).first()
    if other:
        raise ConflictError(_("That customer is already linked to account ${id}.", mapping={"id": other}),
                            "customer_id")
    account.customer_id = customer.id
    if credit and account.owner_id is not None:
        metric = "new_investors" if customer.role == "investor" else "new_borrowers"
        session.add(Credit(opportunity_id=None, user_id=account.owner_id, metric=metric, amount=1,
                           credited_on=context.today(session)))
    session.flush()
    return account


def on_customer_created(session, customer) -> Account | None:
    account = matching_account(session, customer)
    if account is not None:
        link_customer(session, account, customer)
    return account
