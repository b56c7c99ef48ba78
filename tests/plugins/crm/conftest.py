"""Fixtures for crm's tests: products + lending + crm, lending records made through lending's services."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from plugins.lending.testing import world  # noqa: F401  (world: lending's fixture)


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "crm")


@pytest.fixture
def session(dbsession):
    return dbsession



@pytest.fixture
def user(session):
    """user(username, roles=()) -> a core user in the test's session."""
    from core.accounts import create_user

    return lambda username, roles=(): create_user(session, username, "correct-horse-battery", roles=list(roles))


@pytest.fixture
def stages(session):
    """The default pipeline: Lead 10 %, Qualified 30 %, Proposal 60 %, Negotiation 80 %."""
    from plugins.crm.services import pipeline

    return [pipeline.save_stage(session, name, D(p), position=n)
            for n, (name, p) in enumerate((("Lead", "0.10"), ("Qualified", "0.30"), ("Proposal", "0.60"),
                                           ("Negotiation", "0.80")))]


@pytest.fixture
def account(session):
    """account(name, owner=None, kind="borrower", **fields) -> a crm account."""
    from plugins.crm.services import accounts

    return lambda name="Acme", owner=None, kind="borrower", **fields: accounts.create_account(
        session, name=name, kind=kind, owner_id=owner.id if owner else None, **fields)
