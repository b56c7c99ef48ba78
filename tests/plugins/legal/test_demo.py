"""The demo: loans get their agreements, late loans their matters, the daily job its renewals and reminders."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select


def _load(mutuo_db, scale=1):
    from plugins.collections.demo import load as collections_demo
    from plugins.legal.demo import load as legal_demo
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo

    return [mutuo_db.transaction(lambda s, f=loader: f(s, scale), actor="cli:demo load")
            for loader in (products_demo, lending_demo, collections_demo, legal_demo)]


def test_the_demo_tells_legal_s_story(mutuo_db):
    from plugins.legal.models import Contract, Matter, MatterEvent, Reminder, SealUse
    from plugins.lending.models import Loan

    summaries = _load(mutuo_db)

    assert "contracts" in summaries[3]

    def check(s):
        loans = s.scalar(select(func.count(Loan.id)))
        agreements = s.scalars(select(Contract).where(Contract.contract_type == "loan_agreement")).all()
        # every demo loan disbursed after legal set up its template has its agreement, approved and signed
        assert loans and len(agreements) == loans
        assert {c.status for c in agreements} == {"active"}
        assert all(len(c.signatures) == len(c.parties.splitlines()) for c in agreements)
        lease = s.scalars(select(Contract).where(Contract.title.like("Office lease%"))).one()
        hosting = s.scalars(select(Contract).where(Contract.title == "Cloud hosting")).one()
        assert lease.renewals >= 1 and hosting.renewals >= 3  # 10 months at scale 1: yearly and quarterly renewals
        assert lease.notice_deadline == lease.end_date - timedelta(days=60)
        reminders = s.scalars(select(Reminder).where(Reminder.entity_type == "legal.contract",
                                                     Reminder.entity_id == hosting.id)).all()
        # each quarter's notice deadline (30 days before the then-current end) got its 30-, 7- and 1-day reminders
        notice = sorted({r.deadline for r in reminders if r.kind == "notice_deadline"})
        assert len(notice) >= 4 and all(r.sent_on == r.deadline - timedelta(days=r.days_before) for r in reminders)
        ends = [r.deadline for r in reminders if r.kind == "end_date"]
        assert all(d - timedelta(days=30) in notice for d in ends)  # the notice deadline moved with every renewal
        late = s.scalars(select(Loan).where(Loan.days_past_due >= 130, Loan.status == "active")).all()
        sued = set(s.scalars(select(Matter.loan_id)))
        assert all(loan.id in sued for loan in late)
        from plugins.collections.models import Case

        escalated = set(s.scalars(select(Case.loan_id).where(Case.escalated_at.is_not(None))))
        assert escalated and escalated <= sued  # collections' supervisor escalated them; legal's hook opened the suit
        assert s.scalar(select(func.count(MatterEvent.id)).where(MatterEvent.kind == "hearing")) >= 1
        assert s.scalar(select(func.count(SealUse.id))) >= 20
        assert s.scalar(select(func.count(SealUse.id)).where(SealUse.returned_on > SealUse.return_due)) >= 1

    mutuo_db.transaction(check)
