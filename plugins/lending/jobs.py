"""Lending's scheduled jobs: thin wrappers over the services.

Close of business is a chunked job (docs/jobs.md "Chunked jobs"): the run
claims the dates and plans id ranges of loans, each range is closed in a
transaction of its own on any worker, and the last one records the totals.
"""
from __future__ import annotations

from plugins.lending.i18n import _, _n, text
from plugins.lending.services import applications, cob

COB_CHUNK = 5000  # loans per chunk (mutuo.jobs.chunk_size.lending.close_of_business)


def close_of_business(request):
    """Plan the close of every business date not yet closed, up to yesterday in the company's time zone."""
    from core.jobs import FanOut, chunk_size

    size = chunk_size(request.registry.settings, "lending.close_of_business", COB_CHUNK)
    chunks = cob.plan_close(request.dbsession, size)
    if not chunks:
        return cob.CloseResult().summary
    return FanOut(chunks)


def close_of_business_chunk(request, args: dict) -> dict:
    return cob.close_chunk(request.dbsession, args)


def close_of_business_finish(request, chunks) -> str:
    return cob.finish_close(request.dbsession, [chunk.result for chunk in chunks]).summary


def expire_listings(request) -> str:
    """Expire listings whose funding window passed; their reservations are released."""
    count = applications.expire_listings(request.dbsession)
    if not count:
        return text(_("no listing past its funding window"))
    return _n("${n} listing expired", "${n} listings expired", count)
