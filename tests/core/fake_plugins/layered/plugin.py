"""A plugin whose entry point names ``<package>.plugin`` rather than the package."""
from core import PluginInfo

PLUGIN = PluginInfo(name="layered", title="Layered", version="1")
