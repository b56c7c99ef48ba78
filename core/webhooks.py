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

from core.config import _, is_development
from core.errors import ConfigError
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
