"""Core's web screens in Spanish (issue 13): words, numbers, dates, listings, CSV, errors; English stays English."""
import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from core.testing import csrf_token, login

ADMIN = ("core.dashboard.view", "core.audit.view", "core.user.view", "core.user.manage", "core.role.view",
         "core.role.manage", "core.job.view", "core.message.view", "core.document.view")
NOTES = ("core.dashboard.view", "sample.note.view", "sample.note.view_all")
#: English words of core's screens that must not show on a Spanish page.
ENGLISH = ("Log out", "Dashboard", "Audit log", "found", "Export CSV", "Nothing matches", "Previous", "Filter",
           "Clear", "Not found", "Not allowed", "Users", "Permissions", "History", "Documents", "Edit",
           "Effective permissions", "Last login", "Back to the start page", "Full name", "Action", "When")


@pytest.fixture
def spanish(testapp, make_user):
    """spanish(permissions) -> the test app logged in as a user whose language is Spanish."""
    def log_in(permissions=ADMIN):
        username, password = make_user(permissions=permissions, locale="es")
        login(testapp, username, password)
        testapp.username = username
        return testapp
    return log_in


def english_left(page) -> list[str]:
    """Core's English words left in the page's own content (the menu's entries are their plugins')."""
    text = page.html.find("main").get_text(" ") + " " + page.html.find("title").text
    return [word for word in ENGLISH if re.search(r"\b" + re.escape(word.strip()) + r"\b", text)]


def add_notes(mutuo_db, *amounts):
    from mutuo_sample.models import Note

    def build(session):
        for i, amount in enumerate(amounts):
            session.add(Note(title=f"note {i}", amount=D(amount)))
    mutuo_db.transaction(build)


# -- pages in Spanish ---------------------------------------------------------------------

def test_the_dashboard_is_spanish(spanish):
    page = spanish().get("/")
    assert page.html.html["lang"] == "es"
    assert page.html.find("h1").text == "Panel"
    assert "Cerrar sesión" in page.text
    assert english_left(page) == []


def test_the_audit_log_is_spanish_with_spanish_dates(spanish):
    app = spanish()
    page = app.get("/admin/audit")
    assert page.html.find("h1").text == "Registro de auditoría"
    total = page.html.find(class_="list-total").text
    assert re.fullmatch(r"[\d.]+ resultados?", total), total
    headers = [th.get_text(" ", strip=True) for th in page.html.find("table", class_="listing").find_all("th")]
    assert "Cuándo" in headers[1] and "Acción" in headers
    month = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")
    first_when = page.html.find("table", class_="listing").find("tbody").find("td").find_next("td").text.strip()
    assert any(f" {m} " in first_when for m in month), first_when  # "29 nov 2026, 18:30:00"
    assert "inicio de sesión" in page.text  # the login of this user, as words of the language
    assert english_left(page) == []


def test_a_user_record_page_is_spanish(spanish, make_user, mutuo_db):
    app = spanish()
    other, _password = make_user("ana", roles=("auditor",))
    from sqlalchemy import select

    from core.models.user import User

    with mutuo_db.session_factory() as s:
        user_id = s.scalar(select(User.id).where(User.username == other))
    page = app.get(f"/admin/users/{user_id}")
    assert "Permisos efectivos" in page.text and "Último inicio de sesión" in page.text
    assert "Historial" in page.text and "Editar" in page.text
    row = page.html.find(id="effective-permissions").find("code", string="core.audit.view").find_parent("tr")
    assert row.find_all("td")[1].text.strip() != ""  # its title, in its plugin's words (see below)
    assert english_left(page) == []


def test_the_404_page_is_spanish(spanish):
    page = spanish().get("/no/such/page", status=404)
    assert page.html.find("h1").text == "No encontrado"
    assert "Volver a la página de inicio" in page.text and "Error 404." in page.text
    assert english_left(page) == []


def test_the_404_page_of_a_visitor_follows_the_browser(testapp):
    page = testapp.get("/no/such/page", headers={"Accept-Language": "es-ES,es;q=0.9"}, status=404)
    assert page.html.find("h1").text == "No encontrado"


def test_the_403_page_is_spanish(spanish):
    page = spanish(("core.dashboard.view",)).get("/admin/audit", status=403)
    assert page.html.find("h1").text == "No permitido"
    assert "Necesita el permiso «core.audit.view»" in page.text
    assert english_left(page) == []


def test_a_refused_4xx_page_is_spanish(spanish):
    app = spanish()
    page = app.get("/admin/jobs/no.such_job", status=404)
    assert page.html.find("h1").text == "No encontrado"
    token = csrf_token(app)
    page = app.post("/documents/upload", {"csrf_token": token, "entity_type": "core.user"}, status=400)
    assert page.html.find("h1").text == "Solicitud incorrecta"
    assert "Envíe entity_type y entity_id a la vez" in page.text


def test_form_errors_are_spanish(spanish):
    app = spanish()
    page = app.get("/account")
    assert "Cambiar contraseña" in page.text and "Claves de API" in page.text
    form = page.forms["password"]
    form["old_password"] = ""
    form["new_password"] = form["new_password-confirm"] = "a-much-longer-password-1"
    refused = form.submit("change_password", status=400)
    assert "Contraseña actual" in refused.text and "Required" not in refused.text  # deform's own catalogue
    page = app.get("/admin/roles/new")
    form = page.forms["deform"]
    form["name"], form["title"] = "Bad Name", "Mala"
    refused = form.submit("create", status=400)
    assert "Use letras minúsculas, cifras y guiones bajos" in refused.text
    form = refused.forms["deform"]
    form["name"] = "auditor"
    refused = form.submit("create", status=400)
    assert "El rol «auditor» ya existe." in refused.text
    assert english_left(refused) == []


def test_flash_messages_are_spanish(spanish, make_user, mutuo_db):
    app = spanish()
    other, _password = make_user("luis")
    from sqlalchemy import select

    from core.models.user import User

    with mutuo_db.session_factory() as s:
        user_id = s.scalar(select(User.id).where(User.username == other))
    page = app.post(f"/admin/users/{user_id}/active", {"csrf_token": csrf_token(app), "active": "0"}).follow()
    assert "luis está desactivado" in page.text
    page = app.get(f"/admin/users/{user_id}/edit")  # a title with a value in it
    assert page.html.find("h1").text == "Editar luis" and page.html.find("title").text.startswith("Editar luis")
    assert page.html.find("button", {"name": "save"}).text.strip() == "Guardar"


def test_an_administrator_chooses_a_users_language(spanish, mutuo_db):
    app = spanish()
    page = app.get("/admin/users/new")
    assert page.html.find("button", {"name": "create"}).text.strip() == "Crear"
    labels = [label.get_text(" ", strip=True).removesuffix(" *")  # a required field's mark
              for label in page.html.find(id="deform").find_all("label")]
    assert "Nombre de usuario" in labels and "Idioma" in labels and "Contraseña" in labels
    form = page.forms["deform"]
    form["username"] = "nueva"
    form["password"] = form["password-confirm"] = "correct-horse-battery"
    form["locale"] = "es"
    page = form.submit("create", status=302).follow()
    assert "Usuario nueva creado." in page.text
    assert page.html.find(id="user-language").text.strip() == "español"


# -- listings: cells, filters, CSV ------------------------------------------------------------

def test_a_listing_shows_spanish_numbers(spanish, mutuo_db):
    add_notes(mutuo_db, "10625.50", "-3.00")
    page = spanish(NOTES).get("/sample/notes")
    cells = [td.text.strip() for td in page.html.find("table", class_="listing").find_all("td")]
    assert "10.625,50" in cells and "-3,00" in cells
    assert page.html.find(class_="list-total").text == "2 resultados"
    assert "Exportar CSV (hoja de cálculo en mi idioma)" in page.text


def test_the_same_listing_in_english(logged_in, mutuo_db):
    add_notes(mutuo_db, "10625.50")
    page = logged_in(NOTES).get("/sample/notes")
    cells = [td.text.strip() for td in page.html.find("table", class_="listing").find_all("td")]
    assert "10,625.50" in cells
    assert page.html.find(class_="list-total").text == "1 found"
    assert "Export CSV" in page.text


def test_csv_stays_plain_and_the_localised_export_follows_the_language(spanish, mutuo_db):
    add_notes(mutuo_db, "10625.50")
    app = spanish(NOTES)
    plain = app.get("/sample/notes?format=csv")
    rows = list(csv.reader(io.StringIO(plain.text)))
    assert rows[1][2] == "10625.50"  # locale-independent value
    mine = app.get("/sample/notes?format=csv&locale=1")
    text = mine.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][2] == "10.625,50"  # the decimal comma: cells are separated by ";"
    page = app.get("/sample/notes")
    assert page.html.find("a", class_="csv-export-locale")["href"].endswith("format=csv&locale=1") or \
        "locale=1" in page.html.find("a", class_="csv-export-locale")["href"]


def test_csv_headers_are_translated(spanish):
    app = spanish()
    plain = app.get("/admin/audit?format=csv")
    header = next(csv.reader(io.StringIO(plain.text)))
    assert header[:4] == ["#", "Cuándo", "Autor", "Acción"]
    first = next(r for r in csv.reader(io.StringIO(plain.text)) if r and r[0].isdigit())
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first[1])  # ISO moment, whatever the language
    assert first[3].replace("_", "").isascii()  # the stored code, not its Spanish words


def test_english_csv_in_my_language_keeps_commas(logged_in, mutuo_db):
    add_notes(mutuo_db, "10625.50")
    app = logged_in(NOTES)
    text = app.get("/sample/notes?format=csv&locale=1").body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["#", "Title", "Amount"] and rows[1][2] == "10,625.50"


def test_a_date_filter_is_typed_the_spanish_way(spanish):
    app = spanish()
    page = app.get("/admin/audit")
    since = page.html.find("input", {"name": "since"})
    assert since["type"] == "text" and since["placeholder"] == "dd/mm/aaaa"
    today = datetime.now(UTC).date()
    typed = today.strftime("%d/%m/%Y")
    page = app.get("/admin/audit", {"since": typed})
    assert not page.html.find(class_="listing-errors")
    assert page.html.find("input", {"name": "since"})["value"] == typed  # shown back the same way
    assert "inicio de sesión" in page.text  # today's login is listed
    page = app.get("/admin/audit", {"since": "31/03/2026", "until": "31/03/2026"})
    assert not page.html.find(class_="listing-errors")
    assert page.html.find(class_="list-total").text == "0 resultados"
    page = app.get("/admin/audit", {"since": "03/31/2026"})  # month first: not a Spanish date
    errors = page.html.find(class_="listing-errors").text
    assert "Desde" in errors and "Este filtro se ha ignorado." in errors


def test_an_english_date_filter_reads_iso(logged_in):
    app = logged_in(("core.dashboard.view", "core.audit.view"))
    page = app.get("/admin/audit")
    assert page.html.find("input", {"name": "since"})["placeholder"] == "yyyy-mm-dd"
    page = app.get("/admin/audit", {"since": date.today().isoformat()})
    assert not page.html.find(class_="listing-errors")


def test_filter_choices_are_words_of_the_language(spanish):
    page = spanish().get("/admin/users")
    options = [o.text for o in page.html.find("select", {"name": "active"}).find_all("option")]
    assert options == ["todos", "sí", "no"]


# -- English stays English ---------------------------------------------------------------------

def test_english_stays_english(logged_in):
    app = logged_in(ADMIN)
    assert app.get("/").html.find("h1").text == "Dashboard"
    page = app.get("/admin/audit")
    assert page.html.find("h1").text == "Audit log" and " found" in page.text
    assert app.get("/no/such/page", status=404).html.find("h1").text == "Not found"
    page = app.get("/admin/jobs")
    assert "Jobs" in page.text and "UTC" in page.text


def test_role_and_permission_words_are_translated_by_their_owners_domain():
    from types import SimpleNamespace

    from core.security import Permission
    from core.web.helpers import WebFormatter, permission_domain

    es = WebFormatter("es")
    assert permission_domain("lending.loan.view") == "lending" and permission_domain("core.user.view") == "mutuo"
    assert es.permission_title(Permission("core.anything", "Users", "Permissions")) == "Usuarios"
    assert es.permission_description(Permission("core.anything", "Users", "Permissions")) == "Permisos"
    # A plugin's permission is looked up in the plugin's catalogue only, not in core's.
    assert es.permission_title(Permission("nosuchplugin.x", "Users")) == "Users"
    assert es.role_title(SimpleNamespace(title="Users", plugin="core")) == "Usuarios"
    # A role an administrator wrote is shown as written.
    assert es.role_title(SimpleNamespace(title="Users", plugin=None)) == "Users"


def test_cells_by_kind_and_by_type():
    from core.web.helpers import WebFormatter

    es = WebFormatter("es")
    assert es.cell(D("10625.5")) == "10.625,50" and es.cell(D("0.125"), "percent") == "12,50\xa0%"
    assert es.cell(datetime(2026, 3, 31, 10, 0, tzinfo=UTC), "date") == "31 mar 2026"
    assert es.cell(date(2026, 3, 31)) == "31 mar 2026"
    assert es.cell(True) == "sí" and es.cell(12345) == "12.345" and es.cell(12345, "text") == "12345"
    assert es.cell("login", "label") == "inicio de sesión"
    assert es.file_size(1536) == "1,5 KB" and WebFormatter("en").file_size(1536) == "1.5 KB"


def test_an_api_key_expiry_is_typed_the_spanish_way(spanish, mutuo_db):
    from sqlalchemy import select

    from core.models.user import ApiKey

    app = spanish()
    form = app.get("/account").forms["apikey"]
    assert form.html.find("input", {"name": "expires"})["placeholder"] == "dd/mm/aaaa"
    form["name"] = "exportación"
    form["expires"] = "31/12/2099"
    page = form.submit("create_key")
    assert page.html.find(id="new-api-key") is not None
    with mutuo_db.session_factory() as s:
        key = s.scalars(select(ApiKey)).one()
        assert key.expires_at.date() == date(2100, 1, 1)  # valid through the day typed
    form = app.get("/account").forms["apikey"]
    form["name"], form["expires"] = "otra", "12/31/2099"  # month first: refused, in Spanish
    refused = form.submit("create_key", status=400)
    assert "31/03/2026" in refused.text and "Valid until" not in refused.text
    assert "1 ene 2100" in app.get("/account").html.find(id="api-keys").text  # when it stops, the Spanish way
