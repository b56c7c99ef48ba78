"""Plugin discovery, ordering, calling hooks, tracing them and the one-sentence errors."""
import logging
import re

import pytest

from core.plugins import PluginError, get_plugin_manager

FAKE_NAMES = ("alpha", "beta", "gamma", "zeta", "eta", "nomanifest", "terse", "custom", "broken", "needy")
FAKES = {name: f"tests.core.fake_plugins.{name}" for name in FAKE_NAMES}
FAKES["layered"] = "tests.core.fake_plugins.layered.plugin"


def pm_for(*names):
    return get_plugin_manager({"mutuo.plugins": " ".join(names)}, extra_available=FAKES)


def test_dependencies_first_ties_by_name():
    pm = pm_for("eta", "gamma", "zeta")
    assert pm.enabled_names == ["zeta", "eta", "gamma"]


def test_order_does_not_depend_on_the_setting_order():
    assert pm_for("gamma", "eta", "zeta").enabled_names == pm_for("zeta", "eta", "gamma").enabled_names


def test_unknown_plugin_names_it_and_the_fix():
    with pytest.raises(PluginError, match=r"Unknown plugin 'nosuch' in mutuo.plugins .*fix the name"):
        pm_for("nosuch")


def test_missing_dependency_names_plugin_and_dependency():
    with pytest.raises(PluginError, match=r"Plugin 'gamma' depends on 'zeta', which is not enabled; add 'zeta'"):
        pm_for("gamma")


def test_dependency_not_installed_says_to_install_it():
    with pytest.raises(PluginError, match=r"^Plugin 'needy' depends on 'nowhere', which is not installed: "
                                          r"install the package that provides it \(pip install"):
        pm_for("needy")


def test_plugin_that_fails_to_import_is_named_in_one_line():
    with pytest.raises(PluginError) as caught:
        pm_for("broken")
    message = str(caught.value)
    assert message.startswith("Plugin 'broken' failed to import: ValueError: the plugin's settings table is;")
    assert "\n" not in message


def test_uninstalled_plugin_package_says_to_reinstall():
    with pytest.raises(PluginError, match=r"'ghost' is registered as 'no_such_package', which is not installed"):
        get_plugin_manager({"mutuo.plugins": "ghost"}, extra_available={"ghost": "no_such_package"})


@pytest.mark.parametrize("plugin, message", [
    ("broken", "Error: Plugin 'broken' failed to import: ValueError:"),
    ("needy", "Error: Plugin 'needy' depends on 'nowhere', which is not installed"),
])
def test_cli_plugin_errors_one_line_exit_2(plugin, message, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import core.plugins
    from core.cli import main

    installed = core.plugins.available_plugins
    monkeypatch.setattr(core.plugins, "available_plugins", lambda extra=None: installed({**FAKES, **(extra or {})}))
    ini = tmp_path / "p.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\nmutuo.environment = development\nmutuo.secret = s\n"
                   f"sqlalchemy.url = sqlite:///{tmp_path}/p.sqlite\nmutuo.plugins = {plugin}\n")
    result = CliRunner().invoke(main, ["-c", str(ini), "db", "status"])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.output


def test_cycle_is_named():
    with pytest.raises(PluginError, match=r"cycle \(alpha -> beta -> alpha\)"):
        pm_for("alpha", "beta")


def test_package_without_manifest():
    with pytest.raises(PluginError, match="has no PLUGIN = PluginInfo"):
        pm_for("nomanifest")


# -- every hook call goes through pluggy -------------------------------------------------

@pytest.fixture
def terse():
    from tests.core.fake_plugins import terse

    terse.CALLS.clear()
    return terse


def test_configure_implementation_may_take_fewer_arguments(terse):
    from pyramid.config import Configurator

    from core.web.app import include_plugins

    config = Configurator(settings={})
    config.registry["mutuo.pm"] = pm_for("terse")
    include_plugins(config)
    assert terse.CALLS == ["configure"]


def test_demo_implementation_may_take_fewer_arguments(terse, monkeypatch):
    import core.demo

    class Env:
        settings: dict = {}
        pm = pm_for("terse")

        def transaction(self, name, work):
            return work(object())

    monkeypatch.setattr(core.demo, "get_state", lambda session, key: None)
    monkeypatch.setattr(core.demo, "set_state", lambda session, key, value: None)
    echoed = []
    assert core.demo.load_demo(Env(), scale=2, echo=echoed.append)
    assert terse.CALLS == ["demo 2"]
    assert echoed == ["  terse: 2 terse things"]


def test_per_plugin_calls_pass_only_the_arguments_an_implementation_names(terse):
    pm = pm_for("terse")
    assert pm.implementers("mutuo_demo_data") == ["terse"]
    assert pm.call_per_plugin("mutuo_demo_data", session=object(), scale=3) == [("terse", "3 terse things")]
    assert pm.call("mutuo_menu", request=object())[-1] == []  # core first, terse last
    assert "menu" in terse.CALLS


def test_core_calls_no_hook_implementation_directly():
    """Every call goes through pluggy: no ``impl.function(...)`` left in core."""
    from pathlib import Path

    core_dir = Path(__file__).resolve().parents[2] / "core"
    offenders = [str(path.relative_to(core_dir)) for path in core_dir.rglob("*.py") if ".function" in path.read_text()]
    assert offenders == []


# -- models and migrations by convention -------------------------------------------------

def test_models_and_migrations_found_by_package_layout():
    """The sample plugin implements neither hook: its models module and versions folder are used."""
    from core.platform import migration_locations, plugin_models

    pm = get_plugin_manager({"mutuo.plugins": "sample"})
    assert [i.plugin_name for i in pm.hook.mutuo_models.get_hookimpls()] == ["core"]
    assert plugin_models(pm)["sample"] == ["mutuo_sample.models"]
    locations = migration_locations(pm)
    assert list(locations) == ["core", "sample"]
    assert locations["sample"].endswith("mutuo_sample/migrations/versions")


def test_explicit_hooks_override_the_convention():
    from core.platform import migration_locations, plugin_models

    pm = pm_for("custom")
    assert plugin_models(pm)["custom"] == ["tests.core.fake_plugins.custom.tables"]
    assert migration_locations(pm)["custom"].endswith("custom/elsewhere")


def test_convention_applies_to_the_package_of_a_plugin_module():
    from core.platform import migration_locations

    assert migration_locations(pm_for("layered"))["layered"].endswith("fake_plugins/layered/migrations/versions")


def test_a_plugin_without_models_or_migrations_contributes_none():
    from core.platform import migration_locations, plugin_models

    pm = pm_for("terse")
    assert "terse" not in plugin_models(pm) and "terse" not in migration_locations(pm)


# -- mutuo.trace_hooks ---------------------------------------------------------------------

def test_trace_hooks_logs_each_call_with_plugin_and_duration(caplog, terse):
    pm = get_plugin_manager({"mutuo.plugins": "terse", "mutuo.trace_hooks": "true"}, extra_available=FAKES)
    caplog.set_level(logging.INFO, logger="mutuo.hooks")
    caplog.clear()
    pm.call_plugin("terse", "mutuo_demo_data", session=None, scale=1)
    pm.call("mutuo_menu", request=None)
    lines = [r.getMessage() for r in caplog.records if r.name == "mutuo.hooks"]
    assert len(lines) == 2
    assert re.fullmatch(r"hook mutuo_demo_data \[terse\] \d+\.\d\d ms", lines[0])
    assert re.fullmatch(r"hook mutuo_menu \[core, terse\] \d+\.\d\d ms", lines[1])


def test_trace_hooks_names_the_exception(caplog):
    from core import hookimpl

    class Broken:
        @hookimpl
        def mutuo_permissions(self):
            raise RuntimeError("boom")

    pm = get_plugin_manager({"mutuo.plugins": "", "mutuo.trace_hooks": "true"})
    pm.register(Broken(), name="broken")
    caplog.set_level(logging.INFO, logger="mutuo.hooks")
    with pytest.raises(RuntimeError):
        pm.call_plugin("broken", "mutuo_permissions")
    assert re.search(r"hook mutuo_permissions \[broken\] .* ms, raised RuntimeError: boom", caplog.text)


def test_hook_calls_are_not_logged_by_default(caplog):
    caplog.set_level(logging.DEBUG, logger="mutuo.hooks")
    get_plugin_manager({"mutuo.plugins": ""}).call("mutuo_menu", request=None)
    assert not [r for r in caplog.records if r.name == "mutuo.hooks"]


def test_manager_lives_on_the_registry(mutuo_db):
    assert mutuo_db.registry["mutuo.pm"].enabled_names == ["sample"]


def test_plugin_hookspecs_are_added_and_called(mutuo_db, logged_in):
    """mutuo_addhooks: the sample plugin's own hook is callable and reaches implementers."""
    seen = []

    class Listener:
        from core import hookimpl

        @hookimpl
        def sample_note_created(self, note):
            seen.append(note.title)

    pm = mutuo_db.pm
    listener = Listener()
    pm.register(listener)
    try:
        app = logged_in(("core.dashboard.view", "sample.note.view", "sample.note.manage"))
        from core.testing import csrf_token

        app.post("/sample/notes", {"title": "Hello", "csrf_token": csrf_token(app)}, status=302)
    finally:
        pm.unregister(listener)
    assert seen == ["Hello"]
