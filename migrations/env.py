"""The one Alembic environment: core's revisions plus each enabled plugin's branch.

Works from ``mutuo db upgrade`` (which passes the configured engine and the
plugin manager through ``config.attributes``) and from plain
``alembic -c config/development.ini ...``: then the ini names only core's
version folder, so the folders of the enabled plugins (and of disabled ones
that still have data, see core/migrate.py) are added to the script directory
here, before Alembic reads the revisions. ``revision_environment = true`` in
the ini makes ``alembic history`` run this file too.
"""
import os

from alembic import context

from core.models.meta import Base

config = context.config


def _platform():
    pm = config.attributes.get("pm")
    settings = config.attributes.get("settings")
    if settings is None:
        from core.config import load_settings

        settings = load_settings(config.config_file_name)
    if pm is None:
        from core.plugins import get_plugin_manager

        pm = get_plugin_manager(settings)
    from core.platform import import_models

    import_models(pm)
    return settings, pm


def run_migrations_online():
    settings, pm = _platform()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, pm)
        return
    from core.db import get_engine

    engine = get_engine(settings)
    with engine.connect() as connection:
        _run(connection, pm)
    engine.dispose()


def _see_plugin_folders(connection, pm):
    """Plain ``alembic``: put every plugin's version folder on the script directory."""
    if config.attributes.get("pm") is not None:  # mutuo built the config with them already
        return
    from alembic.script.revision import RevisionMap

    from core.migrate import version_locations

    script = context.script
    folders = {os.path.realpath(p): p for p in [*script.version_locations, *version_locations(pm, connection).values()]}
    script.version_locations = list(folders.values())
    script.revision_map = RevisionMap(script._load_revisions)


def _run(connection, pm):
    _see_plugin_folders(connection, pm)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _include_object(obj, name, type_, reflected, compare_to):
    from core.search import is_database_only_index

    if type_ == "index" and reflected and compare_to is None and is_database_only_index(name):
        return False  # trigram indexes: made by migrations on PostgreSQL, not in the models
    owner = config.attributes.get("autogenerate_owner")  # `mutuo db revision OWNER --autogenerate`
    if owner and type_ == "table" and not name.startswith(owner + "_"):
        return False
    return _only_enabled_tables(obj, name, type_, reflected, compare_to)


def _only_enabled_tables(obj, name, type_, reflected, compare_to):
    # Tables of plugins that are not enabled are neither created nor dropped.
    if type_ == "table" and reflected and compare_to is None:
        return name not in ("alembic_version",) and name in Base.metadata.tables
    return True


run_migrations_online()
