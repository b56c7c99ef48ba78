"""Seal usage: requests on approved texts only, no self-approval, the custodian's register, overdue returns."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest

from core.errors import ConflictError, UserError
from plugins.legal.services import contracts, daily, seals


@pytest.fixture
def approved(session, store, user):
    contract = contracts.create_contract(session, title="Partner deal", contract_type="vendor", owner_id=None,
                                         value=D("100.00"), parties="Us\nThem")
    contracts.revise_text(session, contract, b"partner text", "p.txt", store)
    contracts.submit(session, contract)
    contracts.decide(session, contract, user("law", "lawyer"), True)
    return contract


@pytest.fixture
def people(user):
    return {"applicant": user("ana", "lawyer"), "head": user("head", "head_of_legal"),
            "custodian": user("keeper", "seal_custodian", email="keeper@example.com"),
            "other": user("other", "seal_custodian")}


def test_the_applicant_cannot_approve_their_own_request(session, approved, people, clock):
    seal = seals.create_seal(session, "Company seal", "company", people["custodian"].id)
    with clock.at(date(2025, 3, 1)):
        request = seals.request_use(session, seal=seal, applicant_id=people["head"].id, purpose="Sign the deal",
                                    contract=approved, copies=2)
    assert request.document_sha256 == approved.approved_sha256
    with pytest.raises(ConflictError) as refused:
        seals.decide(session, request, people["head"], True)
    assert refused.value.field == "approver"
    with pytest.raises(ConflictError):  # a custodian is not an approver
        seals.decide(session, request, people["custodian"], True)
    with pytest.raises(UserError):  # a rejection says why
        seals.decide(session, request, _other_head(session), False, "")
    seals.decide(session, request, _other_head(session), True)
    assert request.status == "approved"


def _other_head(session):
    from sqlalchemy import select

    from core.accounts import create_user
    from core.models.user import User

    return session.scalar(select(User).where(User.username == "head2")) or \
        create_user(session, "head2", "correct-horse-battery", roles=["head_of_legal"])


def test_only_approved_texts_are_sealed_and_only_by_the_custodian(session, store, approved, people, clock):
    seal = seals.create_seal(session, "Contract seal", "contract", people["custodian"].id)
    draft = contracts.create_contract(session, title="Draft", contract_type="vendor", owner_id=None, parties="A")
    with clock.at(date(2025, 3, 1)):
        with pytest.raises(ConflictError):
            seals.request_use(session, seal=seal, applicant_id=people["applicant"].id, purpose="x", contract=draft)
        request = seals.request_use(session, seal=seal, applicant_id=people["applicant"].id, purpose="Deal",
                                    contract=approved)
    seals.decide(session, request, people["head"], True)
    with pytest.raises(ConflictError):
        seals.record_use(session, request, people["other"], date(2025, 3, 2))
    with pytest.raises(ConflictError):  # the paper on the desk is not the approved text
        seals.record_use(session, request, people["custodian"], date(2025, 3, 2), document_sha256="ab" * 32)
    use = seals.record_use(session, request, people["custodian"], date(2025, 3, 2),
                           document_sha256=approved.approved_sha256)
    assert (use.copies, use.document_sha256, request.status) == (1, approved.approved_sha256, "used")


def test_a_seal_taken_out_has_a_return_date_and_an_overdue_alert(session, approved, people, clock):
    seal = seals.create_seal(session, "Legal representative's seal", "legal_representative",
                             people["custodian"].id)
    with clock.at(date(2025, 3, 1)):
        with pytest.raises(UserError) as refused:
            seals.request_use(session, seal=seal, applicant_id=people["applicant"].id, purpose="Court filing",
                              contract=approved, takes_out=True)
        assert refused.value.field == "return_due"
        request = seals.request_use(session, seal=seal, applicant_id=people["applicant"].id, purpose="Court filing",
                                    contract=approved, takes_out=True, return_due=date(2025, 3, 5))
    seals.decide(session, request, people["head"], True)
    seals.record_use(session, request, people["custodian"], date(2025, 3, 3))
    assert seal.out_request_id == request.id
    assert seals.overdue(session, date(2025, 3, 5)) == []
    assert [u.request_id for u in seals.overdue(session, date(2025, 3, 6))] == [request.id]
    first = daily.run(session, date(2025, 3, 6))
    assert first.seals_out == 2 and daily.run(session, date(2025, 3, 7)).seals_out == 0  # custodian + applicant, once
    seals.record_return(session, seal, people["custodian"], date(2025, 3, 8))
    assert seals.overdue(session, date(2025, 3, 9)) == [] and request.status == "returned"


def test_an_uploaded_file_is_sealed_by_its_version_hash(session, store, people, clock):
    from core.documents import upload

    version = upload(session, store, stream=io.BytesIO(b"bank form"), filename="form.pdf")
    seal = seals.create_seal(session, "Finance seal", "finance", people["custodian"].id)
    with clock.at(date(2025, 3, 1)):
        request = seals.request_use(session, seal=seal, applicant_id=people["applicant"].id, purpose="Bank",
                                    document_id=version.document_id)
    assert request.document_sha256 == version.sha256
