"""Demo story: a sales team working alongside lending's replayed 18 months, through the services.

On the first replayed day (``lending_demo_day``) the department is set up: the
pipeline's stages, two teams with a manager and representatives (one joins
mid-year, so their target is pro rata), a head of market development, two
brokers with commission tiers. On the first day of each year a funded-volume
target is set and decomposed. Every day, about two in five of the applications
lending received the day before get an opportunity (a representative, a stage,
now and then a partner) linked to the application: lending's funding then wins
it, credits the representatives and accrues the partner's commission — nothing
is typed in. A prospect that never applies is opened now and then and lost
with a reason two weeks later. Each opportunity gets a call two days later,
done on the day (the last days' calls stay planned: some are overdue).

The work is a handful of indexed queries per replayed day. Demo users log in
with ``<username>-demo-pass`` (development only).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, select

from core.accounts import create_user
from core.demo import demo_password
from core.formatting import current
from core.models.user import User
from plugins.crm.i18n import _
from plugins.crm.models import Account, Activity, Opportunity, Stage, Target, Team
from plugins.crm.services import accounts, activities, commissions, pipeline, targets
from plugins.lending.models import Application

STAGES = (("Lead", "0.10"), ("Qualified", "0.30"), ("Proposal", "0.60"), ("Negotiation", "0.80"))
TEAMS = (("North team", "North", "marta.manager", ("ana.rep", "bruno.rep")),
         ("South team", "South", "nico.manager", ("olga.rep", "pablo.rep")))
JOINER = "quim.rep"  # joins the South team in the story's second half
REASONS = ("price", "competitor", "no_need", "no_answer")


def _user(session, username: str, role: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(session, username, demo_password(username), full_name=username.split(".")[0].title(),
                           email=f"{username}@example.test", roles=[role])
    return user


def setup(session, start: date) -> None:
    """Stages, teams, partners: once (a no-op when they exist)."""
    if session.scalar(select(func.count(Stage.id))):
        return
    for n, (name, p) in enumerate(STAGES):
        pipeline.save_stage(session, name, Decimal(p), position=n)
    _user(session, "hugo.head", "head_of_market_development")
    for name, region, manager, reps in TEAMS:
        boss = _user(session, manager, "sales_manager")
        team = targets.create_team(session, name, boss.id, region)
        for username in reps:
            targets.add_member(session, team, _user(session, username, "sales_representative").id, start)
    for name, rate, floor, tier in (("Brokers Ibéricos SL", "1", Decimal("50000.00"), "1.5"),
                                    ("Asociación de Autónomos", "0.8", None, None)):
        partner = accounts.create_account(session, name=name, kind="partner", partner_type="broker", tier="A",
                                          is_company=True, region="North", commission_rate=rate,
                                          owner_id=_user(session, "marta.manager", "sales_manager").id)
        if floor is not None:
            commissions.set_tier(session, partner, floor, tier)


def _target(session, year: int, again: bool = False) -> None:
    target = session.scalars(select(Target).where(Target.year == year, Target.metric == "funded_volume")).first()
    if target is not None and not again:
        return
    target = target or targets.set_target(session, year, "funded_volume", Decimal("1500000.00"),
                                          "Demo: the year's funded volume")
    teams = session.scalars(select(Team).order_by(Team.id)).all()
    targets.decompose_target(session, target, {team.id: Decimal(60 if n == 0 else 40) for n, team in enumerate(teams)})


def _cast(session, today: date) -> dict:
    """The department's stages, representatives and partners, read once per demo load (kept on the
    session: lending's whole replay is one session and one transaction)."""
    cast = session.info.get("crm.demo")
    if cast is None:
        if not session.scalar(select(func.count(Stage.id))):
            setup(session, today)
            _target(session, today.year)
        cast = session.info["crm.demo"] = {
            "stages": pipeline.stages(session),
            "reps": list(session.scalars(select(User).where(User.username.like("%.rep")).order_by(User.id))),
            "partners": list(session.scalars(select(Account).where(Account.kind == "partner").order_by(Account.id)))}
    return cast


def day(session, today: date, story) -> None:
    rng = random.Random(today.toordinal())
    cast = _cast(session, today)
    if today.month == 1 and today.day == 1:
        _target(session, today.year)
    if today == story.start + (story.today - story.start) / 2:  # the mid-year joiner
        south = session.scalars(select(Team).where(Team.name == TEAMS[1][0])).first()
        joiner = _user(session, JOINER, "sales_representative")
        if south is not None and not any(m.user_id == joiner.id for m in south.members):
            targets.add_member(session, south, joiner.id, today)
            _target(session, today.year, again=True)  # the manager splits the year again: a pro-rata share
            cast["reps"].append(joiner)
    stages, reps, partners = cast["stages"], cast["reps"], cast["partners"]
    new = session.scalars(select(Application).where(
        Application.status.in_(("submitted", "approved", "listed")),
        ~exists().where(Opportunity.application_id == Application.id)).order_by(Application.id).limit(20)).all()
    for application in new:
        if rng.random() < 0.6:
            continue
        owner = rng.choice(reps)
        customer = application.customer
        account = session.scalars(select(Account).where(Account.customer_id == customer.id)).first() or \
            accounts.create_account(session, name=customer.name, kind="borrower", owner_id=owner.id,
                                    region=customer.region, industry=customer.industry,
                                    tier=rng.choice("ABC"), id_number=customer.id_number)
        if account.customer_id is None:
            accounts.link_customer(session, account, customer, credit=False)
        opportunity = pipeline.create_opportunity(
            session, account, f"{customer.name}: {application.purpose or 'loan'}"[:200], application.amount,
            account.owner_id or owner.id, stage=rng.choice(stages[1:]), product="",
            expected_close=today + timedelta(days=14), partner=rng.choice(partners) if rng.random() < 0.3 else None)
        pipeline.link_application(session, opportunity, application.id)
        _call(session, opportunity, today, rng)
    if rng.random() < 0.1 and reps:  # a prospect who will not apply
        owner = rng.choice(reps)
        prospect = accounts.create_account(session, name=f"Prospect {today:%Y%m%d}", kind="borrower",
                                           owner_id=owner.id, region=rng.choice(("North", "South")), tier="C")
        opportunity = pipeline.create_opportunity(session, prospect, f"Prospect {today:%Y-%m-%d}",
                                                  Decimal(rng.randrange(20, 200) * 100), owner.id, stage=stages[0],
                                                  expected_close=today + timedelta(days=30))
        _call(session, opportunity, today, rng)
    if today.weekday() == 0:  # Monday's review: prospects past their date are lost
        for opportunity in session.scalars(select(Opportunity).where(
                Opportunity.status == "open", Opportunity.application_id.is_(None),
                Opportunity.expected_close <= today - timedelta(days=16)).limit(20)):
            pipeline.mark_lost(session, opportunity, rng.choice(REASONS))
    if story.today - today > timedelta(days=3):  # the last days' calls stay planned (some overdue)
        for activity in session.scalars(select(Activity).where(Activity.status == "planned",
                                                               Activity.planned_on == today)):
            activities.complete(session, activity, rng.randrange(5, 40), "Talked it through.", "Follow up.", today)


def _call(session, opportunity, today: date, rng) -> None:
    activities.plan(session, rng.choice(("call", "call", "meeting", "visit")), f"Follow up: {opportunity.title}"[:200],
                    today + timedelta(days=2), opportunity.owner_id, opportunity=opportunity,
                    planned_minutes=rng.choice((15, 30, 60)))


def load(session, scale: int) -> str:
    """Set up the department when lending's demo ran without this plugin's day; say what the story built."""
    from core import context

    today = context.today(session)
    setup(session, today.replace(month=1, day=1))
    _target(session, today.year)
    counts = dict(session.execute(select(Opportunity.status, func.count()).group_by(Opportunity.status)).all())
    fmt = current()
    return fmt.translate(_("${open} open, ${won} won and ${lost} lost opportunities; ${activities} activities; "
                           "${targets} yearly targets decomposed", mapping={
                               "open": fmt.number(counts.get("open", 0)), "won": fmt.number(counts.get("won", 0)),
                               "lost": fmt.number(counts.get("lost", 0)),
                               "activities": fmt.number(session.scalar(select(func.count(Activity.id)))),
                               "targets": fmt.number(session.scalar(select(func.count(Target.id))))}))
