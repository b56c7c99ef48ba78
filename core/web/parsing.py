"""The one place that turns request input into typed values.

Every view, listing filter and JSON endpoint reads user input through these
parsers, and every deform form through the colander types below, so the same
rules hold everywhere (see docs/security.md, "Input limits"):

* whole numbers and ids: ASCII digits only (``١٢`` or ``²`` are refused even
  though Python's ``int()`` takes the first), bounded to the column type
  (``Integer`` 2^31-1, ``BigInteger`` 2^63-1);
* amounts: parsed by the request's locale with Babel's strict rules (``1,50``
  is ambiguous in English and refused, so is ``1,0,0``), ASCII digits only, no
  exponent, NaN or Infinity, at most two decimals and within ``Numeric(18, 2)``;
* dates: ISO ``YYYY-MM-DD`` between 1900-01-01 and 2199-12-31, so arithmetic on
  them never leaves Python's or the database's range;
* text: no NUL or other control characters (tab and newlines only in multi-line
  text), and no longer than the model column it is stored in;
* ``next`` URLs: a path on this site without control characters.

A parser raises ``InputError`` (a ``UserError``) whose message says how to
write the value; a colander type turns it into ``colander.Invalid`` on its field.

Why here and not in the services: services get typed values and own the
business limits (a promise no larger than what is owed); this layer only makes
sure a value *is* a value the program and the database can hold.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Context, Decimal, InvalidOperation

import colander
import deform
from sqlalchemy import BigInteger, Integer, SmallInteger

from core.errors import UserError
from core.i18n import _, _n

DEFAULT_LOCALE = "en"
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
MONEY_DIGITS, MONEY_PLACES = 18, 2  # Numeric(18, 2)
RATE_DIGITS, RATE_PLACES = 9, 6  # Numeric(9, 6)
#: Text without a column behind it (a search box, a free note stored in Text) stops here.
DEFAULT_MAX_TEXT = 10_000
FILTER_MAX_TEXT = 200

_DIGITS = re.compile(r"[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


class InputError(UserError):
    """A value the user typed that cannot be read; the message says how to write it."""


_WIDE = Context(prec=60)  # quantizing 10^30 in the default context (28 digits) would raise, not refuse


# -- locale ---------------------------------------------------------------------

def request_locale(request) -> str:
    """The locale to read and show numbers in: the request's language (core.i18n.negotiate_locale)."""
    try:
        return request.locale_name or DEFAULT_LOCALE
    except AttributeError:  # a bare object standing in for a request
        settings = getattr(getattr(request, "registry", None), "settings", None) or {}
        return settings.get("mutuo.default_locale") or DEFAULT_LOCALE


def current_locale() -> str:
    """The language of the request being served, else of this process (CLI, jobs)."""
    from core.i18n import current_localizer

    return current_localizer().locale_name or DEFAULT_LOCALE


# -- numbers --------------------------------------------------------------------

def parse_int(text, field: str | None = None, *, minimum: int = -INT32_MAX - 1, maximum: int = INT32_MAX,
              what: str = "a whole number") -> int:
    """A whole number written with ASCII digits (an optional leading minus), within bounds."""
    raw = _as_text(text, field).strip()
    body = raw[1:] if raw[:1] == "-" else raw
    shown = _numbers()
    bounds = {"minimum": shown.number(minimum), "maximum": shown.number(maximum)}
    if not _DIGITS.fullmatch(body):
        if what == "a record number":
            raise InputError(_("'${value}' is not a record number; write it with the digits 0-9, like 12.",
                               mapping={"value": _shown(raw)}), field)
        raise InputError(_("'${value}' is not a whole number; write it with the digits 0-9, like 12.",
                           mapping={"value": _shown(raw)}), field)
    if len(body.lstrip("0")) > 20:
        raise InputError(_("That number is too large; use a number from ${minimum} to ${maximum}.",
                           mapping=bounds), field)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise InputError(_("${value} is out of range; use a number from ${minimum} to ${maximum}.",
                           mapping={"value": shown.number(value), **bounds}), field)
    return value


def parse_id(text, field: str | None = None, *, maximum: int = INT64_MAX) -> int:
    """A record number (1 and up, ASCII digits, within the id column's type)."""
    return parse_int(text, field, minimum=1, maximum=maximum, what="a record number")


def id_or_404(text, maximum: int = INT64_MAX) -> int:
    """A record number from the URL; anything else is a page that does not exist (404)."""
    from pyramid.httpexceptions import HTTPNotFound

    try:
        return parse_id(text if isinstance(text, (str, int)) else "", maximum=maximum)
    except InputError:
        raise HTTPNotFound() from None


def int_bound(column) -> int:
    """The largest value an integer column holds (2^31-1 for Integer, 2^63-1 for BigInteger)."""
    kind = getattr(column, "type", column)
    if isinstance(kind, SmallInteger):
        return 2**15 - 1
    if isinstance(kind, BigInteger):
        return INT64_MAX
    if isinstance(kind, Integer):
        return INT32_MAX
    return INT64_MAX


def parse_decimal(text, field: str | None = None, *, locale: str = DEFAULT_LOCALE, places: int = MONEY_PLACES,
                  digits: int = MONEY_DIGITS, what: str = "an amount", example: str = "1234.50") -> Decimal:
    """A decimal number typed in ``locale``'s way, within ``Numeric(digits, places)``.

    Babel's strict parser refuses misplaced group separators ("1,50" or "1,0,0"
    in English); digits must be ASCII; exponents, NaN and Infinity are refused.
    """
    from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol
    from babel.numbers import parse_decimal as babel_parse

    if isinstance(text, Decimal) or (isinstance(text, int) and not isinstance(text, bool)):
        return check_decimal(Decimal(text), field, places=places, digits=digits)  # typed already
    raw = _as_text(text, field).strip()
    if raw.startswith("+"):
        raw = raw[1:]
    decimal_symbol, group_symbol = get_decimal_symbol(locale), get_group_symbol(locale)
    allowed = set("0123456789-") | {decimal_symbol, group_symbol}
    if group_symbol in ("\u00a0", "\u202f"):
        allowed |= {" ", "\u00a0", "\u202f"}  # people type a plain space where the locale groups with a no-break one
    shown, written = _shown(raw), _example(example, locale)
    if not raw or not set(raw) <= allowed or not any(c.isdigit() for c in raw) or "-" in raw[1:]:
        raise InputError(_not_a_number(what, shown, written), field)
    try:
        value = babel_parse(raw, locale=locale, strict=True)
    except NumberFormatError as exc:
        suggestions = getattr(exc, "suggestions", None) or []
        raise InputError(_not_a_number(what, shown, written, suggestions[0] if suggestions else None),
                         field) from None
    except (InvalidOperation, ValueError):
        raise InputError(_not_a_number(what, shown, written), field) from None
    return check_decimal(value, field, places=places, digits=digits)


def check_decimal(value: Decimal, field: str | None = None, *, places: int = MONEY_PLACES,
                  digits: int = MONEY_DIGITS) -> Decimal:
    """``value`` if it fits ``Numeric(digits, places)``; else InputError."""
    if not value.is_finite():
        raise InputError(_("Write a number (NaN and Infinity are not numbers)."), field)
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum, context=_WIDE):
        raise InputError(_n("Use at most ${n} decimal place.", "Use at most ${n} decimal places.", places), field)
    if abs(value) >= Decimal(10) ** (digits - places):
        limit = Decimal(10) ** (digits - places) - quantum
        raise InputError(_("That is too large; the most this field holds is ${limit}.",
                           mapping={"limit": _numbers().number(limit, places)}), field)
    return value.quantize(quantum, context=_WIDE)




def parse_money(text, field: str | None = None, *, locale: str = DEFAULT_LOCALE) -> Decimal:
    """An amount of money: two decimals at most, within Numeric(18, 2)."""
    return parse_decimal(text, field, locale=locale)


def parse_percent(text, field: str | None = None, *, locale: str = DEFAULT_LOCALE, maximum: Decimal = Decimal(1000),
                  places: int = RATE_PLACES - 2) -> Decimal:
    """A percentage as people type it ("12.5", "12.5 %") -> the fraction 0.125 (fits Numeric(9, 6))."""
    raw = text if isinstance(text, Decimal) else _as_text(text, field).strip().rstrip("%").strip()
    value = parse_decimal(raw, field, locale=locale, places=places, digits=RATE_DIGITS, what="a percentage",
                          example="12.5")
    if not 0 <= value <= maximum:
        raise InputError(_("Use a percentage from 0 to ${maximum}.",
                           mapping={"maximum": _numbers(locale).number(maximum)}), field)
    return value / 100


# -- dates ----------------------------------------------------------------------

def parse_date(text, field: str | None = None, *, locale: str | None = None) -> date:
    """A date between 1900-01-01 and 2199-12-31, written in ISO (2026-03-31) or the way
    ``locale`` shows dates in forms (31/03/2026 in ``es``; see core.web.helpers)."""
    if isinstance(text, date):
        raw = text.isoformat()
    else:
        raw = _as_text(text, field).strip()
    value = None
    if _ISO_DATE.fullmatch(raw):
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            value = None
    elif locale and locale != DEFAULT_LOCALE:
        value = _parse_locale_date(raw, locale)
    if value is None:
        raise InputError(_("'${value}' is not a date; write it like ${example}.",
                           mapping={"value": _shown(raw), "example": _date_example(locale)}), field)
    if not MIN_DATE <= value <= MAX_DATE:
        shown = _numbers(locale)
        raise InputError(_("Use a date between ${first} and ${last}.",
                           mapping={"first": shown.date_input(MIN_DATE), "last": shown.date_input(MAX_DATE)}), field)
    return value


def _parse_locale_date(raw: str, locale: str) -> date | None:
    """``31/03/2026`` by the locale's input pattern (day, month, four-digit year, its separators)."""
    from core.formatting import date_input_pattern

    pattern = date_input_pattern(locale)
    regex, order = "", []
    for part in re.findall(r"y+|M+|d+|[^yMd]+", pattern):
        if part[0] in "yMd":
            regex += r"([0-9]{4})" if part[0] == "y" else r"([0-9]{1,2})"
            order.append(part[0])
        else:
            regex += re.escape(part)
    found = re.fullmatch(regex, raw)
    if not found:
        return None
    values = dict(zip(order, (int(g) for g in found.groups()), strict=True))
    try:
        return date(values["y"], values["M"], values["d"])
    except (KeyError, ValueError):
        return None


def _date_example(locale: str | None) -> str:
    if not locale or locale == DEFAULT_LOCALE:
        return "2026-03-31"
    from babel.dates import format_date

    from core.formatting import date_input_pattern

    return format_date(date(2026, 3, 31), date_input_pattern(locale), locale=locale)


def parse_month(text, field: str | None = None) -> date:
    """A month like 2026-03 -> its first day (same window as dates)."""
    raw = _as_text(text, field).strip()
    if not _ISO_MONTH.fullmatch(raw):
        raise InputError(_("'${value}' is not a month; write it like 2026-03.", mapping={"value": _shown(raw)}),
                         field)
    return parse_date(raw + "-01", field)


# -- text -----------------------------------------------------------------------

def control_characters(text: str, multiline: bool = False) -> bool:
    """True when ``text`` holds NUL or another control/unprintable-format character."""
    allowed = "\t\r\n" if multiline else ""
    return any((unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) for c in text)


def parse_text(text, field: str | None = None, *, max_length: int | None = DEFAULT_MAX_TEXT,
               multiline: bool = False) -> str:
    """Text without control characters, stripped, at most ``max_length`` characters."""
    raw = _as_text(text, field).strip()
    if control_characters(raw, multiline):
        raise InputError(_("Remove the control characters (such as NUL) from this text."), field)
    if max_length is not None and len(raw) > max_length:
        raise InputError(_n("Too long: at most ${n} character (this is ${length}).",
                            "Too long: at most ${n} characters (this is ${length}).", max_length,
                            mapping={"length": _numbers().number(len(raw))}), field)
    return raw


def column_length(column) -> int | None:
    """The length of a String column (``Model.attr`` or a Column); None when unbounded."""
    col = getattr(column, "property", None)
    col = col.columns[0] if col is not None and hasattr(col, "columns") else getattr(column, "expression", column)
    return getattr(getattr(col, "type", None), "length", None)


# -- next URLs ------------------------------------------------------------------

def safe_path(target, default: str | None) -> str | None:
    """``target`` when it is a path on this site (no scheme, host, backslash or control chars), else ``default``."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or control_characters(target) or len(target) > 2000:
        return default
    return target


# -- colander types and validators (deform forms) -----------------------------------

def _locale_of(node) -> str:
    request = (getattr(node, "bindings", None) or {}).get("request")
    return request_locale(request) if request is not None else current_locale()


class _Parsed(colander.SchemaType):
    """A colander type whose deserialization is one of the parsers above."""

    def serialize(self, node, appstruct):
        if appstruct is colander.null or appstruct is None or appstruct == "":
            return colander.null
        if isinstance(appstruct, str):  # a form re-shown with what was typed, or a text default
            return appstruct
        return self.show(node, appstruct)

    def show(self, node, appstruct) -> str:
        return str(appstruct)

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct is None or (isinstance(cstruct, str) and not cstruct.strip()):
            return colander.null
        try:
            return self.parse(node, cstruct)
        except UserError as exc:
            raise colander.Invalid(node, exc.message) from None


class Money(_Parsed):
    """An amount typed in the user's locale -> Decimal with two places (Numeric(18, 2))."""

    def __init__(self, places: int = MONEY_PLACES, digits: int = MONEY_DIGITS):
        self.places, self.digits = places, digits

    def show(self, node, appstruct):
        from babel.numbers import format_decimal

        return format_decimal(Decimal(appstruct), format="#,##0.00" if self.places == 2 else None,
                              locale=_locale_of(node), group_separator=False)

    def parse(self, node, cstruct):
        return parse_decimal(cstruct, locale=_locale_of(node), places=self.places, digits=self.digits)


class Percent(_Parsed):
    """A percentage typed as people do ("12.5") -> Decimal percentage (12.5), at most ``maximum``.

    It stays in percent: the form converts to a fraction, as before (products' ``to_service``).
    """

    def __init__(self, maximum: Decimal = Decimal(1000), places: int = RATE_PLACES - 2):
        self.maximum, self.places = maximum, places

    def parse(self, node, cstruct):
        return parse_percent(cstruct, locale=_locale_of(node), maximum=self.maximum, places=self.places) * 100


class WholeNumber(_Parsed):
    """An integer with ASCII digits between ``minimum`` and ``maximum`` (default: an Integer column)."""

    def __init__(self, minimum: int = 0, maximum: int = INT32_MAX):
        self.minimum, self.maximum = minimum, maximum

    def parse(self, node, cstruct):
        return parse_int(cstruct, minimum=self.minimum, maximum=self.maximum)


class Id(WholeNumber):
    """A record number: 1 up to the id column's bound."""

    def __init__(self, maximum: int = INT64_MAX):
        super().__init__(1, maximum)

    def parse(self, node, cstruct):
        return parse_id(cstruct, maximum=self.maximum)


class BoundedDate(_Parsed):
    """A date between 1900-01-01 and 2199-12-31, shown and typed the user's way (ISO always read too)."""

    def show(self, node, appstruct):
        from core.formatting import formatter

        return formatter(_locale_of(node)).date_input(appstruct)

    def parse(self, node, cstruct):
        return parse_date(cstruct, locale=_locale_of(node))


class DateTextWidget(deform.widget.TextInputWidget):
    """A date field with the pattern of the user's language as its placeholder (``dd/mm/aaaa``)."""

    @property
    def attributes(self):  # deform reads it when rendering, inside the request
        from core.formatting import date_placeholder

        return {"placeholder": date_placeholder(current_locale()), "inputmode": "numeric", "autocomplete": "off"}

    @attributes.setter
    def attributes(self, value):  # deform's Widget.__init__ sets it; the placeholder is computed instead
        pass


deform.schema.default_widget_makers[BoundedDate] = DateTextWidget


def clean_text(max_length: int | None = DEFAULT_MAX_TEXT, multiline: bool = False):
    """A colander validator: no control characters, at most ``max_length`` characters."""
    def validate(node, value):
        if not isinstance(value, str):
            return
        try:
            parse_text(value, max_length=max_length, multiline=multiline)
        except UserError as exc:
            raise colander.Invalid(node, exc.message) from None
    validate.mutuo_text_rule = True  # type: ignore[attr-defined]  # harden_schema recognises it
    return validate


def column_text(column, multiline: bool = False, extra=None):
    """The validator of a text field stored in ``column``: its length, no control characters."""
    rule = clean_text(column_length(column) or DEFAULT_MAX_TEXT, multiline)
    return colander.All(rule, extra) if extra is not None else rule


def harden_schema(schema: colander.SchemaNode) -> colander.SchemaNode:
    """Give every String field the text rule (form-wide safety net for fields not tied to a column).

    Fields that already carry ``column_text``/``clean_text`` keep their own length.
    Multi-line widgets (text areas) may hold newlines and tabs.
    """
    for node in schema.children:
        if node.children:
            harden_schema(node)
            continue
        if not isinstance(node.typ, colander.String) or _has_text_rule(node.validator):
            continue
        multiline = type(getattr(node, "widget", None)).__name__ in ("TextAreaWidget", "RichTextWidget")
        rule = clean_text(DEFAULT_MAX_TEXT, multiline)
        node.validator = colander.All(rule, node.validator) if node.validator else rule
    return schema


def _has_text_rule(validator) -> bool:
    if validator is None:
        return False
    if getattr(validator, "mutuo_text_rule", False):
        return True
    return any(_has_text_rule(v) for v in getattr(validator, "validators", ()))


# -- helpers --------------------------------------------------------------------

def _as_text(value, field) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        if value is None:
            return ""
        raise InputError(_("Send this value as a string."), field)
    return str(value)


def printable(raw: str, limit: int = 40) -> str:
    """``raw`` as it may be echoed back in a message or a page: printable and short."""
    text = "".join(c if c.isprintable() else "?" for c in raw)
    return text if len(text) <= limit else text[:limit] + "…"


_shown = printable


def _numbers(locale: str | None = None):
    """The formatter of ``locale`` (else the language being served) for the values inside a message."""
    from core.formatting import formatter

    return formatter(locale or current_locale())


def _not_a_number(what: str, value: str, example: str, suggestion: str | None = None):
    """"'abc' is not an amount; write it like 1,234.50." — one whole sentence per kind of number."""
    values = {"value": value, "example": example, "suggestion": suggestion}
    if what == "a percentage":
        if suggestion:
            return _("'${value}' is not a percentage; write it like ${example}. Did you mean ${suggestion}?",
                     mapping=values)
        return _("'${value}' is not a percentage; write it like ${example}.", mapping=values)
    if suggestion:
        return _("'${value}' is not an amount; write it like ${example}. Did you mean ${suggestion}?",
                 mapping=values)
    return _("'${value}' is not an amount; write it like ${example}.", mapping=values)


def _example(example: str, locale: str) -> str:
    from babel.numbers import format_decimal

    try:
        two_places = "." in example and len(example.split(".")[1]) == 2
        return format_decimal(Decimal(example), format="#,##0.00" if two_places else None, locale=locale)
    except Exception:  # pragma: no cover - an unknown locale falls back to the plain example
        return example
