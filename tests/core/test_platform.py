"""The platform contract: migrations match models, plugins come and go cleanly."""
import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect as sa_inspect

from core.models.meta import Base
from core.plugins import available_plugins
from core.search import is_database_only_index
from core.testing import TestDatabase, login

ALL_PLUGINS = tuple(available_plugins())


def owned_by(table_name, owners):
    return table_name.split("_", 1)[0] in owners


def schema_diff(db: TestDatabase):
    owners = {"core", *db.plugins}

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return name != "alembic_version" and owned_by(name, owners)
        # PostgreSQL's trigram indexes are made by migrations only (core.search)
        return not (type_ == "index" and reflected and compare_to is None and is_database_only_index(name))

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
        return compare_metadata(ctx, Base.metadata)


@pytest.mark.parametrize("plugins", [("sample",), ALL_PLUGINS], ids=["sample", "all"])
def test_migrated_schema_equals_models(plugins, mutuo_tmp):
    db = TestDatabase(plugins, mutuo_tmp / "schema")
    assert schema_diff(db) == []


def test_enabling_a_plugin_later_adds_only_its_tables(mutuo_tmp):
    from core.migrate import upgrade
    from core.platform import populate_registry

    db = TestDatabase((), mutuo_tmp / "later")
    before = set(sa_inspect(db.engine).get_table_names())
    assert not any(t.startswith("sample_") for t in before)
    settings = {**db.settings, "mutuo.plugins": "sample"}
    registry: dict = {}
    populate_registry(registry, settings)
    with db.engine.begin() as conn:
        upgrade(settings, registry["mutuo.pm"], conn)
    after = set(sa_inspect(db.engine).get_table_names())
    assert after - before == {"sample_note"}


def test_disabled_plugin_leaves_no_trace(mutuo_tmp, make_user):
    """Without `sample`: its routes 404, its menu entry and job are absent, its table is not created."""
    import webtest

    db = TestDatabase((), mutuo_tmp / "bare")
    assert "sample_note" not in sa_inspect(db.engine).get_table_names()
    assert not any(name.startswith("sample.") for name in db.registry["mutuo.jobs"])
    app = webtest.TestApp(db.app)
    from core.accounts import create_user

    db.transaction(lambda s: create_user(s, "boss", "correct-horse-battery", roles=["admin"]))
    login(app, "boss")
    assert "Notes" not in app.get("/").text
    app.get("/sample/notes", status=404)


def test_enabled_plugin_contributes_everything(mutuo_db, logged_in):
    assert "sample.count_notes" in mutuo_db.registry["mutuo.jobs"]
    app = logged_in(("core.dashboard.view", "sample.note.view"))
    assert "Notes" in app.get("/").text
    app.get("/sample/notes", status=200)


def test_menu_filtered_by_permission(logged_in):
    app = logged_in(("core.dashboard.view",))
    page = app.get("/")
    assert "Notes" not in page.text and "Users" not in page.text


def test_dashboard_widgets_filtered(logged_in, make_user, testapp):
    app = logged_in(("core.dashboard.view", "sample.note.view"))
    assert "My notes" in app.get("/").text
    username, password = make_user(permissions=("core.dashboard.view",))
    testapp.reset()
    login(testapp, username, password)
    assert "My notes" not in testapp.get("/").text


def test_health_reports_plugins(testapp):
    assert testapp.get("/health").json == {"status": "ok", "database": True, "plugins": ["sample"]}


def test_friendly_404_page(testapp):
    res = testapp.get("/no/such/page", status=404)
    assert "Not found" in res.text and "Traceback" not in res.text


# -- CLI -------------------------------------------------------------------------

def run_cli(*args, config=None, env=None, input=None):
    cmd = [sys.executable, "-m", "core.cli"] + (["-c", str(config)] if config else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, input=input,
                          timeout=120)


def write_ini(path, **settings):
    lines = ["[app:main]", "use = egg:mutuo"] + [f"{k} = {v}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_missing_config_file_one_line_exit_2(tmp_path):
    res = run_cli("db", "status", config=tmp_path / "nope.ini")
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "does not exist" in res.stderr


def test_broken_config_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.ini"
    bad.write_text("[app:main\nthis is not ini")
    res = run_cli("db", "status", config=bad)
    assert res.returncode == 2 and "cannot be read" in res.stderr and "Traceback" not in res.stderr


def test_unknown_plugin_in_config_exit_2(tmp_path):
    ini = write_ini(tmp_path / "x.ini", **{"mutuo.environment": "development", "mutuo.secret": "s",
                                            "sqlalchemy.url": f"sqlite:///{tmp_path}/x.sqlite", "mutuo.plugins": "nosuch"})
    res = run_cli("db", "upgrade", config=ini)
    assert res.returncode == 2 and "Unknown plugin 'nosuch'" in res.stderr and "Traceback" not in res.stderr


def test_unreachable_database_exit_2(tmp_path):
    ini = write_ini(tmp_path / "x.ini", **{"mutuo.environment": "development", "mutuo.secret": "s",
                                            "sqlalchemy.url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    res = run_cli("db", "status", config=ini)
    assert res.returncode == 2 and "database cannot be reached" in res.stderr and "Traceback" not in res.stderr


def test_production_refuses_default_secret(tmp_path):
    ini = write_ini(tmp_path / "p.ini", **{"mutuo.environment": "production", "mutuo.secret": "${MUTUO_SECRET}",
                                            "sqlalchemy.url": f"sqlite:///{tmp_path}/p.sqlite"})
    res = run_cli("db", "status", config=ini, env={"MUTUO_SECRET": ""})
    assert res.returncode == 2 and "mutuo.secret" in res.stderr


def test_plugins_list_and_db_status_at_head(tmp_path):
    ini = write_ini(tmp_path / "s.ini", **{"mutuo.environment": "development", "mutuo.secret": "s",
                                            "sqlalchemy.url": f"sqlite:///{tmp_path}/s.sqlite", "mutuo.plugins": "sample"})
    assert run_cli("db", "status", config=ini).returncode == 1  # behind before the upgrade
    up = run_cli("db", "upgrade", config=ini)
    assert up.returncode == 0, up.stderr
    status = run_cli("db", "status", config=ini)
    assert status.returncode == 0 and "sample" in status.stdout and "BEHIND" not in status.stdout
    listing = run_cli("plugins", "list", config=ini)
    assert "sample" in listing.stdout and "at head s0001" in listing.stdout


def test_demo_load_runs_once(tmp_path):
    ini = write_ini(tmp_path / "d.ini", **{"mutuo.environment": "development", "mutuo.secret": "s",
                                            "sqlalchemy.url": f"sqlite:///{tmp_path}/d.sqlite", "mutuo.plugins": "sample",
                                            "mutuo.demo_users": "true"})
    assert run_cli("db", "upgrade", config=ini).returncode == 0
    first = run_cli("demo", "load", config=ini)
    assert first.returncode == 0 and "sample: 30 notes" in first.stdout and "admin-demo-pass" in first.stdout
    second = run_cli("demo", "load", config=ini)
    assert second.returncode == 0 and "already loaded" in second.stdout
    users = run_cli("users", "list", config=ini)
    assert "note_taker" in users.stdout and users.stdout.count("admin") >= 1


def test_unmigrated_database_says_run_upgrade(tmp_path):
    ini = write_ini(tmp_path / "u.ini", **{"mutuo.environment": "development", "mutuo.secret": "s",
                                            "sqlalchemy.url": f"sqlite:///{tmp_path}/u.sqlite"})
    for args in (("roles", "show", "admin"), ("users", "list")):
        res = run_cli(*args, config=ini)
        assert res.returncode == 2 and "run `mutuo db upgrade`" in res.stderr and "Traceback" not in res.stderr
