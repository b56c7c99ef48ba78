"""The e-signature gateway interface (a public module: a provider plugin imports it).

A provider plugin implements ``legal_signature_gateways()`` (plugins/legal/hookspecs.py) and returns
objects with this shape; legal never talks to a provider otherwise. ``send`` hands the approved
text to the provider and returns its envelope id; ``fetch`` returns the completed envelope — the
signed copy, the parties who signed and the SHA-256 of the document they signed, as the provider's
receipt states it — or None while someone has not signed yet. Legal checks that hash against the
approved one before storing the copy (:func:`plugins.legal.services.contracts.sign_envelope`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol


@dataclass
class SignedEnvelope:
    data: bytes                 # the signed copy (a PDF with signatures, or the provider's completion certificate)
    filename: str
    document_sha256: str        # the hash of the document the parties signed, from the provider's receipt
    signed_on: date
    parties: list[str] = field(default_factory=list)  # as named on the contract


class SignatureGateway(Protocol):
    name: str

    def send(self, *, contract_id: int, title: str, document: bytes, filename: str, parties: list[str]) -> str:
        """Start the signing; return the provider's envelope id."""

    def fetch(self, envelope_id: str) -> SignedEnvelope | None:
        """The completed envelope, or None while it is not complete."""
