"""The shell's search box: ``/search?q=`` asks every enabled plugin (hook ``mutuo_search``).

The page groups the answers by kind; ``format=json`` gives the same groups to the dropdown
that opens as one types (``core/web/static/search.js``). A query naming exactly one record in
full (a loan number, an ID number) opens that record.
"""
from __future__ import annotations

import json

from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from pyramid.view import view_config

from core.i18n import _, translate
from core.search import MAX_QUERY, Group, Hit
from core.web.parsing import InputError, parse_text

#: Shorter queries are not sent to the plugins (everything matches one letter).
MIN_QUERY = 2


def _query(request) -> str:
    try:
        return parse_text(request.params.get("q") or "", "q", max_length=MAX_QUERY).strip()
    except InputError:
        return ""


def ask_plugins(request, query: str) -> list[Group]:
    """Every enabled plugin's groups for ``query``, by their ``order`` then title; none below MIN_QUERY."""
    if len(query) < MIN_QUERY:
        return []
    answers = request.registry["mutuo.pm"].call("mutuo_search", request=request, query=query)
    groups = [g for answer in answers for g in (answer or [])]
    return sorted(groups, key=lambda g: (g.order, translate(g.title)))


def _hit_json(hit: Hit) -> dict:
    return {"label": translate(hit.label), "detail": translate(hit.detail), "url": hit.url}


@view_config(route_name="search", renderer="core:web/templates/search.pt", permission="core.dashboard.view")
def search(request):
    query = _query(request)
    groups = ask_plugins(request, query)
    jumps = [g.jump for g in groups if g.jump]
    if request.params.get("format") == "json":
        body = {"query": query, "jump": jumps[0] if len(jumps) == 1 else None,
                "groups": [{"title": translate(g.title), "more": g.more, "results": [_hit_json(h) for h in g.hits]}
                           for g in groups if g.hits]}
        return Response(json.dumps(body), content_type="application/json", charset="utf-8")
    if len(jumps) == 1 and request.params.get("all") != "1":
        return HTTPFound(jumps[0])
    return {"title": _("Search"), "query": query, "groups": [g for g in groups if g.hits],
            "too_short": 0 < len(query) < MIN_QUERY, "min_query": MIN_QUERY}


def includeme(config):
    config.add_route("search", "/search")
    config.scan("core.web.search_views")
