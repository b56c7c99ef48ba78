"""Every core hookspec is documented in docs/plugins.md and exercised by a test."""
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("mutuo_"))
# What "tested" means for each hook: the name of a test that exercises it.
TESTED_BY = {
    "mutuo_addhooks": "test_plugin_hookspecs_are_added_and_called",
    "mutuo_models": "test_disabled_plugin_leaves_no_trace",
    "mutuo_migrations": "test_enabling_a_plugin_later_adds_only_its_tables",
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
