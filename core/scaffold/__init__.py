"""``mutuo plugin new NAME``: write a pip-installable plugin package that passes its tests.

The package is rendered from the files under ``plugin/`` (a ``.tmpl`` suffix,
``__package__`` and ``__name__`` in paths, ``{{key}}`` markers in text).
Plain marker replacement, not a template engine: the templates hold Chameleon
and Python code whose own ``${...}`` and ``{...}`` must pass through untouched,
and a fixed set of five keys needs no logic. cookiecutter would add prompts,
hooks and a dependency for the same result.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.errors import UserError
from core.i18n import _

TEMPLATE_DIR = Path(__file__).parent / "plugin"
NAME = re.compile(r"^[a-z][a-z0-9]{1,29}$")


@dataclass(frozen=True)
class Scaffold:
    name: str
    title: str
    depends: tuple[str, ...]
    target: Path

    @property
    def package(self) -> str:
        return f"mutuo_{self.name}"

    def values(self, depends_on: list[str]) -> dict[str, str]:
        quoted = ", ".join(f'"{d}"' for d in self.depends)
        return {
            "name": self.name,
            "package": self.package,
            "title": self.title,
            "title_po": self.title.replace("\\", "\\\\").replace('"', '\\"'),  # inside a .po file's quotes
            "depends_tuple": quoted + ("," if len(self.depends) == 1 else ""),
            "depends_text": ", ".join(f"`{d}`" for d in self.depends) or "core only",
            "plugins_tuple": ", ".join(f'"{p}"' for p in (*self._closure(), self.name)) + ",",
            "depends_on": repr(tuple(depends_on)) if len(depends_on) > 1 else repr(depends_on[0]),
            "date": date.today().isoformat(),
        }

    def _closure(self) -> list[str]:
        """The dependencies and theirs, dependencies first (what the tests must enable)."""
        from core.plugins import available_plugins, load_plugin

        available = available_plugins()
        order: list[str] = []

        def visit(name):
            for dep in load_plugin(name, available[name]).info.depends:
                visit(dep)
            if name not in order:
                order.append(name)

        for dep in self.depends:
            visit(dep)
        return order


def check_name(name: str, depends: tuple[str, ...]) -> None:
    from core.plugins import available_plugins

    if not NAME.match(name) or keyword.iskeyword(name):
        raise UserError(_("'${name}' cannot be a plugin name: use 2–30 lowercase letters and digits, "
                          "starting with a letter (it prefixes tables, routes and permissions).",
                          mapping={"name": name}), "name")
    available = available_plugins()
    if name in available or name == "core":
        raise UserError(_("A plugin named '${name}' is already installed; choose another name.",
                          mapping={"name": name}), "name")
    for dep in depends:
        if dep not in available:
            raise UserError(_("'${name}' would depend on '${dep}', which is not installed.",
                              mapping={"name": name, "dep": dep}), "depends")


def head_revisions(branches: tuple[str, ...], closure: list[str]) -> list[str]:
    """The head revision of core's branch and of each of ``branches`` (the first migration's depends_on);
    ``closure``: every plugin whose migrations the graph needs (the branches and their dependencies)."""
    from alembic.script import ScriptDirectory

    from core.migrate import branch_heads
    from core.plugins import available_plugins, conventional_migrations, load_plugin

    locations = [str(Path(__file__).parent.parent.parent / "migrations" / "versions")]
    available = available_plugins()
    for dep in closure:
        folder = conventional_migrations(load_plugin(dep, available[dep]).module)
        if folder:
            locations.append(folder)
    script = ScriptDirectory(str(Path(__file__).parent.parent.parent / "migrations"),
                             version_locations=locations)
    return branch_heads(script, ("core", *branches))


def render(scaffold: Scaffold, progress=lambda path: None) -> list[Path]:
    """Write the package under ``scaffold.target``; refuses to overwrite anything."""
    if scaffold.target.exists() and any(scaffold.target.iterdir()):
        raise UserError(_("${path} exists and is not empty; choose another --path.",
                          mapping={"path": str(scaffold.target)}), "path")
    values = scaffold.values(head_revisions(scaffold.depends, scaffold._closure()))
    written = []
    for source in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
        relative = str(source.relative_to(TEMPLATE_DIR))[: -len(".tmpl")]
        relative = relative.replace("__package__", scaffold.package).replace("__name__", scaffold.name)
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target = scaffold.target / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
        progress(target)
    return written


def new_plugin(name: str, path: str | Path | None = None, title: str | None = None,
               depends: tuple[str, ...] = (), progress=lambda path: None) -> Path:
    """Write plugin ``name`` into ``path`` (default ``./mutuo-<name>``); returns the folder."""
    depends = tuple(dict.fromkeys(depends))
    check_name(name, depends)
    target = Path(path) if path else Path.cwd() / f"mutuo-{name}"
    scaffold = Scaffold(name, title or name.replace("_", " ").title(), depends, target)
    render(scaffold, progress)
    return target
