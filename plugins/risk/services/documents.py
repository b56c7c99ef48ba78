"""Documents risk writes: the risk assessment report and the committee's minutes.

Both are rendered from a Chameleon template (``templates/*.pt``, translated
in the language being served) and turned into PDF with fpdf2's
``write_html`` — a small, pure-Python, well-kept library; core's document
store does not accept HTML (a stored page could run script when opened).
fpdf2's core fonts are Latin-1, which covers English and Spanish; other
characters are replaced.
"""
from __future__ import annotations

import io
import os

from chameleon import PageTemplateFile

from core.formatting import current

_HERE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "templates")
_TEMPLATES: dict[str, PageTemplateFile] = {}
_REPLACE = {"\u2013": "-", "\u2014": "-", "\u2192": "->", "\u00b7": "|", "\u2265": ">=", "\u2264": "<="}


def _translate(msgid, domain=None, mapping=None, default=None, context=None, target_language=None):
    from pyramid.i18n import TranslationString

    return current().translate(TranslationString(msgid, domain=domain or "risk", mapping=mapping, default=default))


def render_html(name: str, **values) -> str:
    template = _TEMPLATES.get(name)
    if template is None:
        template = _TEMPLATES[name] = PageTemplateFile(os.path.join(_HERE, name), translate=_translate)
    from plugins.risk.i18n import word

    return template(f=current(), word=word, **values)


def to_pdf(html: str, title: str) -> bytes:
    from fpdf import FPDF

    for old, new in _REPLACE.items():
        html = html.replace(old, new)
    html = html.encode("latin-1", "replace").decode("latin-1")
    pdf = FPDF()
    pdf.set_title(title.encode("latin-1", "replace").decode("latin-1"))
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.write_html(html)
    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def render_assessment(session, review) -> bytes:
    html = render_html("assessment.pt", review=review)
    return to_pdf(html, f"Risk assessment {review.application_id}")


def render_minutes(session, meeting, rows) -> bytes:
    html = render_html("minutes.pt", meeting=meeting, rows=rows)
    return to_pdf(html, f"Minutes {meeting.id}")
