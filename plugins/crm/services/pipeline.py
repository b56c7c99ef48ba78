"""Stages, opportunities, their probability, won (from lending's funding) and lost, the weighted pipeline.

- A stage change never touches ``manual_probability``: a probability someone
  typed stays until they clear it (EspoCRM #3294's complaint).
- Won is not a stage anyone picks: an opportunity is won when lending funds
  the application it became (:func:`on_application_funded`), with the funded
  amount; a representative links the application, the funding closes it.
- Lost needs a reason. A won or lost opportunity is closed: it leaves the
  weighted pipeline, and reopening it is refused (Odoo #84259/#104365: a
  reopened deal carrying a stale probability).
- Weighted pipeline = Σ amount × probability over **open** opportunities only,
  each product rounded to the cent (half-even) before summing, so the total is
  the sum of the amounts shown on each line.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core import context
from core.errors import ConflictError, UserError
from core.money import ZERO, money, split_pro_rata
from plugins.crm.i18n import _
from plugins.crm.models import LOST_REASONS, OPPORTUNITY_KINDS, Account, Credit, Opportunity, OpportunityShare, Stage

ONE = Decimal(1)


def _probability(value, field: str = "probability") -> Decimal | None:
    """A rate as a fraction (0.25). A ``Decimal`` is taken as a fraction already; text is what a person
    typed: a percentage (``"25"``, ``"25 %"``, ``"12,5"``). Blank -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).replace("%", "").replace(",", ".").strip()) / 100
        except ArithmeticError:
            raise UserError(_("Write a percentage from 0 to 100."), field) from None
    if not number.is_finite() or not ZERO <= number <= ONE:
        raise UserError(_("Write a percentage from 0 to 100."), field)
    return number.quantize(Decimal("0.000001"))


# -- stages -------------------------------------------------------------------------------------

def stages(session, active_only: bool = True) -> list[Stage]:
    stmt = select(Stage).order_by(Stage.position, Stage.id)
    if active_only:
        stmt = stmt.where(Stage.active.is_(True))
    return list(session.scalars(stmt))


def save_stage(session, name: str, probability, position: int = 0, active: bool = True,
               stage: Stage | None = None) -> Stage:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the stage a name."), "name")
    value = _probability(probability)
    if value is None:
        raise UserError(_("Write a percentage from 0 to 100."), "probability")
    other = session.scalars(select(Stage).where(Stage.name == name)).first()
    if other is not None and other is not stage:
        raise UserError(_("There is already a stage with that name."), "name")
    if stage is None:
        stage = Stage()
        session.add(stage)
    stage.name, stage.probability, stage.position, stage.active = name, value, int(position or 0), bool(active)
    session.flush()
    return stage


# -- opportunities ---------------------------------------------------------------------------------

def create_opportunity(session, account: Account, title: str, amount, owner_id: int | None, *,
                       kind: str = "borrowing", stage: Stage | None = None, product: str = "",
                       expected_close: date | None = None, partner: Account | None = None,
                       probability=None) -> Opportunity:
    title = (title or "").strip()
    if not title:
        raise UserError(_("Give the opportunity a title."), "title")
    if kind not in OPPORTUNITY_KINDS:
        raise UserError(_("Choose borrowing or investment."), "kind")
    amount = money(amount)
    if amount <= ZERO:
        raise UserError(_("The expected amount is more than zero."), "amount")
    if partner is not None and partner.kind != "partner":
        raise UserError(_("Choose a partner account."), "partner_id")
    stage = stage or next(iter(stages(session)), None)
    if stage is None:
        raise UserError(_("Create the pipeline's stages first."), "stage_id")
    opportunity = Opportunity(account=account, title=title, amount=amount, owner_id=owner_id, kind=kind,
                              stage=stage, product=product or "", expected_close=expected_close, partner=partner,
                              manual_probability=_probability(probability))
    if owner_id is not None:
        opportunity.shares.append(OpportunityShare(user_id=owner_id, share=ONE))
    session.add(opportunity)
    session.flush()
    return opportunity


def _open(opportunity: Opportunity) -> None:
    if opportunity.status != "open":
        raise ConflictError(_("This opportunity is already ${status}; it cannot change any more.",
                              mapping={"status": opportunity.status}), "status")


def move(session, opportunity: Opportunity, stage_id) -> Opportunity:
    """Move to another stage. The manual probability, if any, is kept as it is."""
    _open(opportunity)
    stage = session.get(Stage, int(stage_id)) if str(stage_id or "").isdigit() else None
    if stage is None or not stage.active:
        raise UserError(_("Choose one of the pipeline's stages."), "stage_id")
    opportunity.stage = stage
    session.flush()
    return opportunity


def set_probability(session, opportunity: Opportunity, value) -> Opportunity:
    """Set (or, with a blank, clear) the manual probability."""
    _open(opportunity)
    opportunity.manual_probability = _probability(value)
    session.flush()
    return opportunity


def set_shares(session, opportunity: Opportunity, shares: dict[int, Decimal]) -> Opportunity:
    """Contribution shares (fractions or percentages) that must sum to exactly 100 %."""
    clean = {int(user): _probability(value, "shares") for user, value in shares.items() if value not in (None, "")}
    if not clean or sum(clean.values(), ZERO) != ONE:
        raise UserError(_("The contributions add up to exactly 100 %."), "shares")
    opportunity.shares.clear()
    session.flush()
    opportunity.shares.extend(OpportunityShare(user_id=user, share=share) for user, share in clean.items())
    session.flush()
    return opportunity


def link_application(session, opportunity: Opportunity, application_id) -> Opportunity:
    """The application this opportunity became; funding it wins the opportunity."""
    from plugins.lending.models import Application

    _open(opportunity)
    application = session.get(Application, int(application_id)) if str(application_id or "").isdigit() else None
    if application is None:
        raise UserError(_("Choose an application."), "application_id")
    taken = session.scalars(select(Opportunity.id).where(Opportunity.application_id == application.id,
                                                         Opportunity.id != opportunity.id)).first()
    if taken:
        raise ConflictError(_("That application already belongs to opportunity ${id}.", mapping={"id": taken}),
                            "application_id")
    opportunity.application_id = application.id
    session.flush()
    if application.status in ("funded", "disbursed"):  # funded before it was linked: won now
        win(session, opportunity, application)
    return opportunity


def mark_lost(session, opportunity: Opportunity, reason: str, note: str = "") -> Opportunity:
    _open(opportunity)
    if reason not in LOST_REASONS:
        raise UserError(_("Say why it was lost."), "reason")
    opportunity.status, opportunity.lost_reason, opportunity.lost_note = "lost", reason, (note or "").strip()
    opportunity.closed_on = context.today(session)
    session.flush()
    context.hooks(session).crm_opportunity_lost(opportunity=opportunity)
    return opportunity


def win(session, opportunity: Opportunity, application) -> Opportunity:
    """Close as won with the funded amount, credit the contributors, accrue the partner's commission."""
    from plugins.crm.services import commissions

    if opportunity.status == "won":
        return opportunity
    _open(opportunity)
    opportunity.status, opportunity.won_amount = "won", application.amount
    opportunity.closed_on = context.today(session)
    shares = list(opportunity.shares) or ([OpportunityShare(user_id=opportunity.owner_id, share=ONE)]
                                          if opportunity.owner_id else [])
    if shares:
        parts = split_pro_rata(application.amount, [s.share for s in shares])
        session.add_all(Credit(opportunity_id=opportunity.id, user_id=s.user_id, metric="funded_volume",
                               amount=part, credited_on=opportunity.closed_on) for s, part in zip(shares, parts))
    session.flush()
    if opportunity.partner_id is not None:
        commissions.accrue(session, opportunity, application)
    context.hooks(session).crm_opportunity_won(opportunity=opportunity)
    return opportunity


def on_application_funded(session, application) -> Opportunity | None:
    """lending funded ``application``: the opportunity it came from is won."""
    opportunity = session.scalars(select(Opportunity).where(Opportunity.application_id == application.id)).first()
    if opportunity is None or opportunity.status != "open":
        return None
    return win(session, opportunity, application)


# -- the weighted pipeline ------------------------------------------------------------------------------

@dataclass
class PipelineLine:
    key: str
    count: int
    amount: Decimal
    weighted: Decimal


def weighted_amount(opportunity: Opportunity) -> Decimal:
    return money(opportunity.amount * opportunity.probability)


def weighted_pipeline(opportunities) -> Decimal:
    """Σ amount × probability (each to the cent) over the **open** ones among ``opportunities``."""
    return sum((weighted_amount(o) for o in opportunities if o.status == "open"), ZERO)


def open_opportunities(stmt):
    return stmt.where(Opportunity.status == "open").options(joinedload(Opportunity.stage))


def pipeline_by(session, stmt, key) -> list[PipelineLine]:
    """Open opportunities of ``stmt`` (already narrowed by the record rules) grouped by ``key(opportunity)``."""
    groups: dict[str, list[Opportunity]] = defaultdict(list)
    for opportunity in session.scalars(open_opportunities(stmt)).unique():
        groups[key(opportunity)].append(opportunity)
    return [PipelineLine(k, len(v), sum((o.amount for o in v), ZERO), weighted_pipeline(v)) for k, v in groups.items()]


def create_lead(session, *, name: str, kind: str = "borrowing", amount, email: str = "", phone: str = "",
                id_number: str = "", partner: Account | None = None, source: str = "",
                owner_id: int | None = None) -> Opportunity:
    """A lead from outside (a web form, a campaign, a partner's referral): an account — the existing one
    naming the same person when there is one — and an opportunity in the first stage."""
    from plugins.crm.services import accounts

    probe = type("Probe", (), {"id_number": id_number, "email": email, "phone": phone})()
    account = accounts.matching_account(session, probe) if (id_number or email or phone) else None
    if account is None:
        account = accounts.create_account(session, name=name, kind="investor" if kind == "investment" else "borrower",
                                          email=email, phone=phone, id_number=id_number, owner_id=owner_id,
                                          notes=source)
    opportunity = create_opportunity(session, account, f"Lead: {account.name}"[:200], amount,
                                     owner_id or account.owner_id, kind=kind, partner=partner)
    opportunity.source = (source or "")[:100]
    session.flush()
    return opportunity
