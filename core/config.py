"""Reading and checking settings: one place for config errors."""
from __future__ import annotations

import os
import re

from pyramid.i18n import TranslationStringFactory

from core.errors import ConfigError, PluginError

# core's domain (core.i18n.DOMAIN) for the settings' errors of this module and of the modules below
# core.i18n (core.services, core.webhooks, core.documents.limits): core.i18n sits above them.
_ = TranslationStringFactory("mutuo")

DEFAULT_SECRET = "change-me"
_ENV = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def expand_env(settings: dict) -> dict:
    """Replace ``${NAME}`` / ``${NAME:-default}`` in string settings from the environment."""
    def sub(match):
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name, default)
        if value is None:
            return ""
        return value

    return {k: _ENV.sub(sub, v) if isinstance(v, str) else v for k, v in settings.items()}


def environment(settings: dict) -> str:
    return settings.get("mutuo.environment", "production")


def is_development(settings: dict) -> bool:
    return environment(settings) in ("development", "testing")


def as_bool(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def check_settings(settings: dict) -> dict:
    """Validate the settings every process needs; raise ConfigError with the fix."""
    if not settings.get("sqlalchemy.url"):
        raise ConfigError(_("Setting sqlalchemy.url is missing; set it in the [app:main] section of your config file."))
    secret = settings.get("mutuo.secret", "")
    if not is_development(settings) and (not secret or secret == DEFAULT_SECRET or len(secret) < 32):
        raise ConfigError(_(
            "Setting mutuo.secret is unset, the default, or shorter than 32 characters; "
            "set MUTUO_SECRET to a long random value (python -c 'import secrets; print(secrets.token_hex(32))')."
        ))
    if not is_development(settings) and len(settings.get("mutuo.audit_key", "")) < 32:
        raise ConfigError(_(
            "Setting mutuo.audit_key is unset or shorter than 32 characters; set MUTUO_AUDIT_KEY to a long random "
            "value kept outside the database (python -c 'import secrets; print(secrets.token_hex(32))'). "
            "It keys the audit log's hash chain; keep it, or the existing entries can no longer be verified."
        ))
    for key in ("mutuo.login.max_failures", "mutuo.login.max_delay_seconds", "mutuo.documents.max_size",
                "mutuo.session_idle_minutes", "mutuo.session_max_hours", "mutuo.password_hash.time_cost",
                "mutuo.password_hash.memory_cost", "mutuo.password_hash.parallelism"):
        if key in settings:
            try:
                int(settings[key])
            except (TypeError, ValueError):
                raise ConfigError(_("Setting ${key} must be a whole number, not ${value}.",
                                    mapping={"key": key, "value": repr(settings[key])})) from None
    check_locales(settings)
    return settings


def check_locales(settings: dict) -> None:
    """``mutuo.locales`` and ``mutuo.default_locale`` name languages Babel knows (docs/i18n.md)."""
    from babel import Locale, UnknownLocaleError

    names = f"{settings.get('mutuo.locales') or ''} {settings.get('mutuo.default_locale') or ''}"
    for name in names.replace(",", " ").split():
        try:
            Locale.parse(name)
        except (ValueError, UnknownLocaleError):
            raise ConfigError(_("Setting mutuo.locales or mutuo.default_locale names '${name}', which is not a "
                                "language code such as en, es or pt.", mapping={"name": name})) from None


def audit_key(settings: dict) -> bytes | None:
    """The HMAC key of the audit chain: ``mutuo.audit_key``; in development/testing, derived if unset.

    The derived key comes from ``mutuo.secret`` so a development database keeps
    verifying across restarts. Production has none (``check_settings`` refuses
    to start without one): None here, and the audit writer refuses to write.
    """
    key = settings.get("mutuo.audit_key", "")
    if key:
        return key.encode()
    if not is_development(settings):
        return None
    import hashlib
    import hmac

    secret = (settings.get("mutuo.secret") or DEFAULT_SECRET).encode()
    return hmac.new(secret, b"mutuo development audit key", hashlib.sha256).hexdigest().encode()


def load_settings(config_uri: str) -> dict:
    """Settings of ``[app:main]`` in ``config_uri``, env-expanded and checked."""
    from pyramid.paster import get_appsettings

    if not os.path.isfile(config_uri):
        raise ConfigError(_("Config file ${path} does not exist; pass -c PATH or set MUTUO_CONFIG.",
                            mapping={"path": config_uri}))
    try:
        settings = dict(get_appsettings(config_uri, name="main"))
    except Exception as exc:  # configparser/plaster raise many kinds
        raise ConfigError(_("Config file ${path} cannot be read (${problem}); fix its syntax.",
                            mapping={"path": config_uri, "problem": str(exc)})) from None
    return check_settings(expand_env(settings))


__all__ = ["ConfigError", "PluginError", "audit_key", "load_settings", "check_settings", "expand_env"]
