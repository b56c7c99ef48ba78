from core import PluginInfo

PLUGIN = PluginInfo(name="gamma", title="Gamma", version="1", depends=("zeta",))
