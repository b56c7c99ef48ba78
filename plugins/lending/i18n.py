"""The lending plugin's translation domain: ``_`` marks a message, ``_n`` a count's (see core.i18n).

Stored codes (statuses, kinds, roles, installment states, allocation parts)
are shown with ``h.label(code, "lending")`` / ``current().label(code, "lending")``;
their words are declared once below so that they are extracted (the msgid is the
code with "_" -> " ").
"""
from pyramid.i18n import TranslationString

from core.i18n import domain_plurals, domain_strings

DOMAIN = "lending"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)

CUSTOMER_ROLE_WORDS = (_("borrower"), _("investor"), _("both"))
CUSTOMER_KIND_WORDS = (_("person"), _("company"))
KYC_STATUS_WORDS = (_("pending"), _("verified"), _("rejected"))
CASH_KIND_WORDS = (_("deposit"), _("withdrawal"), _("investment"), _("repayment"))
APPLICATION_STATUS_WORDS = (_("draft"), _("submitted"), _("approved"), _("rejected"), _("listed"), _("funded"),
                            _("disbursed"), _("cancelled"), _("expired"))
INVESTMENT_STATUS_WORDS = (_("reserved"), _("released"), _("spent"))
LOAN_STATUS_WORDS = (_("active"), _("closed"), _("written off"))
BUCKET_WORDS = (_("current"),)
INSTALLMENT_STATE_WORDS = (_("paid"), _("overdue"), _("due"), _("partly paid"), _("upcoming"))
ALLOCATION_PART_WORDS = (_("penalty"), _("fee"), _("interest"), _("principal"))


def word(code) -> TranslationString:
    """A stored code as a lazily translated word of this domain (a select's or a filter's choice label)."""
    return TranslationString(str(code or "").replace("_", " "), domain=DOMAIN)


def choices(codes) -> tuple:
    """``((code, word), ...)`` for a listing filter or a select widget."""
    return tuple((code, word(code)) for code in codes)


def label(code) -> str:
    """A stored code in the current language's words (outside templates)."""
    from core.formatting import current

    return current().label(code, DOMAIN)


# -- values inside messages, in the language being served ---------------------------------------

def amount(value) -> str:
    """An amount inside a message: ``1,234.50`` (en), ``1.234,50`` (es)."""
    from core.formatting import current

    return current().money(value)


def day(value) -> str:
    """A date inside a message as the user types it: ``2026-03-31`` (en), ``31/03/2026`` (es)."""
    from core.formatting import current

    return current().date_input(value)


def text(message) -> str:
    """A message (or plain text) in the language being served, e.g. a phrase placed inside another message."""
    from core.i18n import translate

    return translate(message)
