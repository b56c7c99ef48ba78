"""``mutuo plugin new``: write a new plugin package."""
from __future__ import annotations

import click

from core.cli import main, say, say_text
from core.i18n import _


@main.group()
def plugin():
    """Write plugins."""


@plugin.command("new")
@click.argument("name")
@click.option("--path", type=click.Path(file_okay=False), help="Folder to write (default ./mutuo-NAME).")
@click.option("--title", help="Human title (default: the name, capitalised).")
@click.option("--depends", multiple=True, help="A plugin it depends on (repeat for several).")
def plugin_new(name, path, title, depends):
    """Write plugin NAME: a package with a model, migration, pages, a job and passing tests."""
    from core.scaffold import new_plugin

    target = new_plugin(name, path, title, tuple(depends),
                        progress=lambda p: click.echo("  " + say_text(_("wrote ${path}", mapping={"path": str(p)}))))
    click.echo("")
    say(_("Plugin '${name}' written to ${target}. Next:", mapping={"name": name, "target": str(target)}))
    click.echo(f"  pip install -e {target}")
    click.echo("  " + say_text(_("add '${name}' to mutuo.plugins in your config, then: mutuo db upgrade",
                                 mapping={"name": name})))
    click.echo(f"  cd {target} && pytest")
