"""Shared test settings; core.testing is loaded as the ``mutuo`` pytest plugin (pytest11)."""
import pytest


@pytest.fixture
def mutuo_plugins():
    """Core's tests run with the sample plugin, installed like a third-party package."""
    return ("sample",)
