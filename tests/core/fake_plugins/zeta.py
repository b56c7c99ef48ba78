from core import PluginInfo

PLUGIN = PluginInfo(name="zeta", title="Zeta", version="1")
