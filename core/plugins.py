"""Plugin discovery, manifest check, dependency order and the PluginManager.

A plugin is a package exposing ``PLUGIN = PluginInfo(...)`` and hook
implementations marked with :data:`core.hookimpl`. Packages advertise
themselves in the ``mutuo.plugins`` entry-point group; the setting
``mutuo.plugins`` lists the ones a company enables. Only enabled plugins
are registered; the package of a disabled plugin that still has tables is
imported just to ask for its migration folder (see core/migrate.py).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy

PROJECT = "mutuo"
ENTRY_POINT_GROUP = "mutuo.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginError(Exception):
    """A plugin configuration problem; the message is one sentence with the fix."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    title: str
    version: str
    depends: tuple[str, ...] = ()
    description: str = ""


@dataclass
class LoadedPlugin:
    info: PluginInfo
    module: object
    extra: dict = field(default_factory=dict)


def available_plugins(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Map plugin name -> import path, from entry points (plus ``extra`` for tests)."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    found.update(extra or {})
    return dict(sorted(found.items()))


def enabled_names(settings: dict) -> list[str]:
    raw = settings.get("mutuo.plugins", "") or ""
    if isinstance(raw, (list, tuple)):
        return list(raw)
    return raw.replace(",", " ").split()


def load_plugin(name: str, import_path: str) -> LoadedPlugin:
    try:
        module = importlib.import_module(import_path)
    except ImportError as exc:
        raise PluginError(
            f"Plugin '{name}' cannot be imported from '{import_path}' ({exc}); "
            f"reinstall the package that provides it or remove it from mutuo.plugins."
        ) from exc
    info = getattr(module, "PLUGIN", None)
    if not isinstance(info, PluginInfo) or info.name != name:
        raise PluginError(
            f"Plugin '{name}' ({import_path}) has no PLUGIN = PluginInfo(name='{name}', ...) "
            f"manifest; add one to its package."
        )
    return LoadedPlugin(info=info, module=module)


def resolve_order(wanted: list[str], available: dict[str, str]) -> list[LoadedPlugin]:
    """Load the wanted plugins and return them dependencies first, ties by name."""
    for name in wanted:
        if name not in available:
            known = ", ".join(available) or "none installed"
            raise PluginError(
                f"Unknown plugin '{name}' in mutuo.plugins (available: {known}); "
                f"fix the name or install the package that provides it."
            )
    loaded = {name: load_plugin(name, available[name]) for name in sorted(set(wanted))}
    for name, plugin in loaded.items():
        for dep in plugin.info.depends:
            if dep not in loaded:
                raise PluginError(
                    f"Plugin '{name}' depends on '{dep}', which is not enabled; "
                    f"add '{dep}' to mutuo.plugins or remove '{name}'."
                )
    return [loaded[n] for n in _topological(loaded)]


def _topological(loaded: dict[str, LoadedPlugin]) -> list[str]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = " -> ".join(path[path.index(name):] + [name])
            raise PluginError(
                f"Plugins depend on each other in a cycle ({cycle}); "
                f"remove one of these dependencies."
            )
        state[name] = "visiting"
        for dep in sorted(loaded[name].info.depends):
            visit(dep, path + [name])
        state[name] = "done"
        order.append(name)

    for name in sorted(loaded):
        visit(name, [])
    return order


class MutuoPluginManager(pluggy.PluginManager):
    """pluggy's manager plus the ordered manifests of the enabled plugins."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.enabled: list[LoadedPlugin] = []

    @property
    def enabled_names(self) -> list[str]:
        return [p.info.name for p in self.enabled]

    def info(self, name: str) -> PluginInfo:
        for plugin in self.enabled:
            if plugin.info.name == name:
                return plugin.info
        raise KeyError(name)

    def call(self, hook_name: str, **kwargs) -> list:
        """Call a hook and return its results in plugin dependency order."""
        return getattr(self.hook, hook_name)(**kwargs)[::-1]

    def call_per_plugin(self, hook_name: str, **kwargs) -> list[tuple[str, object]]:
        """Call a hook on core and each enabled plugin separately, in order: [(owner, result)]."""
        impls = {impl.plugin_name: impl.function for impl in getattr(self.hook, hook_name).get_hookimpls()}
        results = []
        for owner in ["core", *self.enabled_names]:
            if owner in impls:
                result = impls[owner](**kwargs)
                if result is not None:
                    results.append((owner, result))
        return results


def get_plugin_manager(settings: dict, extra_available: dict[str, str] | None = None) -> MutuoPluginManager:
    """Build the manager for ``settings``: core hooks plus the enabled plugins, in order."""
    from core import hookspecs, hooks as core_hooks

    pm = MutuoPluginManager()
    pm.add_hookspecs(hookspecs)
    pm.register(core_hooks, name="core")
    available = available_plugins(extra_available)
    pm.enabled = resolve_order(enabled_names(settings), available)
    for plugin in pm.enabled:
        pm.register(plugin.module, name=plugin.info.name)
    # Plugins add their own hookspecs here; pluggy validates earlier impls then.
    pm.hook.mutuo_addhooks(pluginmanager=pm)
    pm.check_pending()
    return pm
