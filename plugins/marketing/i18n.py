"""Marketing's translation domain ``marketing`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update marketing``, translate the empty entries of
``locale/es/LC_MESSAGES/marketing.po``, then ``mutuo i18n check marketing`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "marketing"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)
