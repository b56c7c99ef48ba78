"""Legal without collections: it starts (collections_case_escalated is an optional hook) and works by hand."""
from __future__ import annotations

from datetime import date

import pytest

from plugins.legal.services import matters


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "legal")


def test_legal_starts_without_collections_and_opens_matters_by_hand(session, world, clock, mutuo_db, login_as):
    assert mutuo_db.pm.get_plugin("collections") is None and mutuo_db.pm.get_plugin("legal") is not None
    with clock.at(date(2025, 9, 1)):
        loan = world.overdue_loan(40)
        matter = matters.open_matter(session, title="Claim", loan=loan)
    assert matter.claim_principal > 0 and matter.collections_case_id is None
    session.commit()
    session.close()
    page = login_as("head_of_legal").get(f"/legal/matters/{matter.id}")
    assert "Claim" in page.text
