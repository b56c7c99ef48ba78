"""A plugin's lifecycle: disabled (data kept), enabled again, uninstalled (exported), migrations written.

Each test builds its own database (SQLite in tmp_path, or a fresh PostgreSQL
database when MUTUO_TEST_DATABASE_URL is set) and drives the real ``mutuo``
command in-process through click's CliRunner.
"""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Integer, Table, create_engine, text
from sqlalchemy import inspect as sa_inspect

import mutuo_sample
from core import hookimpl
from core.cli import main
from core.models.meta import Base
from core.testing import create_database, database_url_for

SAMPLE_VERSIONS = Path(mutuo_sample.__file__).parent / "migrations" / "versions"


def _core_head() -> str:
    from alembic.script import ScriptDirectory

    import migrations

    return ScriptDirectory(str(Path(migrations.__file__).parent)).get_revision("core@head").revision


CORE_HEAD = _core_head()
# alembic_version once the sample plugin (which depends on c0001) is at head: core's own head too, unless it is c0001
WITH_SAMPLE = {"s0001"} | ({CORE_HEAD} - {"c0001"})


class Install:
    """One database and the config files that enable different plugin sets on it."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.url = database_url_for(("lifecycle",), tmp_path)
        create_database(self.url)
        self.documents = tmp_path / "documents"
        self.engine = create_engine(self.url)

    def ini(self, plugins: str) -> Path:
        path = self.tmp / f"mutuo-{plugins.replace(' ', '-') or 'none'}.ini"
        path.write_text("\n".join([
            "[app:main]", "use = egg:mutuo", "mutuo.environment = development", "mutuo.secret = s",
            f"sqlalchemy.url = {self.url}", f"mutuo.documents.path = {self.documents}",
            f"mutuo.plugins = {plugins}",
            "[alembic]", f"script_location = {Path(__file__).resolve().parents[2] / 'migrations'}",
            f"version_locations = {Path(__file__).resolve().parents[2] / 'migrations' / 'versions'}",
            "path_separator = space", "revision_environment = true",
        ]) + "\n")
        return path

    def cli(self, plugins: str, *args, input=None):
        return CliRunner().invoke(main, ["-c", str(self.ini(plugins)), *args], input=input,
                                  env={"COLUMNS": "200"})  # rich tables unwrapped

    def ok(self, plugins: str, *args):
        res = self.cli(plugins, *args)
        assert res.exit_code == 0, res.output
        return res.output

    def sql(self, statement: str, **params):
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.fetchall() if result.returns_rows else None

    def tables(self) -> set[str]:
        return set(sa_inspect(self.engine).get_table_names())

    def versions(self) -> set[str]:
        return {row[0] for row in self.sql("SELECT version_num FROM alembic_version")}


@pytest.fixture
def install(tmp_path):
    db = Install(tmp_path)
    yield db
    db.engine.dispose()


@pytest.fixture
def sample_versions(tmp_path, monkeypatch):
    """The sample plugin reads its migrations from a temporary copy that a test may extend."""
    folder = tmp_path / "sample_versions"
    shutil.copytree(SAMPLE_VERSIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(mutuo_sample, "mutuo_migrations", hookimpl(lambda: str(folder)), raising=False)
    return folder


SECOND_SAMPLE_REVISION = '''
from alembic import op
import sqlalchemy as sa

revision = "sample_0002"
down_revision = "s0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("sample_later", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():
    op.drop_table("sample_later")
'''


# -- disabling and enabling again ------------------------------------------------------

def test_disabled_plugin_keeps_its_data_and_the_rest_works(install, sample_versions):
    install.ok("sample products", "db", "upgrade")
    install.sql("INSERT INTO sample_note (title, body, amount) VALUES ('kept', 'safe', 1.50)")

    # Disabling a plugin migrates nothing: its data and revision stay as they were.
    assert "Already up to date: core, products" in install.ok("products", "db", "upgrade")
    status = install.ok("products", "db", "status")
    assert "sample           disabled, data kept at revision s0001" in status
    assert "BEHIND" not in status
    listing = install.ok("products", "plugins", "list")
    assert "disabled, data kept at revision" in listing and "s0001" in listing
    assert install.sql("SELECT title FROM sample_note") == [("kept",)]

    # The app starts without it (serve refuses only when an *enabled* branch is behind).
    import webtest

    from core.config import load_settings
    from core.migrate import status as branch_status
    from core.plugins import get_plugin_manager
    from core.web.app import make_app

    settings = load_settings(str(install.ini("products")))
    pm = get_plugin_manager(settings)
    with install.engine.connect() as conn:
        assert not [b for b in branch_status(settings, pm, conn) if b.behind]
    assert webtest.TestApp(make_app(settings, pm=pm)).get("/health").json["plugins"] == ["products"]

    # While it is off, its package gains a migration; enabling it again continues from s0001.
    (sample_versions / "sample_0002_later.py").write_text(SECOND_SAMPLE_REVISION)
    assert "data kept at revision s0001" in install.ok("products", "db", "status")
    install.ok("sample products", "db", "upgrade")
    assert "sample           current sample_0002" in install.ok("sample products", "db", "status")
    assert "sample_later" in install.tables()
    assert install.sql("SELECT title, body FROM sample_note") == [("kept", "safe")]


def hide_sample_package(monkeypatch):
    """As if the sample plugin's package had been uninstalled with pip."""
    import core.migrate
    import core.uninstall
    from core.plugins import available_plugins

    installed = available_plugins()
    without = lambda: {k: v for k, v in installed.items() if k != "sample"}  # noqa: E731
    monkeypatch.setattr(core.migrate, "available_plugins", without)
    monkeypatch.setattr(core.uninstall, "available_plugins", without)


@pytest.fixture
def sample_package_gone(monkeypatch):
    hide_sample_package(monkeypatch)


def test_plugin_whose_package_is_gone_is_reported_and_the_rest_upgrades(install, sample_versions):
    install.ok("sample", "db", "upgrade")
    install.sql("INSERT INTO sample_note (title, body, amount) VALUES ('kept', '', 0)")
    install.ok("", "db", "upgrade")
    assert install.versions() == WITH_SAMPLE  # s0001 stands for c0001 too

    with pytest.MonkeyPatch.context() as gone:
        hide_sample_package(gone)
        status = install.ok("", "db", "status")
        assert f"core             current {CORE_HEAD}" in status and "at head" in status
        assert "sample           not installed, data kept at revision s0001" in status
        assert "not installed, data kept at revision" in install.ok("", "plugins", "list")
        install.ok("", "db", "upgrade")
        assert install.versions() == WITH_SAMPLE
        install.sql("DELETE FROM core_state WHERE key = 'migrations.revisions'")
        res = install.cli("", "db", "upgrade")
        assert res.exit_code == 2 and "revision s0001 of an unknown plugin, whose package is not installed" in res.output
        assert "reinstall the package" in res.output

    # The package is back (and gained a migration meanwhile): enabling it continues from s0001.
    (sample_versions / "sample_0002_later.py").write_text(SECOND_SAMPLE_REVISION)
    install.ok("sample", "db", "upgrade")
    assert "sample           current sample_0002" in install.ok("sample", "db", "status")
    assert install.sql("SELECT title FROM sample_note") == [("kept",)]


def test_plugin_whose_package_is_gone_can_be_uninstalled(install, sample_package_gone):
    install.ok("sample products", "db", "upgrade")
    install.sql("INSERT INTO sample_note (title, body, amount) VALUES ('kept', '', 0)")
    install.ok("products", "db", "upgrade")
    assert "not installed, data kept at revision s0001" in install.ok("products", "db", "status")
    out = install.ok("products", "plugins", "uninstall", "sample", "--yes")
    assert "Uninstalled 'sample': 1 row in 1 table" in out
    assert "sample_note" not in install.tables() and install.versions() == {"products_0002"} | ({CORE_HEAD} - {"c0001"})
    assert "sample" not in install.ok("products", "db", "status")


def test_plain_alembic_sees_enabled_and_disabled_plugin_folders(install):
    alembic = [str(Path(sys.executable).parent / "alembic"), "-c"]
    install.ok("sample products", "db", "upgrade")
    for plugins in ("sample products", "products"):
        ini = str(install.ini(plugins))
        current = subprocess.run(alembic + [ini, "current"], capture_output=True, text=True, timeout=120)
        assert current.returncode == 0, current.stderr
        assert "s0001" in current.stdout and "products_0002" in current.stdout
        history = subprocess.run(alembic + [ini, "history"], capture_output=True, text=True, timeout=120)
        assert history.returncode == 0 and "sample: notes" in history.stdout, history.stderr
    upgrade = subprocess.run(alembic + [str(install.ini("products")), "upgrade", "heads"],
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr


# -- uninstalling ---------------------------------------------------------------------

def test_uninstall_refuses_what_would_lose_data(install):
    install.ok("products lending", "db", "upgrade")
    res = install.cli("products lending", "plugins", "uninstall", "products", "--yes")
    assert res.exit_code == 1 and "Plugin 'lending' is enabled and depends on 'products'" in res.output
    res = install.cli("products", "plugins", "uninstall", "products", "--yes")
    assert res.exit_code == 1 and "is enabled; remove it from mutuo.plugins" in res.output
    res = install.cli("", "plugins", "uninstall", "products", "--yes")
    assert res.exit_code == 1 and "Plugin 'lending' (disabled, data kept) depends on 'products'" in res.output
    res = install.cli("", "plugins", "uninstall", "sample", "--yes")
    assert res.exit_code == 1 and "has no data in this database" in res.output
    res = install.cli("products", "plugins", "uninstall", "lending")  # CliRunner's stdin is not a terminal
    assert res.exit_code == 1 and "pass --yes" in res.output
    assert "lending_loan" in install.tables() and "products_product" in install.tables()
    assert not (install.documents / "exports").exists()


def test_uninstall_exports_then_drops_and_audits(install):
    install.ok("sample", "db", "upgrade")
    install.sql("INSERT INTO sample_note (title, body, amount) VALUES ('with \"quotes\", and commas', '', 2.50)")
    install.sql("INSERT INTO sample_note (title, body, amount) VALUES ('second', 'b', 0)")

    out = install.ok("", "plugins", "uninstall", "sample", "--yes")
    assert "Uninstalled 'sample': 2 rows in 1 table exported to" in out
    (folder,) = (install.documents / "exports").iterdir()
    assert folder.name.startswith("sample-")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["revision"] == "s0001" and manifest["tables"]["sample_note"]["rows"] == 2
    raw = (folder / "sample_note.csv").read_text()
    rows = list(csv.DictReader(raw.splitlines()))
    assert [(r["title"], r["body"], r["amount"]) for r in rows] == [
        ('with "quotes", and commas', "", "2.50"), ("second", "b", "0.00")]
    assert ',"",' in raw  # an empty string is quoted; NULL (owner_id) is an empty unquoted field
    assert raw.splitlines()[1].endswith(",")
    assert "CREATE TABLE sample_note" in (folder / "schema.sql").read_text()

    assert "sample_note" not in install.tables()
    assert install.versions() == {CORE_HEAD}
    assert "sample" not in install.ok("", "db", "status")
    (entry,) = install.sql("SELECT entity_id, changes FROM core_audit_entry WHERE action = 'plugin_uninstalled'")
    assert entry[0] == "sample"
    changes = json.loads(entry[1])
    assert changes["export"] == str(folder) and changes["rows"] == {"sample_note": 2}
    assert "chain intact" in install.ok("", "audit", "verify")

    install.ok("sample", "db", "upgrade")  # installing it again starts empty
    assert install.sql("SELECT count(*) FROM sample_note") == [(0,)]


def test_uninstall_asks_for_confirmation_at_a_terminal(install, monkeypatch):
    import core.cli.db

    monkeypatch.setattr(core.cli.db, "_interactive", lambda: True)
    install.ok("sample", "db", "upgrade")
    res = install.cli("", "plugins", "uninstall", "sample", input="n\n")
    assert res.exit_code == 1 and "Export and drop the tables of 'sample'? [y/N]" in res.output
    assert "sample_note" in install.tables() and not (install.documents / "exports").exists()
    res = install.cli("", "plugins", "uninstall", "sample", input="y\n")
    assert res.exit_code == 0 and "Uninstalled 'sample'" in res.output
    assert "sample_note" not in install.tables()


# -- writing a migration --------------------------------------------------------------

def test_revision_ids_follow_the_branch_naming():
    from core.migrate import next_revision_id

    assert next_revision_id("lending", ["lending_0002", "lending_0001"]) == "lending_0003"
    assert next_revision_id("core", ["c0001"]) == "c0002"
    assert next_revision_id("sample", ["s0001"]) == "sample_0002"  # older ids of another shape: count them
    assert next_revision_id("legal", []) == "legal_0001"


@pytest.fixture
def scratch_tables():
    """Model changes made for one test only: removed from the shared metadata afterwards."""
    added = []

    def add(name):
        added.append(Table(name, Base.metadata, Column("id", Integer, primary_key=True)))

    yield add
    for table in added:
        Base.metadata.remove(table)


def test_db_revision_writes_migrations_that_upgrade_applies(install, sample_versions, scratch_tables):
    for path in sample_versions.glob("*.py"):
        path.unlink()  # the plugin starts without migrations
    scratch_tables("products_scratch")  # another plugin's change: must stay out of sample's revision
    install.ok("products", "db", "upgrade")

    out = install.ok("sample products", "db", "revision", "sample", "-m", "notes", "--autogenerate")
    (first,) = sample_versions.glob("sample_0001_notes.py")
    assert str(first) in out
    source = first.read_text()
    assert "branch_labels = ('sample',)" in source and f"depends_on = '{CORE_HEAD}'" in source
    assert "create_table('sample_note'" in source and "products_scratch" not in source

    scratch_tables("sample_scratch")
    behind = install.cli("sample products", "db", "revision", "sample", "-m", "scratch table", "--autogenerate")
    assert behind.exit_code == 1 and "run `mutuo db upgrade` first" in behind.output
    install.ok("sample products", "db", "upgrade")
    install.ok("sample products", "db", "revision", "sample", "-m", "scratch table", "--autogenerate")
    second = (sample_versions / "sample_0002_scratch_table.py").read_text()
    assert "down_revision = 'sample_0001'" in second and "create_table('sample_scratch'" in second
    assert "products_scratch" not in second and "sample_note" not in second.replace("sample_0001", "")

    install.ok("sample products", "db", "revision", "sample", "-m", "nothing yet")
    assert (sample_versions / "sample_0003_nothing_yet.py").exists()
    install.ok("sample products", "db", "upgrade")
    assert "sample           current sample_0003" in install.ok("sample products", "db", "status")
    assert {"sample_note", "sample_scratch"} <= install.tables()


def test_db_revision_names_the_fix(install):
    res = install.cli("products", "db", "revision", "sample", "-m", "x")
    assert res.exit_code == 1 and "not an enabled plugin" in res.output
