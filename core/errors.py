"""Mutuo's one family of exceptions, at the bottom of core: this module imports nothing from core.

Every error Mutuo raises on purpose derives from :class:`MutuoError`, so a
caller (the CLI's one-line error handling, a job, a view) can tell "Mutuo
refused" from "something broke". Two branches:

* :class:`StartupError` — the configuration or the plugins' declarations are
  wrong; the process must not start. :class:`ConfigError` (a setting) and
  :class:`PluginError` (a plugin's package or manifest) are its kinds.
* :class:`UserError` — a refusal the user can fix, with the form ``field`` it
  belongs to. :class:`ConflictError` (someone else changed the record first)
  is one kind; ``AccountError`` and ``FormError`` are older names of it.
* :class:`NotFound` and :class:`AccessDenied` — the thing does not exist for
  this user, or the user may not do this. They are not ``UserError``s on
  purpose: a form that shows a ``UserError`` on its field must not swallow them.

Services raise these; only ``core/web`` turns them into HTTP answers (an
exception view maps ``NotFound`` to 404 and ``AccessDenied`` to 403), so the
same service works from the CLI, a job or a request.

The old homes keep their names: ``core.config.ConfigError``,
``core.plugins.PluginError``, ``core.security.StartupError`` and
``core.accounts.AccountError`` and ``core.web.forms.FormError`` are these classes.
"""


class MutuoError(Exception):
    """Base of every exception Mutuo raises on purpose; the message says how to fix it.

    The message may be a translation string (``core.i18n._``): ``str()`` gives its
    English text with its values; ``core.i18n.translate(exc)`` gives it in the
    user's language.
    """

    def __str__(self) -> str:
        message = self.args[0] if self.args else ""
        interpolate = getattr(message, "interpolate", None)  # a TranslationString, without importing pyramid
        return interpolate() if callable(interpolate) else super().__str__()

    @property
    def message(self):
        return self.args[0] if self.args else ""


class StartupError(MutuoError):
    """Settings or plugins' declarations contradict each other; the message names the fix."""


class ConfigError(StartupError):
    """A config problem; the message says what to do."""


class PluginError(StartupError):
    """A plugin configuration problem; the message is one sentence with the fix."""


class UserError(MutuoError, ValueError):
    """A refusal the user can fix; ``field`` names the form field it belongs to.

    ``extra`` (JSON-serializable) is more about the refusal for machines: the JSON API adds
    its keys as members of the problem document (``{"repayment_id": 12}``); screens ignore it.
    """

    def __init__(self, message: str, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.field = field
        self.extra = dict(extra or {})


class ConflictError(UserError):
    """A refusal because of the record's current state, not the request's wording.

    The application is already fully funded, the money is no longer available,
    the loan is already closed: often because someone else's change committed
    first. The same request may succeed later or elsewhere; the web layer
    answers 409 Conflict (a plain :class:`UserError` answers 400).
    """


class NotFound(MutuoError):
    """The thing asked for does not exist, or is outside what the user may see (the web answers 404)."""

    def __init__(self, message: str = "not found"):
        super().__init__(message)


class AccessDenied(MutuoError):
    """The user lacks ``permission`` (None: not logged in, or no single permission helps); the web answers 403."""

    def __init__(self, permission: str | None = None, message: str | None = None):
        super().__init__(message or (f"missing {permission}" if permission else "not allowed"))
        self.permission = permission


class JobFailed(MutuoError):
    """Raise from a job to fail its run with this message as the summary."""


# Older names of UserError, kept for the code that uses them.
AccountError = UserError  # core.accounts
FormError = UserError  # core.web.forms: services raise it, forms show it on the field

__all__ = ["MutuoError", "StartupError", "ConfigError", "PluginError", "UserError", "ConflictError",
           "NotFound", "AccessDenied", "JobFailed", "AccountError", "FormError"]
