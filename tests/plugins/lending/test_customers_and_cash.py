"""Customers, KYC and the investors' cash ledger."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from core.errors import UserError
from plugins.lending import services
from plugins.lending.models import CashEntry


def refused(fn, *args, field=None, match=None, **kw):
    with pytest.raises(UserError) as info:
        fn(*args, **kw)
    if field is not None:
        assert info.value.field == field, (info.value.field, str(info.value))
    if match is not None:
        assert match in str(info.value), str(info.value)
    return str(info.value)


def test_create_customer_normalizes_and_starts_pending(session):
    customer = services.create_customer(session, role="both", kind="company", name=" Acme Ltd ",
                                        id_number="b 123 45", email="info@acme.test", region="South")
    assert (customer.name, customer.id_number, customer.kyc_status) == ("Acme Ltd", "B12345", "pending")
    assert customer.is_borrower and customer.is_investor


@pytest.mark.parametrize("fields, field, message", [
    ({"role": "lender"}, "role", "Choose borrower, investor or both"),
    ({"kind": "robot"}, "kind", "Choose person or company"),
    ({"name": "  "}, "name", "Enter the customer's name"),
    ({"id_number": ""}, "id_number", "Enter the customer's ID number"),
    ({"email": "not-an-email"}, "email", "is not an email address"),
])
def test_customer_refusals(session, fields, field, message):
    base = {"role": "borrower", "kind": "person", "name": "Ana", "id_number": "X1"}
    refused(services.create_customer, session, **{**base, **fields}, field=field, match=message)


def test_id_number_is_unique(session):
    first = services.create_customer(session, role="borrower", name="Ana", id_number="X1")
    message = refused(services.create_customer, session, role="investor", name="Bea", id_number="x 1",
                      field="id_number")
    assert f"Customer {first.id} (Ana) already has ID number X1" in message
    other = services.create_customer(session, role="borrower", name="Bea", id_number="X2")
    refused(services.update_customer, session, other, id_number="X1", field="id_number")


def test_kyc_verification_needs_documents_and_rejection_a_note(session, world):
    customer = services.create_customer(session, role="borrower", name="Ana", id_number="X1")
    refused(services.set_kyc, session, customer, "verified", field="kyc_status",
            match="Upload Ana's identity documents")
    refused(services.set_kyc, session, customer, "rejected", field="kyc_note", match="Say why")
    refused(services.set_kyc, session, customer, "pending", field="kyc_status", match="already pending")
    refused(services.set_kyc, session, customer, "approved", field="kyc_status")
    world.document(customer)
    assert services.document_count(session, customer) == 1
    services.set_kyc(session, customer, "verified")
    assert customer.kyc_status == "verified" and customer.kyc_checked_at is not None
    services.set_kyc(session, customer, "rejected", "document expired")
    assert (customer.kyc_status, customer.kyc_note) == ("rejected", "document expired")


def test_role_cannot_drop_investor_with_money(session, world):
    investor = world.investor(cash=D("100.00"))
    refused(services.update_customer, session, investor, role="borrower", field="role", match="investor")
    borrower = world.customer()
    world.application(borrower=borrower)
    refused(services.update_customer, session, borrower, role="investor", field="role", match="borrower")
    services.update_customer(session, borrower, role="both")
    assert borrower.role == "both"


def test_deposits_withdrawals_and_available(session, world, today_is):
    today_is(date(2025, 3, 1))
    investor = world.investor(cash=D("0"))
    services.deposit(session, investor, D("1000.00"), reference="T1")
    services.withdraw(session, investor, D("250.50"))
    assert services.balance(session, investor.id) == D("749.50")
    message = refused(services.withdraw, session, investor, D("749.51"), field="amount")
    assert "has only 749.50 available" in message
    refused(services.deposit, session, investor, D("0"), field="amount", match="greater than zero")
    refused(services.deposit, session, investor, "abc", field="amount", match="is not an amount")
    borrower = world.customer()
    refused(services.deposit, session, borrower, D("10.00"), field="customer_id", match="borrower only")
    # No balance column: the balance is the sum of the entries.
    total = session.scalar(select(func.sum(CashEntry.amount)).where(CashEntry.customer_id == investor.id))
    assert D(total) == services.balance(session, investor.id)


def test_reservations_reduce_available_not_balance(session, world, today_is):
    today_is(date(2025, 3, 1))
    application = world.listed(listed_on=date(2025, 3, 1))
    investor = world.investor(cash=D("1000.00"))
    services.invest(session, application, investor, D("600.00"))
    assert services.balance(session, investor.id) == D("1000.00")
    assert services.reserved(session, investor.id) == D("600.00")
    assert services.available(session, investor.id) == D("400.00")
    refused(services.withdraw, session, investor, D("400.01"), field="amount")
    services.cancel(session, application, "borrower withdrew")
    assert services.available(session, investor.id) == D("1000.00")


def test_statement_has_running_balance(session, world):
    investor = world.investor(cash=D("0"))
    services.deposit(session, investor, D("100.00"), entry_date=date(2025, 1, 1))
    services.deposit(session, investor, D("50.00"), entry_date=date(2025, 2, 1))
    services.withdraw(session, investor, D("30.00"), entry_date=date(2025, 3, 1))
    data = services.statement(session, investor.id, start=date(2025, 2, 1))
    assert data["opening"] == D("100.00")
    assert [r[1] for r in data["rows"]] == [D("150.00"), D("120.00")]
    assert data["closing"] == D("120.00") == services.balance(session, investor.id)
