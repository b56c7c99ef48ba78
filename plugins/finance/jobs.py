"""Finance's scheduled jobs: thin wrappers over the services (one transaction per run)."""
from __future__ import annotations


def investor_statements(request) -> str:
    """After a close: store the closed month's statement of every investor, once per month."""
    from sqlalchemy import select

    from core.models.document import Document
    from plugins.finance.services import journal, statements
    from plugins.finance.services.periods import month_start

    session = request.dbsession
    locked = journal.lock_date(session)
    if locked is None:
        return "no month closed yet"
    month = month_start(locked)
    title = f"Statement {month:%Y-%m}"
    if session.scalar(select(Document.id).where(Document.title == title).limit(1)) is not None:
        return f"{title}: already stored"
    count = statements.store_month(session, request.registry.settings["mutuo.documents.path"], month)
    return f"{title}: {count} investor statements stored"


def auto_match(request) -> str:
    from plugins.finance.services import bank

    matched = bank.auto_match(request.dbsession)
    posted, refused = bank.post_bank_repayments(request.dbsession)
    return f"{matched} lines matched, {posted} repayments posted from the bank, {len(refused)} refused"

