"""Fixtures for legal's tests: products + lending + collections + legal.

Loans, overdue loans and escalated cases are made through lending's and
collections' services (their public test kits), exactly as in production.
"""
from __future__ import annotations

import io

import pytest

from plugins.lending.testing import world  # noqa: F401  (world: lending's fixture)

HTML = ("<h1>Loan agreement {{ loan_number }}</h1><p>Between {{ borrower_name }} ({{ borrower_id_number }}) and "
        "{{ investors }}: {{ principal }} at {{ annual_rate }} for {{ term_months }} months from {{ disbursed_on }}, "
        "first installment {{ first_due_date }}, {{ repayment_method }}.</p>{{ clauses.governing_law }}")
LOAN_FIELDS = ("loan_number borrower_name borrower_id_number principal annual_rate term_months disbursed_on "
               "first_due_date repayment_method investors")


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "collections", "legal")


@pytest.fixture
def session(dbsession):
    return dbsession



@pytest.fixture
def store(session):
    from core.documents import blob_store

    return blob_store(session)


@pytest.fixture
def loan_template(session):
    """legal's loan agreement template (HTML) with the governing-law clause."""
    return make_loan_template(session)


def make_loan_template(session):
    from plugins.legal.services import templates

    templates.save_clause(session, "governing_law", "Governing law",
                          "<p>This agreement with {{ borrower_name }} is governed by Spanish law.</p>")
    template = templates.create_template(session, "LOAN", "Loan agreement", "loan_agreement")
    templates.add_version(session, template, fields=LOAN_FIELDS, body=HTML, clause_codes="governing_law")
    return template


@pytest.fixture
def user(session):
    """user(username, *roles, email="") -> a user holding those roles."""
    from core.accounts import create_user

    def make(username, *roles, email=""):
        from sqlalchemy import select

        from core.models.user import User

        existing = session.scalar(select(User).where(User.username == username))
        if existing is not None:
            return existing
        return create_user(session, username, "correct-horse-battery", roles=list(roles), email=email)
    return make


def text_of(session, store, contract, number=None) -> bytes:
    from core.documents import open_version
    from core.models.document import Document

    document = session.get(Document, contract.document_id)
    _v, stream = open_version(session, store, document, number or document.current_version)
    with stream:
        return stream.read()


def upload_bytes(data: bytes):
    return io.BytesIO(data)
