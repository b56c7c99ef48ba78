"""Customers (borrowers and investors) and their KYC status."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core.audit import record_event
from core.errors import UserError
from core.models.document import Document, DocumentLink
from core.models.meta import utcnow
from plugins.lending.models import CUSTOMER_KINDS, CUSTOMER_ROLES, KYC_STATUSES, Customer

EDITABLE = ("role", "kind", "name", "id_number", "phone", "email", "region", "industry")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CUSTOMER_ENTITY = "lending.customer"


def _clean(fields: dict) -> dict:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if k in EDITABLE}
    if "role" in out and out["role"] not in CUSTOMER_ROLES:
        raise UserError(f"Choose borrower, investor or both, not '{out['role']}'.", "role")
    if "kind" in out and out["kind"] not in CUSTOMER_KINDS:
        raise UserError(f"Choose person or company, not '{out['kind']}'.", "kind")
    if "name" in out and not out["name"]:
        raise UserError("Enter the customer's name.", "name")
    if "id_number" in out:
        out["id_number"] = re.sub(r"\s+", "", out["id_number"] or "").upper()
        if not out["id_number"]:
            raise UserError("Enter the customer's ID number (national ID or company registration).", "id_number")
    if out.get("email") and not _EMAIL.match(out["email"]):
        raise UserError(f"'{out['email']}' is not an email address; write it like name@example.com.", "email")
    return out


def _check_unique_id(session, id_number: str, own_id: int | None = None) -> None:
    other = session.scalars(select(Customer).where(Customer.id_number == id_number)).first()
    if other is not None and other.id != own_id:
        raise UserError(f"Customer {other.id} ({other.name}) already has ID number {id_number}; "
                        f"open that customer instead of creating a second one.", "id_number")


def create_customer(session, **fields) -> Customer:
    """A new customer with KYC pending. Fields: role, kind, name, id_number, phone, email, region, industry."""
    data = _clean({"role": "", "kind": "person", "name": "", "id_number": "", **fields})
    _check_unique_id(session, data["id_number"])
    customer = Customer(**{"phone": "", "email": "", "region": "", "industry": "", **data}, kyc_status="pending")
    session.add(customer)
    session.flush()
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
            raise UserError(f"{customer.name} has cash entries or holdings as an investor; choose 'investor' or 'both'.",
                            "role")
    applied = customer.is_borrower and role not in ("borrower", "both") and session.scalar(
        select(func.count()).select_from(Application).where(Application.customer_id == customer.id))
    if applied:
        raise UserError(f"{customer.name} has loan applications as a borrower; choose 'borrower' or 'both'.", "role")


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
        raise UserError(f"KYC status must be one of {', '.join(KYC_STATUSES)}.", "kyc_status")
    if status == customer.kyc_status:
        raise UserError(f"KYC of {customer.name} is already {status}.", "kyc_status")
    if status == "verified" and document_count(session, customer) == 0:
        raise UserError(f"Upload {customer.name}'s identity documents (Documents panel) before verifying KYC.",
                        "kyc_status")
    if status == "rejected" and not note:
        raise UserError("Say why the KYC is rejected, so the customer can be told what to bring.", "kyc_note")
    old = customer.kyc_status
    customer.kyc_status = status
    customer.kyc_note = note
    customer.kyc_checked_at = utcnow()
    record_event(session, "kyc_" + status, CUSTOMER_ENTITY, customer.id, {"from": old, "note": note})
    session.flush()
    return customer


def require_verified(customer: Customer, what: str, field: str) -> None:
    if customer.kyc_status != "verified":
        raise UserError(f"{customer.name}'s KYC is {customer.kyc_status}; verify their identity documents before {what}.",
                        field)
