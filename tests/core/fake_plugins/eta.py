from core import PluginInfo

PLUGIN = PluginInfo(name="eta", title="Eta", version="1", depends=("zeta",))
