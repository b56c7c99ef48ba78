"""Catalogue upkeep: extract (lingua), update and compile (Babel), check — for core and every plugin.

A *catalogue* is one gettext domain: core's ``mutuo`` in ``core/locale``, and
each plugin's (named after it) in ``<plugin package>/locale``. Sources are the
package's ``.py`` and ``.pt`` files; lingua reads ``_()``/``_n()`` calls and
Chameleon's ``i18n:translate``/``i18n:attributes``. The ``.pot`` template and
the ``.po`` files are kept in git; ``.mo`` files are built
(``mutuo i18n compile``, ``make install``, or at start-up when stale).

``mutuo i18n update`` is what a plugin author runs after changing strings: it
extracts, writes the ``.pot`` and merges it into each language's ``.po``
(new entries empty, vanished ones dropped); ``mutuo i18n check`` (and the test
suite) fails while a language has an empty or fuzzy entry.
"""
from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Keywords lingua looks for besides ``_``: plurals (``_n``, ``h.plural``), their two messages.
KEYWORDS = ("_n:1,2", "plural:1,2")
#: Never extracted: generated code and catalogues (the scaffold's templates end in .tmpl: never read).
SKIP_PARTS = {"migrations", "locale", "__pycache__", "static"}


@dataclass(frozen=True)
class Catalogue:
    domain: str
    package_dir: Path

    @property
    def locale_dir(self) -> Path:
        return self.package_dir / "locale"

    @property
    def pot(self) -> Path:
        return self.locale_dir / f"{self.domain}.pot"

    def po(self, locale: str) -> Path:
        return self.locale_dir / locale / "LC_MESSAGES" / f"{self.domain}.po"

    def languages(self) -> list[str]:
        return sorted(p.parent.parent.name for p in self.locale_dir.glob(f"*/LC_MESSAGES/{self.domain}.po"))

    def sources(self) -> list[Path]:
        found = []
        for path in sorted(self.package_dir.rglob("*")):
            if path.suffix in (".py", ".pt") and not SKIP_PARTS & set(path.relative_to(self.package_dir).parts):
                found.append(path)
        return found


def catalogues(names: list[str] | None = None, extra: dict[str, str] | None = None) -> list[Catalogue]:
    """Core's catalogue and every installed plugin's (``names``: only these; ``core`` is core's)."""
    import importlib

    from core.i18n import CORE_LOCALE_DIR, DOMAIN
    from core.plugins import _package_of, available_plugins

    found = [Catalogue(DOMAIN, CORE_LOCALE_DIR.parent)]
    for name, import_path in sorted(available_plugins(extra).items()):
        module = importlib.import_module(import_path.split(":")[0])
        package = _package_of(module)
        if package is not None:
            found.append(Catalogue(name, package[1]))
    if not names:  # every catalogue that exists; a new one is started by naming its plugin
        return [c for c in found if c.locale_dir.is_dir()]
    if names:
        wanted = {"mutuo" if n == "core" else n for n in names}
        unknown = wanted - {c.domain for c in found}
        if unknown:
            from core.errors import UserError
            from core.i18n import _

            raise UserError(_("No catalogue for ${names}; the catalogues are ${known}.",
                              mapping={"names": ", ".join(sorted(unknown)),
                                       "known": ", ".join(c.domain for c in found)}))
        found = [c for c in found if c.domain in wanted]
    return found


def extract(catalogue: Catalogue):
    """The messages of ``catalogue``'s sources as a Babel catalogue (the ``.pot``'s content)."""
    from babel.messages.pofile import read_po
    from lingua.extract import main as pot_create

    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(str(p) for p in catalogue.sources()) + "\n", encoding="utf-8")
        output = Path(tmp) / "out.pot"
        args = ["--no-location", "--sort-output", "-d", catalogue.domain, "-f", str(listing), "-o", str(output),
                "--package-name", "mutuo" if catalogue.domain == "mutuo" else f"mutuo-{catalogue.domain}"]
        for keyword in KEYWORDS:
            args += ["-k", keyword]
        try:
            pot_create.main(args, standalone_mode=False)
        except SystemExit as exc:
            if exc.code and output.exists():
                raise RuntimeError(f"lingua could not read the sources of {catalogue.domain} (see above)") from None
        if not output.exists():  # lingua stops without output when there is nothing to extract
            from babel.messages.catalog import Catalog

            return Catalog(domain=catalogue.domain)
        with output.open("rb") as handle:
            return read_po(handle, domain=catalogue.domain)


def update(catalogue: Catalogue, languages: list[str]) -> dict[str, tuple[int, int]]:
    """Write the ``.pot`` and merge it into each language's ``.po``; {language: (messages, untranslated)}."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract(catalogue)
    catalogue.locale_dir.mkdir(parents=True, exist_ok=True)
    _write(catalogue.pot, template, write_po)
    report = {}
    for language in dict.fromkeys([*languages, *catalogue.languages()]):
        path = catalogue.po(language)
        if path.exists():
            with path.open("rb") as handle:
                po = read_po(handle, locale=language, domain=catalogue.domain)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            po = Catalog(locale=language, domain=catalogue.domain, project=template.project)
        po.update(template, no_fuzzy_matching=True, update_header_comment=False)
        po.obsolete.clear()
        _write(path, po, write_po)
        report[language] = (len(po), sum(1 for m in po if m.id and not _translated(m)))
    return report


def _write(path: Path, catalog, write_po) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, omit_header=False, ignore_obsolete=True,
             include_previous=False)
    new = buffer.getvalue()
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(new):
        return  # only the creation date would change: keep the file (and git) quiet
    path.write_bytes(new)


def _without_dates(content: bytes) -> bytes:
    return b"\n".join(line for line in content.splitlines()
                      if not line.startswith((b'"POT-Creation-Date:', b'"PO-Revision-Date:')))


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(s for s in strings) and "fuzzy" not in message.flags


def compile_all(catalogues_: list[Catalogue]) -> list[Path]:
    from core.i18n import compile_catalogues

    return compile_catalogues([c.locale_dir for c in catalogues_ if c.locale_dir.is_dir()], force=True)


def problems(catalogue: Catalogue, languages: list[str]) -> list[str]:
    """What keeps ``catalogue`` from being complete in ``languages``: missing, empty, fuzzy entries."""
    from babel.messages.pofile import read_po

    template = extract(catalogue)
    found = []
    for language in languages:
        path = catalogue.po(language)
        if not path.exists():
            found.append(f"{catalogue.domain}/{language}: no catalogue at {path}")
            continue
        with path.open("rb") as handle:
            po = read_po(handle, locale=language, domain=catalogue.domain)
        for message in template:
            if not message.id:
                continue
            entry = po.get(message.id)
            label = message.id if isinstance(message.id, str) else message.id[0]
            if entry is None:
                found.append(f"{catalogue.domain}/{language}: not in the catalogue (run `mutuo i18n update`): {label!r}")
            elif "fuzzy" in entry.flags:
                found.append(f"{catalogue.domain}/{language}: fuzzy: {label!r}")
            elif not _translated(entry):
                found.append(f"{catalogue.domain}/{language}: untranslated: {label!r}")
    return found


# -- templates: no user-visible text outside a translation ---------------------------------

#: Attributes people read (or hear): their text must be listed in ``i18n:attributes``.
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-confirm")
#: Words that are the same in every language.
UNTRANSLATED_WORDS = {"Mutuo", "CSV", "API", "ID", "OK", "SMS", "PDF", "UTC"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def untranslated_template_text(path: Path) -> list[str]:
    """Literal text in a Chameleon template that no ``i18n:translate`` / ``i18n:attributes`` covers."""
    import re
    from html.parser import HTMLParser

    expression = re.compile(r"\$\{[^{}]*(\{[^{}]*\}[^{}]*)*\}")
    found: list[str] = []

    def readable(text: str) -> str:
        words = expression.sub(" ", text)
        words = re.sub(r"&[a-z#0-9]+;", " ", words)
        words = " ".join(w for w in re.findall(r"[^\W\d_][\w'’.-]*", words) if w.strip(".-") not in UNTRANSLATED_WORDS)
        return words

    class Checker(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.stack: list[tuple[str, bool]] = []

        def covered(self) -> bool:
            return bool(self.stack) and self.stack[-1][1]

        def handle_starttag(self, tag, attrs):
            names = dict(attrs)
            replaced = any(k in names for k in ("tal:content", "tal:replace", "i18n:translate", "content", "replace"))
            covered = self.covered() or replaced or tag in ("script", "style")
            parts = [p.split() for p in (names.get("i18n:attributes") or "").split(";") if p.strip()]
            listed = {p[0] for p in parts}
            for part in parts:  # "title aria-label" makes "aria-label" the title's msgid: names go apart with ";"
                if len(part) > 1 and part[1] in (*READ_ATTRIBUTES, "value"):
                    found.append(f"{path.name}:{self.getpos()[0]}: separate i18n:attributes names with ';'")
            for name in READ_ATTRIBUTES:
                value = names.get(name)
                if value and readable(value) and name not in listed:
                    found.append(f"{path.name}:{self.getpos()[0]}: attribute {name}={value!r} needs i18n:attributes")
            if tag == "input" and names.get("type") in ("submit", "button") and readable(names.get("value") or "") \
                    and "value" not in listed:
                found.append(f"{path.name}:{self.getpos()[0]}: button value {names['value']!r} needs i18n:attributes")
            if tag not in _VOID:
                self.stack.append((tag, covered))

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)
            if tag not in _VOID and self.stack:
                self.stack.pop()

        def handle_endtag(self, tag):
            if tag in _VOID:
                return
            for index in range(len(self.stack) - 1, -1, -1):
                if self.stack[index][0] == tag:
                    del self.stack[index:]
                    break

        def handle_data(self, data):
            text = readable(data)
            if text and not self.covered():
                found.append(f"{path.name}:{self.getpos()[0]}: {' '.join(data.split())[:80]!r}")

    checker = Checker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    return found


def templates(catalogue: Catalogue) -> list[Path]:
    return [p for p in catalogue.sources() if p.suffix == ".pt"]
