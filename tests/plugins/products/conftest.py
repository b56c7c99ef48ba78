"""The products plugin's tests run with products alone enabled."""
import pytest


@pytest.fixture
def mutuo_plugins():
    return ("products",)
