"""Spanish: the catalogue is complete and a Spanish agent reads the ticket pages in Spanish."""
from core.i18n_catalogs import catalogues, problems


def test_the_catalogue_is_complete():
    assert problems(catalogues(["service"])[0], ["es"]) == []


def test_a_spanish_agent_reads_a_ticket_in_spanish(logged_in, mutuo_db):
    from plugins.service.services import tickets

    made = mutuo_db.transaction(lambda s: tickets.open_ticket(s, subject="Tarjeta", channel="web",
                                                              contact_email="t@example.com").id)
    app = logged_in(permissions=("core.dashboard.view", "service.ticket.view", "service.ticket.manage"), locale="es")
    page = app.get(f"/service/tickets/{made}")
    assert page.html.html["lang"] == "es"
    assert "Conversación" in page.text and "nuevo" in page.text and "Responder al cliente" in page.text
    assert "esperando al cliente" in page.text  # the status buttons, in words


def test_refusals_are_translated():
    import pytest

    import plugins.service
    from core.errors import UserError
    from core.i18n import localizer_for, plugin_locale_dir, translate, translation_dirs
    from plugins.service.services import tickets

    spanish = localizer_for("es", [*translation_dirs(), str(plugin_locale_dir(plugins.service))])
    with pytest.raises(UserError) as refused:
        tickets.open_ticket(None, subject=" ", channel="web")
    assert translate(refused.value, spanish) == "Diga en pocas palabras de qué trata la consulta."
