"""An e-signature provider behind legal's gateway interface: send the approved text, collect the envelope."""
from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal as D

import pytest

from core import hookimpl
from core.errors import UserError
from plugins.legal.services import contracts, daily
from plugins.legal.signing import SignedEnvelope


class FakeProvider:
    name = "fakesign"

    def __init__(self):
        self.sent, self.done = {}, {}

    def send(self, *, contract_id, title, document, filename, parties):
        envelope = f"env-{contract_id}"
        self.sent[envelope] = (document, parties)
        return envelope

    def fetch(self, envelope_id):
        return self.done.get(envelope_id)

    @hookimpl
    def legal_signature_gateways(self):
        return [self]


@pytest.fixture
def provider(mutuo_db):
    fake = FakeProvider()
    mutuo_db.pm.register(fake, name="fake-esign")
    yield fake
    mutuo_db.pm.unregister(name="fake-esign")


def _approved(session, store, user):
    contract = contracts.create_contract(session, title="Hosting", contract_type="vendor", owner_id=None,
                                         value=D("100.00"), parties="Us\nThem", start_date=date(2025, 1, 1))
    contracts.revise_text(session, contract, b"hosting terms", "h.txt", store)
    contracts.submit(session, contract)
    contracts.decide(session, contract, user("law", "lawyer"), True)
    return contract


def test_the_approved_text_goes_out_and_the_signed_envelope_comes_back_checked(session, store, user, provider,
                                                                                clock):
    contract = _approved(session, store, user)
    with pytest.raises(UserError):
        contracts.send_for_signature(session, contract, "nosuch", store)
    envelope = contracts.send_for_signature(session, contract, "fakesign", store)
    assert provider.sent[envelope] == (b"hosting terms", ["Us", "Them"])
    with clock.at(date(2025, 1, 2)):
        assert daily.run(session, date(2025, 1, 2)) and contract.status == "approved"  # not signed yet
        provider.done[envelope] = SignedEnvelope(b"%PDF signed", "signed.pdf",
                                                 hashlib.sha256(b"hosting terms").hexdigest(), date(2025, 1, 2),
                                                 ["Us", "Them"])
        daily.run(session, date(2025, 1, 2))
    assert contract.status == "active" and {s.method for s in contract.signatures} == {"fakesign"}
    assert contract.signature_envelope == ""


def test_an_envelope_signed_on_another_text_is_refused_and_logged(session, store, user, provider, clock):
    from sqlalchemy import select

    from core.models.audit import AuditEntry

    contract = _approved(session, store, user)
    envelope = contracts.send_for_signature(session, contract, "fakesign", store)
    provider.done[envelope] = SignedEnvelope(b"x", "x.pdf", "0" * 64, date(2025, 1, 2), ["Us", "Them"])
    with clock.at(date(2025, 1, 2)):
        daily.run(session, date(2025, 1, 2))
    assert contract.status == "approved" and contract.signatures == [] and contract.signature_envelope == ""
    session.commit()  # audit entries are written when the transaction commits
    refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "signature_refused")).all()
    assert [int(e.entity_id) for e in refused] == [contract.id]
