"""A plugin whose implementations take fewer arguments than the specs (pluggy allows it)."""
from core import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="terse", title="Terse", version="1")

CALLS: list[str] = []


@hookimpl
def mutuo_configure():
    CALLS.append("configure")


@hookimpl
def mutuo_demo_data(scale):
    CALLS.append(f"demo {scale}")
    return f"{scale} terse things"


@hookimpl
def mutuo_menu():
    CALLS.append("menu")
    return []
