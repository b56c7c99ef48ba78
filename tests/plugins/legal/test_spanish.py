"""A Spanish-speaking head of legal sees legal's screens, messages and dates in Spanish."""
from __future__ import annotations

import re

from sqlalchemy import select

from plugins.legal.models import SealRequest
from tests.plugins.legal.test_views import PAGES, _today, app_for, book  # noqa: F401  (fixtures)

ENGLISH = re.compile(r"\b(the|and|your|with|from|must|Contracts|Status|Matters|Seal|Approve|Search|Title|Value|"
                     r"Workflow|Review|Signatures|Renewal|Lawyer|Parties|Owner|Outcome)\b")


def test_legal_speaks_spanish(book, mutuo_db, make_user):  # noqa: F811
    make_user("marta", roles=("head_of_legal", "staff"), locale="es")
    marta = app_for(mutuo_db, "marta")
    for path in (*PAGES, "/legal/matters/{matter}", "/legal/opinions", "/legal/seals/requests/new"):
        page = marta.get(path.format(**book))
        # record titles are data (a matter named in the company language); the UI around them is checked
        visible = " ".join(el.get_text(" ") for el in page.html.select("th, label, button, dt, .card-header"))
        leaks = ENGLISH.findall(visible)
        assert not leaks, f"{path}: {leaks}"
    contract = marta.get(f"/legal/contracts/{book['contract']}")
    assert "en revisión" in contract.text and "Flujo de trabajo" in contract.text
    assert "contrato de préstamo" in contract.text  # the type's word
    form = marta.get("/legal/seals/requests/new").forms["deform"]
    form["seal_id"], form["purpose"] = str(book["seal"]), "Sellar"
    refused = form.submit("request", status=400)
    assert "Indica el documento que se sella" in refused.text
    assert mutuo_db.transaction(lambda s: s.scalars(select(SealRequest)).all()) == []
