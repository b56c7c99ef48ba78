"""The interfaces of the infrastructure services (:mod:`core.services`); imports nothing from core."""
from __future__ import annotations

from zope.interface import Attribute, Interface


class IBlobStore(Interface):
    """Bytes named by their SHA-256 (:class:`core.documents.store.BlobStore`)."""

    limits = Attribute("the upload policy (core.documents.limits.Limits)")

    def put(stream, *, max_size=None, check=None):
        """Store a stream; ``(sha256, size)``."""

    def open(sha):
        """A binary file object; ``BlobMissing`` when absent."""

    def exists(sha):
        """Whether the blob is stored."""

    def delete(sha):
        """Remove a blob; False when it was not there."""

    def iter_blobs():  # type: ignore[misc]  # zope interfaces declare no self
        """Every stored blob as ``BlobInfo``."""


class IClock(Interface):
    """The business clock (:mod:`core.clock`)."""

    def today(zone):
        """Today's date in time zone ``zone`` (an IANA name)."""

    def now():  # type: ignore[misc]  # zope interfaces declare no self
        """The current instant, an aware UTC datetime."""


class IMessageGateways(Interface):
    """The enabled message gateways, in plugin order (a list of :class:`core.messages.gateways.Gateway`)."""


class IWebhookSender(Interface):
    """Sends webhook deliveries (:mod:`core.webhooks`)."""

    def send(url, body, headers):
        """POST ``body`` (bytes) with ``headers`` to ``url``; the HTTP status as an int."""

__all__ = ["IBlobStore", "IClock", "IMessageGateways", "IWebhookSender"]
