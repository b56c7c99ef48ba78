"""Market development's translation domain ``crm`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update crm``, translate the empty entries of
``locale/es/LC_MESSAGES/crm.po``, then ``mutuo i18n check crm`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "crm"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)
