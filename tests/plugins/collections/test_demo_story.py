"""The demo tells a consistent story: every date in order, nothing after the business date, months of history.

One load of the whole demo (products, lending, collections) at scale 1 — a small
book of the default story's shape — then every invariant is read back from the
tables and the audit log.
"""
import json
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from core.models.audit import AuditEntry

ORDER = ("draft", "submitted", "approved", "listed", "funded", "disbursed")


def _load(mutuo_db, scale=1):
    from plugins.collections.demo import load as collections_demo
    from plugins.lending.demo import load as lending_demo
    from plugins.products.demo import load as products_demo

    return [mutuo_db.transaction(lambda s, f=loader: f(s, scale), actor="cli:demo load")
            for loader in (products_demo, lending_demo, collections_demo)]


def _status_changes(session, after: int) -> dict[int, list[tuple]]:
    """Application id -> [(at, new status)] from the audit log (entries after id ``after``), in log order."""
    changes = defaultdict(list)
    for entity_id, at, action, text in session.execute(
            select(AuditEntry.entity_id, AuditEntry.at, AuditEntry.action, AuditEntry.changes)
            .where(AuditEntry.entity_type == "lending.application", AuditEntry.id > after)
            .order_by(AuditEntry.id)):
        values = json.loads(text)
        if action == "create":
            changes[int(entity_id)].append((at, "draft"))
        elif "status" in values:
            changes[int(entity_id)].append((at, values["status"][1]))
    return changes


def test_the_demo_replays_a_consistent_history(mutuo_db):
    from core import context
    from plugins.collections.models import BucketChange, Case, Contact, Promise, Recovery, Target
    from plugins.lending.models import Application, BusinessDate, Installment, Loan, Repayment

    # The audit log outlives the other tests' data (append-only): read only what the demo wrote.
    before = mutuo_db.transaction(lambda s: s.scalar(select(func.max(AuditEntry.id)))) or 0
    summaries = _load(mutuo_db)
    assert "collectors with stage queues" in summaries[2] and "business dates closed" in summaries[1]

    def check(session):
        today = context.today(session)
        applications = {a.id: a for a in session.scalars(select(Application))}
        loans = {loan.application_id: loan for loan in session.scalars(select(Loan))}
        changes = _status_changes(session, before)

        # Every application's status changes are in order, on non-decreasing dates, none after today.
        for app_id, application in applications.items():
            steps = changes[app_id]
            statuses = [s for _at, s in steps]
            assert statuses[0] == "draft", (app_id, statuses)
            path = [s for s in statuses if s in ORDER]
            assert path == list(ORDER[:len(path)]), (app_id, statuses)
            stamps = [at for at, _s in steps]
            assert stamps == sorted(stamps) and stamps[-1].date() <= today, (app_id, stamps)
            assert application.created_at <= (application.submitted_at or application.created_at)
            if application.decided_at:
                assert application.submitted_at <= application.decided_at
            if application.listed_on:
                assert application.decided_at.date() <= application.listed_on <= today
            if application.funded_at:
                assert application.listed_on <= application.funded_at.date() <= application.funding_deadline
            loan = loans.get(app_id)
            if loan is not None:
                assert application.funded_at.date() <= loan.disbursed_on <= today
                assert loan.created_at.date() == loan.disbursed_on  # stamped on the replayed day
                disbursed = [at for at, s in steps if s == "disbursed"]
                assert disbursed and disbursed[0].date() == loan.disbursed_on

        # No recorded date after the business date; repayments never before disbursement.
        for column in (Loan.disbursed_on, Loan.closed_on, Repayment.paid_on, Installment.paid_on,
                       Contact.contacted_on, Case.opened_on, Case.closed_on, Promise.made_on, Promise.resolved_on,
                       Recovery.paid_on, BucketChange.changed_on):
            assert session.scalar(select(func.max(column))) <= today, column
        assert session.scalar(select(func.max(BusinessDate.business_date))) < today
        assert session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.id > before)).date() <= today
        assert session.scalar(select(func.count()).select_from(Repayment).join(Loan).where(
            Repayment.paid_on < Loan.disbursed_on)) == 0

        # The loan book has months of history and real delinquency: late, cured, rolled, written off.
        disbursed = sorted(loan.disbursed_on for loan in loans.values())
        assert (disbursed[-1] - disbursed[0]).days > 150
        assert len({(d.year, d.month) for d in disbursed}) >= 5
        moves = session.execute(select(BucketChange.loan_id, BucketChange.old_bucket, BucketChange.new_bucket)).all()
        assert any(new != "current" for _l, _o, new in moves), "nobody was ever late"
        assert any(old != "current" and new == "current" for _l, old, new in moves), "nobody cured"
        assert any(new in ("31-60", "61-90", "91+") for _l, _o, new in moves), "nobody rolled past 30 days"
        assert session.scalar(select(func.count()).select_from(Loan).where(Loan.status == "written_off")) >= 1
        on_time = session.scalar(select(func.count(func.distinct(Repayment.loan_id))))
        assert on_time > len(loans) / 2

        # Collections worked over months: cases, contacts, promises kept and broken, targets, recoveries.
        def months(column):
            return {(d.year, d.month) for d in session.scalars(select(column).distinct()) if d}

        assert len(months(Case.opened_on)) >= 3 and len(months(Contact.contacted_on)) >= 3
        promised = dict(session.execute(select(Promise.status, func.count()).group_by(Promise.status)).all())
        assert promised.get("kept", 0) >= 1 and promised.get("broken", 0) >= 1, promised
        assert session.scalar(select(func.count()).select_from(Target)) >= 3
        assert len(months(Recovery.paid_on)) >= 2
        assert session.scalar(select(func.count()).select_from(Case).where(Case.status == "written_off")) >= 1
        return date.today()

    mutuo_db.transaction(check)
