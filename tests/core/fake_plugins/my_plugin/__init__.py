"""A plugin whose name has an underscore (its tables are ``my_plugin_<entity>``)."""
from core import PluginInfo

PLUGIN = PluginInfo(name="my_plugin", title="My plugin", version="1")
