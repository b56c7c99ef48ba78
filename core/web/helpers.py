"""``h`` in templates: core.formatting's Formatter for the request's language (see there), plus what
only the web screens need (table cells of listings, role and permission words in their plugin's language).
"""
from __future__ import annotations

from datetime import date, datetime

from core.formatting import (  # noqa: F401  (re-exported for templates and views)
    DATE_INPUT_PATTERNS,
    Formatter,
    current,
    date_input_pattern,
    date_placeholder,
    formatter,
    label,
    money,
    percent,
    when,
)
from core.i18n import DOMAIN, TranslationString, _

#: Units of a file size (``${size}`` is the number written the user's way).
SIZE_UNITS = (_("${size} bytes"), _("${size} KB"), _("${size} MB"), _("${size} GB"), _("${size} TB"))

#: Column kinds a listing knows (core.web.listing.Column.kind); None = by the value's type.
CELL_KINDS = ("money", "percent", "number", "date", "label", "text")


def permission_domain(name: str) -> str:
    """The catalogue of a permission's words: its plugin's (``lending.loan.view`` -> ``lending``); core's is ``mutuo``."""
    prefix = (name or "").split(".", 1)[0]
    return DOMAIN if prefix in ("", "core") else prefix


def role_domain(plugin: str | None) -> str | None:
    """The catalogue of a declared role's words; None for a role an administrator wrote (shown as written)."""
    if not plugin:
        return None
    return DOMAIN if plugin == "core" else plugin


class WebFormatter(Formatter):
    """The request's ``h``: core.formatting.Formatter and a few helpers of the web screens.

    ``domains``: core's and the enabled plugins' catalogues, where :meth:`label` looks for a
    code's words when no domain is named (a list of audit actions or statuses from every plugin).
    """

    def __init__(self, locale_name: str = "en", tz: str = "UTC", localizer=None, domains=()):
        super().__init__(locale_name, tz, localizer)
        self.domains = tuple(dict.fromkeys((DOMAIN, *domains)))

    def label(self, value, domain: str | None = None) -> str:
        """A stored code as words: of ``domain``'s catalogue (then core's); without one, of the first
        catalogue (core's, then each enabled plugin's) that has them; else the code with spaces."""
        if domain is not None:
            return super().label(value, domain)
        text = str(value or "").replace("_", " ")
        for name in self.domains:
            words = super().label(value, name)
            if words != text:
                return words
        return text

    def file_size(self, size) -> str:
        """core.documents.human_size (``1.5 MB``) with the number the user's way (``1,5 MB``)."""
        from decimal import ROUND_HALF_UP, Decimal

        if size is None or size == "":
            return ""
        value, unit = Decimal(size), 0
        while value >= 1024 and unit < len(SIZE_UNITS) - 1:
            value, unit = value / 1024, unit + 1
        if unit:
            value = value.quantize(Decimal("0.1"), ROUND_HALF_UP)
        return self.translate(_(SIZE_UNITS[unit], mapping={"size": self.number(value)}))

    def cell(self, value, kind: str | None = None, domain: str | None = None) -> str:
        """A listing cell: ``kind`` as core.formatting.Formatter.cell, plus ``date`` (a moment shown as
        its day), ``text`` (as it is: ids, codes) and ``label`` words looked up in ``domain``."""
        if value is None:
            return ""
        if kind == "date":
            return self.date(value) if isinstance(value, (date, datetime)) else str(value)
        if kind == "text":
            return self.translate(value) if isinstance(value, TranslationString) else str(value)
        if kind == "label":
            return self.label(value, domain)
        return super().cell(value, kind)

    def in_domain(self, text, domain: str | None) -> str:
        """Words stored from a declaration (a role's or permission's title) in their catalogue's language."""
        if text is None or text == "":
            return ""
        if domain is None:
            return self.translate(text) if isinstance(text, TranslationString) else str(text)
        return self.translate(TranslationString(str(text), domain=domain))

    def permission_title(self, permission) -> str:
        return self.in_domain(permission.title, permission_domain(permission.name))

    def permission_description(self, permission) -> str:
        return self.in_domain(permission.description, permission_domain(permission.name))

    def role_title(self, role) -> str:
        return self.in_domain(role.title, role_domain(role.plugin))

    def role_description(self, role) -> str:
        return self.in_domain(role.description, role_domain(role.plugin))

    @property
    def decimal_symbol(self) -> str:
        from babel.numbers import get_decimal_symbol

        return get_decimal_symbol(self.locale)


def for_request(request) -> WebFormatter:
    """The request's ``h``: its language, the company's time zone (one per app and language)."""
    cache = request.registry.setdefault("mutuo.web_formatters", {})
    found = cache.get(request.locale_name)
    if found is None:
        tz = request.registry.settings.get("mutuo.timezone") or "UTC"
        pm = request.registry.get("mutuo.pm")
        found = cache[request.locale_name] = WebFormatter(request.locale_name, tz, localizer=request.localizer,
                                                          domains=getattr(pm, "enabled_names", ()) or ())
    return found
