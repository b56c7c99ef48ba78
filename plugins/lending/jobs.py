"""Lending's scheduled jobs: thin wrappers over the services (one transaction per run)."""
from __future__ import annotations

from plugins.lending.i18n import _, _n, text
from plugins.lending.services import applications, cob


def close_of_business(request) -> str:
    """Close every business date not yet closed, up to yesterday in the company's time zone."""
    return cob.close_of_business(request.dbsession).summary


def expire_listings(request) -> str:
    """Expire listings whose funding window passed; their reservations are released."""
    count = applications.expire_listings(request.dbsession)
    if not count:
        return text(_("no listing past its funding window"))
    return _n("${n} listing expired", "${n} listings expired", count)
