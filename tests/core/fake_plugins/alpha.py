from core import PluginInfo

PLUGIN = PluginInfo(name="alpha", title="Alpha", version="1", depends=("beta",))
