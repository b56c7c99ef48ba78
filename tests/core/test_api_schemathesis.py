"""Schemathesis against the live OpenAPI document, in-process (WSGI): no 5xx, every answer as documented.

Bounded (core.testing.assert_api_conforms: a dozen examples per operation, derandomized) so
``make test`` stays fast; set ``MUTUO_SCHEMATHESIS_EXAMPLES`` for a longer hunt. Runs with the
sample plugin (core's operations and a third party's); the plugins' suites run it with theirs.
"""
from core.testing import assert_api_conforms


def test_api_conforms_to_its_document(mutuo_db, api_key_for):
    """Every operation of the document, with an admin's key holding all it may grant."""
    headers = api_key_for(roles=("admin",), everything=True)
    assert assert_api_conforms(mutuo_db.app, headers) > 20
