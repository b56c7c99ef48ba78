"""Scorecard versions: create, edit as a new version, activate; gather an application's facts; score.

Only one version of a scorecard name is ``active``; activating one retires
the one before. A review keeps the id of the version that scored it, so its
explanation can always be redrawn with the same card. Parsed cards are
cached by version id (a version's definition never changes once active:
:func:`update_draft` refuses anything but a draft).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core import context
from core.errors import ConflictError, UserError
from core.models.meta import utcnow
from plugins.lending.models import Application, Installment, Loan
from plugins.risk.i18n import _
from plugins.risk.models import Profile, Scorecard
from plugins.risk.scoring import Band, Card, Characteristic, Scaling, ScorecardError

#: The facts a characteristic may read (``fact``), gathered by :func:`facts`.
FACTS = ("age", "monthly_income", "dti", "amount", "term_months", "annual_rate", "region", "industry", "kind",
         "past_max_dpd", "previous_loans", "exposure")

_CARDS: dict[int, Card] = {}


def _bins(*ranges, missing):
    """[(low, high, points)] numeric bins plus a missing bin."""
    out = [{"label": _label(low, high), "low": low, "high": high, "points": pts} for low, high, pts in ranges]
    return out + [{"label": "missing", "missing": True, "points": missing}]


def _label(low, high) -> str:
    if low is None:
        return f"< {high}"
    if high is None:
        return f">= {low}"
    return f"{low} – <{high}"


#: The starter card the demo and a new installation use (points chosen by hand, not fitted: see the docs).
#: Each characteristic carries about 1/7 of the offset (600 points at 50:1, PDO 20), so totals land on that scale.
STARTER = [
    {"code": "age", "label": "Age", "fact": "age", "kind": "numeric", "reason": "R01 young applicant",
     "bins": _bins((None, "25", 60), ("25", "35", 75), ("35", "50", 90), ("50", None, 85), missing=70)},
    {"code": "dti", "label": "Debt to income", "fact": "dti", "kind": "numeric", "reason": "R02 high debt to income",
     "bins": _bins((None, "0.2", 110), ("0.2", "0.35", 90), ("0.35", "0.5", 65), ("0.5", None, 50), missing=75)},
    {"code": "amount", "label": "Amount", "fact": "amount", "kind": "numeric", "reason": "R03 large amount",
     "bins": _bins((None, "5000", 100), ("5000", "15000", 90), ("15000", "30000", 70), ("30000", None, 55),
                   missing=50)},
    {"code": "term", "label": "Term (months)", "fact": "term_months", "kind": "numeric", "reason": "R04 long term",
     "bins": _bins((None, "13", 95), ("13", "25", 85), ("25", None, 70), missing=50)},
    {"code": "industry", "label": "Industry", "fact": "industry", "kind": "category", "reason": "R05 risky industry",
     "bins": [{"label": "stable", "categories": ["services", "manufacturing", "retail"], "points": 95},
              {"label": "cyclical", "categories": ["construction", "hospitality"], "points": 70},
              {"label": "other", "other": True, "points": 80},
              {"label": "missing", "missing": True, "points": 75}]},
    {"code": "past_dpd", "label": "Worst days past due with us", "fact": "past_max_dpd", "kind": "numeric",
     "reason": "R06 late payments with us",
     "bins": _bins((None, "1", 120), ("1", "31", 85), ("31", "61", 60), ("61", None, 30), missing=95)},
    {"code": "history", "label": "Loans with us", "fact": "previous_loans", "kind": "numeric",
     "reason": "R07 no history with us",
     "bins": _bins((None, "1", 80), ("1", "3", 95), ("3", None, 105), missing=80)},
]
STARTER_BANDS = [{"min_score": "660", "grade": "A", "level": "low"},
                 {"min_score": "620", "grade": "B", "level": "low"},
                 {"min_score": "580", "grade": "C", "level": "medium"},
                 {"min_score": "540", "grade": "D", "level": "high"},
                 {"min_score": "0", "grade": "E", "level": "very_high"}]


def card(scorecard: Scorecard) -> Card:
    """The parsed card of a version (cached once it is not a draft)."""
    cached = _CARDS.get(scorecard.id) if scorecard.id and scorecard.status != "draft" else None
    if cached is not None:
        return cached
    built = parse(scorecard.definition, scorecard.bands, scorecard.pdo, scorecard.base_score, scorecard.base_odds,
                  scorecard.odds_good_to_bad, scorecard.reason_count)
    if scorecard.id and scorecard.status != "draft":
        _CARDS[scorecard.id] = built
    return built


def parse(definition, bands, pdo, base_score, base_odds, good_to_bad, reason_count=3) -> Card:
    """A card from stored data; a definition that cannot score everyone is a :class:`UserError` on its field."""
    try:
        characteristics = [Characteristic.from_dict(c) for c in definition or ()]
        for c in characteristics:
            if c.fact not in FACTS:
                raise ScorecardError(f"{c.code}: unknown fact {c.fact} (known: {', '.join(FACTS)}).", "definition")
        return Card(characteristics, Scaling(float(pdo), float(base_score), float(base_odds), bool(good_to_bad)),
                    [Band.from_dict(b) for b in bands or ()], int(reason_count))
    except ScorecardError as error:
        raise UserError(str(error), error.field if error.field in ("pdo", "base_odds", "bands") else "definition") from error
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise UserError(_("The scorecard's data is malformed: ${error}", mapping={"error": str(error)}),
                        "definition") from error


def create(session, *, name: str, definition: list, bands: list, pdo=20, base_score=600, base_odds=50,
           odds_good_to_bad: bool = True, reason_count: int = 3, notes: str = "") -> Scorecard:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the scorecard a name."), "name")
    parse(definition, bands, pdo, base_score, base_odds, odds_good_to_bad, reason_count)
    latest = session.scalar(select(func.max(Scorecard.version)).where(Scorecard.name == name)) or 0
    scorecard = Scorecard(name=name, version=latest + 1, status="draft", pdo=Decimal(str(pdo)),
                          base_score=Decimal(str(base_score)), base_odds=Decimal(str(base_odds)),
                          odds_good_to_bad=odds_good_to_bad, reason_count=reason_count, definition=definition,
                          bands=bands, notes=notes)
    session.add(scorecard)
    session.flush()
    return scorecard


def new_version(session, scorecard: Scorecard) -> Scorecard:
    """A draft copy of ``scorecard`` to edit; the original (and the reviews it scored) stay as they are."""
    return create(session, name=scorecard.name, definition=list(scorecard.definition), bands=list(scorecard.bands),
                  pdo=scorecard.pdo, base_score=scorecard.base_score, base_odds=scorecard.base_odds,
                  odds_good_to_bad=scorecard.odds_good_to_bad, reason_count=scorecard.reason_count,
                  notes=scorecard.notes)


def update_draft(session, scorecard: Scorecard, **fields) -> Scorecard:
    if scorecard.status != "draft":
        raise ConflictError(_("Only a draft can be edited; make a new version of ${name} v${version}.",
                              mapping={"name": scorecard.name, "version": scorecard.version}), "status")
    values = {k: getattr(scorecard, k) for k in ("definition", "bands", "pdo", "base_score", "base_odds",
                                                 "odds_good_to_bad", "reason_count")}
    values.update({k: v for k, v in fields.items() if k in values})
    parse(values["definition"], values["bands"], values["pdo"], values["base_score"], values["base_odds"],
          values["odds_good_to_bad"], values["reason_count"])
    for key, value in values.items():
        setattr(scorecard, key, Decimal(str(value)) if key in ("pdo", "base_score", "base_odds") else value)
    session.flush()
    return scorecard


def activate(session, scorecard: Scorecard) -> Scorecard:
    """Make ``scorecard`` the one new applications are scored with; the previous active version retires."""
    if scorecard.status != "draft":
        raise ConflictError(_("Only a draft can be activated."), "status")
    card(scorecard)
    for other in session.scalars(select(Scorecard).where(Scorecard.status == "active")):
        other.status = "retired"
    scorecard.status = "active"
    scorecard.activated_at = utcnow()
    session.flush()
    return scorecard


def active(session) -> Scorecard | None:
    return session.scalar(select(Scorecard).where(Scorecard.status == "active").order_by(Scorecard.id.desc()))


def ensure_starter(session) -> Scorecard:
    """The active card, creating and activating the starter card when there is none."""
    found = active(session)
    if found is None:
        found = activate(session, create(session, name="Consumer", definition=STARTER, bands=STARTER_BANDS,
                                         notes="Starter card (points set by hand)."))
    return found


# -- facts ------------------------------------------------------------------------------------------

def exposure(session, customer_id: int) -> Decimal:
    """Principal still owed on the customer's active loans."""
    left = select(func.coalesce(func.sum(Installment.principal_due - Installment.principal_paid), 0)) \
        .join(Loan, Loan.id == Installment.loan_id) \
        .where(Loan.customer_id == customer_id, Loan.status == "active")
    return Decimal(str(session.scalar(left) or 0))


def installment(amount: Decimal, annual_rate: Decimal, term: int) -> Decimal:
    """The level monthly installment of ``amount`` (an estimate for the debt-to-income ratio)."""
    rate = Decimal(annual_rate) / 12
    if not rate:
        return Decimal(amount) / term
    return Decimal(amount) * rate / (1 - (1 + rate) ** -term)


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def facts(session, application: Application) -> dict:
    """What the card and the rules read about ``application``: missing facts are ``None``."""
    customer = application.customer
    profile = session.scalar(select(Profile).where(Profile.customer_id == customer.id))
    loans = session.execute(select(func.count(Loan.id), func.max(Loan.days_past_due))
                            .where(Loan.customer_id == customer.id)).one()
    income = profile.monthly_income if profile else None
    debt = (profile.monthly_debt or Decimal(0)) if profile else Decimal(0)
    dti = None
    if income:
        dti = ((debt + installment(application.amount, application.annual_rate, application.term_months))
               / income).quantize(Decimal("0.0001"))
    return {
        "age": age_on(profile.birth_date if profile else None, context.today(session)),
        "monthly_income": income, "dti": dti, "amount": application.amount, "term_months": application.term_months,
        "annual_rate": application.annual_rate, "region": application.region or customer.region or None,
        "industry": application.industry or customer.industry or None, "kind": customer.kind,
        "past_max_dpd": loans[1] if loans[0] else None, "previous_loans": loans[0],
        "exposure": exposure(session, customer.id),
        "on_watch": bool(profile and profile.on_watch),
    }
