"""``h`` in templates: core.formatting's Formatter for the request's language (see there)."""
from core.formatting import (  # noqa: F401  (re-exported for templates and views)
    DATE_INPUT_PATTERNS,
    Formatter,
    current,
    date_input_pattern,
    date_placeholder,
    for_request,
    formatter,
    label,
    money,
    percent,
    when,
)
