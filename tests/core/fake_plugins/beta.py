from core import PluginInfo

PLUGIN = PluginInfo(name="beta", title="Beta", version="1", depends=("alpha",))
