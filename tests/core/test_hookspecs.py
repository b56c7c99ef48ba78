"""Every hookspec is typed and documented; every core hookspec is exercised by a test.

Core's hooks are documented in docs/plugins.md, a plugin's own hooks
(``plugins/<name>/hookspecs.py``) in docs/plugins/<name>.md.
"""
import ast
import importlib
import inspect
import re
import typing
from pathlib import Path

import pytest

from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("mutuo_"))
PLUGIN_SPEC_MODULES = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/hookspecs.py"))
# module -> the prefix of the hooks it declares
SPEC_MODULES = {"core.hookspecs": "mutuo_", **{f"plugins.{name}.hookspecs": f"{name}_" for name in PLUGIN_SPEC_MODULES},
                "mutuo_sample.hookspecs": "sample_"}
# What "tested" means for each hook: the name of a test that exercises it.
TESTED_BY = {
    "mutuo_addhooks": "test_plugin_hookspecs_are_added_and_called",
    "mutuo_models": "test_explicit_hooks_override_the_convention",
    "mutuo_migrations": "test_explicit_hooks_override_the_convention",
    "mutuo_configure": "test_disabled_plugin_leaves_no_trace",
    "mutuo_permissions": "test_authorization_matrix",
    "mutuo_roles": "test_default_roles_synced_without_undoing_admin_edits",
    "mutuo_entity_types": "test_history_panel_on_record_page",
    "mutuo_record_rules": "test_record_rules_on_list_detail_and_export",
    "mutuo_menu": "test_menu_filtered_by_permission",
    "mutuo_dashboard": "test_dashboard_widgets_filtered",
    "mutuo_jobs": "test_disabled_plugin_leaves_no_trace",
    "mutuo_demo_data": "test_demo_load_runs_once",
    "mutuo_message_gateways": "test_a_gateway_plugin_receives_queued_messages_after_commit",
    "mutuo_api": "test_a_third_party_plugin_adds_operations",
    "mutuo_webhook_events": "test_publish_signs_and_delivers",
    "mutuo_lookups": "test_a_plugin_declares_a_lookup_and_core_serves_it",
    "mutuo_search": "test_global_search_groups_every_plugins_answers",
}


def test_every_hookspec_has_a_docstring_with_when_and_returns():
    for name in SPECS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Called" in doc, f"{name}: say when it is called"
        assert "Return" in doc, f"{name}: say what it returns"


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_documented(name):
    docs = (ROOT / "docs" / "plugins.md").read_text()
    assert f"`{name}(" in docs and f"### {name}" in docs, f"document {name} in docs/plugins.md"


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_tested(name):
    assert name in TESTED_BY, f"add a test for {name} and name it in TESTED_BY"
    test = TESTED_BY[name]
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert re.search(rf"^def {test}\(", sources, re.M), f"{test} (testing {name}) does not exist"


def signature_text(fn) -> str:
    return f"{fn.__name__}({', '.join(inspect.signature(fn).parameters)})"


def specs_of(module) -> list:
    prefix = SPEC_MODULES[module.__name__]
    return [fn for name, fn in inspect.getmembers(module, inspect.isfunction) if name.startswith(prefix)]


def type_checking_names(module) -> dict:
    """What the module's ``if TYPE_CHECKING:`` block imports, to resolve its string annotations."""
    namespace = dict(vars(module))
    tree = ast.parse(Path(module.__file__).read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            exec(compile(ast.Module(body=node.body, type_ignores=[]), module.__file__, "exec"), namespace)
    return namespace


@pytest.mark.parametrize("module_name", SPEC_MODULES)
def test_hookspecs_are_typed(module_name):
    module = importlib.import_module(module_name)
    specs = specs_of(module)
    assert specs, f"{module_name} declares no hooks"
    namespace = type_checking_names(module)
    for fn in specs:
        hints = typing.get_type_hints(fn, globalns=namespace)  # fails on a misspelt type
        missing = [p for p in [*inspect.signature(fn).parameters, "return"] if p not in hints]
        assert not missing, f"{fn.__name__}: annotate {', '.join(missing)}"


@pytest.mark.parametrize("name", PLUGIN_SPEC_MODULES)
def test_plugin_hookspecs_documented(name):
    module = importlib.import_module(f"plugins.{name}.hookspecs")
    docs = (ROOT / "docs" / "plugins" / f"{name}.md").read_text()
    for fn in specs_of(module):
        doc = inspect.getdoc(fn) or ""
        assert "Called" in doc and "Return" in doc, f"{fn.__name__}: say when it is called and what it returns"
        signature = signature_text(fn)
        assert f"`{signature}`" in docs or f"### {signature}" in docs, \
            f"document {signature} in docs/plugins/{name}.md"


def test_core_hookspec_signatures_documented():
    docs = (ROOT / "docs" / "plugins.md").read_text()
    for name in SPECS:
        signature = signature_text(getattr(hookspecs, name))
        assert f"`{signature}`" in docs, f"docs/plugins.md shows {name} with other arguments than {signature}"


def test_deprecated_hook_warns_its_implementers():
    from core import HookDeprecationWarning, hookimpl, hookspec
    from core.plugins import MutuoPluginManager

    class Specs:
        @hookspec(warn_on_impl=HookDeprecationWarning("mutuo_old is deprecated; implement mutuo_new instead"))
        def mutuo_old(self) -> None:
            """Called never. Returns nothing."""

    class Implementer:
        @hookimpl
        def mutuo_old(self):
            pass

    pm = MutuoPluginManager()
    pm.add_hookspecs(Specs)
    with pytest.warns(HookDeprecationWarning, match="mutuo_old is deprecated; implement mutuo_new"):
        pm.register(Implementer(), name="old_fashioned")
