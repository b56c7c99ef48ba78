"""What crm declares to core: permissions, roles, record types, record rules, lookups, menu."""
from __future__ import annotations

from core.entities import Field
from core.security import Permission, RecordRule, RoleSpec
from plugins.crm.i18n import _

P = "crm."


def permissions() -> list[Permission]:
    return [
        Permission(P + "account.view", _("See my accounts and pipeline"),
                   _("The accounts, opportunities and activities I own, and my team's when I manage one.")),
        Permission(P + "account.view_all", _("See every account and opportunity"),
                   _("Every account, opportunity and activity, whoever owns it.")),
        Permission(P + "account.manage", _("Manage accounts"),
                   _("Create and edit accounts and their contacts, link them to lending's customers.")),
        Permission(P + "opportunity.manage", _("Work opportunities"),
                   _("Create opportunities, move them between stages, set a probability, link the application, "
                     "mark them lost.")),
        Permission(P + "activity.manage", _("Plan and log activities"), _("Plan calls, meetings and visits and "
                                                                         "record how they went.")),
        Permission(P + "stage.manage", _("Edit the pipeline's stages"), _("Add, rename, reorder stages and set "
                                                                         "their probability.")),
        Permission(P + "target.view", _("See targets and attainment"), _("Targets, their decomposition and "
                                                                        "attainment by team, person and month.")),
        Permission(P + "target.manage", _("Set and split targets"), _("Set the yearly targets, manage the teams "
                                                                     "and decompose the targets.")),
        Permission(P + "commission.view", _("See partner commissions"), _("Commission entries and monthly "
                                                                         "statements of partners.")),
        Permission(P + "commission.manage", _("Manage partner agreements"), _("Agreements and commission rules "
                                                                             "of partners.")),
        Permission(P + "report.view", _("See market development reports"), _("Pipeline, won and lost, "
                                                                             "attainment, partners, activities.")),
    ]


def roles() -> list[RoleSpec]:
    rep = ("core.dashboard.view", P + "account.view", P + "account.manage", P + "opportunity.manage",
           P + "activity.manage", P + "target.view")
    manager = rep + (P + "report.view", P + "commission.view", "lending.customer.view",
                     "lending.application.view")
    return [
        RoleSpec("sales_representative", _("Sales representative"), rep,
                 _("Works their own accounts, opportunities and visits.")),
        RoleSpec("sales_manager", _("Sales manager"), manager + (P + "target.manage",),
                 _("Leads a team: sees its accounts and pipeline, splits its targets, reads the reports.")),
        RoleSpec("head_of_market_development", _("Head of market development"),
                 tuple(dict.fromkeys(manager + tuple(p.name for p in permissions()))),
                 _("Sets the company's targets, the stages, the partners' agreements and commissions.")),
    ]


ACCOUNT_FIELDS = {"owner_id": Field(_("Owner"), "reference", "core.user"),
                  "customer_id": Field(_("Customer"), "reference", "lending.customer"),
                  "commission_rate": Field(_("Commission rate"), "rate")}
OPPORTUNITY_FIELDS = {"account_id": Field(_("Account"), "reference", "crm.account"),
                      "partner_id": Field(_("Partner"), "reference", "crm.account"),
                      "owner_id": Field(_("Owner"), "reference", "core.user"),
                      "stage_id": Field(_("Stage"), "reference", "crm.stage"),
                      "manual_probability": Field(_("Manual probability"), "rate"),
                      "application_id": Field(_("Application"), "reference", "lending.application")}


def entity_types():
    from core.entities import EntityType
    from plugins.crm.models import Account, Activity, Agreement, Contact, Opportunity, Stage, Target, Team

    view = P + "account.view"
    return [
        EntityType(Account, _("Account"), view, P + "account.manage", "crm.account", "{name}",
                   fields=ACCOUNT_FIELDS),
        EntityType(Contact, _("Account contact"), view, P + "account.manage", None, "{name}"),
        EntityType(Opportunity, _("Opportunity"), view, P + "opportunity.manage", "crm.opportunity", "{title}",
                   fields=OPPORTUNITY_FIELDS),
        EntityType(Activity, _("Activity"), view, P + "activity.manage", "crm.activity", "{subject}"),
        EntityType(Stage, _("Pipeline stage"), view, P + "stage.manage", None, "{name}"),
        EntityType(Team, _("Sales team"), P + "target.view", P + "target.manage", None, "{name}"),
        EntityType(Target, _("Sales target"), P + "target.view", P + "target.manage", "crm.target",
                   "{metric} {year}"),
        EntityType(Agreement, _("Partner agreement"), P + "commission.view", P + "commission.manage",
                   "crm.agreement", "{title}", fields={"contract_ref": Field(_("Contract"), "text"),
                                                       "status": Field(_("Status"), "label")}),
    ]


def visible_owners(request):
    """SQL: the users whose records ``request.user`` sees — themself and the members of teams they manage."""
    from sqlalchemy import literal, select, union

    from plugins.crm.models import Team, TeamMember

    me = request.user.id if request.user is not None else -1
    return union(select(literal(me)),
                 select(TeamMember.user_id).join(Team, Team.id == TeamMember.team_id).where(Team.manager_id == me))


def record_rules() -> list[RecordRule]:
    from plugins.crm.models import Account, Activity, Contact, Opportunity

    bypass = P + "account.view_all"
    why = _("Representatives see what they own; managers also what their team owns.")
    return [
        RecordRule(Account, bypass, lambda r: Account.owner_id.in_(visible_owners(r)), why),
        RecordRule(Opportunity, bypass, lambda r: Opportunity.owner_id.in_(visible_owners(r)), why),
        RecordRule(Activity, bypass, lambda r: Activity.owner_id.in_(visible_owners(r)), why),
        RecordRule(Contact, bypass, lambda r: Contact.account_id.in_(_account_ids(r)), why),
    ]


def _account_ids(request):
    from sqlalchemy import select

    from plugins.crm.models import Account

    return select(Account.id).where(Account.owner_id.in_(visible_owners(request)))


def lookups():
    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup
    from plugins.crm.models import Account
    from plugins.crm.search import ACCOUNTS, APPLICATIONS

    def partners(stmt, q):
        return ACCOUNTS.match(stmt.where(Account.kind == "partner"), q)

    def detail(account):
        return " · ".join(x for x in (account.kind, account.region, account.id_number) if x)

    def applications(stmt, q):
        return APPLICATIONS.match(stmt, q)

    def app_label(application):
        return _("Application ${id} · ${name}", mapping={"id": application.id, "name": application.customer.name})

    from plugins.lending.models import Application

    return [
        Lookup("crm.account", Account, P + "account.view", ACCOUNTS.match, lambda a: a.name, detail),
        Lookup("crm.partner", Account, P + "account.view", partners, lambda a: a.name, detail),
        Lookup("crm.user", User, P + "account.view", lambda stmt, q: USERS.match(stmt.where(User.active.is_(True)), q),
               lambda u: u.full_name or u.username, lambda u: u.username),
        Lookup("crm.application", Application, P + "opportunity.manage", applications, app_label,
               lambda a: a.status),
    ]


def menu():
    from core.web.menu import MenuEntry

    section = _("Market development")
    return [
        MenuEntry(_("Pipeline board"), "crm.board", P + "account.view", section, 400),
        MenuEntry(_("Opportunities"), "crm.opportunities", P + "account.view", section, 401),
        MenuEntry(_("Accounts"), "crm.accounts", P + "account.view", section, 402),
        MenuEntry(_("Activities"), "crm.activities", P + "account.view", section, 403),
        MenuEntry(_("My calendar"), "crm.calendar", P + "activity.manage", section, 404),
        MenuEntry(_("Targets"), "crm.targets", P + "target.view", section, 410),
        MenuEntry(_("Teams"), "crm.teams", P + "target.manage", section, 411),
        MenuEntry(_("Stages"), "crm.stages", P + "stage.manage", section, 412),
        MenuEntry(_("Commissions"), "crm.commissions", P + "commission.view", section, 420),
        MenuEntry(_("Agreements"), "crm.agreements", P + "commission.view", section, 421),
        MenuEntry(_("Reports"), "crm.reports", P + "report.view", section, 430),
    ]
