"""Legal's translation domain ``legal`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update legal``, translate the empty entries of
``locale/es/LC_MESSAGES/legal.po``, then ``mutuo i18n check legal`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "legal"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)


def word(value) -> str:
    """A stored code in the current language (``in_review`` -> ``en revisión``); msgids are codes with spaces."""
    from core.formatting import current

    return current().label(value, DOMAIN)


def code(value):
    """A stored code as a TranslationString: translated on the page, its English words in CSV exports."""
    text = str(value or "").replace("_", " ")
    return _(text) if text else ""
