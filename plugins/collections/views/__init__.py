"""Collections' screens (routes live under /collections)."""

ROUTES: list[tuple[str, str]] = []


def includeme(config):
    for name, pattern in ROUTES:
        config.add_route(name, pattern)
