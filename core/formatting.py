"""The one formatting helper: numbers, money, dates and words in the user's locale.

Templates get it as ``h`` (core.web.helpers: the request's language and the
company's time zone); services, jobs and the CLI call :func:`current` for the
language of whatever they serve. Stored values never change: Decimals and ISO dates stay in
the database, the JSON API and plain CSV; only what a person reads is
formatted here, with Babel's CLDR data (``10.625,00`` and ``4 mar 2026`` in
``es``, ``10,625.00`` and ``Mar 4, 2026`` in ``en``).

The module-level functions (``money``, ``percent``, ``when``, ``label``) are
the same in the source locale, for code without a request.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal

from core.i18n import SOURCE_LOCALE, TranslationString, localizer_for, pluralize

#: How a date is typed in a form, per language; other languages get their CLDR short date with
#: four-digit years. English keeps ISO: its CLDR short date (M/d/yy) is read the other way round in Europe.
DATE_INPUT_PATTERNS = {"en": "yyyy-MM-dd"}


#: Formatted texts a Formatter keeps (one per language and time zone, shared by requests) before starting again.
MEMO_SIZE = 20_000


class Formatter:
    """Format values for one locale (``es``) and time zone (``Europe/Madrid``)."""

    def __init__(self, locale_name: str = SOURCE_LOCALE, tz: str = "UTC", localizer=None):
        self.locale_name = locale_name
        self.locale = Locale.parse(locale_name)
        self.tz = get_timezone(tz or "UTC")
        self.tz_name = tz or "UTC"
        self._localizer = localizer
        # Babel parses a pattern on every call; lists format hundreds of cells per page, so parse once.
        self._numbers: dict[str, Any] = {}  # babel NumberPattern / DateTimePattern, parsed once
        self._dates: dict[str, Any] = {}
        self._labels: dict[tuple[str, str], str] = {}
        # Texts already formatted, by (method, type, value, option): a list repeats its dates, rates, terms
        # and many amounts row after row; a dict lookup (~0.2 µs) instead of babel (20–180 µs a cell).
        self._memo: dict[tuple, str] = {}
        # Babel's pattern.apply costs ~30 µs a number; where the locale groups by threes with Latin digits,
        # Python's own formatting with the locale's symbols gives the same text in ~2 µs.
        symbols = self.locale.number_symbols.get("latn", {})
        self._decimal, self._group = symbols.get("decimal", "."), symbols.get("group", ",")
        self._minus = symbols.get("minusSign", "-")
        self._fast = self.locale.decimal_formats[None].grouping == (3, 3) and self.locale.default_numbering_system == "latn"

    def _plain(self, value: Decimal, places: int) -> str:
        """``value`` rounded half-even to ``places`` decimals, grouped by threes, in the locale's symbols."""
        text = f"{value:,.{places}f}"
        text = text.replace(",", "\x00").replace(".", self._decimal).replace("\x00", self._group)
        return text.replace("-", self._minus, 1) if text.startswith("-") else text

    def _number_pattern(self, pattern: str):
        found = self._numbers.get(pattern)
        if found is None:
            from babel.numbers import parse_pattern

            found = self._numbers[pattern] = parse_pattern(pattern)
        return found

    def _date_pattern(self, format: str):
        found = self._dates.get(format)
        if found is None:
            from babel.dates import parse_pattern

            found = self._dates[format] = parse_pattern(str(self.locale.date_formats[format]))
        return found

    @property
    def localizer(self):
        if self._localizer is None:
            self._localizer = localizer_for(self.locale_name)
        return self._localizer

    def _remember(self, key: tuple, text: str) -> str:
        if len(self._memo) >= MEMO_SIZE:  # values shown are unbounded (amounts): start again, never grow forever
            self._memo.clear()
        self._memo[key] = text
        return text

    # -- numbers --------------------------------------------------------------------
    def money(self, value, places: int = 2) -> str:
        """An amount with its group separators and exactly ``places`` decimals: ``10.625,00``."""
        if value is None or value == "":
            return ""
        key = ("money", type(value), value, places)
        found = self._memo.get(key)
        if found is None:
            found = self._remember(key, self._money(value, places))
        return found

    def _money(self, value, places: int) -> str:
        if self._fast:
            return self._plain(Decimal(value), places)
        pattern = self._number_pattern("#,##0." + "0" * places if places else "#,##0")
        return pattern.apply(Decimal(value), self.locale, decimal_quantization=True)

    def number(self, value, places: int | None = None) -> str:
        """A count or a quantity: ``1.234``; with ``places``, that many decimals."""
        if value is None or value == "":
            return ""
        if places is not None:
            return self.money(value, places)
        key = ("number", type(value), value)
        found = self._memo.get(key)
        if found is not None:
            return found
        if self._fast and isinstance(value, int) and not isinstance(value, bool):
            return self._remember(key, self._plain(Decimal(value), 0))
        return self._remember(key, format_decimal(value, locale=self.locale))

    def percent(self, rate, places: int = 2) -> str:
        """A fraction as a percentage in the locale's way: 0.125 -> ``12.50%`` (en), ``12,50 %`` (es)."""
        if rate is None or rate == "":
            return ""
        memo = ("percent", type(rate), rate, places)
        found = self._memo.get(memo)
        if found is None:
            found = self._remember(memo, self._percent(rate, places))
        return found

    def _percent(self, rate, places: int) -> str:
        key = f"%{places}"
        pattern = self._numbers.get(key)
        if pattern is None:
            from babel.numbers import parse_pattern

            text = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0." + "0" * places if places else "#,##0")
            pattern = self._numbers[key] = parse_pattern(text)
        if self._fast:
            prefix, suffix = pattern.prefix[0], pattern.suffix[0]
            scaled = Decimal(rate) * 100
            sign, scaled = ("-", -scaled) if scaled < 0 else ("", scaled)
            return f"{sign.replace('-', self._minus)}{prefix}{self._plain(scaled, places)}{suffix}"
        return pattern.apply(Decimal(rate), self.locale, decimal_quantization=True)

    # -- dates ------------------------------------------------------------------------
    def date(self, value, format: str = "medium") -> str:
        """``4 mar 2026`` (es), ``Mar 4, 2026`` (en); ``short`` and ``long`` as CLDR has them."""
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date() if value.tzinfo else value.date()
        key = ("date", type(value), value, format)
        found = self._memo.get(key)
        if found is not None:
            return found
        if format in ("short", "medium", "long", "full"):
            return self._remember(key, self._date_pattern(format).apply(value, self.locale))
        return self._remember(key, format_date(value, format=format, locale=self.locale))

    def when(self, value, format: str = "medium") -> str:
        """A moment in the company's time zone (a date alone is shown as a date)."""
        if value is None or value == "":
            return ""
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            if format != "medium":
                return format_datetime(moment, format=format, tzinfo=self.tz, locale=self.locale)
            # The day as in dates, minutes without seconds, and the zone: "4 mar 2026, 9:05 UTC".
            local = moment.astimezone(self.tz)
            key = ("when", local.replace(second=0, microsecond=0, tzinfo=None), local.utcoffset())
            found = self._memo.get(key)
            if found is not None:
                return found
            pattern = str(self.locale.datetime_formats["medium"])
            text = pattern.replace("{1}", self.date(local.date())).replace("{0}", self._time_short(local))
            return self._remember(key, f"{text} {self.tz_name}")
        if isinstance(value, date):
            return self.date(value, format)
        return str(value)

    def _time_short(self, moment) -> str:
        found = self._dates.get("time:short")
        if found is None:
            from babel.dates import parse_pattern

            found = self._dates["time:short"] = parse_pattern(str(self.locale.time_formats["short"]))
        return found.apply(moment, self.locale)

    @property
    def date_input_pattern(self) -> str:
        """The pattern date fields show and read in this language: ``dd/MM/yyyy`` in ``es``."""
        return date_input_pattern(self.locale_name)

    def date_input(self, value) -> str:
        """``value`` as a date field shows it."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            return value
        return format_date(value, format=self.date_input_pattern, locale=self.locale)

    @property
    def date_placeholder(self) -> str:
        """The pattern in the user's words: ``dd/mm/aaaa``."""
        return date_placeholder(self.locale_name)

    # -- words ------------------------------------------------------------------------
    def translate(self, message) -> str:
        from core.i18n import translate

        return translate(message, self.localizer)

    def label(self, value, domain: str = "mutuo") -> str:
        """A stored code shown as words in the user's language: ``in_arrears`` -> ``en mora``.

        The words come from the catalogue of ``domain`` (a plugin declares its
        codes' words with ``_()``), then core's; else the code with spaces.
        """
        text = str(value or "").replace("_", " ")
        if not text:
            return ""
        key = (text, domain)
        found = self._labels.get(key)
        if found is None:
            found = text
            for name in dict.fromkeys((domain, "mutuo")):
                translated = self.localizer.translate(TranslationString(text, domain=name))
                if translated != text:
                    found = translated
                    break
            if len(self._labels) < 10_000:  # codes are few; free text shown as a label must not grow this forever
                self._labels[key] = found
        return found

    def declared(self, text, plugin: str | None = None) -> str:
        """A role's or permission's stored title/description in this language: ``h.declared(role.title, role.plugin)``."""
        from core.i18n import translate_declared

        return translate_declared(text, plugin, self.localizer)

    def plural(self, singular: str, plural: str, n, domain: str = "mutuo", **mapping) -> str:
        """``h.plural('${n} loan', '${n} loans', count, 'lending')`` -> ``1 préstamo``, ``2 préstamos``."""
        return pluralize(singular, plural, int(n or 0), domain=domain, mapping=mapping, localizer=self.localizer)

    def yes_no(self, value) -> str:
        from core.i18n import _

        return self.translate(_("yes") if value else _("no"))

    def cell(self, value, kind: str | None = None) -> str:
        """A table cell: money, percent, number, date or text, by ``kind`` or by the value's type."""
        if value is None:
            return ""
        if kind == "money" or (kind is None and isinstance(value, Decimal)):
            return self.money(value)
        if kind == "percent":
            return self.percent(value)
        if kind == "number":
            return self.number(value)
        if kind == "label":
            return self.label(value)
        if isinstance(value, bool):
            return self.yes_no(value)
        if isinstance(value, (date, datetime)):
            return self.when(value)
        if isinstance(value, TranslationString):
            return self.translate(value)
        if isinstance(value, int):
            return self.number(value)
        return str(value)


def date_input_pattern(locale_name: str) -> str:
    if locale_name in DATE_INPUT_PATTERNS:
        return DATE_INPUT_PATTERNS[locale_name]
    from babel.dates import get_date_format

    pattern = get_date_format("short", locale=locale_name).pattern
    out = []
    for part in _pattern_parts(pattern):
        letter = part[:1]
        out.append({"y": "yyyy", "M": "MM", "d": "dd"}.get(letter, part) if letter in "yMd" else part)
    return "".join(out)


def _pattern_parts(pattern: str) -> list[str]:
    parts: list[str] = []
    for char in pattern:
        if parts and parts[-1][:1] == char and char.isalpha():
            parts[-1] += char
        else:
            parts.append(char)
    return parts


def date_placeholder(locale_name: str) -> str:
    """The input pattern with the language's letters for day, month, year (``dd/mm/aaaa``)."""
    from core.i18n import _

    localizer = localizer_for(locale_name)
    letters = {"d": localizer.translate(_("d")), "M": localizer.translate(_("m")),
               "y": localizer.translate(_("y"))}
    return "".join(letters.get(c, c) for c in date_input_pattern(locale_name))


@lru_cache(maxsize=64)
def formatter(locale_name: str, tz: str = "UTC") -> Formatter:
    return Formatter(locale_name, tz)


_CURRENT: dict[int, Formatter] = {}


def current() -> Formatter:
    """The formatter of the language being served (the request's, else this process's)."""
    from core.i18n import current_localizer

    localizer = current_localizer()
    found = _CURRENT.get(id(localizer))
    if found is None or found._localizer is not localizer:  # ids are reused once a localizer is gone
        if len(_CURRENT) > 256:
            _CURRENT.clear()
        found = _CURRENT[id(localizer)] = Formatter(localizer.locale_name or SOURCE_LOCALE, localizer=localizer)
    return found


def for_request(request) -> Formatter:
    """The request's formatter: its language, the company's time zone (one per app and language)."""
    cache = request.registry.setdefault("mutuo.formatters", {})
    found = cache.get(request.locale_name)
    if found is None:
        tz = request.registry.settings.get("mutuo.timezone") or "UTC"
        found = cache[request.locale_name] = Formatter(request.locale_name, tz, localizer=request.localizer)
    return found


_SOURCE = Formatter(SOURCE_LOCALE)
money = _SOURCE.money
percent = _SOURCE.percent
when = _SOURCE.when
label = _SOURCE.label
