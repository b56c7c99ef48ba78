"""Translations: one gettext domain per package, the user's language, translating outside templates.

* Core's strings are in the domain ``mutuo`` (``core/locale``); each plugin's in
  a domain named after the plugin (``plugins/lending/locale``, domain
  ``lending``), so a third-party plugin ships its own catalogue. A module marks
  strings with its package's factory::

      from core.i18n import _                      # core
      _ = domain_strings("lending")                # a plugin, once, in <plugin>/i18n.py
      _n = domain_plurals("lending")

  ``_("Loan ${id} closed", mapping={"id": 7})`` is a ``TranslationString``: it is
  translated where it is shown (Chameleon translates it in ``${…}``; ``flash``
  and the error views through :func:`translate`). ``_n`` resolves at once, in
  the current language, because gettext plurals need the count.
* The language of a request: the user's own choice (account page), else the
  browser's ``Accept-Language``, else ``mutuo.default_locale``; one of
  ``mutuo.locales`` (default ``en es``). Outside a request (CLI, jobs) it is
  the one set by :func:`use_locale` (the CLI's ``--locale`` / ``LANG``; jobs use
  the company default).
* Catalogues: ``.po`` files are the source, ``.mo`` files are built by
  ``mutuo i18n compile`` (``make install``) and refreshed at start-up when a
  ``.po`` is newer (see :func:`compile_catalogues`), never committed.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from pyramid.i18n import Localizer, TranslationString, TranslationStringFactory, make_localizer
from pyramid.threadlocal import get_current_request

log = logging.getLogger(__name__)

DOMAIN = "mutuo"
SOURCE_LOCALE = "en"
DEFAULT_LOCALES = ("en", "es")
CORE_LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_ = TranslationStringFactory(DOMAIN)


def domain_strings(domain: str) -> TranslationStringFactory:
    """The ``_`` of a package whose catalogue is ``domain``."""
    return TranslationStringFactory(domain)


def domain_plurals(domain: str):
    """The ``_n(singular, plural, n, mapping=None)`` of a package: ``${n}`` is the count, formatted."""
    def _n(singular: str, plural: str, n: int, mapping: dict | None = None) -> str:
        return pluralize(singular, plural, n, domain=domain, mapping=mapping)
    return _n


_n = domain_plurals(DOMAIN)


# -- which language ------------------------------------------------------------------

def available_locales(settings) -> list[str]:
    """``mutuo.locales`` (space or comma separated), the default locale always among them."""
    raw = (settings or {}).get("mutuo.locales") or " ".join(DEFAULT_LOCALES)
    names = [n.strip() for n in raw.replace(",", " ").split() if n.strip()]
    default = default_locale(settings)
    return names if default in names else [default, *names]


def default_locale(settings) -> str:
    return ((settings or {}).get("mutuo.default_locale") or SOURCE_LOCALE).strip()


def negotiate_locale(request) -> str:
    """The user's own language, else the browser's, else the company's default."""
    settings = request.registry.settings
    available = available_locales(settings)
    try:
        user = request.user
    except Exception:  # an identity lookup that fails must not take the error page with it
        user = None
    chosen = getattr(user, "locale", None)
    if chosen in available:
        return chosen
    try:
        header = request.accept_language
        if header:
            found = header.lookup(language_tags=available, default="")
            if found:
                return found
    except (ValueError, TypeError):  # a malformed header is no preference
        pass
    return default_locale(settings)


def forget_request_locale(request) -> None:
    """Negotiate again (the user just chose a language): Pyramid keeps the first answer per request."""
    request.__dict__.pop("locale_name", None)
    request.__dict__.pop("localizer", None)


def parse_lang(value: str | None) -> str | None:
    """``es_ES.UTF-8`` -> ``es``; ``C``/``POSIX``/empty -> None."""
    if not value:
        return None
    tag = value.split(".")[0].split("@")[0]
    if tag in ("C", "POSIX", ""):
        return None
    return tag.replace("-", "_").split("_")[0].lower()


def locale_display_name(name: str) -> str:
    """A language in its own words: ``es`` -> ``español``."""
    from babel import Locale

    try:
        return Locale.parse(name).get_display_name(name) or name
    except (ValueError, LookupError):
        return name


# -- localizers outside the request ---------------------------------------------------

_state = threading.local()
_process_locale: dict[str, object] = {"name": None, "dirs": ()}


def translation_dirs(pm=None) -> list[str]:
    """Colander's, deform's and core's catalogues, then each enabled plugin's ``locale`` folder
    (without a plugin manager: every installed plugin's, for code that runs outside an app)."""
    import colander
    import deform

    dirs = [str(Path(colander.__file__).parent / "locale"), str(Path(deform.__file__).parent / "locale"),
            str(CORE_LOCALE_DIR)]
    modules = [p.module for p in getattr(pm, "enabled", ()) or ()] if pm is not None else _installed_plugins()
    for module in modules:
        folder = plugin_locale_dir(module)
        if folder is not None:
            dirs.append(str(folder))
    return dirs


@lru_cache(maxsize=1)
def _installed_plugins() -> tuple:
    import importlib

    from core.plugins import available_plugins

    found = []
    for import_path in available_plugins().values():
        try:
            found.append(importlib.import_module(import_path.split(":")[0]))
        except Exception:  # a broken plugin is reported where it is enabled, not while translating
            log.debug("cannot import %s for its catalogue", import_path, exc_info=True)
    return tuple(found)


def plugin_locale_dir(module) -> Path | None:
    from core.plugins import _package_of

    found = _package_of(module)
    if found is None:
        return None
    folder = found[1] / "locale"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=32)
def _localizer(locale_name: str, dirs: tuple[str, ...]) -> Localizer:
    compile_catalogues(dirs[2:])  # colander's and deform's come compiled
    return make_localizer(locale_name, list(dirs))


def localizer_for(locale_name: str, dirs=None) -> Localizer:
    """A localizer for ``locale_name`` over ``dirs`` (default: the ones set by :func:`use_locale`)."""
    if dirs is None:
        dirs = _process_locale["dirs"] or translation_dirs()
    return _localizer(locale_name or SOURCE_LOCALE, tuple(dirs))


def use_locale(locale_name: str | None, pm=None) -> None:
    """The language of this process's messages outside requests (the CLI, a worker)."""
    _process_locale["name"] = locale_name or SOURCE_LOCALE
    _process_locale["dirs"] = tuple(translation_dirs(pm))


class in_locale:
    """``with in_locale("es", pm): …`` — messages of this thread in that language (a job, a test)."""

    def __init__(self, locale_name: str, pm=None):
        self.localizer = localizer_for(locale_name, translation_dirs(pm) if pm is not None else None)

    def __enter__(self):
        self.previous = getattr(_state, "localizer", None)
        _state.localizer = self.localizer
        return self.localizer

    def __exit__(self, *exc):
        _state.localizer = self.previous


def current_localizer() -> Localizer:
    """The request's localizer; else this thread's (:class:`in_locale`); else the process's."""
    request = get_current_request()
    if request is not None and getattr(request, "registry", None) is not None:
        try:
            return request.localizer
        except Exception:  # a bare test request without the i18n configuration
            pass
    found = getattr(_state, "localizer", None)
    if found is not None:
        return found
    return localizer_for(str(_process_locale["name"] or SOURCE_LOCALE))


def translate(message, localizer: Localizer | None = None) -> str:
    """``message`` (a TranslationString, plain text or an exception holding one) in the current language."""
    if isinstance(message, BaseException):
        message = message.args[0] if message.args else str(message)
    if isinstance(message, TranslationString):
        return (localizer or current_localizer()).translate(message)
    return "" if message is None else str(message)


def declared_domain(plugin: str | None) -> str:
    """The catalogue of what ``plugin`` declared: core's (``mutuo``) for core and admin-made things."""
    return DOMAIN if plugin in (None, "", "core", DOMAIN) else plugin


def translate_declared(text, plugin: str | None = None, localizer: Localizer | None = None) -> str:
    """A title or description stored from the declarations (a role's, a permission's) in the current language.

    ``plugin`` names the declaring plugin (its catalogue is tried first, then core's);
    text an admin typed has no translation and is shown as written.
    """
    if text is None or text == "":
        return ""
    if isinstance(text, TranslationString):
        return translate(text, localizer)
    localizer = localizer or current_localizer()
    for domain in dict.fromkeys((declared_domain(plugin), DOMAIN)):
        found = localizer.translate(TranslationString(str(text), domain=domain))
        if found != text:
            return found
    return str(text)


def pluralize(singular: str, plural: str, n: int, *, domain: str = DOMAIN, mapping: dict | None = None,
              localizer: Localizer | None = None) -> str:
    localizer = localizer or current_localizer()
    values = {"n": format_count(n, localizer.locale_name)}
    for key, value in (mapping or {}).items():
        values[key] = translate(value, localizer)
    return localizer.pluralize(singular, plural, n, domain=domain, mapping=values)


def format_count(n, locale_name: str) -> str:
    from babel.numbers import format_decimal

    try:
        return format_decimal(n, locale=locale_name or SOURCE_LOCALE)
    except (ValueError, TypeError, LookupError):
        return str(n)


# -- catalogues -----------------------------------------------------------------------

def compile_catalogues(dirs, *, force: bool = False) -> list[Path]:
    """Write each ``.mo`` whose ``.po`` is newer (or missing); returns the files written.

    A folder that cannot be written (an installed package) is logged and skipped:
    its ``.mo`` files were built when it was installed.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for folder in dirs:
        for po in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=po.parent.parent.name, domain=po.stem)
            try:
                with mo.open("wb") as handle:
                    write_mo(handle, catalog, use_fuzzy=False)
            except OSError as exc:
                log.warning("cannot write %s (%s); run `mutuo i18n compile` where it is writable", mo, exc)
                continue
            written.append(mo)
    return written


def includeme(config) -> None:
    """Translation folders of core and the enabled plugins, compiled if stale, and the negotiator."""
    pm = config.registry.get("mutuo.pm")
    dirs = translation_dirs(pm)
    compile_catalogues(dirs[2:])  # core's and the plugins'; colander and deform ship theirs compiled
    config.add_translation_dirs(*dirs)
    config.set_locale_negotiator(negotiate_locale)
    if _process_locale["name"] is None:  # jobs run in this process speak the company's language
        use_locale(default_locale(config.registry.settings))  # every installed catalogue: not this app's alone
