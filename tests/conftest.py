"""Shared test settings: core.testing is loaded as the ``mutuo`` pytest plugin."""
import os

os.environ.setdefault("MUTUO_TEST_OUTPUT", os.path.join(os.path.dirname(__file__), "..", "test-output"))
