"""``mutuo i18n``: extract, update, compile and check the translation catalogues (core/i18n_catalogs.py)."""
from __future__ import annotations

import click

from core.cli import fail, main, say
from core.i18n import _, _n


@main.group("i18n")
def i18n():
    """Translation catalogues of core and the plugins (see docs/plugins.md, "Translations")."""


_names = click.argument("names", nargs=-1, metavar="[core|PLUGIN]...")


@i18n.command("extract")
@_names
def extract(names):
    """Write each catalogue's .pot template from its sources."""
    from babel.messages.pofile import write_po

    from core.i18n_catalogs import _write, catalogues
    from core.i18n_catalogs import extract as extract_messages

    for catalogue in catalogues(list(names)):
        template = extract_messages(catalogue)
        catalogue.locale_dir.mkdir(parents=True, exist_ok=True)
        _write(catalogue.pot, template, write_po)
        say(_n("${domain}: ${n} message in ${path}", "${domain}: ${n} messages in ${path}", len(template),
               mapping={"domain": catalogue.domain, "path": str(catalogue.pot)}))


@i18n.command("update")
@click.option("-l", "--language", "languages", multiple=True, metavar="LANG",
              help="Also start a catalogue for this language (e.g. -l pt).")
@_names
def update(names, languages):
    """Extract, then merge the template into every language's .po (new entries empty)."""
    from core.i18n_catalogs import catalogues
    from core.i18n_catalogs import update as update_catalogue

    for catalogue in catalogues(list(names)):
        for language, (total, empty) in update_catalogue(catalogue, list(languages)).items():
            say(_n("${domain}/${language}: ${n} message, ${empty} to translate",
                   "${domain}/${language}: ${n} messages, ${empty} to translate", total,
                   mapping={"domain": catalogue.domain, "language": language, "empty": empty}))


@i18n.command("compile")
@_names
def compile_(names):
    """Build the .mo files the application reads."""
    from core.i18n_catalogs import catalogues, compile_all

    written = compile_all(catalogues(list(names)))
    say(_n("${n} catalogue compiled.", "${n} catalogues compiled.", len(written)))


@i18n.command("check")
@click.option("-l", "--language", "languages", multiple=True, default=("es",), show_default=True)
@_names
def check(names, languages):
    """Fail when a language misses a message, or has it empty or fuzzy."""
    from core.i18n_catalogs import catalogues, problems

    found = [p for c in catalogues(list(names)) for p in problems(c, list(languages))]
    for line in found:
        click.echo(line)
    if found:
        fail(_n("${n} message needs a translation; run `mutuo i18n update` and fill it in.",
                "${n} messages need a translation; run `mutuo i18n update` and fill them in.", len(found)))
    say(_("Every message is translated."))
