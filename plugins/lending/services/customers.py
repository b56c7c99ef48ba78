"""Customers (borrowers and investors) and their KYC status."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core import context
from core.audit import record_event
from core.errors import UserError
from core.models.document import Document, DocumentLink
from core.models.meta import utcnow
from plugins.lending.i18n import _, label
from plugins.lending.models import CUSTOMER_KINDS, CUSTOMER_ROLES, KYC_STATUSES, Customer

EDITABLE = ("role", "kind", "name", "id_number", "phone", "email", "region", "industry")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_ENTITY = "lending.customer"


def _clean(fields: dict) -> dict:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if k in EDITABLE}
    if "role" in out and out["role"] not in CUSTOMER_ROLES:
        raise UserError(_("Choose borrower, investor or both, not '${value}'.", mapping={"value": out["role"]}),
                        "role")
    if "kind" in out and out["kind"] not in CUSTOMER_KINDS:
        raise UserError(_("Choose person or company, not '${value}'.", mapping={"value": out["kind"]}), "kind")
    if "name" in out and not out["name"]:
        raise UserError(_("Enter the customer's name."), "name")
    if "id_number" in out:
        out["id_number"] = re.sub(r"\s+", "", out["id_number"] or "").upper()
        if not out["id_number"]:
            raise UserError(_("Enter the customer's ID number (national ID or company registration)."),
                            "id_number")
    if out.get("email") and not _EMAIL.match(out["email"]):
        raise UserError(_("'${value}' is not an email address; write it like name@example.com.",
                          mapping={"value": out["email"]}), "email")
    return out


def _check_unique_id(session, id_number: str, own_id: int | None = None) -> None:
    other = session.scalars(select(Customer).where(Customer.id_number == id_number)).first()
    if other is not None and other.id != own_id:
        raise UserError(_("Customer ${id} (${name}) already has ID number ${id_number}; open that customer instead "
                          "of creating a second one.",
                          mapping={"id": other.id, "name": other.name, "id_number": id_number}), "id_number")


def create_customer(session, **fields) -> Customer:
    """A new customer with KYC pending. Fields: role, kind, name, id_number, phone, email, region, industry."""
    data = _clean({"role": "", "kind": "person", "name": "", "id_number": "", **fields})
    _check_unique_id(session, data["id_number"])
    customer = Customer(**{"phone": "", "email": "", "region": "", "industry": "", **data}, kyc_status="pending")
    session.add(customer)
    session.flush()
    context.hooks(session).lending_customer_created(customer=customer)
    return customer


def update_customer(session, customer: Customer, **fields) -> Customer:
    """Change a customer's details; an investor with money or a borrower with loans keeps that role."""
    data = _clean(fields)
    if "id_number" in data and data["id_number"] != customer.id_number:
        _check_unique_id(session, data["id_number"], customer.id)
    if "role" in data and data["role"] != customer.role:
        _check_role_change(session, customer, data["role"])
    for key, value in data.items():
        setattr(customer, key, value)
    session.flush()
    return customer


def _check_role_change(session, customer: Customer, role: str) -> None:
    from plugins.lending.models import Application, CashEntry, Holding

    if customer.is_investor and role not in ("investor", "both"):
        has_money = session.scalar(select(func.count()).select_from(CashEntry).where(CashEntry.customer_id == customer.id))
        has_holdings = session.scalar(select(func.count()).select_from(Holding).where(Holding.investor_id == customer.id))
        if has_money or has_holdings:
            raise UserError(_("${name} has cash entries or holdings as an investor; choose 'investor' or 'both'.",
                              mapping={"name": customer.name}), "role")
    applied = customer.is_borrower and role not in ("borrower", "both") and session.scalar(
        select(func.count()).select_from(Application).where(Application.customer_id == customer.id))
    if applied:
        raise UserError(_("${name} has loan applications as a borrower; choose 'borrower' or 'both'.",
                          mapping={"name": customer.name}), "role")


def document_count(session, customer: Customer) -> int:
    """Documents in the document store linked to the customer (KYC evidence)."""
    return session.scalar(
        select(func.count()).select_from(DocumentLink).join(Document, Document.id == DocumentLink.document_id)
        .where(DocumentLink.entity_type == CUSTOMER_ENTITY, DocumentLink.entity_id == str(customer.id),
               Document.deleted.is_(False))
    ) or 0


def set_kyc(session, customer: Customer, status: str, note: str = "") -> Customer:
    """Verify or reject a customer's identity; verifying needs at least one document on file."""
    note = (note or "").strip()
    if status not in KYC_STATUSES:
        raise UserError(_("KYC status must be one of ${statuses}.",
                          mapping={"statuses": ", ".join(label(s) for s in KYC_STATUSES)}), "kyc_status")
    if status == customer.kyc_status:
        raise UserError(_("KYC of ${name} is already ${status}.", mapping={"name": customer.name,
                                                                           "status": label(status)}), "kyc_status")
    if status == "verified" and document_count(session, customer) == 0:
        raise UserError(_("Upload ${name}'s identity documents (Documents panel) before verifying KYC.",
                          mapping={"name": customer.name}), "kyc_status")
    if status == "rejected" and not note:
        raise UserError(_("Say why the KYC is rejected, so the customer can be told what to bring."), "kyc_note")
    old = customer.kyc_status
    customer.kyc_status = status
    customer.kyc_note = note
    customer.kyc_checked_at = utcnow()
    record_event(session, "kyc_" + status, CUSTOMER_ENTITY, customer.id, {"from": old, "note": note})
    session.flush()
    if status == "verified":
        context.hooks(session).lending_customer_verified(customer=customer)
    return customer


def require_verified(customer: Customer, what, field: str) -> None:
    """Refuse unless the customer's KYC is verified; ``what`` (``_("investing")``) is what waits for it."""
    if customer.kyc_status != "verified":
        from plugins.lending.i18n import text

        raise UserError(_("${name}'s KYC is ${status}; verify their identity documents before ${what}.",
                          mapping={"name": customer.name, "status": label(customer.kyc_status), "what": text(what)}),
                        field)
