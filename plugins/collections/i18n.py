"""The collections plugin's translation domain: ``_`` marks a message, ``_n`` a count's (see core.i18n)."""
from core.i18n import domain_plurals, domain_strings

DOMAIN = "collections"
_ = domain_strings(DOMAIN)
_n = domain_plurals(DOMAIN)

#: The words of collections' stored codes (the msgid is the code with "_" -> " "), shown with
#: ``h.label(value, "collections")`` / ``current().label(value, "collections")``.
CODE_WORDS = (
    # stages
    _("early"), _("mid"), _("late"),
    # case statuses and how a case closed
    _("open"), _("promised"), _("escalated"), _("resolved"), _("written off"), _("open any"),
    _("loan closed"), _("loan current again"), _("loan written off"), _("closed"), _("current"),
    # channels and action kinds
    _("call"), _("sms"), _("email"), _("letter"), _("visit"), _("legal review"),
    # contact outcomes
    _("right party contact"), _("third party"), _("no answer"), _("wrong number"), _("promise to pay"),
    _("refused"), _("dispute"), _("claims paid"),
    # action item and promise statuses
    _("due"), _("done"), _("sent"), _("skipped"), _("pending"), _("kept"), _("broken"), _("cancelled"),
    # why a case was assigned
    _("manual"), _("new"), _("restaged"), _("released"),
    # core's message statuses, as collections' outbox shows them
    _("queued"), _("outbox"), _("failed"), _("suppressed"),
    # the default strategy's action titles (stored; shown through h.label)
    _("Friendly reminder"), _("First call"), _("Second call"), _("Call every 3 days"), _("Formal demand letter"),
    _("Field visit"), _("Legal review"),
)


def word(value) -> str:
    """A stored code in the current language (``no_answer`` -> ``sin respuesta``)."""
    from core.formatting import current

    return current().label(value, DOMAIN)


def code(value):
    """A stored code as a TranslationString: translated on the page, its English words in CSV exports."""
    text = str(value or "").replace("_", " ")
    return _(text) if text else ""


def translated(message, localizer=None) -> str:
    """``message`` in the current language, the TranslationStrings among its values translated too
    (a heading like ``→ ${bucket}`` whose bucket is itself a word to translate)."""
    from pyramid.i18n import TranslationString

    from core.i18n import current_localizer, translate

    localizer = localizer or current_localizer()
    mapping = getattr(message, "mapping", None)
    if isinstance(message, TranslationString) and mapping:
        values = {k: translate(v, localizer) if isinstance(v, TranslationString) else v for k, v in mapping.items()}
        message = TranslationString(message, domain=message.domain, mapping=values, default=message.default)
    return translate(message, localizer)
