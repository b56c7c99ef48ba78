"""The products plugin's translation domain: ``_`` marks a message, ``_n`` a count's (see core.i18n)."""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "products"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)
