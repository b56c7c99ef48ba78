from core import PluginInfo

PLUGIN = PluginInfo(name="needy", title="Needy", version="1", depends=("nowhere",))
