"""Marketing's screens (under /marketing) and the public short link ``/r/<code>`` at the root."""

ROUTES = [
    ("marketing.campaigns", "/campaigns"),
    ("marketing.campaign_new", "/campaigns/new"),
    ("marketing.campaign", r"/campaigns/{id:\d+}"),
    ("marketing.campaign_edit", r"/campaigns/{id:\d+}/edit"),
    ("marketing.spend_new", r"/campaigns/{id:\d+}/spend"),
    ("marketing.link_new", r"/campaigns/{id:\d+}/links/new"),
    ("marketing.channels", "/channels"),
    ("marketing.channel_new", "/channels/new"),
    ("marketing.spend", "/spend"),
    ("marketing.links", "/links"),
    ("marketing.touchpoints", "/touchpoints"),
    ("marketing.touchpoint_new", "/touchpoints/new"),
    ("marketing.touchpoint_import", "/touchpoints/import"),
    ("marketing.conversions", "/conversions"),
    ("marketing.report", "/report"),
    ("marketing.join", "/join"),
    ("marketing.audiences", "/audiences"),
    ("marketing.audience_new", "/audiences/new"),
    ("marketing.audience", r"/audiences/{id:\d+}"),
    ("marketing.consents", "/consents"),
    ("marketing.consent_new", "/consents/new"),
    ("marketing.unsubscribe", "/unsubscribe/{token}"),
    ("marketing.promotions", "/promotions"),
    ("marketing.promotion_new", "/promotions/new"),
    ("marketing.promotion", r"/promotions/{id:\d+}"),
    ("marketing.promotion_edit", r"/promotions/{id:\d+}/edit"),
]


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
    # A short link is short: /r/<code> at the site's root, outside the plugin's /marketing prefix
    # (core wraps mutuo_configure in route_prefix_context; Pyramid has no way to step out of it).
    prefix, config.route_prefix = config.route_prefix, None
    try:
        config.add_route("marketing.redirect", r"/r/{code:[A-Za-z0-9_-]{1,32}}")
    finally:
        config.route_prefix = prefix
    for module in ("campaigns", "lists", "tracking", "reports", "audiences", "promotions"):
        config.scan(f"plugins.marketing.views.{module}")
