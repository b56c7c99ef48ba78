"""Password hashing (argon2id), its cost read from settings.

``mutuo.password_hash.time_cost``, ``.memory_cost`` (KiB) and ``.parallelism``
default to argon2-cffi's recommended values, which production keeps. The test
settings (:func:`core.testing.base_settings`) lower them, because tests log in
hundreds of users; nothing is patched at import time any more. A hash records
its own parameters, so changing the cost never locks anyone out: old hashes
still verify.

Callers pass the settings they have (``core.context.settings(session)`` in the
services); without settings, the production cost applies.
"""
from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SETTING_PREFIX = "mutuo.password_hash."
DEFAULTS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}  # argon2-cffi's RFC 9106 low-memory profile
SETTINGS = tuple(SETTING_PREFIX + name for name in DEFAULTS)


def hash_cost(settings: dict | None) -> tuple[int, int, int]:
    """(time_cost, memory_cost, parallelism) from ``settings``; the defaults for what is unset."""
    settings = settings or {}
    time_cost, memory_cost, parallelism = (int(settings.get(SETTING_PREFIX + name) or default)
                                           for name, default in DEFAULTS.items())
    return time_cost, memory_cost, parallelism


@lru_cache(maxsize=8)
def _hasher(cost: tuple[int, int, int]) -> PasswordHasher:
    time_cost, memory_cost, parallelism = cost
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher(settings: dict | None = None) -> PasswordHasher:
    """The hasher of these settings (one per distinct cost, built once)."""
    return _hasher(hash_cost(settings))


def hash_password(password: str, settings: dict | None = None) -> str:
    return hasher(settings).hash(password)


def verify_password(password_hash: str, password: str, settings: dict | None = None) -> bool:
    if not password_hash:
        return False
    try:
        return hasher(settings).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=8)
def _dummy_hash(cost: tuple[int, int, int]) -> str:
    return _hasher(cost).hash(secrets.token_hex(8))


def burn_password_time(password: str, settings: dict | None = None) -> None:
    """Spend the time of a real check, so unknown usernames answer as slowly."""
    verify_password(_dummy_hash(hash_cost(settings)), password, settings)
