"""A plugin package that follows the layout convention but overrides both hooks."""
from pathlib import Path

from core import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="custom", title="Custom", version="1")


@hookimpl
def mutuo_models():
    return ["tests.core.fake_plugins.custom.tables"]


@hookimpl
def mutuo_migrations():
    return str(Path(__file__).parent / "elsewhere")
