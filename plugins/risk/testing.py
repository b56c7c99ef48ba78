"""Test builders for risk (a public module, like lending's): applications go through the risk review.

``RiskWorld`` is lending's :class:`plugins.lending.testing.World` whose
``listed`` submits the application, lets risk review it and approves it as
an analyst would (instead of lending's manual approval, which risk's review
replaces). ``as_user`` runs a block as a given user, for maker-checker.
"""
from __future__ import annotations

from contextlib import contextmanager

from core.audit import Actor, current_actor, set_actor
from plugins.lending.testing import World


@contextmanager
def as_user(session, user):
    before = current_actor(session)
    set_actor(session, Actor(user.id if user is not None else None, user.username if user is not None else "test"))
    try:
        yield
    finally:
        set_actor(session, before)


def make_user(session, username: str, roles=("risk_analyst",)):
    from core.accounts import create_user

    return create_user(session, username, "correct-horse-battery", roles=list(roles))


def approve_review(session, application, level="low", **kw):
    from plugins.risk.services import reviews

    review = reviews.review_of(session, application.id)
    return reviews.decide(session, review, recommendation="approve", level=level, **kw)


class RiskWorld(World):
    def customer(self, role="borrower", verified=True, name=None, **fields):
        """Lending's customer, with a chosen ``name`` when given (screening tests need real names)."""
        from plugins.lending import services

        if name is None:
            return super().customer(role=role, verified=verified, **fields)
        n = self._next()
        customer = services.create_customer(self.session, role=role, kind="person", name=name,
                                            id_number=fields.pop("id_number", f"ID{n:06d}"),
                                            region=fields.pop("region", "North"),
                                            industry=fields.pop("industry", "Retail"), **fields)
        if verified:
            self.document(customer)
            services.set_kyc(self.session, customer, "verified")
        return customer

    def submitted(self, **kw):
        from plugins.lending import services

        application = self.application(**kw)
        services.submit(self.session, application)
        return application

    def listed(self, listed_on=None, **kw):
        from plugins.lending import services

        application = self.submitted(**kw)
        approve_review(self.session, application)
        services.list_for_funding(self.session, application, listed_on)
        return application
