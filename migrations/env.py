"""The one Alembic environment: core's revisions plus each enabled plugin's branch.

Works from ``mutuo db upgrade`` (which passes the configured engine and the
plugin manager through ``config.attributes``) and from plain
``alembic -c config/development.ini ...``.
"""
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
    settings, _pm = _platform()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from core.db import get_engine

    engine = get_engine(settings)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_only_enabled_tables,
    )
    with context.begin_transaction():
        context.run_migrations()


def _only_enabled_tables(obj, name, type_, reflected, compare_to):
    # Tables of plugins that are not enabled are neither created nor dropped.
    if type_ == "table" and reflected and compare_to is None:
        return name not in ("alembic_version",) and name in Base.metadata.tables
    return True


run_migrations_online()
