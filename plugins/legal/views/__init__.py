"""Legal's screens (routes live under /legal). Views parse input, call services, render."""

ROUTES = []


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
