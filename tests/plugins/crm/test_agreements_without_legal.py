"""Without legal (crm's conftest: products + lending + crm) a partner agreement is a simple record."""
from __future__ import annotations

from datetime import date

from plugins.crm.services import agreements


def test_without_legal_an_agreement_is_a_simple_record_and_its_page_works(session, account, mutuo_db, login_as):
    assert mutuo_db.pm.get_plugin("legal") is None
    partner = account("Solo SL", kind="partner")
    draft = agreements.create_agreement(session, partner, "Unsigned yet")
    signed = agreements.create_agreement(session, partner, "Signed on paper", signed_on=date(2025, 1, 10))
    assert (draft.status, draft.contract_ref) == ("draft", "")
    assert (signed.status, signed.contract_ref) == ("active", "")
    session.commit()
    head = login_as("head_of_market_development")
    page = head.get(f"/crm/agreements/{draft.id}")
    assert "Unsigned yet" in page.text and "/legal/" not in page.text
    assert "Signed on paper" in head.get("/crm/agreements").text
