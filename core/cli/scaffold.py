"""``mutuo plugin new``: write a new plugin package."""
from __future__ import annotations

import click

from core.cli import main


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

    target = new_plugin(name, path, title, tuple(depends), progress=lambda p: click.echo(f"  wrote {p}"))
    click.echo(f"\nPlugin '{name}' written to {target}. Next:\n"
               f"  pip install -e {target}\n"
               f"  add '{name}' to mutuo.plugins in your config, then: mutuo db upgrade\n"
               f"  cd {target} && pytest")
