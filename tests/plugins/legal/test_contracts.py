"""Templates, review tiers, the frozen hash, signatures and the loan agreement generated at disbursement."""
from __future__ import annotations

import hashlib
import io
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import ConflictError, UserError
from plugins.legal.models import Contract
from plugins.legal.services import contracts, templates
from tests.plugins.legal.conftest import LOAN_FIELDS, text_of

VALUES = {"loan_number": "7", "borrower_name": "Ana <b>Ruiz</b>", "borrower_id_number": "X123",
          "principal": "10,000.00", "annual_rate": "12%", "term_months": "12", "disbursed_on": "Jan 15, 2025",
          "first_due_date": "Feb 15, 2025", "repayment_method": "equal_installment", "investors": "Bo, Cy"}


def test_rendering_fills_every_field_and_the_clause_and_escapes_html(session, loan_template):
    version = templates.current_version(session, loan_template)
    data, ext, html = templates.render(session, version, VALUES)
    assert ext == "html" and data == html.encode()
    for name, value in VALUES.items():
        if name != "borrower_name":
            assert value in html, name
    assert "Ana &lt;b&gt;Ruiz&lt;/b&gt;" in html and "<b>Ruiz" not in html  # a customer's name cannot inject markup
    assert "is governed by Spanish law" in html and html.count("Ana &lt;b&gt;") == 2  # the clause used the field


def test_a_missing_field_is_refused_naming_it(session, loan_template):
    version = templates.current_version(session, loan_template)
    with pytest.raises(UserError) as refused:
        templates.render(session, version, dict(VALUES, investors="  ", principal=None))
    assert refused.value.field == "fields" and "principal" in str(refused.value.args[0].mapping["names"])
    assert "investors" in refused.value.args[0].mapping["names"]


def test_a_version_using_an_undeclared_field_or_unknown_clause_is_refused(session, loan_template):
    with pytest.raises(UserError) as refused:
        templates.add_version(session, loan_template, fields="borrower_name", body="{{ borrower_name }} {{ iban }}")
    assert refused.value.args[0].mapping["names"] == "iban"
    with pytest.raises(UserError):
        templates.add_version(session, loan_template, fields="a", body="{{ a }}", clause_codes="nope")
    with pytest.raises(UserError):
        templates.add_version(session, loan_template, fields="a", body="{{ a ")


def test_versions_are_kept_and_the_newest_published_is_used(session, loan_template):
    second = templates.add_version(session, loan_template, fields=LOAN_FIELDS, body="v2 {{ borrower_name }} "
                                   + " ".join("{{ " + f + " }}" for f in LOAN_FIELDS.split()))
    draft = templates.add_version(session, loan_template, fields="x", body="{{ x }}", publish=False)
    assert (second.number, draft.number) == (2, 3)
    assert templates.current_version(session, loan_template).id == second.id


def test_a_docx_template_is_rendered_with_docxtpl(session, store):
    from docx import Document as Docx

    source = Docx()
    source.add_paragraph("Guarantee by {{ guarantor }} for {{ amount }}.")
    source.add_paragraph("{{ clauses.jurisdiction }}")
    buf = io.BytesIO()
    source.save(buf)
    templates.save_clause(session, "jurisdiction", "Jurisdiction", "Courts of {{ city }}.")
    template = templates.create_template(session, "GUAR", "Guarantee", "guarantee")
    with pytest.raises(UserError) as refused:
        templates.add_version(session, template, format="docx", docx=buf.getvalue(), fields="guarantor",
                              clause_codes="jurisdiction", store=store)
    assert set(refused.value.args[0].mapping["names"].split(", ")) == {"amount", "city"}
    version = templates.add_version(session, template, format="docx", docx=buf.getvalue(),
                                    fields="guarantor amount city", clause_codes="jurisdiction", store=store)
    data, ext, _html = templates.render(session, version, {"guarantor": "Dora & Co", "amount": "5,000.00",
                                                           "city": "Madrid"}, store)
    text = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
    assert ext == "docx" and "Guarantee by Dora & Co for 5,000.00." in text and "Courts of Madrid." in text


def _contract(session, store, user, value=D("5000.00"), kind="vendor", **kw):
    owner = user("owner1", "lawyer")
    contract = contracts.create_contract(session, title="Cleaning services", contract_type=kind, owner_id=owner.id,
                                         value=value, parties="Mutuo SL\nCleanCo", counterparty="CleanCo",
                                         start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), **kw)
    contracts.revise_text(session, contract, b"The text v1", "contract.txt", store)
    contracts.submit(session, contract)
    return contract


def test_review_tiers_by_value_and_type(session, store, user):
    low = _contract(session, store, user)
    assert low.review_levels == 1
    lawyer, lawyer2, head = user("law1", "lawyer"), user("law2", "lawyer"), user("head", "head_of_legal")
    with pytest.raises(ConflictError):  # the owner never approves their own contract
        contracts.decide(session, low, low.owner, True)
    contracts.decide(session, low, lawyer, True)
    assert low.status == "approved" and low.approved_sha256 == hashlib.sha256(b"The text v1").hexdigest()

    high = contracts.create_contract(session, title="Big", contract_type="vendor", owner_id=None,
                                     value=D("250000.00"), parties="A\nB")
    contracts.revise_text(session, high, b"big text", "big.txt", store)
    contracts.submit(session, high)
    assert high.review_levels == 2
    contracts.decide(session, high, lawyer, True)
    assert high.status == "in_review"
    with pytest.raises(ConflictError):  # a lawyer cannot give the head-of-legal level
        contracts.decide(session, high, lawyer2, True)
    contracts.decide(session, high, head, True)
    assert high.status == "approved" and [a.level for a in contracts.current_approvals(high)] == [1, 2]

    guarantee = contracts.create_contract(session, title="G", contract_type="guarantee", owner_id=None,
                                          value=D("10.00"), parties="A")
    contracts.revise_text(session, guarantee, b"g", "g.txt", store)
    assert contracts.submit(session, guarantee).review_levels == 2  # a sensitive type, whatever its value


def test_the_same_person_cannot_approve_both_levels_and_rejection_needs_a_reason(session, store, user):
    head = user("head", "head_of_legal")
    contract = _contract(session, store, user, value=D("500000.00"))
    contracts.decide(session, contract, head, True)
    with pytest.raises(ConflictError):
        contracts.decide(session, contract, head, True)
    with pytest.raises(UserError):
        contracts.decide(session, contract, user("head2", "head_of_legal"), False, "")
    contracts.decide(session, contract, user("head3", "head_of_legal"), False, "Clause 4 is one-sided")
    assert contract.status == "draft" and contracts.current_approvals(contract) == []


def test_signed_copies_are_checked_against_the_approved_hash(session, store, user, clock):
    contract = _contract(session, store, user)
    contracts.decide(session, contract, user("law", "lawyer"), True)
    approved = contract.approved_sha256
    with pytest.raises(ConflictError) as refused:  # a scan signed on another text
        contracts.sign(session, contract, party="CleanCo", data=b"scan", filename="s.pdf", store=store,
                       signed_on=date(2025, 1, 2), signed_text_sha256=hashlib.sha256(b"other").hexdigest())
    assert refused.value.field == "signed_text_sha256"
    with clock.at(date(2025, 1, 3)):
        # a scan whose signing page carries the approved hash, and the approved file itself e-signed
        contracts.sign(session, contract, party="CleanCo", data=b"scan of page", filename="s.pdf", store=store,
                       signed_on=date(2025, 1, 2), signed_text_sha256=approved.upper())
        assert contract.status == "approved"
        contracts.sign(session, contract, party="Mutuo SL", data=b"The text v1", filename="e.txt", store=store,
                       signed_on=date(2025, 1, 3), method="e-signature")
    assert contract.status == "active"  # every party signed and its start date has come
    assert [s.document_version for s in contract.signatures] == [2, 3]
    assert text_of(session, store, contract, contract.approved_version) == b"The text v1"
    assert contracts.check_frozen(session, contract)


def test_any_change_after_approval_sends_the_contract_back_to_review(session, store, user):
    lawyer = user("law", "lawyer")
    contract = _contract(session, store, user)
    contracts.decide(session, contract, lawyer, True)
    contracts.revise_text(session, contract, b"The text v2", "contract.txt", store)
    assert contract.status == "in_review" and contract.approved_sha256 == ""
    assert contracts.current_approvals(contract) == []
    contracts.decide(session, contract, lawyer, True)
    assert contract.approved_sha256 == hashlib.sha256(b"The text v2").hexdigest()
    assert contracts.update_terms(session, contract, value=D("5000.00")) is False  # no change, still approved
    assert contract.status == "approved"
    contracts.update_terms(session, contract, value=D("6000.00"))
    assert contract.status == "in_review"


def test_a_version_uploaded_behind_legal_s_back_is_caught_before_signing(session, store, user):
    from core.documents import upload

    contract = _contract(session, store, user)
    contracts.decide(session, contract, user("law", "lawyer"), True)
    upload(session, store, stream=io.BytesIO(b"edited in the documents panel"), filename="x.txt",
           document_id=contract.document_id, entity_type="legal.contract", entity_id=contract.id)
    with pytest.raises(ConflictError):
        contracts.sign(session, contract, party="CleanCo", data=b"The text v1", filename="s.txt", store=store,
                       signed_on=date(2025, 1, 2))
    assert contract.status == "in_review"


def test_a_loan_agreement_is_generated_at_disbursement_and_sent_to_review(session, world, store, loan_template):
    loan = world.loan()
    contract = session.scalars(select(Contract).where(Contract.loan_id == loan.id)).one()
    assert contract.status == "in_review" and contract.contract_type == "loan_agreement"
    assert contract.value == loan.principal and contract.customer_id == loan.customer_id
    parties = contracts.party_list(contract)
    assert parties[0] == loan.customer.name and len(parties) == 3  # the borrower and both investors
    html = text_of(session, store, contract).decode()
    assert loan.customer.name in html and loan.customer.id_number in html and "{{" not in html


def test_no_template_no_agreement_and_the_loan_is_disbursed_anyway(session, world):
    loan = world.loan()
    assert loan.status == "active"
    assert session.scalars(select(Contract)).all() == []


def test_legal_models_match_its_migrations(mutuo_db):
    from core.testing import assert_models_match_migrations

    assert_models_match_migrations(mutuo_db, owners=("legal",))
