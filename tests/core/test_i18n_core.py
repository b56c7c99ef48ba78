"""Core outside the web screens speaks Spanish (issue 13): services' refusals, parsing messages, plural
forms, job summaries in the company's language, the worker's language, and the CLI (--locale, LANG)."""
import re
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from core.i18n import _n, in_locale, localizer_for, pluralize, translate, translate_declared
from core.web import parsing

ES = localizer_for("es")


@pytest.fixture
def process_language():
    """The CLI and the worker set the process's language: put it back afterwards."""
    from core import i18n

    saved = dict(i18n._process_locale)
    yield
    i18n._process_locale.update(saved)


def refusal(fn, *args, **kw):
    from core.errors import MutuoError

    with pytest.raises(MutuoError) as caught:
        fn(*args, **kw)
    return caught.value


# -- services' refusals --------------------------------------------------------------------

def test_a_refusal_keeps_its_english_text_and_reads_in_spanish():
    from core.accounts import check_new_password

    exc = refusal(check_new_password, "mariagonzalez", "MariaGonzalez")
    assert str(exc) == "The password must not be the username." and exc.field == "new_password"
    assert translate(exc, ES) == "La contraseña no puede ser el nombre de usuario."


def test_refusals_with_values_fill_them_in_both_languages():
    from core.accounts import check_new_password
    from core.messages.templates import check_template

    short = refusal(check_new_password, "maria", "abc")
    assert str(short) == "Use at least 10 characters."
    assert translate(short, ES) == "Use al menos 10 caracteres."
    unknown = refusal(check_template, "Hola {nombre}", ["name"])
    assert str(unknown) == "Unknown placeholder {nombre}; use {name}."
    assert translate(unknown, ES) == "Marcador desconocido {nombre}; use {name}."


def test_service_refusals_from_the_database_in_spanish(mutuo_db):
    from core.accounts import get_role, get_user

    def look(session):
        return refusal(get_user, session, "nadie"), refusal(get_role, session, "nada")

    user, role = mutuo_db.transaction(look)
    assert translate(user, ES) == "El usuario 'nadie' no existe."
    assert translate(role, ES) == "El rol 'nada' no existe; `mutuo roles list` muestra los roles."


def test_declared_titles_are_translated_by_their_plugin():
    assert translate_declared("See the dashboard", "core", ES) == "Ver el panel"
    assert translate_declared("Staff", None, ES) == "Personal"
    assert translate_declared("A title an admin typed", "core", ES) == "A title an admin typed"


def test_core_menu_and_permissions_are_marked():
    from core import hooks
    from core.i18n import TranslationString

    permissions = hooks.mutuo_permissions()
    assert all(isinstance(p.title, TranslationString) and isinstance(p.description, TranslationString)
               for p in permissions)
    assert {translate(p.title, ES) for p in permissions} >= {"Ver usuarios", "Leer el registro de auditoría"}
    assert all(isinstance(spec.description, TranslationString) for spec in hooks.core_jobs())


# -- parsing ----------------------------------------------------------------------------------

def test_parsing_messages_stay_exact_in_english():
    with pytest.raises(parsing.InputError) as caught:
        parsing.parse_money("abc")
    assert str(caught.value) == "'abc' is not an amount; write it like 1,234.50."
    with pytest.raises(parsing.InputError) as caught:
        parsing.parse_date("9999-12-31")
    assert str(caught.value) == "Use a date between 1900-01-01 and 2199-12-31."


def test_parsing_messages_in_spanish_with_spanish_numbers_and_dates():
    with in_locale("es"):
        amount = refusal(parsing.parse_money, "abc", locale="es")
        too_big = refusal(parsing.parse_int, "9" * 25)
        out = refusal(parsing.parse_int, "99999999999")
        places = refusal(parsing.parse_money, "1,005", locale="es")
        when = refusal(parsing.parse_date, "9999-12-31", locale="es")
        long = refusal(parsing.parse_text, "x" * 11, max_length=10)
    assert translate(amount, ES) == "'abc' no es un importe; escríbalo como 1.234,50."
    assert translate(too_big, ES) == ("Ese número es demasiado grande; use un número de -2.147.483.648 "
                                      "a 2.147.483.647.")
    assert translate(out, ES) == ("99.999.999.999 está fuera de rango; use un número de -2.147.483.648 "
                                  "a 2.147.483.647.")
    assert translate(places, ES) == "Use como máximo 2 decimales."
    assert translate(when, ES) == "Use una fecha entre 01/01/1900 y 31/12/2199."
    assert translate(long, ES) == "Demasiado largo: como máximo 10 caracteres (este tiene 11)."


def test_a_spanish_amount_with_a_suggestion():
    exc = refusal(parsing.parse_money, "1.5", locale="es")
    assert translate(exc, ES).startswith("'1.5' no es un importe; escríbalo como ")


def test_a_spanish_user_reads_form_errors_of_the_parsing_layer_in_spanish(logged_in):
    app = logged_in(permissions=("core.dashboard.view", "core.user.view", "core.user.manage", "core.role.view"),
                    locale="es")
    form = app.get("/admin/users/new").forms["deform"]
    form["username"] = "alguien"
    form["region"] = "r" * 101
    form["full_name"] = "ESC\x1b[31m"
    res = form.submit("create", status=400)
    assert "Demasiado largo: como máximo 100 caracteres (este tiene 101)." in res.text
    assert "Quite los caracteres de control" in res.text
    assert "Too long" not in res.text


# -- plural forms -----------------------------------------------------------------------------

@pytest.mark.parametrize("count, english, spanish", [
    (1, "1 row", "1 fila"), (2, "2 rows", "2 filas"), (0, "0 rows", "0 filas"),
    (1234, "1,234 rows", "1.234 filas"), (1_000_000, "1,000,000 rows", "1.000.000 de filas"),
])
def test_plural_forms_by_count(count, english, spanish):
    assert pluralize("${n} row", "${n} rows", count, localizer=localizer_for("en")) == english
    assert pluralize("${n} row", "${n} rows", count, localizer=ES) == spanish


def test_plurals_follow_the_language_being_served():
    wait = 1
    with in_locale("es"):
        text = _n("Too many failed logins for this username from your address; wait ${n} second and try again.",
                  "Too many failed logins for this username from your address; wait ${n} seconds and try again.",
                  wait)
    assert text.endswith("espere 1 segundo y vuelva a intentarlo.")


def test_process_health_in_spanish():
    from core.jobs.health import Liveness, ProcessState

    seen = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    health = Liveness([ProcessState("worker:celery@box", "worker", seen, 5, True)])
    assert health.lines()[0] == "no beat has ever reported: scheduled jobs are not started " \
                                "(run `mutuo serve`, or `mutuo beat` in production)"
    with in_locale("es"):
        lines = health.lines()
    assert lines[0].startswith("ningún beat ha dado señales nunca")
    assert lines[1] == "worker celery@box visto por última vez hace 5 s"


# -- jobs speak the company's language ------------------------------------------------------------

def test_job_summaries_are_stored_in_the_company_language(run_job):
    english = run_job("core.documents_verify")
    spanish = run_job("core.documents_verify", **{"mutuo.default_locale": "es"})
    assert english.status == spanish.status == "succeeded", (english.error, spanish.error)
    assert re.fullmatch(r"[\d,]+ files? checked \([\d,]+ referenced\): all intact", english.summary)
    assert re.fullmatch(r"[\d.]+ archivos? comprobados? \([\d.]+ referenciados\): todo intacto", spanish.summary)


def test_audit_verification_summary_in_spanish(run_job):
    run = run_job("core.audit_verify", **{"mutuo.default_locale": "es"})
    assert run.status == "succeeded", run.error
    assert "comprobadas: cadena intacta" in run.summary or "comprobada: cadena intacta" in run.summary


def test_a_job_started_inside_a_spanish_request_still_speaks_the_company_language(run_job):
    with in_locale("es"):
        run = run_job("core.documents_verify")
    assert re.fullmatch(r"[\d,]+ files? checked \([\d,]+ referenced\): all intact", run.summary)


def test_the_worker_process_speaks_the_company_language(mutuo_db, process_language):
    from core.celery_app import _speak_company_language
    from core.i18n import current_localizer

    registry = type("Registry", (dict,), {})(**{"mutuo.pm": mutuo_db.registry["mutuo.pm"]})
    registry.settings = {"mutuo.default_locale": "es"}
    _speak_company_language(registry)
    assert current_localizer().locale_name == "es"
    assert translate(refusal(parsing.parse_money, "abc")).startswith("'abc' no es un importe")


# -- the CLI ------------------------------------------------------------------------------------

@pytest.fixture
def cli(mutuo_db, tmp_path, process_language):
    from core.cli import main

    ini = tmp_path / "cli.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {v.replace('%', '%%')}\n" for k, v in mutuo_db.settings.items()))

    def run(*args, env=None):
        return CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": None, **(env or {})}).invoke(
            main, ["-c", str(ini), *args])

    return run


def test_the_cli_refuses_in_spanish_with_locale_es(cli):
    english = cli("users", "deactivate", "nadie")
    spanish = cli("--locale", "es", "users", "deactivate", "nadie")
    assert english.exit_code == spanish.exit_code == 1
    assert english.output.strip() == "Error: User 'nadie' does not exist."
    assert spanish.output.strip() == "Error: El usuario 'nadie' no existe."


def test_the_cli_follows_lang(cli, make_user):
    username, _ = make_user()
    result = cli("users", "deactivate", username, env={"LANG": "es_ES.UTF-8"})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{username} está desactivado."


def test_the_cli_shows_declared_titles_and_headings_in_spanish(cli):
    listed = cli("--locale", "es", "roles", "list")
    assert listed.exit_code == 0, listed.output
    assert "Personal" in listed.output and "nombre" in listed.output and "título" in listed.output
    shown = cli("--locale", "es", "roles", "show", "staff")
    assert "staff — Personal" in shown.output and "Ver el panel" in shown.output and "Usuarios:" in shown.output


def test_the_cli_job_outcome_in_spanish(cli):
    result = cli("--locale", "es", "jobs", "run", "core.documents_verify", "--wait")
    assert result.exit_code == 0, result.output
    assert "core.documents_verify: correcta (ejecución n.º" in result.output


def test_a_language_not_offered_falls_back_to_the_company_default(cli):
    result = cli("--locale", "fr", "users", "deactivate", "nadie")
    assert result.output.strip() == "Error: User 'nadie' does not exist."


def test_money_in_a_spanish_message_uses_spanish_numbers():
    from core.formatting import current

    with in_locale("es"):
        assert current().money(D("10625")) == "10.625,00"


def test_a_bad_schedule_is_explained_in_spanish():
    from core.jobs.schedule import ScheduleError, parse_schedule

    with in_locale("es"), pytest.raises(ScheduleError) as caught:
        parse_schedule("60 * * * *")
    assert translate(caught.value, ES).startswith("El campo minuto '60' está fuera de rango (permitido 0-59). Use un ")


def test_an_operator_error_in_spanish(tmp_path, process_language):
    from core.cli import main

    result = CliRunner(env={"LC_ALL": None, "LC_MESSAGES": None, "LANG": "es_ES.UTF-8"}).invoke(
        main, ["-c", str(tmp_path / "nowhere.ini"), "users", "list"])
    assert result.exit_code == 2
    assert result.output.strip() == (f"Error: El archivo de configuración {tmp_path / 'nowhere.ini'} no existe; "
                                     "pase -c RUTA o defina MUTUO_CONFIG.")


def test_a_language_babel_does_not_know_is_refused_at_start():
    from core.config import check_settings
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="mutuo.locales or mutuo.default_locale names 'xx_YY_zz'"):
        check_settings({"sqlalchemy.url": "sqlite://", "mutuo.environment": "development",
                        "mutuo.locales": "en es xx_YY_zz"})
    assert check_settings({"sqlalchemy.url": "sqlite://", "mutuo.environment": "development",
                           "mutuo.locales": "en, es, pt", "mutuo.default_locale": "es"})
