"""Risk control's translation domain ``risk`` (``locale/``): ``_`` marks a message, ``_n`` a count's.

After changing strings: ``mutuo i18n update risk``, translate the empty entries of
``locale/es/LC_MESSAGES/risk.po``, then ``mutuo i18n check risk`` (see core.i18n).
"""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "risk"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)

#: The words of risk's stored codes (the msgid is the code with "_" -> " "), shown with
#: ``h.label(value, "risk")``.
CODE_WORDS = (
    _("draft"), _("active"), _("retired"),
    _("min age"), _("max dti"), _("max amount"), _("exposure cap"), _("past due days"), _("min score"),
    _("on watch"),
    _("decline"), _("refer"), _("pass"), _("missing"),
    _("pending"), _("referred"), _("approved"), _("declined"), _("withdrawn"),
    _("approve"), _("approve with conditions"),
    _("low"), _("medium"), _("high"), _("very high"),
    _("open"), _("confirmed"), _("cleared"),
    _("id number"), _("phone"), _("email"), _("name"),
    _("planned"), _("closed"),
    _("approved with conditions"), _("no quorum"), _("no majority"),
    _("first late"), _("second loan late"), _("high risk report"), _("watchlist hit"),
    _("clear"), _("review"), _("hit"),
    _("stable"), _("shift"), _("major"),
)


def word(value) -> str:
    """A stored code in the current language."""
    from core.formatting import current

    return current().label(value, DOMAIN)
