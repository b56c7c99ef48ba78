"""Finance's translation domain ``finance`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update finance``, translate the empty entries of
``locale/es/LC_MESSAGES/finance.po``, then ``mutuo i18n check finance`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "finance"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)


def label(code) -> str:
    """A stored code in the current language's words (outside templates)."""
    from core.formatting import current

    return current().label(code, DOMAIN)


def amount(value) -> str:
    """An amount inside a message, in the language being served."""
    from core.formatting import current

    return current().money(value)


def day(value) -> str:
    """A date inside a message as the user types it."""
    from core.formatting import current

    return current().date_input(value)


#: The words of finance's stored codes, shown with ``label(code)`` / ``h.label(value, "finance")``.
CODE_WORDS = (
    _("asset"), _("liability"), _("equity"), _("income"), _("expense"), _("memo"), _("debit"), _("credit"),
    _("unmatched"), _("matched"), _("bank fee"), _("ignored"), _("deposit"), _("withdrawal"), _("repayment"),
    _("csv"), _("camt053"), _("customer"), _("investors"), _("reversal"),
    _("lending cash deposited"), _("lending cash withdrawn"), _("lending investment reserved"),
    _("lending investments released"), _("lending loan disbursed"), _("lending repayment posted"),
    _("lending loan written off"), _("finance bank fee"),
    _("proposed"), _("paid"), _("rejected"),
    _("trial balance"), _("books equal lending"), _("bank reconciled"), _("guarantee fund reconciled"),
)
