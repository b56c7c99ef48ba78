"""Collections in Spanish (issue 13): a collector and a supervisor whose language is ``es`` see the queue, a
case, targets and reports in Spanish with Spanish numbers and dates, and type amounts and dates the Spanish way;
refusals and job summaries speak Spanish; CSV exports stay locale-independent."""
import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.i18n import in_locale
from core.testing import csrf_token
from plugins.collections.models import Case, Promise, Target
from plugins.collections.services import assign_cases, set_queues
from plugins.lending import services as lending
from tests.plugins.collections.conftest import close
from tests.plugins.collections.test_views import app_for

TODAY = date(2026, 3, 10)
DISBURSED = date(2026, 1, 15)
SPANISH_MONEY = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d{2}$")


@pytest.fixture(autouse=True)
def _today(clock):
    clock.day = TODAY


@pytest.fixture
def spanish_book(session, world, make_user, mutuo_db):
    """A Spanish collector (eva) with two cases, a Spanish supervisor (sol), an English collector (ed)."""
    from core.models.user import User

    make_user("eva", roles=("collector",), locale="es")
    make_user("sol", roles=("collections_supervisor",), locale="es")
    make_user("ed", roles=("collector",))
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(("eva", "sol", "ed"))))}
    set_queues(session, users["eva"], ("early", "mid"))
    loans = {}
    for name, amount in (("Elena Grande", D("40000.00")), ("Pedro Chico", D("6000.00"))):
        borrower = lending.update_customer(session, world.customer(phone="+34 611 222 333"), name=name)
        loans[name] = world.loan(disbursed_on=DISBURSED, borrower=borrower, amount=amount)
    close(session, date(2026, 3, 1), start=date(2026, 3, 1))
    assign_cases(session)
    cases = {name: session.scalars(select(Case.id).where(Case.loan_id == loan.id)).one() for name, loan in loans.items()}
    ids = {name: user.id for name, user in users.items()}
    session.commit()
    session.close()  # SQLite: a test session left in a transaction would lock the app out
    return ids, cases


def test_the_queue_in_spanish(spanish_book, mutuo_db):
    _users, cases = spanish_book
    page = app_for(mutuo_db, "eva").get("/collections/queue")
    assert page.html.html["lang"] == "es"
    text = page.text
    for words in ("Mi cola", "Expedientes abiertos", "Promesas que vencen hoy", "Importe vencido", "Filtrar",
                  "Exportar CSV", "Registrar gestión", "Sin respuesta", "Días de atraso", "temprana", "abierto",
                  "2 resultados", "10 mar 2026"):
        assert words in text, words
    for words in ("My queue", "Log contact", "No answer", "Overdue amount", "Days past due"):
        assert words not in text, words
    for cell in page.html.select("#queue td.money"):
        assert SPANISH_MONEY.match(cell.text.strip()), cell.text
    overdue = page.html.select_one("#queue-today .money").text.strip()
    assert SPANISH_MONEY.match(overdue) and "." in overdue  # above a thousand: grouped with a dot
    # the CSV export: headers in the user's language, values locale-independent (codes, plain numbers)
    csv = app_for(mutuo_db, "eva").get("/collections/queue?format=csv").text
    assert csv.splitlines()[0].startswith("Prioridad,Expediente,Cliente") and "early" in csv


def test_a_case_page_in_spanish(spanish_book, mutuo_db):
    _users, cases = spanish_book
    page = app_for(mutuo_db, "eva").get(f"/collections/cases/{cases['Elena Grande']}")
    text = page.text
    for words in (f"Expediente {cases['Elena Grande']}", "Importe vencido", "Cuotas vencidas", "Promesas de pago",
                  "Días de atraso / tramo", "Aún no hay gestiones.", "Registrar gestión", "15 feb 2026"):
        assert words in text, words
    assert page.html.find(id="case-stage").text.strip() == "temprana"
    assert page.html.find(id="case-status").text.strip() == "abierto"
    assert SPANISH_MONEY.match(page.html.find(id="case-overdue").text.strip())
    assert "Overdue installments" not in text and "Log contact" not in text


def test_a_promise_typed_the_spanish_way(spanish_book, mutuo_db, session):
    _users, cases = spanish_book
    case_id = cases["Elena Grande"]
    eva = app_for(mutuo_db, "eva")
    page = eva.get(f"/collections/cases/{case_id}/contact")
    assert "Registrar una gestión" in page.text and "Importe prometido" in page.text
    form = page.forms["deform"]
    assert form["promise_due"].attrs.get("placeholder") == "dd/mm/aaaa"
    form["outcome"] = "promise_to_pay"
    form["note"] = "Paga el viernes"
    form["promise_amount"] = "1.234,56"
    form["promise_due"] = "31/03/2026"
    done = form.submit("log", status=302).follow()
    assert "Gestión registrada en el expediente" in done.text and "promesa de pago" in done.text
    promise = session.scalars(select(Promise).where(Promise.case_id == case_id)).one()
    assert (promise.amount, promise.due_on) == (D("1234.56"), date(2026, 3, 31))
    session.rollback()
    promises = done.html.find(id="promises").text
    assert "1.234,56" in promises and "31 mar 2026" in promises


def test_promise_refusals_in_spanish(spanish_book, mutuo_db):
    _users, cases = spanish_book
    form = app_for(mutuo_db, "eva").get(f"/collections/cases/{cases['Pedro Chico']}/contact").forms["deform"]
    form["outcome"] = "promise_to_pay"
    form["note"] = "Promete pagar"
    form["promise_amount"] = "1.234,56"  # more than is owed on this small loan
    form["promise_due"] = "31/12/2026"
    bad = form.submit("log", status=400)
    refusal = bad.html.find(class_="item-promise_amount").text
    assert "Una promesa es como máximo de" in refusal and "acuerde un importe" in refusal
    assert re.search(r"\d+,\d{2}", refusal)  # the limit in Spanish figures
    form = bad.forms["deform"]
    form["promise_amount"] = "100,00"
    bad = form.submit("log", status=400)  # more than 90 days ahead
    assert "Una promesa es como máximo a 90 días vista (hasta el 8 jun 2026)" in bad.text
    form = bad.forms["deform"]
    form["promise_due"] = "03/31/2026"  # the month first: not a Spanish date
    bad = form.submit("log", status=400)
    assert "31/03/2026" in bad.html.find(class_="item-promise_due").text


def test_a_workflow_refusal_is_flashed_in_spanish(spanish_book, mutuo_db):
    _users, cases = spanish_book
    sol = app_for(mutuo_db, "sol")
    case_id = cases["Pedro Chico"]
    shown = sol.post(f"/collections/cases/{case_id}/escalate", {"csrf_token": csrf_token(sol), "reason": "x"}).follow()
    assert f"El expediente {case_id} está en la etapa temprana" in shown.text
    assert "only late cases" not in shown.text
    refused = sol.post(f"/collections/cases/{case_id}/assign", {"csrf_token": csrf_token(sol), "collector_id": "x"})
    assert "Elija el gestor al que dar el expediente." in refused.follow().text


def test_targets_in_spanish(spanish_book, mutuo_db, session):
    users, _cases = spanish_book
    sol = app_for(mutuo_db, "sol")
    page = sol.get("/collections/targets")
    assert "Objetivos y clasificación" in page.text and "Fijar el objetivo del equipo de un mes" in page.text
    form = page.forms["deform"]
    form["month"] = "2026-03"
    form["amount"] = "12.345,67"
    page = form.submit("set").follow()
    assert "Objetivo del equipo para 2026-03: 12.345,67." in page.text
    target = session.scalars(select(Target)).one()
    assert target.amount == D("12345.67")
    session.rollback()
    assert "objetivo del equipo 12.345,67" in page.text and "Cumplimiento" in page.text
    assert page.forms["form-amount"]["amount"].value == "12.345,67"
    shares = page.forms["form-shares"]
    shares[f"share_{users['eva']}"] = "20.000,00"
    refused = shares.submit().follow()
    assert "Las partes suman 20.000,00, más que el objetivo del equipo de 12.345,67" in refused.text
    shares = refused.forms["form-shares"]
    shares[f"share_{users['eva']}"] = "1.000,50"
    saved = shares.submit().follow()
    assert "Partes guardadas." in saved.text and "1.000,50" in saved.html.find(id="achievement").text
    listing = sol.get("/collections/targets")
    assert "12.345,67" in listing.html.find(id="targets").text and "marzo 2026" in listing.text
    ranking = sol.get("/collections/ranking?month=2026-03")
    assert "Clasificación 2026-03" in ranking.text and "Puesto" in ranking.text and "0,0\xa0%" in ranking.text


def test_a_report_in_spanish_and_its_csv_in_english(spanish_book, mutuo_db):
    sol = app_for(mutuo_db, "sol")
    index = sol.get("/collections/reports?month=2026-03")
    assert "Informes de cobranza" in index.text and "Tasa de recuperación por etapa" in index.text
    page = sol.get("/collections/reports/recovery?month=2026-03")
    text = page.text
    assert "Tasa de recuperación por etapa: expedientes que entran en una etapa en 2026-03" in text
    table = page.html.find(id="report-table")
    assert [th.text for th in table.find_all("th")][:2] == ["Etapa", "Expedientes que entran"]
    rows = [[td.text for td in tr.find_all("td")] for tr in table.find_all("tr")[1:]]
    assert [r[0] for r in rows] == ["temprana", "intermedia", "tardía"]
    assert SPANISH_MONEY.match(rows[0][2]) and rows[0][2] != "0,00"  # the overdue at entry
    assert rows[0][4].endswith("\xa0%") and "," in rows[0][4]  # the rate: 0,0 %
    csv = sol.get("/collections/reports/recovery?month=2026-03&format=csv").text.splitlines()
    assert csv[0] == "Stage,Cases entering,Overdue at entry,Recovered since,Recovery rate"
    assert csv[1].startswith("early,") and "," in csv[1]
    roll = sol.get("/collections/reports/roll-rates?month=2026-03")
    assert "Tasas de migración entre tramos" in roll.text and "→ al corriente" in roll.text and "→ castigado" in roll.text
    assert "→ ${" not in sol.get("/collections/reports/roll-rates?month=2026-03&format=csv").text


def test_the_dashboard_and_menu_in_spanish(spanish_book, mutuo_db):
    home = app_for(mutuo_db, "eva").get("/")
    for words in ("Mi cola de cobranza hoy", "Expedientes con promesas incumplidas", "Importe vencido por etapa",
                  "temprana: expedientes", "Cobranza", "Promesas de pago"):
        assert words in home.text, words
    assert "My collection queue today" not in home.text


def test_english_users_keep_english(spanish_book, mutuo_db):
    sol_page = app_for(mutuo_db, "sol").get("/collections/cases")
    assert "Expedientes de cobranza" in sol_page.text
    page = app_for(mutuo_db, "ed").get("/collections/queue")
    assert page.html.html["lang"] == "en" and "My queue" in page.text and "Mi cola" not in page.text


def test_job_summaries_in_the_company_language(session, mutuo_db, spanish_book):
    from plugins.collections.services import contacts

    with in_locale("es", mutuo_db.pm):
        summary = contacts.check_promises(session).summary
        assigned = assign_cases(session).summary
    session.rollback()
    assert "0 promesas cumplidas" in summary and "aún pendientes" in summary
    assert "0 expedientes asignados" in assigned
    assert "0 promises kept" in contacts.check_promises(session).summary  # English outside Spanish
    session.rollback()


def test_debtors_are_written_to_in_the_company_language(session, mutuo_db):
    """The default SMS is seeded in ``mutuo.default_locale``; amounts in it are written the Spanish way, in
    Python and in the daily job's SQL alike."""
    from sqlalchemy import literal

    from core.context import SETTINGS_KEY, settings
    from plugins.collections.models import StrategyAction
    from plugins.collections.services import messages, strategies

    before = session.info.get(SETTINGS_KEY)
    session.info[SETTINGS_KEY] = {**settings(session), "mutuo.default_locale": "es"}
    try:
        strategies.ensure_defaults(session)
        sms = session.scalars(select(StrategyAction).where(StrategyAction.channel == "sms")).first()
        assert sms.message.startswith("Estimado/a {customer}") and sms.title == "Friendly reminder"
    finally:
        session.rollback()
        if before is None:
            session.info.pop(SETTINGS_KEY, None)
        else:
            session.info[SETTINGS_KEY] = before
    text = "Debe {amount} del préstamo {loan}."
    values = {"customer": "Ana", "loan": 7, "days": 3, "case": 1}
    python = messages.render(text, amount=D("12345.6"), locale="es", **values)
    assert python == "Debe 12.345,60 del préstamo 7."
    dialect = session.get_bind().dialect.name
    sql = messages.render_sql(dialect, literal(text), amount=literal(D("12345.60")), locale="es",
                              **{k: literal(v) for k, v in values.items()})
    assert session.scalar(select(sql)) == python
    assert messages.render(text, amount=D("12345.6"), locale="en", **values) == "Debe 12,345.60 del préstamo 7."


@pytest.mark.browser
def test_a_spanish_collector_records_a_promise_in_the_browser(spanish_book, page):
    from core.testing import browser_login

    _users, cases = spanish_book
    browser_login(page, "eva")
    page.click("nav >> text=Cobranza")
    page.click("nav >> text=Mi cola")
    page.wait_for_selector("#queue")
    row = page.locator("#queue tr.queue-row", has_text="Elena Grande")
    row.locator("a.log-contact").click()
    page.select_option("select[name=outcome]", "promise_to_pay")
    page.fill("textarea[name=note]", "Paga tras cobrar la nómina")
    page.fill("input[name=promise_amount]", "1.234,56")
    page.fill("input[name=promise_due]", "31/03/2026")
    page.click("button[name=log]")
    page.wait_for_url("**/collections/queue**")
    assert "Gestión registrada en el expediente" in page.inner_text("main")
    assert page.locator("#queue tr.queue-row", has_text="Elena Grande").locator("td").nth(8).inner_text() == \
        "con promesa"
    page.goto(f"/collections/cases/{cases['Elena Grande']}")
    promises = page.inner_text("#promises")
    assert "1.234,56" in promises and "31 mar 2026" in promises
