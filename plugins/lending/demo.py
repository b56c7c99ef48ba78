"""Demo data through the services: customers, applications in every status, loans with repayments.

``scale`` 1 makes about a dozen loans; every two further units add a loan
and every eight an application in some other status, so ``--scale 10000``
makes about 5,000 loans with their repayments (a few minutes). History is
replayed with :func:`core.context.set_as_of`: loans are
disbursed over the last nine months, most borrowers pay on time, some stop paying (overdue), a few
repay early; then close of business runs over the last 90 days so days past
due, buckets and penalties are real.

Large loads (scale > 200) switch off the row-by-row audit for this
transaction (one ``demo_loaded`` event is recorded instead) and keep the
session small, so memory stays flat; a progress bar shows on the terminal.
No events are fired (no plugin manager is bound): other plugins build their
own demo data from lending's tables, after lending in dependency order.
"""
from __future__ import annotations

import io
import random
from contextlib import nullcontext
from datetime import timedelta
from decimal import Decimal as D

from core import context
from core.audit import record_event
from core.errors import UserError
from core.money import money
from plugins.lending import services
from plugins.lending.i18n import _, _n, text
from plugins.lending.models import Customer
from plugins.products import services as products

REGIONS = ("North", "South", "East", "West", "Capital", "Coast")
INDUSTRIES = ("Retail", "Agriculture", "Construction", "Transport", "Services", "Manufacturing", "Hospitality")
FIRST = ("Ana", "Luis", "Marta", "Jorge", "Lucía", "Pablo", "Elena", "Diego", "Sara", "Tomás", "Inés", "Raúl")
LAST = ("García", "López", "Martín", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno", "Álvarez", "Romero")
OTHER_STATUSES = ("draft", "submitted", "approved", "rejected", "listed", "funded", "cancelled", "expired")
AUDITED_UP_TO = 200
CHUNK = 50


class Demo:
    def __init__(self, session, scale: int, seed: int = 7):
        self.session = session
        self.scale = scale
        self.rng = random.Random(seed)
        self.today = context.today(session)
        self.n = 0
        self.versions: list[int] = []
        self.investors: list[int] = []
        self.document = None
        self.document_links = 0
        self.counts = {"loans": 0, "repayments": 0, "overdue": 0}

    # -- people --------------------------------------------------------------------------

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)} {self.rng.choice(LAST)}"

    def customer(self, role: str, verified: bool = True) -> Customer:
        self.n += 1
        kind = "company" if self.rng.random() < 0.15 else "person"
        name = f"{self.rng.choice(LAST)} {self.rng.choice(('S.L.', 'S.A.', 'Coop.'))}" if kind == "company" \
            else self._name()
        customer = services.create_customer(
            self.session, role=role, kind=kind, name=name, id_number=f"DEMO-{self.n:07d}",
            phone=f"+34 6{self.rng.randrange(10**7, 10**8)}", email=f"customer{self.n}@example.test",
            region=self.rng.choice(REGIONS), industry=self.rng.choice(INDUSTRIES))
        if verified:
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

    def make_investors(self, count: int) -> None:
        with context.as_of(self.session, self.today - timedelta(days=400)):
            for _ in range(count):
                investor = self.customer("investor" if self.rng.random() < 0.9 else "both")
                services.deposit(self.session, investor, D(self.rng.randrange(200, 2000)) * 1000,
                                 reference=f"DEMO-DEP-{investor.id}")
                self.investors.append(investor.id)

    # -- applications -----------------------------------------------------------------------

    def terms(self, version_id: int):
        version = products.get_version(self.session, version_id)
        steps = int((version.max_amount - version.min_amount) / 500)
        amount = version.min_amount + 500 * self.rng.randrange(0, max(min(steps, 40), 1))
        term = self.rng.randrange(version.min_term_months, version.max_term_months + 1)
        return version, money(amount), term

    def application(self, borrower=None):
        borrower = borrower or self.customer("borrower" if self.rng.random() < 0.9 else "both")
        version, amount, term = self.terms(self.rng.choice(self.versions))
        return services.create_application(
            self.session, customer=borrower, product_version_id=version.id, amount=amount, term_months=term,
            purpose=self.rng.choice(("Working capital", "Home repairs", "Equipment", "Stock", "Car", "Studies")))

    def fund(self, application, share: D = D(1)) -> None:
        version = products.get_version(self.session, application.product_version_id)
        target = money(application.amount * share)
        step, minimum = version.investment_increment, version.min_investment
        for investor_id in self.rng.sample(self.investors, min(len(self.investors), 8)):
            left = services.remaining(self.session, application) - (application.amount - target)
            if left <= 0:
                break
            piece = max(minimum, (application.amount / self.rng.randrange(2, 6) // step) * step)
            piece = left if piece >= left or left - piece < minimum else piece
            investor = self.session.get(Customer, investor_id)
            try:
                services.invest(self.session, application, investor, piece)
            except UserError:
                continue  # this investor has no money left; the next one will do

    def other_status(self, status: str) -> None:
        # Listed and funded ones stay inside the funding window; expired ones are well past it.
        day = self.today - (timedelta(days=self.rng.randrange(40, 100)) if status == "expired"
                            else timedelta(days=self.rng.randrange(0, 10)))
        with context.as_of(self.session, day):
            application = self.application()
            if status == "draft":
                return
            services.submit(self.session, application)
            if status == "submitted":
                return
            if status == "rejected":
                services.reject(self.session, application, self.rng.choice(
                    ("Income does not cover the installment", "Incomplete documents", "Existing arrears elsewhere")))
                return
            if status == "cancelled":
                services.cancel(self.session, application, "The borrower withdrew the request")
                return
            services.approve(self.session, application, "Demo: meets the product's criteria")
            if status == "approved":
                return
            services.list_for_funding(self.session, application, day)
            self.fund(application, D(1) if status == "funded" else D("0.4"))
        if status == "expired":
            services.expire_listings(self.session, self.today)

    # -- loans ------------------------------------------------------------------------------

    def loan(self) -> None:
        disbursed_on = self.today - timedelta(days=self.rng.randrange(1, 270))
        listed_on = disbursed_on - timedelta(days=self.rng.randrange(2, 10))
        with context.as_of(self.session, listed_on):
            application = self.application()
            services.submit(self.session, application)
            services.approve(self.session, application, "Demo: meets the product's criteria")
            services.list_for_funding(self.session, application, listed_on)
            self.fund(application)
        if application.status != "funded":
            return  # investors ran out of money: it stays listed
        with context.as_of(self.session, disbursed_on):
            loan = services.disburse(self.session, application, disbursed_on)
        self.counts["loans"] += 1
        self.repay(loan)

    def repay(self, loan) -> None:
        behaviour = self.rng.random()
        stops_after = None
        if behaviour < 0.18:  # stops paying at some point: overdue
            stops_after = self.rng.randrange(0, len(loan.installments))
            self.counts["overdue"] += 1
        for installment in list(loan.installments):
            if installment.due_date >= self.today or loan.status != "active":
                break
            if stops_after is not None and installment.number > stops_after:
                break
            paid_on = min(installment.due_date + timedelta(days=self.rng.choice((0, 0, 0, 1, 2, 5))),
                          self.today - timedelta(days=1))
            with context.as_of(self.session, paid_on):
                amount = installment.outstanding
                if behaviour > 0.95:  # pays off early
                    amount = services.payoff_amount(self.session, loan, paid_on)
                if amount > 0:
                    services.post_repayment(self.session, loan, amount, paid_on,
                                            f"DEMO-{loan.id}-{installment.number}")
                    self.counts["repayments"] += 1

    def close_recent_days(self) -> str:
        with context.as_of(self.session, self.today):
            result = services.close_of_business(self.session, self.today - timedelta(days=1),
                                                start=self.today - timedelta(days=90))
        return result.summary


def _progress(total: int, enabled: bool):
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("lending demo"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    transient=False)


def load(session, scale: int = 1, *, progress: bool | None = None) -> str:
    demo = Demo(session, scale)
    large = scale > AUDITED_UP_TO
    if large:
        session.info["audit_disabled"] = True
    demo.versions = [v.id for v in products.selectable_versions(session)]
    if not demo.versions:
        return text(_("no active loan product: nothing to lend (enable products demo data first)"))
    loans = 10 + scale // 2
    others = len(OTHER_STATUSES) + scale // 8
    demo.make_investors(10 + scale // 20)
    show = progress if progress is not None else scale >= 50
    with _progress(loans + others, show) as bar:
        task = bar.add_task("demo", total=loans + others) if bar else None
        for i in range(loans + others):
            if i < loans:
                demo.loan()
            else:
                demo.other_status(OTHER_STATUSES[(i - loans) % len(OTHER_STATUSES)])
            if large and i % CHUNK == CHUNK - 1:
                session.flush()
                session.expunge_all()  # keep the identity map (and every flush) small
            if bar:
                bar.advance(task)
    closing = demo.close_recent_days()
    if large:
        session.info["audit_disabled"] = False
        record_event(session, "demo_loaded", "lending.customer", None, {"scale": scale, **demo.counts})
    customers, loans_made = demo.n, demo.counts["loans"]
    overdue, repayments = demo.counts["overdue"], demo.counts["repayments"]
    parts = {"customers": _n("${n} customer", "${n} customers", customers),
             "loans": _n("${n} loan", "${n} loans", loans_made),
             "overdue": _n("${n} stops paying", "${n} stop paying", overdue),
             "repayments": _n("${n} repayment", "${n} repayments", repayments),
             "others": _n("${n} application in other statuses", "${n} applications in other statuses", others),
             "closing": closing}
    return text(_("${customers}, ${loans} (${overdue}), ${repayments}, ${others}; ${closing}", mapping=parts))
