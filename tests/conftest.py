"""Shared test settings; core.testing is loaded as the ``mutuo`` pytest plugin (pytest11)."""
import pytest


@pytest.fixture
def mutuo_plugins():
    """Core's tests run with the sample plugin, installed like a third-party package."""
    return ("sample",)


@pytest.fixture(autouse=True)
def _process_locale_per_test():
    """The process's language (core.i18n.use_locale) is set by the first app built and by every CLI
    invocation (``--locale es``): a test must not leave it to the next one."""
    from core import i18n

    saved = dict(i18n._process_locale)
    yield
    i18n._process_locale.clear()
    i18n._process_locale.update(saved)
