"""Loan applications: the status machine, review and funding.

::

    draft ─submit─▶ submitted ─approve─▶ approved ─list─▶ listed ─(fully invested)─▶ funded ─disburse─▶ disbursed
                        └──reject──▶ rejected              └──(funding window passed)──▶ expired
    draft / submitted / approved / listed / funded ─cancel─▶ cancelled

Review: on submission the hook ``lending_review_required`` is asked; every
plugin that answers (e.g. ``risk``) holds the application until it decides
through :func:`review_decision` (all must approve; one rejection rejects).
When nobody answers, a user holding ``lending.application.approve``
approves or rejects by hand (:func:`approve`, :func:`reject`).

Funding: an investor reserves money for a listed application (at least the
product's minimum investment, in steps of its increment — both waived when
the amount is exactly what remains — never more than what remains or what
the investor has available). Cancelling or expiring releases every
reservation; disbursement spends them.

Concurrency: every action that checks the application's status or the sum
of its investments first locks the application row (:func:`lock_application`,
i.e. ``SELECT … FOR UPDATE``), then, when money moves, the investor's row —
always in that order. Eight investors racing for the last 5,000 therefore
queue: one gets it, the others are refused with a
:class:`core.errors.ConflictError` (HTTP 409) saying what remains. A status
that no longer allows the action is a conflict too.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import context
from core.audit import current_actor
from core.db import lock
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from core.money import ZERO, money
from plugins.lending.i18n import DOMAIN, _, _n, label, text
from plugins.lending.i18n import amount as amount_text
from plugins.lending.i18n import day as day_text
from plugins.lending.models import Application, Customer, Investment
from plugins.lending.services import cash, events, limits
from plugins.lending.services.customers import require_verified
from plugins.products import services as products

#: action -> the statuses it may start from
TRANSITIONS = {
    "edit": ("draft",),
    "submit": ("draft",),
    "approve": ("submitted",),
    "reject": ("submitted",),
    "list": ("approved",),
    "invest": ("listed",),
    "disburse": ("funded",),
    "expire": ("listed",),
    "cancel": ("draft", "submitted", "approved", "listed", "funded"),
}
#: action -> its refusal when the status does not allow it (one whole sentence per action, for translators)
REFUSALS = {
    "edit": _("Only ${statuses} applications can be edited; application ${id} is ${status}."),
    "submit": _("Only ${statuses} applications can be submitted; application ${id} is ${status}."),
    "approve": _("Only ${statuses} applications can be approved; application ${id} is ${status}."),
    "reject": _("Only ${statuses} applications can be rejected; application ${id} is ${status}."),
    "list": _("Only ${statuses} applications can be listed for funding; application ${id} is ${status}."),
    "invest": _("Only ${statuses} applications can be invested in; application ${id} is ${status}."),
    "disburse": _("Only ${statuses} applications can be disbursed; application ${id} is ${status}."),
    "expire": _("Only ${statuses} applications can be expired; application ${id} is ${status}."),
    "cancel": _("Only ${statuses} applications can be cancelled; application ${id} is ${status}."),
}


def allowed(application: Application, action: str) -> bool:
    return application.status in TRANSITIONS[action]


def require(application: Application, action: str) -> None:
    """Refuse an action the application's status does not allow, saying which statuses do."""
    if not allowed(application, action):
        from pyramid.i18n import TranslationString

        words = [label(s) for s in TRANSITIONS[action]]
        which = words[0]
        for word in words[1:]:
            which = text(_("${first} or ${second}", mapping={"first": which, "second": word}))
        raise ConflictError(TranslationString(REFUSALS[action], domain=DOMAIN, mapping={
            "statuses": which, "id": application.id, "status": label(application.status)}), "status")


def lock_application(session, application: Application) -> Application:
    """Re-read ``application`` and lock its row until commit (:func:`core.db.lock`).

    Taken before checking its status or the sum of its investments and
    writing against them; see the module docstring.
    """
    return lock(session, Application, application.id)


def _actor(session) -> str:
    return current_actor(session).name[:100]


# -- draft ----------------------------------------------------------------------------

def _terms(session, version_id, amount, term_months, annual_rate):
    """Check amount, term and rate against the product version; return them normalized."""
    if version_id in (None, ""):
        raise UserError(_("Choose a loan product."), "product_version_id")
    version = products.get_version(session, version_id)
    products.ensure_selectable(session, version)
    try:
        amount = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise UserError(_("'${value}' is not an amount; write it like ${example}.",
                          mapping={"value": str(amount)[:40], "example": amount_text(Decimal("5000"))}),
                        "amount") from None
    limits.check_amount(session, amount, "amount", _("A loan amount"))
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        raise UserError(_("Enter the term as a whole number of months."), "term_months") from None
    try:
        rate = version.default_rate if annual_rate in (None, "") else Decimal(str(annual_rate))
    except ArithmeticError:
        raise UserError(_("'${value}' is not a rate; write 0.12 for 12 %.", mapping={"value": str(annual_rate)[:40]}),
                        "annual_rate") from None
    try:
        rate = products.check_terms(version, amount, term, rate)
    except UserError as exc:
        raise UserError(exc.message, "annual_rate" if exc.field == "rate" else exc.field) from None
    return version, amount, term, rate


def create_application(session, *, customer: Customer, product_version_id, amount, term_months, annual_rate=None,
                       purpose: str = "", region: str | None = None, industry: str | None = None) -> Application:
    """A draft application; amount, term and rate are checked against the product version."""
    if customer is None:
        raise UserError(_("Choose the borrower."), "customer_id")
    if not customer.is_borrower:
        raise UserError(_("${name} is an investor only; make them a borrower (role 'both') first.",
                          mapping={"name": customer.name}), "customer_id")
    version, amount, term, rate = _terms(session, product_version_id, amount, term_months, annual_rate)
    application = Application(
        customer_id=customer.id, product_version_id=version.id, amount=amount, term_months=term, annual_rate=rate,
        purpose=(purpose or "").strip(), region=(region if region is not None else customer.region).strip(),
        industry=(industry if industry is not None else customer.industry).strip(), status="draft")
    session.add(application)
    session.flush()
    return application


def update_application(session, application: Application, **fields) -> Application:
    """Change a draft's terms, purpose, region or industry."""
    require(application, "edit")
    version, amount, term, rate = _terms(
        session, fields.get("product_version_id", application.product_version_id),
        fields.get("amount", application.amount), fields.get("term_months", application.term_months),
        fields.get("annual_rate", application.annual_rate))
    application.product_version_id, application.amount = version.id, amount
    application.term_months, application.annual_rate = term, rate
    for key in ("purpose", "region", "industry"):
        if fields.get(key) is not None:
            setattr(application, key, fields[key].strip())
    session.flush()
    return application


# -- review -------------------------------------------------------------------------------

def submit(session, application: Application) -> Application:
    """draft → submitted; tells other plugins and asks who wants to review it."""
    require(application, "submit")
    _terms(session, application.product_version_id, application.amount, application.term_months,
           application.annual_rate)
    require_verified(application.customer, _("submitting their application"), "customer_id")
    application.status = "submitted"
    application.submitted_at = utcnow()
    session.flush()
    hook = context.hooks(session)
    hook.lending_application_submitted(application=application)
    reviewers = []
    for answer in hook.lending_review_required(application=application):
        for name in ([answer] if isinstance(answer, str) else list(answer or [])):
            if name and str(name) not in reviewers:
                reviewers.append(str(name))
    application.review_pending = " ".join(reviewers)[:200]
    session.flush()
    events.application_submitted(session, application)
    return application


def reviewers(application: Application) -> list[str]:
    return application.review_pending.split()


def _decide(session, application: Application, status: str, reason: str, by: str) -> Application:
    application.status = status
    application.decision_reason = reason
    application.decided_by = by[:100]
    application.decided_at = utcnow()
    application.review_pending = ""
    session.flush()
    return application


def approve(session, application: Application, reason: str = "") -> Application:
    """submitted → approved, by a user holding ``lending.application.approve``."""
    require(application, "approve")
    _refuse_while_reviewed(application)
    return _decide(session, application, "approved", (reason or "").strip(), _actor(session))


def reject(session, application: Application, reason: str) -> Application:
    """submitted → rejected, with the reason the borrower will be told."""
    require(application, "reject")
    _refuse_while_reviewed(application)
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Give the reason for rejecting; the borrower will be told."), "reason")
    return _decide(session, application, "rejected", reason, _actor(session))


def _refuse_while_reviewed(application: Application) -> None:
    if application.review_pending:
        raise UserError(_("Application ${id} is being reviewed by ${reviewers}; their decision approves or rejects it.",
                          mapping={"id": application.id, "reviewers": ", ".join(reviewers(application))}), "status")


def review_decision(session, application: Application, reviewer: str, approved: bool, reason: str = "") -> Application:
    """A reviewing plugin's decision: one rejection rejects; approval needs every reviewer's."""
    require(application, "approve")
    pending = reviewers(application)
    if reviewer not in pending:
        values = {"reviewer": reviewer, "id": application.id, "pending": ", ".join(pending)}
        raise UserError(_("${reviewer} is not reviewing application ${id} (waiting for ${pending}).", mapping=values)
                        if pending else _("${reviewer} is not reviewing application ${id}.", mapping=values), "status")
    reason = (reason or "").strip()
    if not approved:
        if not reason:
            raise UserError(_("Give the reason for rejecting; the borrower will be told."), "reason")
        return _decide(session, application, "rejected", reason, reviewer)
    pending.remove(reviewer)
    if pending:
        application.review_pending = " ".join(pending)
        session.flush()
        return application
    return _decide(session, application, "approved", reason, reviewer)


# -- listing and funding --------------------------------------------------------------------

def list_for_funding(session, application: Application, listed_on: date | None = None) -> Application:
    """approved → listed: investors may invest until the product's funding window closes."""
    require(application, "list")
    version = products.get_version(session, application.product_version_id)
    listed_on = limits.check_date(session, listed_on or context.today(session), "listed_on",
                                  _("The listing date"))
    application.status = "listed"
    application.listed_on = listed_on
    application.funding_deadline = listed_on + timedelta(days=int(version.funding_window_days))
    session.flush()
    return application


def funded_amount(session, application_id: int) -> Decimal:
    total = session.scalar(select(func.sum(Investment.amount)).where(
        Investment.application_id == application_id, Investment.status.in_(("reserved", "spent"))))
    return money(total or 0)


def remaining(session, application: Application) -> Decimal:
    return application.amount - funded_amount(session, application.id)


def invest(session, application: Application, investor: Customer, amount) -> Investment:
    """Reserve ``amount`` of ``investor``'s available cash for a listed application.

    Locks the application, then the investor, before reading what remains and
    what is available (see the module docstring).
    """
    lock_application(session, application)
    require(application, "invest")
    if investor is None or not investor.is_investor:
        raise UserError(_("Choose an investor (a customer with the role investor or both)."), "investor_id")
    if investor.id == application.customer_id:
        raise UserError(_("Borrowers cannot invest in their own application."), "investor_id")
    require_verified(investor, _("they invest"), "investor_id")
    today = context.today(session)
    if application.funding_deadline and today > application.funding_deadline:
        raise UserError(_("Funding of application ${id} closed on ${day}.",
                          mapping={"id": application.id, "day": day_text(application.funding_deadline)}), "status")
    try:
        amount = money(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise UserError(_("'${value}' is not an amount; write it like ${example}.",
                          mapping={"value": str(amount)[:40], "example": amount_text(Decimal("500"))}),
                        "amount") from None
    limits.check_amount(session, amount, "amount", _("An investment"))
    cash.lock_customer(session, investor.id)
    version = products.get_version(session, application.product_version_id)
    left = remaining(session, application)
    _check_investment(amount, left, version.min_investment, version.investment_increment)
    free = cash.available(session, investor.id)
    if amount > free:
        raise ConflictError(_("${name} has only ${amount} available; deposit more or invest less.",
                              mapping={"name": investor.name, "amount": amount_text(free)}), "amount")
    investment = Investment(application_id=application.id, investor_id=investor.id, amount=amount, status="reserved")
    session.add(investment)
    if amount == left:
        application.status = "funded"
        application.funded_at = utcnow()
    session.flush()
    hook = context.hooks(session)
    hook.lending_investment_reserved(investment=investment)
    if application.status == "funded":
        hook.lending_application_funded(application=application)
    return investment


def _check_investment(amount: Decimal, left: Decimal, minimum: Decimal, step: Decimal) -> None:
    if amount <= ZERO:
        raise UserError(_("Enter an amount greater than zero."), "amount")
    if left <= ZERO:
        raise ConflictError(_("The application is already fully funded; nothing remains to invest."), "amount")
    if amount > left:
        raise ConflictError(_("Only ${amount} remains to be funded; invest at most that.",
                              mapping={"amount": amount_text(left)}), "amount")
    if amount == left:
        return  # the last piece may be smaller than the minimum or off the increment
    if amount < minimum:
        raise UserError(_("The minimum investment is ${minimum} (or exactly the ${left} that remains).",
                          mapping={"minimum": amount_text(minimum), "left": amount_text(left)}), "amount")
    if step and step > 0 and (amount - minimum) % step != 0:
        lower = minimum + ((amount - minimum) // step) * step
        raise UserError(_("Invest ${minimum} plus steps of ${step}, e.g. ${lower} or ${higher}.",
                          mapping={"minimum": amount_text(minimum), "step": amount_text(step),
                                   "lower": amount_text(lower), "higher": amount_text(lower + step)}), "amount")


def _release(session, application: Application) -> list[Investment]:
    released = []
    now = utcnow()
    for investment in application.investments:
        if investment.status == "reserved":
            investment.status = "released"
            investment.settled_at = now
            released.append(investment)
    return released


def _announce_release(session, application: Application, released: list[Investment]) -> None:
    """After the application's new status is flushed, so listeners see why the money came back."""
    if released:
        context.hooks(session).lending_investments_released(application=application, investments=released)


def cancel(session, application: Application, reason: str) -> Application:
    """Cancel a draft, submitted, approved, listed or funded application; reservations are released."""
    lock_application(session, application)
    require(application, "cancel")
    reason = (reason or "").strip()
    if not reason:
        raise UserError(_("Say why the application is cancelled."), "reason")
    released = _release(session, application)
    application.status = "cancelled"
    application.closed_reason = reason
    session.flush()
    _announce_release(session, application, released)
    return application


def expire_listings(session, as_of: date | None = None) -> int:
    """listed → expired for every application whose funding window closed before ``as_of``."""
    as_of = as_of or context.today(session)
    due = session.scalars(select(Application).where(Application.status == "listed",
                                                    Application.funding_deadline < as_of)
                          .order_by(Application.id).with_for_update()).all()
    for application in due:
        released = _release(session, application)
        application.status = "expired"
        # Stored text, written in the language of whoever runs it (the job: the company's).
        application.closed_reason = _n(
            "Funding window closed on ${day} with ${n} reservation released.",
            "Funding window closed on ${day} with ${n} reservations released.", len(released),
            mapping={"day": day_text(application.funding_deadline)})
        session.flush()
        _announce_release(session, application, released)
    session.flush()
    return len(due)
