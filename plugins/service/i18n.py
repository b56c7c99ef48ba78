"""Customer service's translation domain ``service`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update service``, translate the empty entries of
``locale/es/LC_MESSAGES/service.po``, then ``mutuo i18n check service`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "service"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)


def word(code: str):
    """A stored code's words (``waiting_customer`` -> "waiting customer"), as ``h.label`` looks them up."""
    return _(str(code).replace("_", " "))
