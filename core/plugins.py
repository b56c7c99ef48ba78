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
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from core.errors import PluginError  # noqa: F401  (its old home; plugins import it from here)
from core.hookspecs import PROJECT, hookimpl, hookspec  # noqa: F401  (plugins import the markers from here)

ENTRY_POINT_GROUP = "mutuo.plugins"
TRACE_SETTING = "mutuo.trace_hooks"

hook_log = logging.getLogger("mutuo.hooks")


class HookDeprecationWarning(DeprecationWarning):
    """Warned, at registration, to a plugin implementing a hook marked for removal.

    Mark the spec ``@hookspec(warn_on_impl=HookDeprecationWarning("<hook> is
    deprecated; implement <other> instead"))``; pluggy points the warning at
    the implementing function.
    """


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
    except ModuleNotFoundError as exc:
        if exc.name and (import_path == exc.name or import_path.startswith(exc.name + ".")):
            raise PluginError(
                f"Plugin '{name}' is registered as '{import_path}', which is not installed any more; "
                f"reinstall the package that provides it or remove '{name}' from mutuo.plugins."
            ) from exc
        raise PluginError(_import_failure(name, exc)) from exc
    except Exception as exc:  # any error raised while the plugin's module runs
        raise PluginError(_import_failure(name, exc)) from exc
    info = getattr(module, "PLUGIN", None)
    if not isinstance(info, PluginInfo) or info.name != name:
        raise PluginError(
            f"Plugin '{name}' ({import_path}) has no PLUGIN = PluginInfo(name='{name}', ...) "
            f"manifest; add one to its package."
        )
    return LoadedPlugin(info=info, module=module)


def _import_failure(name: str, exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return f"Plugin '{name}' failed to import: {detail}; fix the plugin or remove '{name}' from mutuo.plugins."


# -- conventions: what a plugin need not declare ----------------------------------------

# package -> plugin name, for every plugin enabled in this process (plus core). Which
# plugin a package belongs to never changes, so the map only grows.
_PLUGIN_PACKAGES: dict[str, str] = {"core": "core"}


def plugin_of_module(module_name: str) -> str | None:
    """The plugin (or ``"core"``) whose package holds ``module_name``, None when unknown."""
    best = None
    for package, plugin in _PLUGIN_PACKAGES.items():
        inside = module_name == package or module_name.startswith(package + ".")
        if inside and (best is None or len(package) > len(best[0])):
            best = (package, plugin)
    return best[1] if best else None


def _remember_package(plugin: LoadedPlugin) -> None:
    found = _package_of(plugin.module)
    _PLUGIN_PACKAGES.setdefault(found[0] if found else getattr(plugin.module, "__name__", ""), plugin.info.name)


def _package_of(module) -> tuple[str, Path] | None:
    """The plugin's own package and its folder: the module itself when it is a package,
    its parent when the entry point names ``<package>.plugin``; None for a lone module."""
    filename = getattr(module, "__file__", None)
    if not filename:
        return None
    if hasattr(module, "__path__"):
        return module.__name__, Path(filename).resolve().parent
    parent, _, leaf = module.__name__.rpartition(".")
    if parent and leaf == "plugin":
        return parent, Path(filename).resolve().parent
    return None


def conventional_models(module) -> list[str]:
    """``[<package>.models]`` when the plugin's package has a ``models`` module or package, else ``[]``."""
    found = _package_of(module)
    if found is None:
        return []
    name = f"{found[0]}.models"
    return [name] if importlib.util.find_spec(name) is not None else []


def conventional_migrations(module) -> str | None:
    """The plugin package's ``migrations/versions`` folder when it exists, else None."""
    found = _package_of(module)
    if found is None:
        return None
    versions = found[1] / "migrations" / "versions"
    return str(versions) if versions.is_dir() else None


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
            if dep not in available:
                raise PluginError(
                    f"Plugin '{name}' depends on '{dep}', which is not installed: install the package that "
                    f"provides it (pip install <that package>) and add '{dep}' to mutuo.plugins, "
                    f"or remove '{name}'."
                )
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
        return self._loaded(name).info

    def module(self, name: str):
        """The module registered for enabled plugin ``name`` (its entry point)."""
        return self._loaded(name).module

    def _loaded(self, name: str) -> LoadedPlugin:
        for plugin in self.enabled:
            if plugin.info.name == name:
                return plugin
        raise KeyError(name)

    def call(self, hook_name: str, **kwargs) -> list:
        """Call a hook and return its results in plugin dependency order."""
        return getattr(self.hook, hook_name)(**kwargs)[::-1]

    def implementers(self, hook_name: str) -> list[str]:
        """Core and the enabled plugins that implement ``hook_name``, core first, then dependency order."""
        have = {impl.plugin_name for impl in getattr(self.hook, hook_name).get_hookimpls()}
        return [owner for owner in ["core", *self.enabled_names] if owner in have]

    def call_plugin(self, owner: str, hook_name: str, **kwargs):
        """Call one plugin's implementation of a hook through pluggy; return its result or None.

        The call goes through pluggy like ``pm.hook.<name>(...)``: an
        implementation gets only the arguments it names (it may take fewer
        than the spec), and hook-call monitoring (``mutuo.trace_hooks``) sees it.
        """
        others = [plugin for name, plugin in self.list_name_plugin() if name != owner and plugin is not None]
        caller = self.subset_hook_caller(hook_name, remove_plugins=others)
        result = caller(**kwargs)
        if caller.spec is not None and caller.spec.opts.get("firstresult"):
            return result
        return result[0] if result else None

    def call_per_plugin(self, hook_name: str, **kwargs) -> list[tuple[str, object]]:
        """Call a hook on core and each enabled plugin separately, in order: [(owner, result)].

        Used where core must know which plugin returned what (duplicate ids
        named with their plugin, one route prefix per plugin, one transaction
        per plugin's demo data). ``None`` results are left out.
        """
        results = []
        for owner in self.implementers(hook_name):
            result = self.call_plugin(owner, hook_name, **kwargs)
            if result is not None:
                results.append((owner, result))
        return results


def trace_hook_calls(pm: pluggy.PluginManager):
    """Log every hook call to ``mutuo.hooks``: hook, implementing plugins, duration, failure.

    Turned on by the setting ``mutuo.trace_hooks = true``. Calls made one
    plugin at a time (:meth:`MutuoPluginManager.call_plugin`) name that plugin;
    a plain ``pm.hook.<name>(...)`` call names every plugin it reached, in
    registration order, with their total time. Returns pluggy's undo function.
    """
    started = threading.local()  # a stack per thread: hook calls nest (an event fired inside a hook)

    def before(hook_name, hook_impls, kwargs) -> None:
        if not hasattr(started, "stack"):
            started.stack = []
        started.stack.append(time.perf_counter())

    def after(outcome, hook_name, hook_impls, kwargs) -> None:
        elapsed_ms = (time.perf_counter() - started.stack.pop()) * 1000
        plugins = ", ".join(impl.plugin_name for impl in hook_impls) or "no implementation"
        error = outcome.exception
        if error is None:
            hook_log.info("hook %s [%s] %.2f ms", hook_name, plugins, elapsed_ms)
        else:
            hook_log.info("hook %s [%s] %.2f ms, raised %s: %s", hook_name, plugins, elapsed_ms,
                          type(error).__name__, error)

    return pm.add_hookcall_monitoring(before, after)


def get_plugin_manager(settings: dict, extra_available: dict[str, str] | None = None) -> MutuoPluginManager:
    """Build the manager for ``settings``: core hooks plus the enabled plugins, in order."""
    from core import hooks as core_hooks
    from core import hookspecs
    from core.config import as_bool

    pm = MutuoPluginManager()
    if as_bool(settings.get(TRACE_SETTING, "false")):
        trace_hook_calls(pm)
    pm.add_hookspecs(hookspecs)
    pm.register(core_hooks, name="core")
    available = available_plugins(extra_available)
    pm.enabled = resolve_order(enabled_names(settings), available)
    for plugin in pm.enabled:
        pm.register(plugin.module, name=plugin.info.name)
        _remember_package(plugin)
    # Plugins add their own hookspecs here; pluggy validates earlier impls then.
    pm.hook.mutuo_addhooks(pluginmanager=pm)
    pm.check_pending()
    return pm
