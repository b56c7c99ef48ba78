"""Mutuo core: the WSGI app factory and the names plugins import."""
import warnings

# pyramid, deform and pyramid_chameleon still import pkg_resources (setuptools<81 is pinned).
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

from core.plugins import HookDeprecationWarning, PluginInfo, hookimpl, hookspec  # noqa: E402,F401


def main(global_config, **settings):
    """Build the WSGI application (paste ``main = core:main``)."""
    from core.web.app import make_app

    return make_app(settings)
