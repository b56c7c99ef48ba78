"""The webhooks sender as a service (:class:`core.services.IWebhookSender`).

``send(url, body, headers) -> status``. Backend by ``mutuo.webhooks.backend``:
``null`` (default in development and tests: sends and records nothing, answers 204),
``memory`` (records each call in ``sent``, answers ``status``; for tests) and
``http`` (a POST through urllib with ``mutuo.webhooks.timeout`` seconds, default 10).
Outside development the default is ``http``. Nothing calls it yet: the JSON API will.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field

from zope.interface import implementer

from core.config import is_development
from core.errors import ConfigError
from core.i18n import _
from core.interfaces import IWebhookSender
from core.services import choose_backend

SETTING_BACKEND = "mutuo.webhooks.backend"
SETTING_TIMEOUT = "mutuo.webhooks.timeout"


@implementer(IWebhookSender)
class NullWebhookSender:
    """Sends nothing, keeps nothing; every delivery "succeeds" with 204."""

    def send(self, url: str, body: bytes, headers: dict) -> int:
        return 204


@implementer(IWebhookSender)
@dataclass
class MemoryWebhookSender:
    """Keeps ``(url, body, headers)`` of each call in ``sent``; answers ``status``."""

    status: int = 200
    sent: list = field(default_factory=list)

    def send(self, url: str, body: bytes, headers: dict) -> int:
        self.sent.append((url, bytes(body), dict(headers)))
        return self.status


@implementer(IWebhookSender)
class HttpWebhookSender:
    """POSTs with urllib; an HTTP error answer is returned as its status, a network failure raises."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def send(self, url: str, body: bytes, headers: dict) -> int:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"webhook URLs must be http(s): {url!r}")
        request = urllib.request.Request(url, data=bytes(body), headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


def _timeout(settings) -> float:
    value = settings.get(SETTING_TIMEOUT) or 10
    try:
        timeout = float(value)
    except (TypeError, ValueError):
        timeout = 0.0
    if timeout <= 0:
        raise ConfigError(_("Setting ${key} must be a positive number of seconds, not ${value}.",
                            mapping={"key": SETTING_TIMEOUT, "value": repr(value)}))
    return timeout


BACKENDS = {
    "null": lambda settings: NullWebhookSender(),
    "memory": lambda settings: MemoryWebhookSender(),
    "http": lambda settings: HttpWebhookSender(_timeout(settings)),
}


def sender_from_settings(settings):
    default = "null" if is_development(settings) else "http"
    return choose_backend(settings, SETTING_BACKEND, BACKENDS, default)(settings)


def includeme(config):
    config.register_service(sender_from_settings(config.get_settings()), IWebhookSender)


# -- webhook endpoints, events, deliveries ---------------------------------------------
#
# Plugins declare their events (hook ``mutuo_webhook_events``) and publish them with
# :func:`publish` in the transaction that made them happen: one delivery row per
# subscribed endpoint, committed (or not) with the change itself. The job
# ``core.deliver_webhooks`` (a Celery task, every minute) sends what is due through the
# IWebhookSender service, signed (:func:`sign`), and retries failures with exponential
# back-off (:data:`BACKOFF`) up to :data:`MAX_ATTEMPTS`. Receivers check the signature
# with :func:`verify_signature`.

import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from core.errors import UserError  # noqa: E402

SETTING_ALLOWED_HOSTS = "mutuo.webhooks.allowed_hosts"
SIGNATURE_HEADER = "Mutuo-Signature"
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)  # 30 s, 1 min, 2 min, 4 min … (doubling) up to MAX_BACKOFF
MAX_BACKOFF = timedelta(hours=6)
BATCH = 100


def webhook_events(pm) -> dict:
    """Event name -> (plugin, :class:`core.api.WebhookEvent`) of core and the enabled plugins (cached per pm)."""
    cached = getattr(pm, "_mutuo_webhook_events", None)
    if cached is not None:
        return cached
    from core.errors import StartupError

    events: dict = {}
    for owner, declared in pm.call_per_plugin("mutuo_webhook_events"):
        for event in declared:
            if not event.name.startswith(owner + "."):
                raise StartupError(f"Webhook event {event.name!r} of plugin {owner!r} must start with '{owner}.'.")
            if event.name in events:
                raise StartupError(f"Webhook event {event.name!r} is declared twice; rename one.")
            events[event.name] = (owner, event)
    pm._mutuo_webhook_events = events
    return events


# -- signing ---------------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + bytes(body), hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Mutuo-Signature`` header value: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={signature(secret, t, body)}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None) -> bool:
    """True when ``header`` (the ``Mutuo-Signature`` value) signs ``body`` (the raw bytes received) with
    ``secret`` and its timestamp is within ``tolerance`` seconds of ``now`` (replays are refused).

    For receivers: compute nothing from a parsed-and-reserialized body, use the bytes as received.
    Several ``v1=`` values may appear (while a secret is rotated); one matching is enough.
    """
    if not header or not secret:
        return False
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _sep, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)


# -- endpoints -----------------------------------------------------------------------------

def allowed_hosts(settings) -> list[str]:
    return [h.strip().lower() for h in (settings.get(SETTING_ALLOWED_HOSTS) or "").replace(",", " ").split() if h.strip()]


def host_allowed(settings, url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return False
    for pattern in allowed_hosts(settings):
        if pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def check_url(settings, url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise UserError(_("Give the URL the events are sent to."), "url")
    if len(url) > 500:
        raise UserError(_("The URL is longer than 500 characters."), "url")
    if not url.lower().startswith(("http://", "https://")):
        raise UserError(_("The URL must start with https:// (or http://)."), "url")
    if not host_allowed(settings, url):
        raise UserError(_("Webhooks may only be sent to the hosts in the setting ${setting}: ${hosts}.",
                          mapping={"setting": SETTING_ALLOWED_HOSTS,
                                   "hosts": ", ".join(allowed_hosts(settings)) or "—"}), "url")
    return url


def create_endpoint(session, settings, known_events, *, url: str, events, description: str = "",
                    user_id: int | None = None):
    """A new endpoint; returns ``(endpoint, secret)``: the secret is shown once, never again."""
    from core.audit import record_event
    from core.models.api import WebhookEndpoint

    url = check_url(settings, url)
    chosen = sorted(set(events or []))
    if not chosen:
        raise UserError(_("Choose at least one event."), "events")
    unknown = [e for e in chosen if e not in known_events]
    if unknown:
        raise UserError(_("Unknown event(s): ${names}.", mapping={"names": ", ".join(unknown)}), "events")
    description = (description or "").strip()
    if len(description) > 200:
        raise UserError(_("The description is longer than 200 characters."), "description")
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(url=url, events=" ".join(chosen), description=description, secret=secret,
                               active=True, created_by=user_id)
    session.add(endpoint)
    session.flush()
    record_event(session, "webhook_endpoint_created", "core.webhook", endpoint.id, {"url": url, "events": chosen})
    return endpoint, secret


def set_active(session, endpoint, active: bool) -> None:
    endpoint.active = bool(active)
    session.flush()


def delete_endpoint(session, endpoint) -> None:
    from core.audit import record_event

    record_event(session, "webhook_endpoint_deleted", "core.webhook", endpoint.id, {"url": endpoint.url})
    session.delete(endpoint)
    session.flush()


# -- publishing and delivering ---------------------------------------------------------------

ENDPOINTS_KEY = "core.webhooks.endpoints"  # session.info: (transaction, [(endpoint id, event names)])


def _active_endpoints(session) -> list[tuple[int, frozenset]]:
    """``(id, event names)`` of the active endpoints, read once per transaction of ``session``.

    Kept in ``session.info`` with the transaction it was read in; forgotten when that
    transaction (or a savepoint) ends, when an endpoint is added to the session or its
    ``active``/``events`` change, and when a flush writes or deletes one (:func:`_listen`), so a
    change made in the same transaction is seen at once. Bulk SQL on endpoints: call
    :func:`forget_endpoints`.
    """
    from sqlalchemy import select

    from core.models.api import WebhookEndpoint

    transaction = session.get_transaction()
    cached = session.info.get(ENDPOINTS_KEY)
    if cached is not None and cached[0] is transaction and transaction is not None:
        return cached[1]
    rows = session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events)
                           .where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)).all()
    endpoints = [(ident, frozenset((events or "").split())) for ident, events in rows]
    session.info[ENDPOINTS_KEY] = (session.get_transaction(), endpoints)
    return endpoints


def forget_endpoints(session) -> None:
    """Drop the endpoints remembered for ``session`` (after changing endpoints with bulk SQL)."""
    session.info.pop(ENDPOINTS_KEY, None)


def _forget_on_flush(session, flush_context) -> None:
    if ENDPOINTS_KEY not in session.info:
        return
    from core.models.api import WebhookEndpoint

    if any(isinstance(o, WebhookEndpoint) for o in (*session.new, *session.dirty, *session.deleted)):
        forget_endpoints(session)


def _forget_on_end(session, transaction) -> None:
    # The transaction or a savepoint ended (a flush's own subtransaction ending changes nothing).
    if ENDPOINTS_KEY in session.info and (transaction.parent is None or transaction.nested):
        forget_endpoints(session)


def _forget_on_attach(session, instance) -> None:
    if ENDPOINTS_KEY in session.info:
        from core.models.api import WebhookEndpoint

        if isinstance(instance, WebhookEndpoint):
            forget_endpoints(session)


def _forget_on_set(target, value, oldvalue, initiator) -> None:
    from sqlalchemy.orm import object_session

    session = object_session(target)
    if session is not None:
        forget_endpoints(session)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from core.models.api import WebhookEndpoint

    if not event.contains(Session, "after_flush", _forget_on_flush):
        event.listen(Session, "after_flush", _forget_on_flush)
        event.listen(Session, "after_transaction_end", _forget_on_end)
        event.listen(Session, "after_attach", _forget_on_attach)
        event.listen(WebhookEndpoint.active, "set", _forget_on_set)
        event.listen(WebhookEndpoint.events, "set", _forget_on_set)


_listen()


def subscribed(session, event: str) -> bool:
    """Whether an active endpoint subscribes to ``event``: a job doing set-based work may skip
    building the payloads when nobody listens. One query per transaction, shared with
    :func:`publish`."""
    return any(event in names for _id, names in _active_endpoints(session))


def publish(session, event: str, data: dict) -> int:
    """Queue ``event`` with ``data`` (JSON-serializable) for every active endpoint subscribed to it.

    Call it inside the transaction that made the event happen: the deliveries commit with it,
    or not at all. Returns the number of deliveries queued. An undeclared event raises
    ``ValueError`` (a typo must not silently reach nobody). The active endpoints are read once
    per transaction (see :func:`subscribed`), not once per call.
    """
    from core import context
    from core.models.api import WebhookDelivery
    from core.models.meta import utcnow

    if event not in webhook_events(context.plugin_manager(session)):
        raise ValueError(f"webhook event {event!r} is not declared by any enabled plugin (mutuo_webhook_events)")
    endpoints = [ident for ident, names in _active_endpoints(session) if event in names]
    if not endpoints:
        return 0
    now = utcnow()
    for endpoint_id in endpoints:
        event_id = "evt_" + uuid.uuid4().hex
        body = json.dumps({"id": event_id, "event": event, "created": now.isoformat(), "data": data},
                          default=str, ensure_ascii=False, separators=(",", ":"))
        session.add(WebhookDelivery(endpoint_id=endpoint_id, event=event, event_id=event_id, body=body,
                                    status="pending", attempts=0, next_attempt_at=now, created_at=now))
    session.flush()
    return len(endpoints)


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def attempt(session, delivery, sender, settings, now=None) -> bool:
    """Send one delivery now; record the outcome and schedule the next attempt. True when delivered."""
    from core.models.meta import utcnow

    now = now or utcnow()
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    code, error = None, None
    if not endpoint.active:
        error = "endpoint disabled"
    elif not host_allowed(settings, endpoint.url):
        error = f"host no longer in {SETTING_ALLOWED_HOSTS}"
    else:
        headers = {"Content-Type": "application/json", "User-Agent": "Mutuo-Webhooks/1",
                   "Mutuo-Event": delivery.event, "Mutuo-Delivery": str(delivery.id),
                   SIGNATURE_HEADER: sign(endpoint.secret, body, int(now.timestamp()))}
        try:
            code = int(sender.send(endpoint.url, body, headers))
        except Exception as exc:  # a network failure is a failed attempt, retried
            error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.response_code = code
    delivery.last_error = error if code is None or not 200 <= code < 300 else None
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.next_attempt_at = "delivered", None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = "failed", None
        if delivery.last_error is None:
            delivery.last_error = f"HTTP {code}"
    else:
        delivery.status, delivery.next_attempt_at = "pending", now + backoff(delivery.attempts)
        if delivery.last_error is None:
            delivery.last_error = f"HTTP {code}"
    session.flush()
    return delivery.status == "delivered"


def deliver_due(session, sender, settings, now=None) -> tuple[int, int]:
    """Attempt every due delivery (a batch); returns (delivered, failed attempts)."""
    from sqlalchemy import select

    from core.models.api import WebhookDelivery
    from core.models.meta import utcnow

    now = now or utcnow()
    stmt = (select(WebhookDelivery).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(BATCH))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ok = bad = 0
    for delivery in session.scalars(stmt).all():
        if attempt(session, delivery, sender, settings, now):
            ok += 1
        else:
            bad += 1
    return ok, bad


def redeliver(session, delivery) -> None:
    """Queue a delivery again (whatever its state): the next run of the job sends it."""
    from core.models.meta import utcnow

    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.attempts = MAX_ATTEMPTS - 1  # one more try
    session.flush()


def deliver_webhooks(request) -> str:
    """Job ``core.deliver_webhooks``: send the due webhook deliveries, retrying failures with back-off."""
    from core import context

    session = request.dbsession
    ok, bad = deliver_due(session, context.service(session, IWebhookSender), context.settings(session))
    return f"{ok} webhook(s) delivered, {bad} attempt(s) failed"
