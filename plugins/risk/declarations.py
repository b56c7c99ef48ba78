"""What risk declares to core: permissions, roles, record types, lookups, menu, jobs."""
from __future__ import annotations

from core.security import Permission, RoleSpec
from plugins.risk.i18n import _

P = "risk."


def permissions() -> list[Permission]:
    return [
        Permission(P + "review.view", _("See risk reviews"), _("Pre-loan reviews with their scores, rules, "
                                                               "screening and assessments.")),
        Permission(P + "review.decide", _("Decide risk reviews"), _("Assess a review and approve, decline or refer "
                                                                    "it to the committee.")),
        Permission(P + "scorecard.view", _("See scorecards and rules"), _("Scorecard versions, bins, points, "
                                                                           "bands and the rules.")),
        Permission(P + "scorecard.manage", _("Edit scorecards and rules"), _("Draft, edit and activate scorecard "
                                                                             "versions; edit the rules.")),
        Permission(P + "blacklist.view", _("See the blacklist"), _("Entries and the hits of screening.")),
        Permission(P + "blacklist.manage", _("Keep the blacklist"), _("Add and remove entries; confirm or clear "
                                                                      "hits.")),
        Permission(P + "committee.view", _("See committee meetings"), _("Meetings, agendas, votes and minutes.")),
        Permission(P + "committee.vote", _("Vote in the committee"), _("Vote on agenda items or declare a conflict "
                                                                       "of interest, as oneself.")),
        Permission(P + "committee.manage", _("Run committee meetings"), _("Plan meetings, record attendance and "
                                                                          "close them.")),
        Permission(P + "signal.view", _("See monitoring signals"), _("Early-warning signals and the watch list.")),
        Permission(P + "signal.handle", _("Handle monitoring signals"), _("Close signals with the follow-up, put "
                                                                          "borrowers on watch.")),
        Permission(P + "report.view", _("See risk reports"), _("Vintage curves, default rates, concentration, "
                                                               "rule rates and scorecard monitoring.")),
    ]


def roles() -> list[RoleSpec]:
    everything = tuple(p.name for p in permissions())
    lending_views = ("lending.customer.view", "lending.application.view", "lending.loan.view")
    return [
        RoleSpec("risk_analyst", _("Risk analyst"),
                 ("core.dashboard.view", P + "review.view", P + "review.decide", P + "scorecard.view",
                  P + "blacklist.view", P + "blacklist.manage", P + "committee.view", P + "signal.view",
                  P + "signal.handle", P + "report.view", *lending_views),
                 _("Reviews applications, keeps the blacklist and follows the monitoring signals.")),
        RoleSpec("risk_manager", _("Risk manager"), ("core.dashboard.view", *everything, *lending_views),
                 _("Designs the scorecards and rules, runs the committee and reads the reports.")),
        RoleSpec("risk_committee_member", _("Loan committee member"),
                 ("core.dashboard.view", P + "committee.view", P + "committee.vote", P + "review.view",
                  *lending_views),
                 _("Votes on the applications referred to the loan review committee.")),
    ]


REVIEW_FIELDS = {"status": _("Status"), "level": _("Risk level"), "warnings": _("Warnings"),
                 "conditions": _("Conditions"), "recommendation": _("Recommendation"), "score": _("Score"),
                 "grade": _("Grade"), "rule_outcome": _("Rule outcome"), "screening": _("Blacklist screening")}


def entity_types():
    from core.entities import EntityType
    from plugins.risk.models import BlacklistEntry, Hit, Meeting, Profile, Review, Rule, Scorecard, Signal

    return [
        EntityType(Review, _("Risk review"), P + "review.view", P + "review.decide", "risk.review",
                   _("Review {id}"), fields=REVIEW_FIELDS),
        EntityType(Scorecard, _("Scorecard"), P + "scorecard.view", P + "scorecard.manage", "risk.scorecard",
                   "{name} v{version}"),
        EntityType(Rule, _("Risk rule"), P + "scorecard.view", P + "scorecard.manage", None, "{code}"),
        EntityType(Profile, _("Risk profile"), P + "signal.view", P + "signal.handle", None, "{customer_id}"),
        EntityType(BlacklistEntry, _("Blacklist entry"), P + "blacklist.view", P + "blacklist.manage",
                   "risk.entry", "{name}"),
        EntityType(Hit, _("Blacklist hit"), P + "blacklist.view", P + "blacklist.manage", None, "{id}"),
        EntityType(Meeting, _("Committee meeting"), P + "committee.view", P + "committee.manage", "risk.meeting",
                   "{held_on}"),
        EntityType(Signal, _("Monitoring signal"), P + "signal.view", P + "signal.handle", None, "{kind} {id}"),
    ]


def lookups():
    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup
    from plugins.risk.models import BlacklistEntry, Review
    from plugins.risk.search import ENTRIES, REVIEWS

    def reviews(stmt, q):
        return REVIEWS.match(stmt, q).order_by(Review.id.desc())

    def entries(stmt, q):
        return ENTRIES.match(stmt, q).order_by(BlacklistEntry.id.desc())

    return [
        Lookup("risk.review", Review, P + "review.view", reviews,
               lambda r: _("Review ${id} · ${name}", mapping={"id": r.id, "name": r.customer.name}),
               lambda r: f"{r.grade} · {r.status}"),
        Lookup("risk.entry", BlacklistEntry, P + "blacklist.view", entries, lambda e: e.name,
               lambda e: " · ".join(x for x in (e.id_number, e.phone) if x)),
        Lookup("risk.member", User, P + "committee.manage",
               lambda stmt, q: USERS.match(stmt.where(User.active.is_(True)), q),
               lambda u: u.full_name or u.username, lambda u: u.username),
    ]


def menu():
    from core.web.menu import MenuEntry

    section = _("Risk")
    return [
        MenuEntry(_("Reviews"), "risk.reviews", P + "review.view", section, 400),
        MenuEntry(_("Committee"), "risk.meetings", P + "committee.view", section, 401),
        MenuEntry(_("Monitoring"), "risk.signals", P + "signal.view", section, 402),
        MenuEntry(_("Blacklist"), "risk.entries", P + "blacklist.view", section, 403),
        MenuEntry(_("Blacklist hits"), "risk.hits", P + "blacklist.view", section, 404),
        MenuEntry(_("Scorecards and rules"), "risk.scorecards", P + "scorecard.view", section, 410),
        MenuEntry(_("Reports"), "risk.reports", P + "report.view", section, 420),
    ]


def jobs():
    from core.jobs import JobSpec
    from plugins.risk import jobs as tasks

    return [JobSpec("risk.screen_customers", tasks.screen_customers, "15 2 * * *",
                    _("Screens every customer against the blacklist (new entries are screened when added)."),
                    time_limit=3600)]
