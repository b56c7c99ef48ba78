"""Gateways: the plugin point through which messages leave.

A gateway plugin implements the core hook ``mutuo_message_gateways(settings)``
and returns :class:`Gateway` objects. For each channel the first gateway that
handles it (plugins in dependency order) is used. With no gateway for a
channel, the outbox *is* the gateway: messages stay in ``core_message`` with
status ``outbox`` and the Messages screen shows them (an installation without
an SMS provider still sees what would have been sent).

The gateways are found through the session's plugin manager
(:func:`gateways_for`), and at start-up :func:`build_gateway_registry` checks
them once and keeps them on the registry as ``mutuo.message_gateways``;
:func:`includeme` registers that list as the :class:`core.services.IMessageGateways`
service (``find_service(request, IMessageGateways)``). The hook stays the way
plugins contribute gateways.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core import context
from core.errors import StartupError
from core.models.message import CHANNELS


class Gateway:
    """Base class for a gateway. Subclasses set the attributes and implement :meth:`send`.

    ``name``: unique, short (stored on each message it handles); ``channels``:
    a subset of ``("sms", "email")``; ``rate_per_minute``: at most this many
    attempts per minute (None: no limit).
    """

    name: str = ""
    channels: tuple[str, ...] = ()
    rate_per_minute: int | None = None

    def send(self, message) -> str:
        """Deliver ``message`` (a :class:`core.models.message.Message`); return the provider's reference.

        Raise any exception to refuse it: the error is kept on the message and
        the delivery job tries again later (see :mod:`core.messages.delivery`).
        """
        raise NotImplementedError


@dataclass
class MemoryGateway(Gateway):
    """A gateway that keeps what it is given — for tests and demos. ``fail`` is an address predicate."""

    name: str = "memory"
    channels: tuple[str, ...] = CHANNELS
    rate_per_minute: int | None = None
    fail: Callable[[str], bool] | None = None
    sent: list = field(default_factory=list)

    def send(self, message) -> str:
        if self.fail is not None and self.fail(message.address):
            raise RuntimeError(f"{self.name} refused {message.address}")
        self.sent.append((message.channel, message.address, message.body))
        return f"{self.name}-{len(self.sent)}"


def collect(pm, settings) -> list[Gateway]:
    """Every enabled plugin's gateways, checked (names unique, channels known)."""
    found: list[Gateway] = []
    names = set()
    # pluggy calls the last registered plugin first: reversed, the answers follow plugin order.
    for gateways in reversed(pm.hook.mutuo_message_gateways(settings=settings)):
        for gateway in gateways:
            unknown = set(gateway.channels) - set(CHANNELS)
            if not gateway.name or unknown or not gateway.channels:
                raise StartupError(f"Message gateway '{gateway.name or '(no name)'}' ({type(gateway).__name__}) "
                                   f"must have a name and channels among {', '.join(CHANNELS)}.")
            if gateway.name in names:
                raise StartupError(f"Message gateway '{gateway.name}' is declared twice; rename one of them.")
            names.add(gateway.name)
            found.append(gateway)
    return found


def build_gateway_registry(pm, settings) -> list[Gateway]:
    return collect(pm, settings)


def gateways_for(session) -> list[Gateway]:
    """The enabled gateways, through the session's plugin manager (raises when none is bound)."""
    return collect(context.plugin_manager(session), context.settings(session))


def gateway_by_channel(gateways: list[Gateway]) -> dict[str, Gateway]:
    """channel -> the first gateway handling it."""
    chosen: dict[str, Gateway] = {}
    for gateway in gateways:
        for channel in gateway.channels:
            chosen.setdefault(channel, gateway)
    return chosen


def includeme(config):
    """The gateways built at start-up (:func:`core.platform.populate_registry`) as ``IMessageGateways``."""
    from core.interfaces import IMessageGateways

    registry = config.registry
    gateways = registry.get("mutuo.message_gateways")
    if gateways is None:
        gateways = registry["mutuo.message_gateways"] = build_gateway_registry(registry["mutuo.pm"],
                                                                               config.get_settings())
    config.register_service(gateways, IMessageGateways)
