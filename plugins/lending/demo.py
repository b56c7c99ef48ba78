"""Demo data: 18 months of a loan book, replayed day by day through the services.

The story (``scale`` 10, what `mutuo demo load` builds): about 60 investors
join in the first weeks and deposit; about 200 borrowers apply over the last
18 months, more each month as the platform grows. Every application is
created, submitted, approved, listed, funded (investments on several days)
and disbursed on its own dates, in that order; some are rejected,
cancelled or expire; the latest are still in draft, review or funding.
Borrowers then pay on their due dates — most on time; some miss one
installment and cure within weeks (early stage); some roll to 31-60 or
61-90 days and catch up (mid stage); a few stop paying, make a partial
payment late and are written off at 180 days past due; a few repay early.

How: the plan (dates and behaviours) is drawn first from a seeded generator,
so the demo is the same on every run; then every day from the start to today
is replayed with :func:`core.demo.replay_day` — the business date and the
timestamps of records and audit entries are that day's — in the order the
platform lives it: close of business for the day before (penalties, days past
due, buckets, their events), expired listings, then the other departments'
day (the hook ``lending_demo_day``: collections' jobs and collectors), then
the day's applications, investments, disbursements, repayments and
write-offs. Events fire as they would live, so collections opens, moves and
closes its cases on the replayed dates.

``scale`` 1 is a small book of the same shape (for tests); every unit adds
about 20 loans. Large loads (scale > 200) switch off the row-by-row audit for
this transaction (one ``demo_loaded`` event is recorded instead); a progress
bar shows on the terminal from scale 50.
"""
from __future__ import annotations

import io
import random
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal as D

from sqlalchemy import func, select

from core import context
from core.audit import record_event
from core.demo import replay_day, story_start
from core.errors import UserError
from core.money import ZERO, money
from plugins.lending import services
from plugins.lending.i18n import _, _n, text
from plugins.lending.models import Application, BusinessDate, Customer, Loan, Repayment
from plugins.lending.services.loans import owed
from plugins.products import services as products

REGIONS = ("North", "South", "East", "West", "Capital", "Coast")
INDUSTRIES = ("Retail", "Agriculture", "Construction", "Transport", "Services", "Manufacturing", "Hospitality")
FIRST = ("Ana", "Luis", "Marta", "Jorge", "Lucía", "Pablo", "Elena", "Diego", "Sara", "Tomás", "Inés", "Raúl")
LAST = ("García", "López", "Martín", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno", "Álvarez", "Romero")
PURPOSES = ("Working capital", "Home repairs", "Equipment", "Stock", "Car", "Studies")
OTHER_STATUSES = ("draft", "submitted", "approved", "rejected", "listed", "funded", "cancelled", "expired")
RECENT = ("draft", "submitted", "approved", "listed", "funded")  # still on their way today
REJECTIONS = ("Income does not cover the installment", "Incomplete documents", "Existing arrears elsewhere")
#: share of the loans per behaviour (the rest pay on time); each at least ``MINIMUM`` loans
BEHAVIOURS = (("default", D("0.05")), ("roll", D("0.07")), ("slip", D("0.14")), ("early", D("0.05")))
MINIMUM = {"default": 2, "roll": 2, "slip": 3, "early": 1}
WRITE_OFF_DAYS = 180
LEAD_DAYS = 21  # products and the first investors come first
AUDITED_UP_TO = 200
CHUNK = 50


@dataclass
class Plan:
    """One application's dates (and, for a loan, the borrower's behaviour)."""

    steps: list[tuple[date, str]]
    outcome: str  # disbursed, or the status it ends in
    behaviour: str = "good"
    missed: int = 0  # the installment number the borrower first misses (slip, roll, default)
    delay: int = 0  # days late the arrears are paid (slip, roll) or the partial payment comes (default)
    application_id: int | None = None
    loan_id: int | None = None
    funding_days: list[date] = field(default_factory=list)


class Story:
    def __init__(self, session, scale: int, seed: int = 7):
        self.session = session
        self.scale = scale
        self.rng = random.Random(seed)
        self.today = context.today(session)
        self.start = story_start(self.today, scale)
        self.n = 0
        self.versions: list[int] = []
        self.investors: list[int] = []
        self.document = None
        self.document_links = 0
        self.agenda: dict[date, list] = defaultdict(list)
        self.plans: list[Plan] = []
        self.references: dict[int, int] = defaultdict(int)
        #: application id -> funding deadline of the listed ones (expiry runs only when one has passed)
        self.deadlines: dict[int, date] = {}
        #: loan id -> the day its borrower will next pay arrears (read by other departments' demos)
        self.planned_payments: dict[int, date] = {}
        self.counts = {"loans": 0, "repayments": 0, "written_off": 0, "cured": 0}

    # -- what other departments may ask ----------------------------------------------------

    def next_payment(self, loan_id: int) -> date | None:
        """The day the borrower of an overdue loan will pay (some of) the arrears; None: not in this story."""
        return self.planned_payments.get(loan_id)

    # -- people --------------------------------------------------------------------------

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {self.rng.choice(LAST)}"

    def customer(self, role: str) -> Customer:
        self.n += 1
        kind = "company" if self.rng.random() < 0.15 else "person"
        name = f"{self.rng.choice(LAST)} {self.rng.choice(('S.L.', 'S.A.', 'Coop.'))}" if kind == "company" \
            else self._name()
        customer = services.create_customer(
            self.session, role=role, kind=kind, name=name, id_number=f"DEMO-{self.n:07d}",
            phone=f"+34 6{self.rng.randrange(10**7, 10**8)}", email=f"customer{self.n}@example.test",
            region=self.rng.choice(REGIONS), industry=self.rng.choice(INDUSTRIES))
        self._identity_document(customer)
        services.set_kyc(self.session, customer, "verified", "Demo: documents checked")
        return customer

    def _identity_document(self, customer: Customer) -> None:
        """A sample scan in the document store, each shared by up to 50 demo customers (fast at any scale)."""
        from core.documents import link_document, store_from_settings, upload
        from core.models.document import Document

        if self.document is None or self.document_links >= 50:
            store = store_from_settings(context.settings(self.session))
            version = upload(self.session, store, stream=io.BytesIO(b"Demo identity document (sample scan)\n"),
                             filename="demo-identity.txt", title="Identity document (demo sample)",
                             entity_type="lending.customer", entity_id=customer.id)
            self.document, self.document_links = version.document_id, 1
            return
        link_document(self.session, self.session.get(Document, self.document), "lending.customer", customer.id)
        self.document_links += 1

    def investor(self) -> None:
        investor = self.customer("investor" if self.rng.random() < 0.9 else "both")
        services.deposit(self.session, investor, D(self.rng.randrange(100, 600)) * 1000,
                         reference=f"DEMO-DEP-{investor.id}")
        self.investors.append(investor.id)

    # -- the plan ---------------------------------------------------------------------------

    def plan(self) -> None:
        rng, first = self.rng, self.start + timedelta(days=LEAD_DAYS)
        investors = 10 + 5 * self.scale
        for i in range(investors):  # a few on the first day, the rest over the first two months
            self.agenda[self.start if i < 8 else self.start + timedelta(days=rng.randrange(1, 60))].append(
                self.investor)
        span = (self.today - timedelta(days=2) - first).days
        loans = [self._loan_plan(first + timedelta(days=rng.randrange(0, 10) if i == 0 else
                                                   int(span * rng.random() ** 0.75))) for i in range(20 * self.scale)]
        self._behaviours(sorted(loans, key=lambda p: p.steps[-1][0]))
        others = [self._other_plan(OTHER_STATUSES[i % len(OTHER_STATUSES)], first)
                  for i in range(len(OTHER_STATUSES) + 2 * self.scale)]
        for plan in sorted(loans + others, key=lambda p: p.steps[0][0]):
            self.plans.append(plan)
            for day, step in plan.steps:
                self.agenda[day].append(lambda p=plan, s=step: self.step(p, s))

    def _loan_plan(self, disbursed: date) -> Plan:
        rng = self.rng
        funded = disbursed - timedelta(days=rng.choice((0, 1, 1, 2)))
        listed = funded - timedelta(days=rng.randrange(1, 9))
        approved = listed - timedelta(days=rng.choice((0, 0, 1)))
        submitted = approved - timedelta(days=rng.randrange(0, 4))
        created = submitted - timedelta(days=rng.randrange(0, 3))
        plan = Plan([(created, "create"), (submitted, "submit"), (approved, "approve"), (listed, "list")],
                    "disbursed")
        plan.funding_days = sorted({listed + timedelta(days=rng.randrange(0, (funded - listed).days + 1))
                                    for _i in range(rng.randrange(1, 4))} | {funded})
        plan.steps += [(day, "invest") for day in plan.funding_days] + [(disbursed, "disburse")]
        return plan

    def _behaviours(self, loans: list[Plan]) -> None:
        """Deal the behaviours out: defaulters among the older loans (so some reach write-off) and the newer."""
        rng, free = self.rng, list(range(len(loans)))
        for behaviour, share in BEHAVIOURS:
            count = max(MINIMUM[behaviour], int(share * len(loans) + D("0.5")))
            if behaviour == "default":  # the oldest loan surely reaches its write-off; the rest are spread
                half = len(free) // 2
                older, newer = free[1:half], free[half:]
                chosen = [free[0]] + rng.sample(older, min(len(older), (count - 1) // 2)) + rng.sample(
                    newer, min(len(newer), count // 2))
            else:
                chosen = rng.sample(free, min(len(free), count))
            for index in chosen:
                free.remove(index)
                plan = loans[index]
                plan.behaviour = behaviour
                plan.missed = 1 if index == 0 else rng.randrange(1, 4)
                plan.delay = {"slip": rng.randrange(4, 28), "roll": rng.randrange(35, 85),
                              "default": rng.randrange(95, 150), "early": 0}[behaviour]

    def _other_plan(self, status: str, first: date) -> Plan:
        rng = self.rng
        if status in RECENT:  # still on its way today
            created = self.today - timedelta(days=rng.randrange(3, 9) if status in ("listed", "funded") else
                                             rng.randrange(0, 6))
        else:
            created = first + timedelta(days=rng.randrange(0, (self.today - first).days - 30))
        steps, day = [(created, "create")], created
        path = {"draft": (), "submitted": ("submit",), "approved": ("submit", "approve"),
                "rejected": ("submit", "reject"), "cancelled": ("submit", "approve", "cancel"),
                "listed": ("submit", "approve", "list", "invest"), "funded": ("submit", "approve", "list", "invest"),
                "expired": ("submit", "approve", "list", "invest")}[status]
        plan = Plan(steps, status)
        for step in path:
            day = min(day + timedelta(days=rng.randrange(0, 3)), self.today)
            steps.append((day, step))
            if step == "invest":
                plan.funding_days = [day]
        return plan

    # -- the replay -------------------------------------------------------------------------

    def replay(self, bar=None, task=None) -> None:
        session, day = self.session, self.start
        hook = context.hooks(session).lending_demo_day
        large = self.scale > AUDITED_UP_TO
        while day <= self.today:
            with replay_day(session, day):
                if day > self.start:
                    services.close_of_business(session, day - timedelta(days=1), start=day - timedelta(days=1))
                if any(deadline < day for deadline in self.deadlines.values()):  # else it would expire nothing
                    services.expire_listings(session, day)
                    self.deadlines = {k: v for k, v in self.deadlines.items() if v >= day}
                hook(session=session, day=day, story=self)
                todo = self.agenda.pop(day, [])
                while todo:  # a step may add work for the same day
                    todo.pop(0)()
                    todo.extend(self.agenda.pop(day, []))
            if large and day.day == 1:
                session.flush()
                session.expunge_all()  # keep the identity map (and every flush) small
            if bar is not None:
                bar.advance(task)
            day += timedelta(days=1)

    def step(self, plan: Plan, step: str) -> None:
        session = self.session
        if step == "create":
            self._create(plan)
            return
        application = session.get(Application, plan.application_id)
        if application.review_pending and step in ("approve", "reject"):
            # a reviewing department (risk) holds it: it decides through its own people and services
            approved = step == "approve"
            reason = "" if approved else self.rng.choice(REJECTIONS)
            context.hooks(session).lending_demo_review(session=session, application=application, approved=approved,
                                                       reason=reason)
            return
        if application.status in ("submitted", "rejected") and step not in ("submit", "approve", "reject", "cancel"):
            return  # still in review, or a reviewer rejected it: the story stops here
        if step == "submit":
            services.submit(session, application)
        elif step == "approve":
            services.approve(session, application, "Demo: meets the product's criteria")
        elif step == "reject":
            services.reject(session, application, self.rng.choice(REJECTIONS))
        elif step == "cancel":
            services.cancel(session, application, "The borrower withdrew the request")
        elif step == "list":
            services.list_for_funding(session, application, context.today(session))
            self.deadlines[application.id] = application.funding_deadline
        elif step == "invest":
            self._invest(plan, application)
            if application.status != "listed":
                self.deadlines.pop(application.id, None)
        elif step == "disburse" and application.status == "funded":
            self._disburse(plan, application)

    def _create(self, plan: Plan) -> None:
        borrower = self.customer("borrower" if self.rng.random() < 0.9 else "both")
        version = products.get_version(self.session, self.rng.choice(self.versions))
        steps = int((version.max_amount - version.min_amount) / 500)
        amount = money(version.min_amount + 500 * self.rng.randrange(0, max(min(steps, 40), 1)))
        term = self.rng.randrange(version.min_term_months, version.max_term_months + 1)
        application = services.create_application(
            self.session, customer=borrower, product_version_id=version.id, amount=amount, term_months=term,
            purpose=self.rng.choice(PURPOSES))
        plan.application_id = application.id

    def _invest(self, plan: Plan, application: Application) -> None:
        """A share of the amount on each funding day: all of it by the last, less than half when it will expire."""
        today = context.today(self.session)
        days = plan.funding_days
        if plan.outcome in ("listed", "expired"):
            share = D("0.4")
        else:
            share = D(days.index(today) + 1) / len(days)
        target = money(application.amount * share)
        version = products.get_version(self.session, application.product_version_id)
        step, minimum = version.investment_increment, version.min_investment
        funded = services.funded_amount(self.session, application.id)
        for investor_id in self.rng.sample(self.investors, min(len(self.investors), 8)):
            left = target - funded
            if left <= 0:
                break
            piece = max(minimum, (application.amount / self.rng.choice((1, 2, 2, 3)) // step) * step)
            piece = left if piece >= left or left - piece < minimum else piece
            try:
                services.invest(self.session, application, self.session.get(Customer, investor_id), piece)
            except UserError:
                continue  # this investor has no money left; the next one will do
            funded += piece

    # -- loans and their repayments -----------------------------------------------------------

    def _disburse(self, plan: Plan, application: Application) -> None:
        loan = services.disburse(self.session, application, context.today(self.session))
        plan.loan_id = loan.id
        self.counts["loans"] += 1
        due = [i.due_date for i in loan.installments]
        last = len(due)
        missed = min(plan.missed, last)
        for number, day in enumerate(due, start=1):
            if plan.behaviour == "early" and number == missed:
                self.agenda[day].append(lambda loan_id=loan.id: self.pay_off(loan_id))
                break
            if plan.behaviour in ("slip", "roll") and number == missed:
                cure = day + timedelta(days=plan.delay)
                self.agenda[day].append(lambda loan_id=loan.id, d=cure: self.planned_payments.__setitem__(loan_id, d))
                self.agenda[cure].append(lambda loan_id=loan.id: self.pay_arrears(loan_id, cured=True))
                due_after = [d for d in due[number:] if d > cure]
                for later in due_after:
                    self.agenda[later].append(lambda loan_id=loan.id: self.pay_arrears(loan_id))
                break
            if plan.behaviour == "default" and number == missed:
                partial = day + timedelta(days=plan.delay)
                self.agenda[day].append(
                    lambda loan_id=loan.id, d=partial: self.planned_payments.__setitem__(loan_id, d))
                self.agenda[partial].append(lambda loan_id=loan.id: self.pay_part(loan_id))
                self.agenda[day + timedelta(days=WRITE_OFF_DAYS)].append(
                    lambda loan_id=loan.id: self.write_off(loan_id))
                break
            self.agenda[day].append(lambda loan_id=loan.id: self.pay_arrears(loan_id))

    def _post(self, loan: Loan, amount: D) -> None:
        if amount <= ZERO or loan.status != "active":
            return
        self.references[loan.id] += 1
        today = context.today(self.session)
        services.post_repayment(self.session, loan, amount, today, f"DEMO-{loan.id}-{self.references[loan.id]}")
        self.counts["repayments"] += 1

    def pay_arrears(self, loan_id: int, cured: bool = False) -> None:
        """Pay everything due up to today, penalties included."""
        loan = self.session.get(Loan, loan_id)
        today = context.today(self.session)
        self.planned_payments.pop(loan_id, None)
        amount = sum((owed(i).total for i in loan.installments if i.paid_on is None and i.due_date <= today), ZERO)
        self._post(loan, amount)
        self.counts["cured"] += cured

    def pay_part(self, loan_id: int) -> None:
        """A defaulter's one late payment: about one installment, in the late stage."""
        loan = self.session.get(Loan, loan_id)
        self.planned_payments.pop(loan_id, None)
        unpaid = [i for i in loan.installments if i.paid_on is None]
        if unpaid:
            self._post(loan, min(owed(unpaid[0]).total, services.payoff_amount(self.session, loan)))

    def pay_off(self, loan_id: int) -> None:
        loan = self.session.get(Loan, loan_id)
        self._post(loan, services.payoff_amount(self.session, loan))

    def write_off(self, loan_id: int) -> None:
        loan = self.session.get(Loan, loan_id)
        if loan.status == "active":
            services.write_off(self.session, loan, "Demo: 180 days past due, no payment plan; recovery unlikely")
            self.counts["written_off"] += 1


def _progress(total: int, enabled: bool):
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("lending demo (days replayed)"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=False)


def load(session, scale: int = 1, *, progress: bool | None = None) -> str:
    story = Story(session, scale)
    large = scale > AUDITED_UP_TO
    if large:
        session.info["audit_disabled"] = True
    story.versions = [v.id for v in products.selectable_versions(session)]
    if not story.versions:
        return text(_("no active loan product: nothing to lend (enable products demo data first)"))
    story.plan()
    days = (story.today - story.start).days + 1
    with _progress(days, progress if progress is not None else scale >= 50) as bar:
        story.replay(bar, bar.add_task("demo", total=days) if bar else None)
    if large:
        session.info["audit_disabled"] = False
        record_event(session, "demo_loaded", "lending.customer", None, {"scale": scale, **story.counts})
    return summary(session, story)


def summary(session, story: Story) -> str:
    loans = dict(session.execute(select(Loan.status, func.count()).group_by(Loan.status)).all())
    late = session.scalar(select(func.count()).select_from(Loan).where(Loan.status == "active",
                                                                        Loan.days_past_due > 0)) or 0
    closed = session.scalar(select(func.count()).select_from(BusinessDate)) or 0
    others = session.scalar(select(func.count()).select_from(Application)
                            .where(Application.status != "disbursed")) or 0
    months = (story.today.year - story.start.year) * 12 + story.today.month - story.start.month
    made, cured, written_off = sum(loans.values()), story.counts["cured"], loans.get("written_off", 0)
    repayments = session.scalar(select(func.count()).select_from(Repayment)) or 0
    parts = {"customers": _n("${n} customer", "${n} customers", story.n),
             "loans": _n("${n} loan", "${n} loans", made),
             "months": _n("${n} month", "${n} months", months),
             "late": _n("${n} late today", "${n} late today", late),
             "cured": _n("${n} cured", "${n} cured", cured),
             "written_off": _n("${n} written off", "${n} written off", written_off),
             "repayments": _n("${n} repayment", "${n} repayments", repayments),
             "others": _n("${n} application in other statuses", "${n} applications in other statuses", others),
             "closed": _n("${n} business date closed", "${n} business dates closed", closed)}
    return text(_("${customers}, ${loans} over ${months} (${late}, ${cured}, ${written_off}), ${repayments}, "
                  "${others}; ${closed}", mapping=parts))
