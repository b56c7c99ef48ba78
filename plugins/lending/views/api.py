"""The first JSON API's addresses (``/lending/api/…``), kept as permanent redirects.

Every one answers ``308 Permanent Redirect`` to the same resource under ``/api/v1/lending``
(:mod:`plugins.lending.api`, the convention of docs/api.md); a 308 keeps the method and body, so
a client posting a repayment to the old address lands on the new operation. Lists there page with
``limit``/``cursor`` instead of ``page``/``per_page``, and refusals are problem documents.
"""
from __future__ import annotations

from pyramid.httpexceptions import HTTPPermanentRedirect

from core.api import API_PREFIX

OLD = {  # route name -> (path under /api/v1/lending, permission of the old view)
    "lending.api_loans": ("/loans", "lending.loan.view"),
    "lending.api_loan": ("/loans/{id}", "lending.loan.view"),
    "lending.api_loan_repayments": ("/loans/{id}/repayments", "lending.repayment.view"),
    "lending.api_repayments": ("/repayments", "lending.repayment.view"),
    "lending.api_repayment": ("/repayments/{id}", "lending.repayment.view"),
}


def redirect(request):
    path, _perm = OLD[request.matched_route.name]
    target = request.application_url + API_PREFIX + "/lending" + path.format(**request.matchdict)
    if request.query_string:
        target += "?" + request.query_string
    return HTTPPermanentRedirect(location=target)


def add_redirects(config) -> None:
    for route, (_path, permission) in OLD.items():
        config.add_view(redirect, route_name=route, request_method="GET", permission=permission)
    config.add_view(redirect, route_name="lending.api_loan_repayments", request_method="POST",
                    permission="lending.repayment.post")


__all__ = ["add_redirects"]
