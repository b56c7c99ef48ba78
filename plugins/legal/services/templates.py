"""Contract templates: versions in HTML or .docx, a clause library, the fields each version needs.

A template's text uses Jinja placeholders ``{{ borrower_name }}`` and the
clause library as ``{{ clauses.governing_law }}``; a clause's own text may
use the same fields. HTML is rendered by Jinja's **sandboxed** environment
with autoescaping (legal edits the templates, customers' names fill them);
.docx files by docxtpl (the same placeholders inside Word, kept in core's
document store). Every placeholder a version uses must be declared in its
``fields`` (checked when the version is saved), and a contract must fill
every declared field (checked when it is rendered): a contract with an
empty borrower name is never generated.
"""
from __future__ import annotations

import io
import re

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import func, select

from core.errors import UserError
from plugins.legal.i18n import _
from plugins.legal.models import CONTRACT_TYPES, TEMPLATE_FORMATS, Clause, Template, TemplateVersion

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED = {"clauses"}


def _env(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=autoescape, undefined=StrictUndefined)


def _parse_fields(fields) -> list[str]:
    names = fields.split() if isinstance(fields, str) else list(fields)
    bad = [n for n in names if not FIELD_NAME.match(n) or n in RESERVED]
    if bad:
        raise UserError(_("Field names are lower-case words joined by '_' (not ${bad}).",
                          mapping={"bad": ", ".join(bad)}), "fields")
    return list(dict.fromkeys(names))


def _placeholders_html(body: str) -> set[str]:
    try:
        return set(meta.find_undeclared_variables(_env(True).parse(body)))
    except TemplateSyntaxError as error:
        raise UserError(_("The template text has a mistake on line ${line}: ${error}.",
                          mapping={"line": error.lineno, "error": error.message}), "body") from None


def _docx(data: bytes):
    from docxtpl import DocxTemplate

    try:
        return DocxTemplate(io.BytesIO(data))
    except Exception:  # not a Word file: python-docx raises several kinds
        raise UserError(_("That file is not a Word (.docx) document."), "docx") from None


def _placeholders_docx(data: bytes) -> set[str]:
    try:
        return set(_docx(data).get_undeclared_template_variables(_env(False)))
    except TemplateSyntaxError as error:
        raise UserError(_("The Word template has a mistake: ${error}.", mapping={"error": error.message}),
                        "docx") from None


def create_template(session, code: str, name: str, contract_type: str) -> Template:
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise UserError(_("Give the template a code and a name."), "code" if not code else "name")
    if contract_type not in CONTRACT_TYPES:
        raise UserError(_("Choose a contract type."), "contract_type")
    if session.scalar(select(Template.id).where(Template.code == code)):
        raise UserError(_("Another template already has the code ${code}.", mapping={"code": code}), "code")
    template = Template(code=code, name=name, contract_type=contract_type)
    session.add(template)
    session.flush()
    return template


def save_clause(session, code: str, title: str, body: str) -> Clause:
    code, body = (code or "").strip(), (body or "").strip()
    if not FIELD_NAME.match(code):
        raise UserError(_("A clause code is a lower-case word joined by '_'."), "code")
    if not body:
        raise UserError(_("Write the clause's text."), "body")
    _placeholders_html(body)
    clause = session.scalar(select(Clause).where(Clause.code == code))
    if clause is None:
        clause = Clause(code=code, title=(title or code).strip(), body=body)
        session.add(clause)
    else:
        clause.title, clause.body = (title or clause.title).strip(), body
    session.flush()
    return clause


def _clauses(session, codes: list[str]) -> dict[str, Clause]:
    found = {c.code: c for c in session.scalars(select(Clause).where(Clause.code.in_(codes), Clause.active))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise UserError(_("The clause library has no active clause ${codes}.",
                          mapping={"codes": ", ".join(missing)}), "clause_codes")
    return found


def add_version(session, template: Template, *, fields, format: str = "html", body: str = "",
                docx: bytes | None = None, clause_codes=(), notes: str = "", publish: bool = True,
                store=None, user_id: int | None = None) -> TemplateVersion:
    """A new version of ``template``; earlier versions stay (contracts keep the version they were made from)."""
    if format not in TEMPLATE_FORMATS:
        raise UserError(_("A template is HTML or a Word (.docx) file."), "format")
    names = _parse_fields(fields)
    codes = _parse_fields(clause_codes) if clause_codes else []
    clauses = _clauses(session, codes)
    if format == "html":
        if not (body or "").strip():
            raise UserError(_("Write the template's text."), "body")
        used = _placeholders_html(body)
    else:
        if not docx:
            raise UserError(_("Upload the Word (.docx) template."), "docx")
        used = _placeholders_docx(docx)
    for clause in clauses.values():
        used |= _placeholders_html(clause.body)
    undeclared = sorted(used - set(names) - RESERVED)
    if undeclared:
        raise UserError(_("The text uses fields that are not in the list of fields: ${names}. Add them to the "
                          "list or correct the text.", mapping={"names": ", ".join(undeclared)}), "fields")
    number = (session.scalar(select(func.max(TemplateVersion.number))
                             .where(TemplateVersion.template_id == template.id)) or 0) + 1
    version = TemplateVersion(template_id=template.id, number=number, format=format, body=body or "",
                              fields=" ".join(names), clause_codes=" ".join(codes), notes=notes or "",
                              published=publish)
    session.add(version)
    session.flush()
    if format == "docx":
        from core.documents import upload

        uploaded = upload(session, store, stream=io.BytesIO(docx), filename=f"{template.code}-v{number}.docx",
                          title=f"{template.name} v{number}", entity_type="legal.template",
                          entity_id=template.id, user_id=user_id)
        version.docx_document_id = uploaded.document_id
        session.flush()
    return version


def current_version(session, template: Template) -> TemplateVersion:
    version = session.scalar(select(TemplateVersion).where(TemplateVersion.template_id == template.id,
                                                           TemplateVersion.published)
                             .order_by(TemplateVersion.number.desc()).limit(1))
    if version is None:
        raise UserError(_("Template ${name} has no published version yet.", mapping={"name": template.name}),
                        "template")
    return version


def template_for(session, contract_type: str) -> Template | None:
    return session.scalar(select(Template).where(Template.contract_type == contract_type, Template.active)
                          .order_by(Template.id).limit(1))


def check_values(version: TemplateVersion, values: dict) -> dict:
    missing = [n for n in version.field_names if values.get(n) in (None, "") or str(values.get(n)).strip() == ""]
    if missing:
        raise UserError(_("Fill every field the template needs; missing: ${names}.",
                          mapping={"names": ", ".join(missing)}), "fields")
    return {n: values[n] for n in version.field_names}


def render(session, version: TemplateVersion, values: dict, store=None) -> tuple[bytes, str, str]:
    """The contract text for ``values``: ``(bytes, file extension, content)``. Refuses a missing field."""
    values = check_values(version, values)
    clauses = _clauses(session, version.clause_list)
    if version.format == "html":
        env = _env(True)
        rendered = {code: Markup(env.from_string(clauses[code].body).render(**values)) for code in clauses}
        html = env.from_string(version.body).render(clauses=rendered, **values)
        return html.encode("utf-8"), "html", html
    from core.documents import open_version
    from core.models.document import Document

    document = session.get(Document, version.docx_document_id)
    _version, stream = open_version(session, store, document, document.current_version)
    with stream:
        doc = _docx(stream.read())
    env = _env(False)
    text_clauses = {code: env.from_string(clauses[code].body).render(**values) for code in clauses}
    doc.render(dict(values, clauses=text_clauses), jinja_env=env, autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue(), "docx", ""
