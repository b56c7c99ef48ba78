"""What marketing declares to core: permissions, roles, record types, lookups, menu."""
from __future__ import annotations

from core.entities import Field
from core.security import Permission, RoleSpec
from plugins.marketing.i18n import _

P = "marketing."


def permissions() -> list[Permission]:
    return [
        Permission(P + "campaign.view", _("See campaigns"), _("Channels, campaigns, their tracked links, spend and "
                                                               "budget status.")),
        Permission(P + "campaign.manage", _("Manage campaigns"), _("Create and change channels, campaigns and "
                                                                   "tracked links.")),
        Permission(P + "spend.manage", _("Record campaign spend"), _("Enter planned and actual costs of "
                                                                     "campaigns (with their invoices).")),
        Permission(P + "touchpoint.view", _("See touchpoints and conversions"), _("Which campaigns touched which "
                                                                                  "customer, clicks and "
                                                                                  "conversions.")),
        Permission(P + "touchpoint.manage", _("Record offline touchpoints"), _("Type or import from CSV the "
                                                                               "event attendances and partner "
                                                                               "referrals of customers.")),
        Permission(P + "audience.view", _("See audiences and consent"), _("Audiences, their broadcasts and the "
                                                                           "customers' marketing consent.")),
        Permission(P + "audience.send", _("Send broadcasts"), _("Define audiences, record consent and send "
                                                                "messages to the consenting members.")),
        Permission(P + "promotion.view", _("See promotions"), _("Promotions, their terms and who used them on "
                                                               "which loan.")),
        Permission(P + "promotion.manage", _("Manage promotions"), _("Create and change fee-discount promotions, "
                                                                     "their dates, eligibility and limits.")),
        Permission(P + "report.view", _("See marketing reports"), _("CAC, ROI and ROAS per channel and campaign "
                                                                    "under each attribution model, the funnel.")),
    ]


def roles() -> list[RoleSpec]:
    everything = tuple(p.name for p in permissions())
    return [
        RoleSpec("marketing_specialist", _("Marketing specialist"),
                 ("core.dashboard.view", P + "campaign.view", P + "campaign.manage", P + "touchpoint.view",
                  P + "touchpoint.manage", P + "report.view", P + "audience.view",
                  P + "promotion.view"),
                 _("Runs campaigns: tracked links, offline touchpoints, reads the reports.")),
        RoleSpec("marketing_manager", _("Marketing manager"),
                 ("core.dashboard.view", *everything, "lending.customer.view"),
                 _("Owns the marketing budget: campaigns, spend, attribution and return on investment.")),
    ]


def entity_types():
    from core.entities import EntityType
    from plugins.marketing.models import (
        Audience,
        Broadcast,
        Campaign,
        Channel,
        Consent,
        Conversion,
        Link,
        Promotion,
        Redemption,
        Spend,
        Touchpoint,
    )

    view, manage = P + "campaign.view", P + "campaign.manage"
    return [
        EntityType(Channel, _("Marketing channel"), view, manage, "marketing.channels", "{name}",
                   fields={"name": _("Name"), "kind": Field(_("Kind"), "label"), "active": _("Active")}),
        EntityType(Campaign, _("Campaign"), view, manage, "marketing.campaign", "{name}", fields=CAMPAIGN_FIELDS),
        EntityType(Spend, _("Campaign cost"), view, P + "spend.manage", None, _("Cost {id}"),
                   fields={"campaign_id": _("Campaign"), "spent_on": _("Date"), "kind": Field(_("Planned or actual"), "label"),
                           "amount": _("Amount"), "description": _("Description")}),
        EntityType(Link, _("Tracked link"), view, manage, None, "{code}",
                   fields={"code": _("Code"), "campaign_id": _("Campaign"), "medium": _("Medium"),
                           "target_url": _("Target"), "active": _("Active")}),
        EntityType(Touchpoint, _("Touchpoint"), P + "touchpoint.view", P + "touchpoint.manage", None,
                   _("Touchpoint {id}"), fields={"customer_id": _("Customer"), "campaign_id": _("Campaign"),
                                                 "touched_at": _("When"), "source": Field(_("Source"), "label"),
                                                 "note": _("Note")}),
        EntityType(Conversion, _("Conversion"), P + "touchpoint.view", P + "touchpoint.manage", None,
                   _("Conversion {id}"), fields={"customer_id": _("Customer"), "kind": Field(_("Kind"), "label"),
                                                 "occurred_at": _("When"), "value": _("Value"),
                                                 "reference": _("Reference"),
                                                 "touches": _("Touchpoints in the window")}),
        EntityType(Audience, _("Audience"), P + "audience.view", P + "audience.send", "marketing.audience", "{name}",
                   fields={"name": _("Name"), "role": Field(_("Role"), "label"),
                           "verified_only": _("Verified customers only"), "region": _("Region"),
                           "registered_since": _("Registered since"), "created_at": _("Created")}),
        EntityType(Consent, _("Marketing consent"), P + "audience.view", P + "audience.send", None,
                   _("Consent {id}"), fields={"customer_id": _("Customer"), "channel": Field(_("Channel"), "label"),
                                              "granted_at": _("Granted"), "withdrawn_at": _("Withdrawn"),
                                              "source": _("Source")}),
        EntityType(Broadcast, _("Broadcast"), P + "audience.view", P + "audience.send", None, _("Broadcast {id}"),
                   fields={"audience_id": _("Audience"), "campaign_id": _("Campaign"),
                           "channel": Field(_("Channel"), "label"), "subject": _("Subject"), "body": _("Message"),
                           "promotes_project": _("Promotes a loan project"), "recipients": _("Recipients"),
                           "skipped": _("Skipped (no consent)"), "sent_at": _("Sent")}),
        EntityType(Promotion, _("Promotion"), P + "promotion.view", P + "promotion.manage", "marketing.promotion",
                   "{code}", fields={"code": _("Code"), "name": _("Name"), "kind": Field(_("Kind"), "label"),
                                     "rate": _("Discount rate"), "amount": _("Discount amount"),
                                     "valid_from": _("Valid from"), "valid_to": _("Valid to"),
                                     "role": Field(_("Customers"), "label"),
                                     "verified_only": _("Verified customers only"), "global_limit": _("Uses in all"),
                                     "per_customer_limit": _("Uses per customer"), "created_at": _("Created")}),
        EntityType(Redemption, _("Promotion use"), P + "promotion.view", P + "promotion.manage", None,
                   _("Use {id}"), fields={"promotion_id": _("Promotion"), "customer_id": _("Customer"),
                                          "application_id": _("Application"), "slot": _("Use number"),
                                          "customer_slot": _("Customer's use number"), "fee": _("Fee before"),
                                          "discount": _("Discount"), "redeemed_on": _("Date"),
                                          "created_at": _("Created")}),
    ]


def lookups():
    from core.models.user import User
    from core.web.admin_users import USERS
    from core.web.lookups import Lookup
    from plugins.marketing.models import Campaign
    from plugins.marketing.search import CAMPAIGNS

    return [Lookup("marketing.campaign", Campaign, P + "campaign.view",
                   lambda stmt, q: CAMPAIGNS.match(stmt, q).order_by(Campaign.starts_on.desc()),
                   lambda c: c.name, lambda c: f"{c.channel.name} · {c.starts_on.isoformat()}"),
            # a campaign's owner: an active user, by name or username
            Lookup("marketing.owner", User, P + "campaign.manage",
                   lambda stmt, q: USERS.match(stmt.where(User.active.is_(True)), q),
                   lambda u: u.full_name or u.username, lambda u: u.username)]


def menu():
    from core.web.menu import MenuEntry

    section = _("Marketing")
    return [
        MenuEntry(_("Campaigns"), "marketing.campaigns", P + "campaign.view", section, 400),
        MenuEntry(_("Channels"), "marketing.channels", P + "campaign.view", section, 401),
        MenuEntry(_("Spend"), "marketing.spend", P + "campaign.view", section, 402),
        MenuEntry(_("Tracked links"), "marketing.links", P + "campaign.view", section, 403),
        MenuEntry(_("Touchpoints"), "marketing.touchpoints", P + "touchpoint.view", section, 410),
        MenuEntry(_("Conversions"), "marketing.conversions", P + "touchpoint.view", section, 411),
        MenuEntry(_("Return by campaign"), "marketing.report", P + "report.view", section, 420),
        MenuEntry(_("Promotions"), "marketing.promotions", P + "promotion.view", section, 425),
        MenuEntry(_("Audiences"), "marketing.audiences", P + "audience.view", section, 430),
        MenuEntry(_("Consent"), "marketing.consents", P + "audience.view", section, 431),
    ]


CAMPAIGN_FIELDS = {
    "name": _("Name"), "channel_id": _("Channel"), "parent_id": _("Programme"), "owner_id": _("Owner"),
    "starts_on": _("Starts"), "ends_on": _("Ends"), "budget": _("Budget"), "goal": Field(_("Goal"), "label"),
    "audience": _("Audience"), "status": Field(_("Status"), "label"), "created_at": _("Created"),
}
