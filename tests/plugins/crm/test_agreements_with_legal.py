"""A partner agreement with legal enabled is a legal contract of type partner (issue 20 item 5, issue 18).

Neither plugin imports the other: crm calls its own ``crm_partner_agreement_created`` hook (legal
answers with its draft contract's reference) and implements legal's ``legal_contract_signed``
as an optional hook to activate the agreement. The last test runs without legal.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from plugins.crm.services import agreements

PARTNER_HTML = ("<h1>{{ agreement_title }}</h1><p>Partner: {{ partner_name }}. Terms: {{ terms }}. "
                "Until {{ valid_until }}.</p>")


@pytest.fixture
def mutuo_plugins():
    return ("products", "lending", "crm", "legal")


@pytest.fixture
def partner_template(session):
    from plugins.legal.services import templates

    template = templates.create_template(session, "PARTNER", "Partner agreement", "partner")
    templates.add_version(session, template, fields="agreement_title partner_name terms valid_until",
                          body=PARTNER_HTML)
    return template


def _contract_of(session, agreement):
    from plugins.legal.models import Contract

    kind, contract_id = agreements.split_ref(agreement.contract_ref)
    assert kind == "legal.contract"
    return session.get(Contract, contract_id)


def test_a_new_partner_agreement_is_a_draft_legal_contract_generated_from_the_template(
        session, account, partner_template, clock):
    from core.documents import blob_store, open_version
    from core.models.document import Document

    partner = account("Gestoría Norte SL", kind="partner")
    with clock.at(date(2025, 3, 1)):
        agreement = agreements.create_agreement(session, partner, "Referral partnership",
                                                valid_until=date(2026, 2, 28), terms="1 % of funded principal")
    assert agreement.status == "draft" and agreement.signed_on is None
    contract = _contract_of(session, agreement)
    assert (contract.contract_type, contract.status, contract.title) == ("partner", "draft", "Referral partnership")
    assert contract.counterparty == "Gestoría Norte SL" and contract.end_date == date(2026, 2, 28)
    assert contract.template_version_id is not None
    document = session.get(Document, contract.document_id)
    _v, stream = open_version(session, blob_store(session), document, document.current_version)
    with stream:
        text = stream.read().decode()
    assert "Referral partnership" in text and "Gestoría Norte SL" in text and "1 % of funded principal" in text


def test_signing_the_contract_in_legal_activates_the_crm_agreement(session, account, partner_template, clock,
                                                                    user):
    from core.documents import blob_store
    from plugins.legal.services import contracts

    store_ = blob_store(session)
    partner = account("Broker Sur SL", kind="partner")
    agreement = agreements.create_agreement(session, partner, "Broker agreement")
    other = agreements.create_agreement(session, account("Other SL", kind="partner"), "Other agreement")
    contract = _contract_of(session, agreement)
    contracts.update_terms(session, contract, parties=["Mutuo SL", "Broker Sur SL"])
    contracts.submit(session, contract)
    contracts.decide(session, contract, user("law1", ("lawyer",)), True)
    if contract.review_levels > 1:  # partner is a sensitive type: the head of legal too
        contracts.decide(session, contract, user("head1", ("head_of_legal",)), True)
    assert contract.status == "approved" and agreement.status == "draft"
    with clock.at(date(2025, 4, 2)):
        contracts.sign_envelope(session, contract, parties=["Mutuo SL", "Broker Sur SL"],
                                data=f"receipt {contract.approved_sha256}".encode(), filename="r.txt", store=store_,
                                signed_on=date(2025, 4, 2), signed_text_sha256=contract.approved_sha256)
    assert contract.status == "active"
    session.refresh(agreement)
    assert (agreement.status, agreement.signed_on) == ("active", date(2025, 4, 2))
    session.refresh(other)
    assert other.status == "draft"  # only the agreement of the signed contract


def test_an_agreement_already_signed_on_paper_stays_a_simple_record(session, account, partner_template):
    from plugins.legal.models import Contract

    agreement = agreements.create_agreement(session, account("Paper SL", kind="partner"), "Old agreement",
                                            signed_on=date(2024, 1, 1))
    assert (agreement.status, agreement.contract_ref) == ("active", "")
    assert session.scalar(select(Contract.id).where(Contract.counterparty == "Paper SL")) is None


def test_without_a_partner_template_the_contract_is_a_draft_without_text(session, account):
    agreement = agreements.create_agreement(session, account("No Template SL", kind="partner"), "Plain")
    contract = _contract_of(session, agreement)
    assert contract.status == "draft" and contract.document_id is None and contract.template_version_id is None


def test_the_agreement_page_links_to_the_contract_for_who_may_see_it(session, account, mutuo_db, login_as):
    agreement = agreements.create_agreement(session, account("Linked SL", kind="partner"), "Linked agreement")
    _kind, contract_id = agreements.split_ref(agreement.contract_ref)
    session.commit()
    head = login_as("head_of_market_development", "head_of_legal")
    page = head.get(f"/crm/agreements/{agreement.id}")
    assert f"/legal/contracts/{contract_id}" in page.text
    assert "Broker" not in page.text and "Linked agreement" in page.text


def test_the_agreement_page_hides_the_link_from_who_may_not_see_legal_contracts(session, account, login_as):
    agreement = agreements.create_agreement(session, account("Hidden SL", kind="partner"), "Hidden agreement")
    _kind, contract_id = agreements.split_ref(agreement.contract_ref)
    session.commit()
    page = login_as("head_of_market_development").get(f"/crm/agreements/{agreement.id}")
    assert f"/legal/contracts/{contract_id}" not in page.text and "Hidden agreement" in page.text
